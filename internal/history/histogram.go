package history

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// Histogram counts latencies (milliseconds) in log-linear buckets, as HDR
// histograms do: values below 128 ms each have their own bucket, and every
// power of two above is split into 64 equal buckets, so a bucket is never
// wider than 1/64 of its lower bound. A percentile read from it (the
// bucket's midpoint) is within 1% of the exact value, and histograms merge
// by adding counts: a day's rollup grows cycle by cycle, and days add up to
// 7, 30 or 90 days, without keeping raw values.
//
// In JSON it is a sparse list of [lower bound in ms, count] pairs in
// ascending order, e.g. [[87,3],[88,5],[704,1]]: bucket i holds the values
// from its bound up to the next bucket's.
type Histogram struct {
	counts []int64 // by bucket index
}

const (
	subBits    = 6
	subBuckets = 1 << subBits // buckets per power of two
)

// maxValue caps what is counted (about 35 years in ms): beyond it every
// value shares the last bucket, so a corrupt latency cannot blow up a rollup.
const maxValue = 1 << 40

// bucketOf is the index of the bucket holding v (negative values count as 0).
func bucketOf(v int64) int {
	v = min(v, maxValue)
	if v < 2*subBuckets {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - (subBits + 1)
	return subBuckets*e + int(v>>e)
}

// bucketBounds is the lowest value of bucket i and how many values it spans.
func bucketBounds(i int) (low, width int64) {
	if i < 2*subBuckets {
		return int64(i), 1
	}
	e := i/subBuckets - 1
	return int64(i-subBuckets*e) << e, 1 << e
}

// Add counts one latency.
func (h *Histogram) Add(ms int64) {
	h.addN(bucketOf(ms), 1)
}

func (h *Histogram) addN(i int, n int64) {
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]int64, i+1-len(h.counts))...)
	}
	h.counts[i] += n
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o Histogram) {
	for i, n := range o.counts {
		if n != 0 {
			h.addN(i, n)
		}
	}
}

// Count is the number of latencies counted.
func (h Histogram) Count() int64 {
	var n int64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// Quantile is the nearest-rank q-quantile (0 < q <= 1) as the midpoint of
// the bucket holding it; 0 when empty.
func (h Histogram) Quantile(q float64) int64 {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := min(max(int64(math.Ceil(q*float64(n))), 1), n)
	var cum int64
	for i, c := range h.counts {
		if cum += c; cum >= rank {
			return BucketValue(i)
		}
	}
	return 0 // unreachable: cum reaches n
}

// Bucket is the index of the Histogram bucket that counts ms, for a
// caller keeping its own compact counts on the same buckets.
func Bucket(ms int64) int { return bucketOf(ms) }

// BucketValue is what Quantile reports for bucket i: its midpoint.
func BucketValue(i int) int64 {
	low, width := bucketBounds(i)
	return low + (width-1)/2
}

// MarshalJSON writes the sparse [[bound, count], ...] form.
func (h Histogram) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		low, _ := bucketBounds(i)
		b = append(b, '[')
		b = strconv.AppendInt(b, low, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, c, 10)
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads the sparse form; a bound is put in the bucket that
// holds it, so files stay readable if the bucket layout ever changes.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var pairs [][2]int64
	if err := json.Unmarshal(b, &pairs); err != nil {
		return fmt.Errorf("latency histogram: %w", err)
	}
	h.counts = nil
	for _, p := range pairs {
		if p[0] < 0 || p[1] < 0 || p[0] > maxValue {
			return fmt.Errorf("latency histogram: bucket [%d,%d] out of range", p[0], p[1])
		}
		h.addN(bucketOf(p[0]), p[1])
	}
	return nil
}

// Reset empties h and keeps its memory, for a histogram used over and over.
func (h *Histogram) Reset() {
	h.counts = h.counts[:0]
}
