package site

import (
	"testing"

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
