package templates

import (
	"io/fs"
	"testing"
)

func TestEmbedsEveryTemplate(t *testing.T) {
	for _, name := range []string{"index.html", "style.css"} {
		if _, err := fs.Stat(FS, name); err != nil {
			t.Errorf("embedded FS lacks %s: %v", name, err)
		}
	}
}
