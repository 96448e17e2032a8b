package alert

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// part is one message of a delivery. A delivery is everything queued when
// Deliver starts: one message when Block Kit's limits allow, else the
// fewest they allow, each saying "part n of m".
type part struct {
	items []item
	head  string   // the header when there are several items: their counts, and "part n of m"
	lines []string // a list: the items' lines packed into section texts; nil: a section per item
	n, of int
}

// single is a message of one item, titled by it.
func (p part) single() bool { return len(p.items) == 1 && p.lines == nil }

// split turns a delivery into parts. All of it goes in one message with a
// section per item when that fits Block Kit's limits. Otherwise (more than
// 48 items, or more text than Slack takes in one message) every item
// becomes one line of a list, and the lines fill sections and messages in
// order, each to its limit, so the parts are as few as the limits allow.
func (r renderer) split(items []item) []part {
	counts := summary(items)
	whole := part{items: items, head: counts, n: 1, of: 1}
	if fits(r.message(whole)) {
		return []part{whole}
	}
	// What every part spends besides its lines: the header (with the
	// widest label) and the closing context line.
	label := fmt.Sprintf(" · part %d of %d", len(items), len(items))
	budget := maxBlocksText - utf8.RuneCountInString(cut(counts+label, maxHeader))
	if c := r.context(items, false); c != nil {
		budget -= blocksText([]slack.Block{c})
	}
	var parts []part
	cur := part{}
	used, open := 0, 0 // the part's text so far; the runes in its last section
	for _, it := range items {
		l := listLine(it)
		n := utf8.RuneCountInString(l)
		join := len(cur.lines) > 0 && open+1+n <= maxSection
		cost := n
		if join {
			cost++ // the newline
		}
		if len(cur.items) > 0 && (used+cost > budget || !join && len(cur.lines) == sectionsPerMsg) {
			parts = append(parts, cur)
			cur, used, join, cost = part{}, 0, false, n
		}
		if join {
			cur.lines[len(cur.lines)-1] += "\n" + l
			open += 1 + n
		} else {
			cur.lines = append(cur.lines, l)
			open = n
		}
		used += cost
		cur.items = append(cur.items, it)
	}
	parts = append(parts, cur)
	for i := range parts {
		parts[i].n, parts[i].of, parts[i].head = i+1, len(parts), counts
		if len(parts) > 1 {
			parts[i].head += fmt.Sprintf(" · part %d of %d", i+1, len(parts))
		}
	}
	return parts
}

// fits reports whether Slack takes m as it is: at most 50 blocks, and no
// more text in them than maxBlocksText.
func fits(m *slack.WebhookMessage) bool {
	return len(m.Blocks.BlockSet) <= maxBlocks && blocksText(m.Blocks.BlockSet) <= maxBlocksText
}

// blocksText counts the runes of every text in bs, as Slack's limit on a
// message's blocks does.
func blocksText(bs []slack.Block) int {
	n := 0
	add := func(o *slack.TextBlockObject) {
		if o != nil {
			n += utf8.RuneCountInString(o.Text)
		}
	}
	for _, b := range bs {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			add(b.Text)
		case *slack.SectionBlock:
			add(b.Text)
			for _, f := range b.Fields {
				add(f)
			}
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if o, ok := e.(*slack.TextBlockObject); ok {
					add(o)
				}
			}
		}
	}
	return n
}

// listLine is an item as one mrkdwn line of a list: its title, when, and
// for an outage the error.
func listLine(it item) string {
	t := it.t
	name := "*" + escapeCut(t.Service, maxLine/2) + "*"
	var s string
	switch it.kind() {
	case string(uptime.WentDown):
		s = fmt.Sprintf("🔴 %s is down since %s · %s", name, utcText(t.Since), briefProblem(t))
	case string(uptime.Reminder):
		s = fmt.Sprintf("🔴 %s is still down, for %s · %s", name, duration(t.Downtime()), briefProblem(t))
	case string(uptime.Recovered):
		s = fmt.Sprintf("🟢 %s recovered after %s", name, duration(t.Downtime()))
	case "coalesced":
		s = fmt.Sprintf("🟢 %s was down from %s to %s, %s · %s", name, utcText(t.Since), utcText(t.At),
			duration(t.Downtime()), briefProblem(*it.down))
	default:
		s = name + ": " + escape(string(t.Kind))
	}
	return cut(s, maxLine)
}

// briefProblem is problem on one line.
func briefProblem(t uptime.Transition) string {
	return strings.ReplaceAll(problem(t), "\n", " — ")
}
