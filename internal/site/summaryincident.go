package site

import (
	"strconv"

	"github.com/Sefaria/statusgen/internal/notice"
)

// noticeIncident is an open incident notice as status.json's incidents
// list it: Statuspage's incident with its incident_updates, newest first
// as Statuspage writes them, each update's body its text as plain words (notice.Update.Plain): a client
// that writes it into HTML finds no markup there.
// The impact follows the services it concerns (major while one is down,
// minor while one is slow, else none), so it never says more than the
// page's indicator.
func noticeIncident(n notice.Notice, m model, components map[string]summaryComponent, shortlink, pageID string) summaryIncident {
	v := newNoticeView(n)
	inc := summaryIncident{
		ID: n.Slug, Name: v.Title, Status: string(notice.Investigating),
		CreatedAt: stamp(n.Start), UpdatedAt: stamp(n.Start), Impact: "none",
		Shortlink: shortlink, StartedAt: stamp(n.Start), PageID: pageID,
		IncidentUpdates: []summaryUpdate{},
		Components:      []summaryComponent{},
	}
	for i, u := range n.Posted(m.Generated) {
		at := stamp(u.At)
		inc.Status, inc.UpdatedAt = string(u.Status), at
		if u.Status == notice.Monitoring && inc.MonitoringAt == nil {
			inc.MonitoringAt = ptr(at)
		}
		inc.IncidentUpdates = append(inc.IncidentUpdates, summaryUpdate{
			ID: n.Slug + "-" + strconv.Itoa(i+1), Status: string(u.Status), Body: u.Plain, IncidentID: n.Slug,
			CreatedAt: at, UpdatedAt: at, DisplayAt: at,
		})
	}
	reverse(inc.IncidentUpdates)
	rank := map[string]int{"degraded_performance": 1, "partial_outage": 2, "major_outage": 2}
	worst := 0
	for _, r := range m.Rows {
		if n.Covers(r.Key) {
			c := components[r.Key]
			inc.Components = append(inc.Components, c)
			worst = max(worst, rank[c.Status])
		}
	}
	inc.Impact = []string{"none", "minor", "major"}[worst]
	return inc
}
