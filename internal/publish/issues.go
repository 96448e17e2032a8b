package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// DefaultIssueLabel marks the issues Issues manages.
const DefaultIssueLabel = "statusgen"

// Issues keeps one GitHub issue per announced outage: opened on DOWN,
// commented with the downtime and closed on RECOVERED. An issue is found
// again by its label and the incident id in its title, so a repeated
// transition (a retry after a crash) neither opens a second issue nor
// fails.
type Issues struct {
	Client        *github.Client
	Owner, Repo   string
	Label         string // "" means DefaultIssueLabel
	StatusPageURL string // linked from each issue when set

	Sleep  func(ctx context.Context, d time.Duration) error // between retries; nil: a real timer
	Logger *slog.Logger                                     // nil: discarded
}

// Sync applies a cycle's transitions, oldest first. It tries every one and
// returns the failures joined.
func (is *Issues) Sync(ctx context.Context, transitions []uptime.Transition) error {
	// Only DOWN and RECOVERED touch issues; a cycle of reminders alone
	// must not cost an API call to list the open ones.
	if !slices.ContainsFunc(transitions, func(t uptime.Transition) bool {
		return t.Kind == uptime.WentDown || t.Kind == uptime.Recovered
	}) {
		return nil
	}
	a := newAPI(is.Client, is.Owner, is.Repo, is.Sleep, is.Logger)
	open, err := is.openIssues(ctx, a)
	if err != nil {
		return fmt.Errorf("issues: %w", err)
	}
	var errs []error
	for _, t := range transitions {
		var err error
		switch t.Kind {
		case uptime.WentDown:
			err = is.open(ctx, a, t, open)
		case uptime.Recovered:
			err = is.close(ctx, a, t, open)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("issues: %s %s: %w", t.Kind, t.Service, err))
		}
	}
	return errors.Join(errs...)
}

func (is *Issues) label() string { return cmpOr(is.Label, DefaultIssueLabel) }

// openIssues maps incident ids to the open issues that carry them.
func (is *Issues) openIssues(ctx context.Context, a *api) (map[string]int, error) {
	byID := map[string]int{}
	opts := &github.IssueListByRepoOptions{State: "open", Labels: []string{is.label()}, ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var page []*github.Issue
		var next int
		if err := a.call(ctx, "list issues", func() (r *github.Response, err error) {
			page, r, err = is.Client.Issues.ListByRepo(ctx, is.Owner, is.Repo, opts)
			if r != nil {
				next = r.NextPage
			}
			return r, err
		}); err != nil {
			return nil, err
		}
		for _, iss := range page {
			if id := incidentOf(iss.GetTitle()); id != "" {
				byID[id] = iss.GetNumber()
			}
		}
		if next == 0 {
			return byID, nil
		}
		opts.Page = next
	}
}

func (is *Issues) open(ctx context.Context, a *api, t uptime.Transition, open map[string]int) error {
	if _, ok := open[t.IncidentID]; ok {
		return nil // opened by an earlier attempt
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** is down since %s (%d failed checks in a row).\n\n", t.Service, t.Since.UTC().Format("2006-01-02 15:04:05 UTC"), t.Failures)
	if t.Error != "" {
		fmt.Fprintf(&b, "- error: `%s`", t.Error)
		if t.Code != 0 {
			fmt.Fprintf(&b, " (HTTP %d)", t.Code)
		}
		b.WriteString("\n")
	}
	if t.Detail != "" {
		fmt.Fprintf(&b, "- detail: `%s`\n", strings.ReplaceAll(t.Detail, "`", "'"))
	}
	fmt.Fprintf(&b, "- incident: `%s`\n", t.IncidentID)
	if is.StatusPageURL != "" {
		fmt.Fprintf(&b, "- status page: %s\n", is.StatusPageURL)
	}
	b.WriteString("\nOpened by statusgen; it is closed with the downtime when the service recovers.\n")
	req := &github.IssueRequest{
		Title:  github.String(fmt.Sprintf("🔴 %s is down [%s]", t.Service, t.IncidentID)),
		Body:   github.String(b.String()),
		Labels: &[]string{is.label()},
	}
	var made *github.Issue
	if err := a.call(ctx, "create issue", func() (r *github.Response, err error) {
		made, r, err = is.Client.Issues.Create(ctx, is.Owner, is.Repo, req)
		return r, err
	}); err != nil {
		return err
	}
	open[t.IncidentID] = made.GetNumber()
	a.log.Info("github: opened an issue", "service", t.Service, "incident", t.IncidentID, "issue", made.GetNumber())
	return nil
}

func (is *Issues) close(ctx context.Context, a *api, t uptime.Transition, open map[string]int) error {
	number, ok := open[t.IncidentID]
	if !ok {
		a.log.Debug("github: no open issue for the recovered incident", "service", t.Service, "incident", t.IncidentID)
		return nil
	}
	body := fmt.Sprintf("🟢 **%s** recovered at %s after %s of downtime.", t.Service,
		t.At.UTC().Format("2006-01-02 15:04:05 UTC"), t.Downtime().Round(time.Second))
	if err := a.call(ctx, "comment on issue", func() (r *github.Response, err error) {
		_, r, err = is.Client.Issues.CreateComment(ctx, is.Owner, is.Repo, number, &github.IssueComment{Body: github.String(body)})
		return r, err
	}); err != nil {
		return err
	}
	req := &github.IssueRequest{State: github.String("closed"), StateReason: github.String("completed")}
	if err := a.call(ctx, "close issue", func() (r *github.Response, err error) {
		_, r, err = is.Client.Issues.Edit(ctx, is.Owner, is.Repo, number, req)
		return r, err
	}); err != nil {
		return err
	}
	delete(open, t.IncidentID)
	a.log.Info("github: closed the issue", "service", t.Service, "incident", t.IncidentID, "issue", number)
	return nil
}

// incidentOf reads the incident id from an issue title "… [id]".
func incidentOf(title string) string {
	title = strings.TrimSpace(title)
	if !strings.HasSuffix(title, "]") {
		return ""
	}
	i := strings.LastIndexByte(title, '[')
	if i < 0 {
		return ""
	}
	return title[i+1 : len(title)-1]
}
