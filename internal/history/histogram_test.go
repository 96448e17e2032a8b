package history

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestBucketsContiguous(t *testing.T) {
	prevEnd := int64(0)
	for i := 0; i < bucketOf(10_000_000)+1; i++ {
		low, width := bucketBounds(i)
		if low != prevEnd {
			t.Fatalf("bucket %d starts at %d, want %d (previous bucket's end)", i, low, prevEnd)
		}
		if bucketOf(low) != i || bucketOf(low+width-1) != i {
			t.Fatalf("bucketOf(%d..%d) = %d..%d, want %d", low, low+width-1, bucketOf(low), bucketOf(low+width-1), i)
		}
		if low >= 128 && float64(width)/float64(low) > 1.0/64 {
			t.Fatalf("bucket %d is %d wide at %d: wider than 1/64", i, width, low)
		}
		prevEnd = low + width
	}
}

func TestHistogramJSON(t *testing.T) {
	var h Histogram
	for _, v := range []int64{0, 5, 5, 127, 128, 129, 1000, 600000, -3} {
		h.Add(v)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[[0,2],[5,2],[127,1],[128,2],[1000,1],[598016,1]]`; string(b) != want {
		t.Errorf("json.Marshal(histogram) = %s, want %s", b, want)
	}
	var back Histogram
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, h) {
		t.Errorf("json.Unmarshal(%s) = %v, %v, want %v", b, back, err, h)
	}
	for _, bad := range []string{`{}`, `[[1]]x`, `[[-1,2]]`, `[[1,-2]]`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("json.Unmarshal(%s) = nil, want an error", bad)
		}
	}
}

func TestHistogramReset(t *testing.T) {
	var h Histogram
	h.Add(5000)
	h.Reset()
	h.Add(7)
	if n, q := h.Count(), h.Quantile(1); n != 1 || q != 7 {
		t.Errorf("after Reset and Add(7): Count, Quantile(1) = %d, %d, want 1, 7", n, q)
	}
}
