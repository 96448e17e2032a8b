package site

import (
	"strconv"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// groupedComponents lists the services' components (by configured name)
// as the index lists them, and each group as Statuspage writes one: a
// component with group true, the worst status of its services and their
// ids, just before them, each of them carrying its id in group_id.
// Positions count the whole list from 1. Private services are not in the
// model, so a group lists only the public ones, and a group of private
// services does not appear at all.
func groupedComponents(m model, byKey map[string]summaryComponent, pageID string) []summaryComponent {
	out := make([]summaryComponent, 0, len(m.Rows)+len(m.Sections))
	used := make(map[string]bool, len(m.Rows))
	for _, r := range m.Rows {
		used[r.Slug] = true
	}
	for _, sec := range m.Sections {
		var groupID *string
		if sec.Name != "" && len(sec.Rows) > 0 {
			id := uniqueID("group-"+uptime.Slug(sec.Name), used)
			groupID = &id
			g := summaryComponent{
				ID: id, Name: sec.Name, Status: sec.Cond.Component, PageID: pageID, Group: true,
				Components: make([]string, len(sec.Rows)),
			}
			// The group began with its first service and changed with its
			// last.
			for i, r := range sec.Rows {
				c := byKey[r.Key]
				g.Components[i] = c.ID
				if g.CreatedAt == "" || c.CreatedAt < g.CreatedAt {
					g.CreatedAt = c.CreatedAt // the same layout throughout: text order is time order
				}
				if c.UpdatedAt > g.UpdatedAt {
					g.UpdatedAt = c.UpdatedAt
				}
				if c.StartDate != nil && (g.StartDate == nil || *c.StartDate < *g.StartDate) {
					g.StartDate = c.StartDate
				}
			}
			out = append(out, g)
		}
		for _, r := range sec.Rows {
			c := byKey[r.Key]
			c.GroupID, c.Key = groupID, r.Key
			out = append(out, c)
		}
	}
	for i := range out {
		out[i].Position = i + 1
	}
	return out
}

// uniqueID is id, or id with the first free suffix -2, -3, … when a
// service or an earlier group has it; it marks the one returned used.
func uniqueID(id string, used map[string]bool) string {
	try := id
	for n := 2; used[try]; n++ {
		try = id + "-" + strconv.Itoa(n)
	}
	used[try] = true
	return try
}
