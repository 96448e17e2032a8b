package notice

import (
	"bytes"
	"html/template"
	"net/url"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// md renders CommonMark plus GFM tables, strikethrough and task lists. No
// html.WithUnsafe: raw HTML becomes an "omitted" comment, so a notice can
// never carry a script or an event handler onto the page.
var md = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(safeLinks{}, 100))),
)

// render turns a notice's Markdown into HTML that is safe to put on the page.
func render(src []byte) (template.HTML, error) {
	var buf bytes.Buffer
	if err := md.Convert([]byte(stripControls(string(src))), &buf); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil //nolint:gosec // goldmark without unsafe, links filtered
}

// safeLinks reduces a link whose target is not http, https, mailto or a
// relative path to its text, and an image that is not same-origin to its
// alt text: the page's CSP would block it and a visitor would see an error.
type safeLinks struct{}

func (safeLinks) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	var unsafe []ast.Node
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if !linkAllowed(string(n.Destination)) {
				unsafe = append(unsafe, n)
			}
		case *ast.AutoLink:
			if !linkAllowed(string(n.URL(reader.Source()))) {
				unsafe = append(unsafe, n)
			}
		case *ast.Image:
			if !imageAllowed(string(n.Destination)) {
				unsafe = append(unsafe, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unsafe {
		parent := n.Parent()
		if parent == nil {
			continue
		}
		if al, ok := n.(*ast.AutoLink); ok {
			parent.ReplaceChild(parent, n, ast.NewString(al.Label(reader.Source())))
			continue
		}
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, n, c)
			c = next
		}
		parent.RemoveChild(parent, n)
	}
}

// linkAllowed accepts http, https and mailto URLs and relative references.
func linkAllowed(dest string) bool {
	// As goldmark's renderer will: entities resolved, then URL-escaped.
	u, err := url.Parse(string(util.URLEscape([]byte(dest), true)))
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
		return true
	case "":
		return true // a path on this site, or a fragment
	}
	return false
}

// imageAllowed accepts only same-origin relative paths.
func imageAllowed(dest string) bool {
	dest = string(util.URLEscape([]byte(dest), true))
	u, err := url.Parse(dest)
	return err == nil && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(dest, "//") && !strings.Contains(dest, ":")
}

// stripControls removes control characters (tab and newline kept) and the
// bidi embedding, override and isolate controls, which could reorder the
// text around a notice or a name on the page.
func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return -1
		}
		return r
	}, s)
}

// plainText is src as text for clients that are not HTML (status.json's
// incident_updates): the words render would show, raw HTML dropped, a
// link's target in brackets after its text when it differs, links and
// images reduced as on the page.
func plainText(src []byte) string {
	src = []byte(stripControls(string(src)))
	doc := md.Parser().Parse(text.NewReader(src))
	var b strings.Builder
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			if entering {
				b.Write(n.Segment.Value(src))
				switch {
				case n.HardLineBreak():
					b.WriteString("\n")
				case n.SoftLineBreak():
					b.WriteString(" ")
				}
			}
		case *ast.String:
			if entering {
				b.Write(n.Value)
			}
		case *ast.AutoLink:
			if entering {
				b.Write(n.URL(src))
			}
		case *ast.Link:
			if !entering {
				if dest := string(n.Destination); dest != "" && !strings.HasSuffix(b.String(), dest) {
					b.WriteString(" (" + dest + ")")
				}
			}
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			if entering {
				lines := n.Lines()
				for i := range lines.Len() {
					seg := lines.At(i)
					b.Write(seg.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		default:
			if !entering && n.Type() == ast.TypeBlock && n.NextSibling() != nil {
				b.WriteString("\n\n")
			}
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}
