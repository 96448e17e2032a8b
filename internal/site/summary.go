package site

import (
	"slices"
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/uptime"
)

// The shape of Statuspage's /api/v2/summary.json, so clients and widgets
// written for it read status.json unchanged: every field has the type and
// the meaning Statuspage documents (a time is always an RFC 3339 string
// where Statuspage promises one, never null), and TestStatusJSONTypeChecks
// holds it to the published TypeScript types of the statuspage.io client.
// Fields are declared in the order Statuspage writes them.
type summary struct {
	Page                  summaryPage        `json:"page"`
	Components            []summaryComponent `json:"components"`
	Incidents             []summaryIncident  `json:"incidents"`
	ScheduledMaintenances []summaryIncident  `json:"scheduled_maintenances"`
	Status                summaryStatus      `json:"status"`
}

type summaryPage struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt string `json:"updated_at"`
}

type summaryComponent struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Status             string  `json:"status"`
	CreatedAt          string  `json:"created_at"` // when the service was first checked, as far as the retained history shows
	UpdatedAt          string  `json:"updated_at"`
	Position           int     `json:"position"`
	Description        *string `json:"description"` // an operator's description: none is configured, so null (never the live status)
	Showcase           bool    `json:"showcase"`    // true: the page shows every service's uptime bar
	StartDate          *string `json:"start_date"`  // created_at's date, YYYY-MM-DD; null before the first check
	GroupID            *string `json:"group_id"`
	PageID             string  `json:"page_id"`
	Group              bool    `json:"group"`
	OnlyShowIfDegraded bool    `json:"only_show_if_degraded"`
	// A group's members' ids, as Statuspage lists them; absent for a
	// service.
	Components []string `json:"components,omitempty"`

	Key string `json:"-"` // the service's configured name; "" for a group
}

type summaryIncident struct {
	ID              string             `json:"id"`
	Name            string             `json:"name"`
	Status          string             `json:"status"`
	CreatedAt       string             `json:"created_at"`
	UpdatedAt       string             `json:"updated_at"`
	MonitoringAt    *string            `json:"monitoring_at"`
	ResolvedAt      *string            `json:"resolved_at"`
	Impact          string             `json:"impact"`
	Shortlink       string             `json:"shortlink"`
	StartedAt       string             `json:"started_at"`
	PageID          string             `json:"page_id"`
	IncidentUpdates []summaryUpdate    `json:"incident_updates"`
	Components      []summaryComponent `json:"components"`
	ScheduledFor    *string            `json:"scheduled_for,omitempty"`
	ScheduledUntil  *string            `json:"scheduled_until,omitempty"`
}

type summaryUpdate struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Body       string `json:"body"`
	IncidentID string `json:"incident_id"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
	DisplayAt  string `json:"display_at"`
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func ptr(s string) *string { return &s }

// statusJSON is status.json (and api/v2/summary.json). Incidents are the
// open outages; scheduled_maintenances the maintenance notices in force or
// to come.
func statusJSON(in Input, m model) ([]byte, error) {
	pageID := uptime.Slug(m.Title)
	url := strings.TrimSuffix(in.URL, "/")
	s := summary{
		Page:       summaryPage{ID: pageID, Name: m.Title, URL: url, TimeZone: "Etc/UTC", UpdatedAt: stamp(m.Generated)},
		Components: []summaryComponent{},
		Incidents:  []summaryIncident{},
		Status:     summaryStatus{Indicator: m.Banner.Indicator, Description: m.Banner.Text},

		ScheduledMaintenances: []summaryIncident{},
	}
	components := make(map[string]summaryComponent, len(m.Rows))
	first := firstSeen(in)
	for i, r := range m.Rows {
		c := summaryComponent{
			ID: r.Slug, Name: r.Name, Status: r.Cond.Component, UpdatedAt: stamp(m.Generated),
			Showcase: true, PageID: pageID,
		}
		if !r.LastCheck.IsZero() {
			c.UpdatedAt = stamp(r.LastCheck)
		}
		// A service never checked was created, as far as the page knows,
		// when the page was: created_at is a time in every client's type.
		c.CreatedAt = c.UpdatedAt
		if t := first[i]; !t.IsZero() {
			c.CreatedAt, c.StartDate = stamp(t), ptr(t.UTC().Format(time.DateOnly))
		}
		components[r.Key] = c
	}
	s.Components = groupedComponents(m, components, pageID)
	for _, c := range s.Components {
		if !c.Group {
			components[c.Key] = c // with its position and group, as incidents list it
		}
	}
	link := func(path string) string {
		if url == "" {
			return path
		}
		return url + "/" + path
	}
	// An incident notice still open is the incident as its team tells it,
	// with its timeline; the outages of the services it concerns are its
	// own, not listed again beside it.
	written := map[string]bool{}
	for _, n := range slices.Backward(in.Notices) { // the newest first, as Statuspage lists them
		if !n.Open(m.Generated) {
			continue
		}
		s.Incidents = append(s.Incidents, noticeIncident(n, m, components, link(historyPath(n)), pageID))
		for _, r := range m.Rows {
			if n.Covers(r.Key) {
				written[r.Key] = true
			}
		}
	}
	for _, iv := range m.Incidents {
		if !iv.End.IsZero() || written[iv.Key] {
			continue
		}
		body := iv.Service + " is down: " + iv.Cause + "."
		s.Incidents = append(s.Incidents, summaryIncident{
			ID: iv.ID, Name: iv.Service + " outage", Status: "investigating",
			CreatedAt: stamp(iv.Start), UpdatedAt: stamp(iv.Start), Impact: "major",
			Shortlink: link("services/" + iv.Slug + ".html"), StartedAt: stamp(iv.Start), PageID: pageID,
			IncidentUpdates: []summaryUpdate{{
				ID: iv.ID + "-1", Status: "investigating", Body: body, IncidentID: iv.ID,
				CreatedAt: stamp(iv.Start), UpdatedAt: stamp(iv.Start), DisplayAt: stamp(iv.Start),
			}},
			Components: []summaryComponent{components[iv.Key]},
		})
	}
	for _, v := range append(append([]noticeView{}, m.Active...), m.Upcoming...) {
		if v.Kind != notice.Maintenance {
			continue
		}
		status := "scheduled"
		if v.Active(m.Generated) {
			status = "in_progress"
		}
		// Impact "none", as in Statuspage's documented summary: the
		// maintenance itself is the news, its services show
		// under_maintenance. (Live Statuspage pages also write
		// "maintenance", which the statuspage.io client's type rejects.)
		mi := summaryIncident{
			ID: v.Slug, Name: v.Title, Status: status,
			CreatedAt: stamp(v.Start), UpdatedAt: stamp(v.Start), Impact: "none",
			Shortlink: link("notices.html#" + v.Slug), StartedAt: stamp(v.Start), PageID: pageID,
			IncidentUpdates: []summaryUpdate{{
				ID: v.Slug + "-1", Status: status, Body: v.Title + " (" + v.Services + ")", IncidentID: v.Slug,
				CreatedAt: stamp(v.Start), UpdatedAt: stamp(v.Start), DisplayAt: stamp(v.Start),
			}},
			Components:     []summaryComponent{},
			ScheduledFor:   ptr(stamp(v.Start)),
			ScheduledUntil: ptr(stamp(v.End)),
		}
		for _, r := range m.Rows {
			if v.Covers(r.Key) {
				mi.Components = append(mi.Components, components[r.Key])
			}
		}
		s.ScheduledMaintenances = append(s.ScheduledMaintenances, mi)
	}
	return encodeSummary(&s)
}

type summaryStatus struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

// firstSeen is, for each of in's services in order, the earliest time the
// history retained shows it: the day of its first rollup, its first
// incident, its last check or success; zero when there is none.
func firstSeen(in Input) []time.Time {
	first := make([]time.Time, len(in.Services))
	index := make(map[string]int, len(in.Services))
	for i, s := range in.Services {
		index[s.Name] = i
	}
	earlier := func(i int, t time.Time) {
		if !t.IsZero() && (first[i].IsZero() || t.Before(first[i])) {
			first[i] = t
		}
	}
	for i, s := range in.Services {
		if day, ok := in.firstDay(s.Name); ok {
			first[i] = day
		}
	}
	for _, inc := range in.Incidents {
		if i, ok := index[inc.Service]; ok {
			earlier(i, inc.Since)
		}
	}
	for i, s := range in.Services {
		earlier(i, s.LastSuccess)
		earlier(i, s.LastCheck)
	}
	return first
}
