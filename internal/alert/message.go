package alert

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// item is one announcement, one section of a message. It answers for the
// outbox entries in covers, which are accepted together.
type item struct {
	t      uptime.Transition // the transition shown; for a coalesced item, the RECOVERED
	down   *uptime.Transition
	covers []int
	anchor int // t's index in the outbox: items go out in this order
}

// kind is what the item announces; coalesced is a DOWN and its RECOVERED
// that were both still undelivered.
func (it item) kind() string {
	if it.down != nil && it.t.Kind == uptime.Recovered {
		return "coalesced"
	}
	return string(it.t.Kind)
}

// plan turns the outbox into items. Entries of one incident collapse: a
// DOWN and its RECOVERED become one coalesced item at the RECOVERED's place;
// reminders ride along with the DOWN or RECOVERED of their incident, and
// of several queued reminders only the latest is shown.
func plan(alerts []uptime.Transition) []item {
	type incident struct {
		down, rec, rem int // indexes, -1 when absent
		all            []int
	}
	byKey := map[string]*incident{}
	var order []string
	var items []item
	for i, t := range alerts {
		if t.IncidentID == "" {
			items = append(items, item{t: t, covers: []int{i}, anchor: i})
			continue
		}
		key := t.Service + "\x00" + t.IncidentID
		inc := byKey[key]
		if inc == nil {
			inc = &incident{down: -1, rec: -1, rem: -1}
			byKey[key] = inc
			order = append(order, key)
		}
		inc.all = append(inc.all, i)
		switch t.Kind {
		case uptime.WentDown:
			if inc.down < 0 {
				inc.down = i
			}
		case uptime.Recovered:
			inc.rec = i
		default:
			inc.rem = i
		}
	}
	for _, key := range order {
		inc := byKey[key]
		it := item{covers: inc.all}
		switch {
		case inc.rec >= 0:
			it.anchor = inc.rec
			if inc.down >= 0 {
				d := alerts[inc.down]
				it.down = &d
			}
		case inc.down >= 0:
			it.anchor = inc.down
		default:
			it.anchor = inc.rem
		}
		it.t = alerts[it.anchor]
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.anchor, b.anchor) })
	return items
}

// renderer holds what every message needs besides its items.
type renderer struct {
	channel     string
	statusPage  string            // the status page URL, "" for none
	serviceURLs map[string]string // service name → configured URL
}

// message is the Block Kit message for a part, with a plain text fallback.
func (r renderer) message(p part) *slack.WebhookMessage {
	blocks := []slack.Block{}
	single := p.single()
	if single {
		blocks = append(blocks, header(title(p.items[0])))
	} else {
		blocks = append(blocks, header(p.head))
	}
	if p.lines != nil {
		for _, text := range p.lines {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(text), nil, nil))
		}
	} else {
		for _, it := range p.items {
			blocks = append(blocks, r.section(it, !single))
		}
	}
	if c := r.context(p.items, single); c != nil {
		blocks = append(blocks, c)
	}
	var lines []string
	if p.of > 1 {
		lines = append(lines, p.head)
	}
	for _, it := range p.items {
		lines = append(lines, line(it))
	}
	return &slack.WebhookMessage{
		Channel: r.channel,
		Text:    cut(strings.Join(lines, "\n"), maxText),
		Parse:   "none",
		Blocks:  &slack.Blocks{BlockSet: blocks},
	}
}

// textOnly is the same message without blocks, for a Slack that refused them.
func (r renderer) textOnly(p part) *slack.WebhookMessage {
	var b strings.Builder
	if p.lines != nil {
		b.WriteString("*" + escapeCut(p.head, maxHeader) + "*\n" + strings.Join(p.lines, "\n"))
	} else {
		for i, it := range p.items {
			if i > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString("*" + escapeCut(title(it), maxHeader) + "*")
			if t := r.sectionText(it); t != "" {
				b.WriteString("\n" + t)
			}
			for _, f := range r.fields(it) {
				b.WriteString("\n" + strings.Replace(f, "*\n", "*: ", 1))
			}
			b.WriteString("\nIncident " + escape(it.t.IncidentID))
		}
	}
	if l := link(r.statusPage); l != "" {
		b.WriteString("\n\n" + l)
	}
	return &slack.WebhookMessage{Channel: r.channel, Text: cut(b.String(), maxText), Parse: "none"}
}

func header(text string) *slack.HeaderBlock {
	// plain_text renders nothing as markup, so the name needs no escaping
	// here: a "<!channel>" in it shows as typed.
	return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, cut(text, maxHeader), true, false))
}

// mrkdwn is a text object that Slack does not auto-link or auto-mention:
// only the markup built here is live.
func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

func title(it item) string {
	name := it.t.Service
	switch it.kind() {
	case "coalesced":
		return "🟢 " + name + " was down and has recovered"
	case string(uptime.WentDown):
		return "🔴 " + name + " is down"
	case string(uptime.Recovered):
		return "🟢 " + name + " recovered"
	case string(uptime.Reminder):
		return "🔴 " + name + " is still down"
	}
	return name + ": " + string(it.t.Kind)
}

// summary heads a message of several services: "🔴 3 down · 🟢 1 recovered".
func summary(items []item) string {
	var down, still, up, other int
	for _, it := range items {
		switch it.kind() {
		case string(uptime.WentDown):
			down++
		case string(uptime.Reminder):
			still++
		case string(uptime.Recovered), "coalesced":
			up++
		default:
			other++
		}
	}
	var parts []string
	for _, p := range []struct {
		n    int
		text string
	}{{down, "🔴 %d down"}, {still, "🔴 %d still down"}, {up, "🟢 %d recovered"}, {other, "%d other"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf(p.text, p.n))
		}
	}
	return strings.Join(parts, " · ")
}

// section is one item: in a message of several, its title and incident id
// lead, since the header only counts.
func (r renderer) section(it item, withTitle bool) *slack.SectionBlock {
	var text []string
	if withTitle {
		t := "*" + escapeCut(title(it), maxSection-200) + "*"
		if it.t.IncidentID != "" {
			t += " · incident " + escapeCut(it.t.IncidentID, 100)
		}
		text = append(text, t)
	}
	if s := r.sectionText(it); s != "" {
		text = append(text, s)
	}
	var obj *slack.TextBlockObject
	if len(text) > 0 {
		obj = mrkdwn(cut(strings.Join(text, "\n"), maxSection))
	}
	var fields []*slack.TextBlockObject
	fs := r.fields(it)
	for _, f := range fs[:min(len(fs), maxFields)] {
		fields = append(fields, mrkdwn(f))
	}
	return slack.NewSectionBlock(obj, fields, nil)
}

// sectionText is the sentence some items carry above their fields.
func (r renderer) sectionText(it item) string {
	switch it.kind() {
	case "coalesced":
		return fmt.Sprintf("Was down from %s to %s, %s.", dateToken(it.t.Since), dateToken(it.t.At), duration(it.t.Downtime()))
	}
	return ""
}

// fields are the item's facts, each "*Label*\nvalue", within the limits.
func (r renderer) fields(it item) []string {
	t := it.t
	switch it.kind() {
	case string(uptime.WentDown):
		return r.withURL(t.Service, withLocations(t, field("Since", stamp(t.Since)), field("Failed checks", strconv.Itoa(t.Failures)),
			field("Error", problem(t)))...)
	case string(uptime.Reminder):
		return r.withURL(t.Service, withLocations(t, field("Since", stamp(t.Since)), field("Down for", duration(t.Downtime())),
			field("Failed checks", strconv.Itoa(t.Failures)), field("Error", problem(t)))...)
	case string(uptime.Recovered):
		return []string{field("Down since", stamp(t.Since)), field("Recovered at", stamp(t.At)),
			field("Downtime", duration(t.Downtime())), field("Response time", fmt.Sprintf("%d ms", t.MS))}
	case "coalesced":
		return withLocations(*it.down, field("Down since", stamp(t.Since)), field("Recovered at", stamp(t.At)),
			field("Downtime", duration(t.Downtime())), field("Error", problem(*it.down)),
			field("Response time", fmt.Sprintf("%d ms", t.MS)))
	}
	return []string{field("At", stamp(t.At))}
}

func (r renderer) withURL(service string, fields ...string) []string {
	if u := publicURL(r.serviceURLs[service]); u != "" {
		fields = append(fields, field("URL", escape(u)))
	}
	return fields
}

// field is "*label*\nvalue" cut to the field limit; value is mrkdwn already.
func field(label, value string) string {
	head := "*" + label + "*\n"
	return head + cut(value, maxField-utf8.RuneCountInString(head))
}

// problem is the error of a DOWN: "HTTP 503 · status" and the escaped detail.
func problem(t uptime.Transition) string {
	var head []string
	if t.Code > 0 {
		head = append(head, "HTTP "+strconv.Itoa(t.Code))
	}
	if t.Error != "" {
		head = append(head, escape(string(t.Error)))
	}
	s := strings.Join(head, " · ")
	if t.Detail != "" && t.Detail != "HTTP "+strconv.Itoa(t.Code) {
		if s != "" {
			s += "\n"
		}
		s += escape(t.Detail)
	}
	if s == "" {
		return "unknown"
	}
	return s
}

// context is the closing line: the status page and, for one item, its incident.
func (r renderer) context(items []item, single bool) *slack.ContextBlock {
	var parts []string
	if l := link(r.statusPage); l != "" {
		parts = append(parts, "Status page: "+l)
	}
	if single && items[0].t.IncidentID != "" {
		parts = append(parts, "incident "+escapeCut(items[0].t.IncidentID, 200))
	}
	if len(parts) == 0 {
		return nil
	}
	return slack.NewContextBlock("", mrkdwn(cut(strings.Join(parts, " · "), maxSection)))
}

// line is the item in one line of the notification text.
func line(it item) string {
	t := it.t
	name := escape(t.Service)
	switch it.kind() {
	case string(uptime.WentDown):
		return fmt.Sprintf("🔴 %s is down since %s (%d failed checks%s)", name, utcText(t.Since), t.Failures, fromLocations(t))
	case string(uptime.Reminder):
		return fmt.Sprintf("🔴 %s is still down, for %s so far", name, duration(t.Downtime()))
	case string(uptime.Recovered):
		return fmt.Sprintf("🟢 %s recovered after %s", name, duration(t.Downtime()))
	case "coalesced":
		return fmt.Sprintf("🟢 %s was down from %s to %s, %s", name, utcText(t.Since), utcText(t.At), duration(t.Downtime()))
	}
	return name + ": " + escape(string(t.Kind))
}
