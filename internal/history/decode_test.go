package history

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// The fast decoder must agree with encoding/json on every line Append
// writes, and must hand every line it does not fully understand to it.
func TestFastDecoderAgreesWithJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"sefaria.org", "MCP Server", "ספריא", `q"uote`, "", "a\\b", "x\u2028y"}
	statuses := []uptime.Status{uptime.Up, uptime.Degraded, uptime.Down, uptime.Inconclusive}
	base := at(t, "2024-02-29T23:59:59.999Z")
	for i := range 2000 {
		r := uptime.Result{
			Time:     base.Add(time.Duration(rng.Int64N(int64(400 * 24 * time.Hour)))),
			Service:  names[rng.IntN(len(names))],
			Status:   statuses[rng.IntN(len(statuses))],
			Code:     rng.IntN(600),
			MS:       rng.Int64N(100000),
			Attempts: rng.IntN(4),
			Polls:    rng.IntN(3),
		}
		if rng.IntN(2) == 0 {
			r.Error = uptime.ErrorKinds[rng.IntN(len(uptime.ErrorKinds))]
			r.Detail = names[rng.IntN(len(names))]
		}
		if rng.IntN(3) == 0 {
			r.Location = names[rng.IntN(len(names))]
		}
		if rng.IntN(3) == 0 {
			r.Note = names[rng.IntN(len(names))]
		}
		l := appendResult(nil, &r)
		l = l[:len(l)-1]
		var want uptime.Result
		if err := json.Unmarshal(l, &want); err != nil {
			t.Fatalf("json.Unmarshal(%s): %v", l, err)
		}
		want.Time = want.Time.UTC()
		var d decoder
		got, _ := d.decode(l)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: decode(%s) = %+v, want %+v", i, l, got, want)
		}
	}
}

func TestParseFastDefers(t *testing.T) {
	const good = `{"time":"2026-11-24T10:15:00.123Z","service":"a","status":"up","code":200,"ms":5,"attempts":1}`
	var r rawResult
	if !parseFast([]byte(good), &r) || string(r.service) != "a" || r.ms != 5 {
		t.Fatalf("parseFast(%s) = false or wrong values %+v", good, r)
	}
	tests := []struct{ name, line string }{
		{"escape", strings.Replace(good, `"a"`, `"\u0061"`, 1)},
		{"whitespace", strings.Replace(good, `,"ms"`, `, "ms"`, 1)},
		{"key order", `{"service":"a","time":"2026-11-24T10:15:00.123Z","status":"up","code":200,"ms":5,"attempts":1}`},
		{"negative", strings.Replace(good, `"ms":5`, `"ms":-5`, 1)},
		{"leading zero", strings.Replace(good, `"ms":5`, `"ms":05`, 1)},
		{"float", strings.Replace(good, `"ms":5`, `"ms":5.5`, 1)},
		{"huge number", strings.Replace(good, `"ms":5`, `"ms":1234567890123456789`, 1)},
		{"offset time", strings.Replace(good, `.123Z`, `.123+02:00`, 1)},
		{"no millis", strings.Replace(good, `.123Z`, `Z`, 1)},
		{"february 30", strings.Replace(good, `11-24`, `02-30`, 1)},
		{"hour 24", strings.Replace(good, `T10`, `T24`, 1)},
		{"extra key", strings.Replace(good, `}`, `,"x":1}`, 1)},
		{"trailing bytes", good + " "},
		{"raw control byte", strings.Replace(good, `"a"`, "\"a\tb\"", 1)},
		{"invalid utf-8", strings.Replace(good, `"a"`, "\"a\xff\"", 1)},
		{"torn", good[:len(good)-3]},
	}
	for _, tt := range tests {
		if parseFast([]byte(tt.line), &r) {
			t.Errorf("parseFast(%s) [%s] = true, want false (left to encoding/json)", tt.line, tt.name)
		}
	}
}
