package site

import (
	"strings"
	"time"

	"github.com/Sefaria/statusgen/internal/notice"
	"github.com/Sefaria/statusgen/internal/tracker"
)

// The shape of Statuspage's /api/v2/summary.json, so clients and widgets
// written for it read status.json unchanged. Fields are declared in the
// order Statuspage writes them.
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
	CreatedAt          *string `json:"created_at"`
	UpdatedAt          string  `json:"updated_at"`
	Position           int     `json:"position"`
	Description        *string `json:"description"`
	Showcase           bool    `json:"showcase"`
	StartDate          *string `json:"start_date"`
	GroupID            *string `json:"group_id"`
	PageID             string  `json:"page_id"`
	Group              bool    `json:"group"`
	OnlyShowIfDegraded bool    `json:"only_show_if_degraded"`
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
	pageID := tracker.Slug(m.Title)
	url := strings.TrimSuffix(in.URL, "/")
	s := summary{
		Page:       summaryPage{ID: pageID, Name: m.Title, URL: url, TimeZone: "Etc/UTC", UpdatedAt: stamp(m.Generated)},
		Components: []summaryComponent{},
		Incidents:  []summaryIncident{},
		Status:     summaryStatus{Indicator: m.Banner.Indicator, Description: m.Banner.Text},

		ScheduledMaintenances: []summaryIncident{},
	}
	components := map[string]summaryComponent{}
	for i, r := range m.Rows {
		c := summaryComponent{
			ID: r.Slug, Name: r.Name, Status: r.Cond.Component, UpdatedAt: stamp(m.Generated),
			Position: i + 1, PageID: pageID,
		}
		if !r.LastCheck.IsZero() {
			c.UpdatedAt = stamp(r.LastCheck)
		}
		desc := r.Cond.Word
		if r.Cause != "" {
			desc += ": " + r.Cause
		}
		c.Description = ptr(desc)
		s.Components = append(s.Components, c)
		components[r.Key] = c
	}
	link := func(path string) string {
		if url == "" {
			return path
		}
		return url + "/" + path
	}
	for _, iv := range m.Incidents {
		if !iv.End.IsZero() {
			continue
		}
		body := iv.Service + " is down: " + iv.Cause + "."
		s.Incidents = append(s.Incidents, summaryIncident{
			ID: iv.ID, Name: iv.Service + " outage", Status: "investigating",
			CreatedAt: stamp(iv.Start), UpdatedAt: stamp(m.Generated), Impact: "major",
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
		mi := summaryIncident{
			ID: v.Slug, Name: v.Title, Status: status,
			CreatedAt: stamp(v.Start), UpdatedAt: stamp(v.Start), Impact: "maintenance",
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
