package site

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/Sefaria/statusgen/internal/quorum"
	"github.com/Sefaria/statusgen/internal/uptime"
	"github.com/Sefaria/statusgen/templates"
)

// A quorum's note reads in the page's language, its location names kept
// whole and isolated, and a part the table does not know stays as it was.
func TestNoteTranslated(t *testing.T) {
	he, err := loadLang(templates.FS, "he")
	if err != nil {
		t.Fatal(err)
	}
	const fsi, pdi = "\u2068", "\u2069"
	for _, c := range []struct{ note, want string }{
		{"", ""},
		{"Down from 1 of 3 locations: eu-west", "מושבת לפי 1 מתוך 3 מיקומים: " + fsi + "eu-west" + pdi},
		{"Down from 2 of 5 locations: eu-west-2, us-east-1; no answer from ap-south",
			"מושבת לפי 2 מתוך 5 מיקומים: " + fsi + "eu-west-2" + pdi + ", " + fsi + "us-east-1" + pdi + "; אין תשובה מ־" + fsi + "ap-south" + pdi},
		{"Only 1 of 3 locations could tell, quorum 2; down from eu-west",
			"רק 1 מתוך 3 מיקומים יכלו לקבוע, נדרשים 2; מושבת לפי " + fsi + "eu-west" + pdi},
		{"Something new; No answer from x", "Something new; אין תשובה מ־" + fsi + "x" + pdi},
	} {
		if got := he.Note(c.note); got != c.want {
			t.Errorf("Note(%q) =\n%q, want\n%q", c.note, got, c.want)
		}
		if got := english().Note(c.note); got != c.note {
			t.Errorf("English Note(%q) = %q, want it unchanged", c.note, got)
		}
	}
}

// The notes package quorum really writes, for every way a cycle can set
// failures aside, read in Hebrew with no English left but the location
// names: locnote.go knows the notes by their wording, so a change to it
// in quorum fails here rather than on a Hebrew page.
func TestNoteTranslatesQuorumNotes(t *testing.T) {
	he, err := loadLang(templates.FS, "he")
	if err != nil {
		t.Fatal(err)
	}
	locations := []string{"eu-west", "us-east", "ap-south"}
	svc := uptime.Service{Name: "web", Quorum: 2}
	at := fixedNow
	check := func(loc string, st uptime.Status) uptime.Result {
		return uptime.Result{Time: at, Service: "web", Location: loc, Status: st}
	}
	for _, c := range []struct {
		name    string
		results []uptime.Result
	}{
		{"one down", []uptime.Result{check("eu-west", uptime.Down), check("us-east", uptime.Up), check("ap-south", uptime.Up)}},
		{"one down, one silent", []uptime.Result{check("eu-west", uptime.Down), check("us-east", uptime.Up)}},
		{"two silent", []uptime.Result{check("eu-west", uptime.Down)}},
		{"one silent", []uptime.Result{check("eu-west", uptime.Up), check("us-east", uptime.Up)}},
	} {
		v := quorum.Decide([]uptime.Service{svc}, locations, c.results)
		if len(v) != 1 || v[0].Note == "" {
			t.Fatalf("%s: quorum gave %+v, want one verdict with a note", c.name, v)
		}
		got := he.Note(v[0].Note)
		plain := got
		for _, n := range locations {
			plain = strings.ReplaceAll(plain, "\u2068"+n+"\u2069", "")
		}
		if strings.ContainsFunc(plain, func(r rune) bool { return r < utf8.RuneSelf && unicode.IsLetter(r) }) {
			t.Errorf("%s: quorum's note %q reads %q in Hebrew, with English left in it", c.name, v[0].Note, got)
		}
	}
}
