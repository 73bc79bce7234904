package postmortem

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Service is what the front ends (API, CLI through it, console) do with
// post-mortems and action items. Everything it refuses is an
// *incident.Invalid naming the problem, and nothing is stored then; an
// unknown incident is incident.ErrNotFound, an unknown item
// store.ErrActionNotFound.
type Service struct {
	Store  *store.Store
	Config func() *policies.Config
	Log    *slog.Logger
}

// Load gathers what incident id's draft is written from, at now.
func (s *Service) Load(ctx context.Context, id int64, now time.Time) (Draft, error) {
	inc, err := s.Store.Incident(ctx, id)
	if err != nil {
		return Draft{}, err
	}
	d := Draft{Incident: inc, Now: now, Services: []string{inc.Service}}
	if d.Timeline, err = s.Store.Timeline(ctx, id); err != nil {
		return Draft{}, err
	}
	if d.Updates, err = s.Store.Updates(ctx, id); err != nil {
		return Draft{}, err
	}
	if d.Actions, err = s.Store.Actions(ctx, id); err != nil {
		return Draft{}, err
	}
	if d.Paged, err = s.Store.Notified(ctx, id); err != nil {
		return Draft{}, err
	}
	if d.Postmortem, err = s.Store.Postmortem(ctx, id); err != nil {
		return Draft{}, err
	}
	alerts, err := s.Store.Alerts(ctx, id)
	if err != nil {
		return Draft{}, err
	}
	for _, raw := range alerts {
		var a struct{ Labels map[string]string }
		if json.Unmarshal(raw, &a) == nil {
			if svc := a.Labels["service"]; svc != "" && !slices.Contains(d.Services, svc) {
				d.Services = append(d.Services, svc)
			}
		}
	}
	return d, nil
}

// Markdown is incident id's post-mortem draft at now.
func (s *Service) Markdown(ctx context.Context, id int64, now time.Time) (string, error) {
	d, err := s.Load(ctx, id, now)
	if err != nil {
		return "", err
	}
	return Render(d), nil
}

// Done marks incident id's post-mortem done: its owner is reminded no
// more. It reports false when it was done before.
func (s *Service) Done(ctx context.Context, id int64, by, via string) (bool, error) {
	if by == "" {
		return false, incident.Invalidf("say who marks the post-mortem done")
	}
	return s.Store.PostmortemDone(ctx, id, by, via)
}

// NewAction is an action item as a person asks for it.
type NewAction struct {
	Incident int64
	Title    string
	Owner    string
	Kind     string // "" is a fix
	Due      string // "2027-01-15", "" for none
	By, Via  string
}

// maxActionTitle bounds an item's title: it is a line in a tracker.
const maxActionTitle = 300

// Add checks and stores an action item of an incident at now.
func (s *Service) Add(ctx context.Context, a NewAction, now time.Time) (incident.ActionItem, error) {
	cfg := s.Config()
	a.Title, a.Owner, a.Due = strings.TrimSpace(a.Title), strings.TrimSpace(a.Owner), strings.TrimSpace(a.Due)
	switch {
	case a.Title == "":
		return incident.ActionItem{}, incident.Invalidf("an action item needs a title: what is to be done")
	case !utf8.ValidString(a.Title):
		return incident.ActionItem{}, incident.Invalidf("an action item's title must be UTF-8")
	case utf8.RuneCountInString(a.Title) > maxActionTitle:
		return incident.ActionItem{}, incident.Invalidf("an action item's title is at most %d characters", maxActionTitle)
	case a.Owner == "":
		return incident.ActionItem{}, incident.Invalidf("an action item needs an owner: one of the config's users")
	case cfg.Users[a.Owner] == nil:
		return incident.ActionItem{}, incident.Invalidf("no user %q is configured: an action item's owner is one of the config's users", a.Owner)
	}
	kind, err := incident.ParseActionKind(a.Kind)
	if err != nil {
		return incident.ActionItem{}, err
	}
	due, overdue, err := ParseDue(a.Due, now)
	if err != nil {
		return incident.ActionItem{}, err
	}
	n, err := s.Store.AddAction(ctx, store.NewAction{Incident: a.Incident, Title: a.Title, Owner: a.Owner, Kind: kind,
		Due: due, OverdueAt: overdue, By: a.By, Via: a.Via})
	if err != nil {
		return incident.ActionItem{}, err
	}
	s.Log.Info("action item added", "item", n, "incident", a.Incident, "owner", a.Owner, "kind", kind, "due", due, "by", a.By)
	return s.Store.Action(ctx, n)
}

// ParseDue reads a due date as people type it ("2027-01-15"); "" is none.
// A day before today (UTC, at now) is refused: an item is not born late.
// It returns the date and when the item is overdue.
func ParseDue(s string, now time.Time) (string, time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return "", time.Time{}, nil
	}
	d, err := time.Parse(incident.DateLayout, s)
	if err != nil {
		return "", time.Time{}, incident.Invalidf("due date %q is not a date: write it like 2027-01-15", s)
	}
	today := now.UTC().Truncate(24 * time.Hour)
	if d.Before(today) {
		return "", time.Time{}, incident.Invalidf("due date %s is in the past: today is %s (UTC)", s, today.Format(incident.DateLayout))
	}
	item := incident.ActionItem{Due: d.Format(incident.DateLayout)}
	return item.Due, item.OverdueAt(), nil
}

// Complete marks item n done; it reports false when it was done before.
func (s *Service) Complete(ctx context.Context, n int64, by, via string) (incident.ActionItem, bool, error) {
	if by == "" {
		return incident.ActionItem{}, false, incident.Invalidf("say who marks the action item done")
	}
	changed, err := s.Store.ActionDone(ctx, n, by, via)
	if err != nil {
		return incident.ActionItem{}, false, err
	}
	item, err := s.Store.Action(ctx, n)
	if err == nil && changed {
		s.Log.Info("action item done", "item", n, "incident", item.Incident, "by", by)
	}
	return item, changed, err
}

// Filter picks action items.
type Filter struct {
	Incident int64 // 0: every incident's
	// Open: only items not done; Overdue: only open items past their due
	// day (at Now).
	Open, Overdue bool
	Kind          incident.ActionKind // "": every kind
	Owner         string              // "": everyone's
	Now           time.Time
}

// ParseFilter reads a filter's kind and checks its owner against cfg.
func ParseFilter(cfg *policies.Config, kind, owner string) (incident.ActionKind, error) {
	if owner != "" && cfg.Users[owner] == nil {
		return "", incident.Invalidf("no user %q is configured", owner)
	}
	if strings.TrimSpace(kind) == "" {
		return "", nil
	}
	return incident.ParseActionKind(kind)
}

// List returns the action items f picks, oldest first.
func (s *Service) List(ctx context.Context, f Filter) ([]incident.ActionItem, error) {
	all, err := s.Store.Actions(ctx, f.Incident)
	if err != nil {
		return nil, err
	}
	if f.Incident > 0 && len(all) == 0 {
		// Items outlive their incident; an incident with none that is not
		// kept either is unknown.
		if _, err := s.Store.Incident(ctx, f.Incident); err != nil {
			return nil, err
		}
	}
	out := []incident.ActionItem{}
	for _, a := range all {
		switch {
		case f.Open && a.Done(), f.Overdue && !a.Overdue(f.Now),
			f.Kind != "" && a.Kind != f.Kind, f.Owner != "" && a.Owner != f.Owner:
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// Summary describes an item in one line, for notices and the CLI.
func Summary(a incident.ActionItem) string {
	s := fmt.Sprintf("action #%d (%s, incident #%d) for %s", a.ID, a.Kind, a.Incident, a.Owner)
	if a.Due != "" {
		s += ", due " + a.Due
	}
	return s + ": " + text(a.Title)
}
