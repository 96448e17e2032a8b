package site

import (
	"encoding/json"
	"strconv"
)

// status.json lists every service: at 10,000 services encoding/json with
// an indent re-indented 4 MB on every render and allocated some 60 MB
// doing it. encodeSummary writes the same bytes (TestEncodeSummary holds
// the two together): the components by hand, the small rest through
// encoding/json a field at a time, already indented.

// encodeSummary is s as json.Encoder with SetIndent("", "  ") writes it:
// HTML characters escaped, a newline at the end.
func encodeSummary(s *summary) ([]byte, error) {
	b := make([]byte, 0, 1024+len(s.Components)*420)
	b = append(b, "{\n  \"page\": "...)
	b, err := appendIndented(b, s.Page)
	if err != nil {
		return nil, err
	}
	b = append(b, ",\n  \"components\": "...)
	b = appendComponents(b, s.Components)
	for _, f := range []struct {
		name string
		v    any
	}{
		{"incidents", s.Incidents},
		{"scheduled_maintenances", s.ScheduledMaintenances},
		{"status", s.Status},
	} {
		b = append(b, ",\n  \""+f.name+"\": "...)
		if b, err = appendIndented(b, f.v); err != nil {
			return nil, err
		}
	}
	return append(b, "\n}\n"...), nil
}

// appendIndented appends v as a field's value at depth one.
func appendIndented(b []byte, v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

// appendComponents appends the top-level components array, each
// component's fields in declaration order.
func appendComponents(b []byte, cs []summaryComponent) []byte {
	switch {
	case cs == nil:
		return append(b, "null"...)
	case len(cs) == 0:
		return append(b, "[]"...)
	}
	const in = ",\n      "
	b = append(b, '[')
	for i := range cs {
		c := &cs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    {\n      \"id\": "...)
		b = appendJSONString(b, c.ID)
		b = append(b, in+`"name": `...)
		b = appendJSONString(b, c.Name)
		b = append(b, in+`"status": `...)
		b = appendJSONString(b, c.Status)
		b = append(b, in+`"created_at": `...)
		b = appendJSONString(b, c.CreatedAt)
		b = append(b, in+`"updated_at": `...)
		b = appendJSONString(b, c.UpdatedAt)
		b = append(b, in+`"position": `...)
		b = strconv.AppendInt(b, int64(c.Position), 10)
		b = append(b, in+`"description": `...)
		b = appendJSONPtr(b, c.Description)
		b = append(b, in+`"showcase": `...)
		b = strconv.AppendBool(b, c.Showcase)
		b = append(b, in+`"start_date": `...)
		b = appendJSONPtr(b, c.StartDate)
		b = append(b, in+`"group_id": `...)
		b = appendJSONPtr(b, c.GroupID)
		b = append(b, in+`"page_id": `...)
		b = appendJSONString(b, c.PageID)
		b = append(b, in+`"group": `...)
		b = strconv.AppendBool(b, c.Group)
		b = append(b, in+`"only_show_if_degraded": `...)
		b = strconv.AppendBool(b, c.OnlyShowIfDegraded)
		if len(c.Components) > 0 { // a group's members
			b = append(b, in+`"components": [`...)
			for k, id := range c.Components {
				if k > 0 {
					b = append(b, ',')
				}
				b = append(b, "\n        "...)
				b = appendJSONString(b, id)
			}
			b = append(b, "\n      ]"...)
		}
		b = append(b, "\n    }"...)
	}
	return append(b, "\n  ]"...)
}

func appendJSONPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONString appends s as a JSON string escaped as encoding/json
// escapes it by default. Slugs, statuses and times are printable ASCII
// with nothing to escape; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			data, _ := json.Marshal(s) // a string always encodes
			return append(b, data...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
