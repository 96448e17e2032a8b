package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestLocations(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		locations  []Location
		quorum     []int // each service's
		multi      bool
		printLines []string // lines `check` must print
	}{
		{
			name:   "none: the runner's own checks, quorum 1",
			file:   minimal,
			quorum: []int{1},
		},
		{
			name: "three CI locations with a quorum of 2, one service stricter",
			file: `[settings]
quorum = 2
[[service]]
name = "a"
url = "https://a.example/"
[[service]]
name = "b"
url = "https://b.example/"
quorum = 3
[[location]]
name = "github-us"
[[location]]
name = "eu-west"
url = "https://agent.example.eu:9443"
[[location]]
name = "bb"
kind = "blackbox"
url = "http://127.0.0.1:9115"
`,
			locations: []Location{
				{Name: "github-us", Kind: KindAgent},
				{Name: "eu-west", URL: "https://agent.example.eu:9443", Kind: KindAgent},
				{Name: "bb", URL: "http://127.0.0.1:9115", Kind: KindBlackbox, Module: "http_2xx"},
			},
			quorum: []int{2, 3},
			multi:  true,
			printLines: []string{
				"quorum                  = 2",
				`name = "github-us"`,
				"url  = (not set)  # results come from `statusgen once --results`",
				`module = "http_2xx"`,
				"quorum            = 3",
			},
		},
		{
			name: "one location is a single-location setup",
			file: minimal + `[[location]]
name = "here"
`,
			locations: []Location{{Name: "here", Kind: KindAgent}},
			quorum:    []int{1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("services.toml", []byte(tt.file), env(nil))
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if !reflect.DeepEqual(cfg.Locations, tt.locations) {
				t.Errorf("Locations = %+v, want %+v", cfg.Locations, tt.locations)
			}
			var got []int
			for _, s := range cfg.Services {
				got = append(got, s.Quorum)
			}
			if !reflect.DeepEqual(got, tt.quorum) {
				t.Errorf("services' quorum = %v, want %v", got, tt.quorum)
			}
			if cfg.MultiLocation() != tt.multi {
				t.Errorf("MultiLocation() = %t, want %t", cfg.MultiLocation(), tt.multi)
			}
			var b bytes.Buffer
			if err := cfg.Print(&b); err != nil {
				t.Fatal(err)
			}
			for _, l := range tt.printLines {
				if !strings.Contains(b.String(), l) {
					t.Errorf("Print lacks %q:\n%s", l, b.String())
				}
			}
		})
	}
}
