package site

import (
	"sort"
	"unicode/utf8"
)

//go:generate go run verdana_gen.go

// widthFrom is a verdanaTable entry: the width of the code points from lo
// on, in hundredths of a pixel.
type widthFrom struct {
	lo rune
	w  int16
}

// verdanaWidth is the width of s in 11 px Verdana as anafanafo measures it
// for shields' badges: the sum of its characters' widths, control
// characters none, and a character without a width in the table that of
// "m"; guessed reports such a character. The sum is in float64 in the same
// order as anafanafo's, so the truncation to whole pixels after it agrees
// with badge-maker's.
func verdanaWidth(s string) (w float64, guessed bool) {
	for _, r := range s {
		if r < utf8.RuneSelf {
			w += asciiWidths[r] // the table has every printable ASCII character
			continue
		}
		cw, ok := charWidth(r)
		if !ok {
			cw, guessed = emWidth, true
		}
		w += cw
	}
	return w, guessed
}

// asciiWidths spares the common characters the table's search.
var asciiWidths = func() (w [utf8.RuneSelf]float64) {
	for r := range w {
		if r > 31 && r != 127 {
			w[r], _ = charWidth(rune(r))
		}
	}
	return w
}()

var emWidth, _ = charWidth('m')

// charWidth is r's width in the table, false when it has none.
func charWidth(r rune) (float64, bool) {
	i := sort.Search(len(verdanaTable), func(i int) bool { return verdanaTable[i].lo > r }) - 1
	if i < 0 || verdanaTable[i].w < 0 {
		return 0, false
	}
	// The quotient of two exact integers rounds to the float64 nearest the
	// hundredths, which is the number anafanafo's JSON parses to.
	return float64(verdanaTable[i].w) / 100, true
}
