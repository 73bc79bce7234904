package command

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Actions applies incident command's actions — roles, severity, status
// updates — and declares incidents. It implements router.Commands: the
// router has checked who may act before Apply is called. Everything it
// refuses is an *incident.Invalid naming the problem, and nothing is
// stored then.
type Actions struct {
	Store *store.Store
	Log   *slog.Logger
	// Wake tells the local engine that an incident needs it now (a
	// declared one, to page).
	Wake func()
}

// Apply implements router.Commands.
func (a *Actions) Apply(ctx context.Context, cfg *policies.Config, req incident.Request) (incident.Result, error) {
	var (
		res store.CommandResult
		err error
	)
	switch req.Action {
	case incident.Assign:
		if err := checkAssign(cfg, req); err != nil {
			return incident.Result{}, err
		}
		res, err = a.Store.Assign(ctx, req.Incident, req.Role, req.Assignee, req.By, req.Via)
	case incident.SetSeverity:
		name, ok := cfg.ParseSeverity(req.Severity)
		if !ok {
			return incident.Result{}, unknownSeverity(cfg, req.Severity)
		}
		res, err = a.Store.SetSeverity(ctx, req.Incident, name, cfg.SeverityRank(name), req.By, req.Via)
	case incident.Update:
		u, uerr := checkUpdate(req)
		if uerr != nil {
			return incident.Result{}, uerr
		}
		res, err = a.Store.PostUpdate(ctx, req.Incident, u, cfg.Settings.ResolvedRetention)
	default:
		return incident.Result{}, fmt.Errorf("%s is not an incident command action", req.Action)
	}
	if err != nil {
		return incident.Result{}, err
	}
	return incident.Result{Outcome: res.Outcome, Before: res.Before}, nil
}

func checkAssign(cfg *policies.Config, req incident.Request) error {
	if _, err := incident.ParseRole(string(req.Role)); err != nil || req.Role == "" {
		return incident.Invalidf("unknown role %q: use manager, comms or scribe", req.Role)
	}
	if req.Assignee != "" && cfg.Users[req.Assignee] == nil {
		return incident.Invalidf("no user %q is configured: a role goes to one of the config's users", req.Assignee)
	}
	return nil
}

func unknownSeverity(cfg *policies.Config, s string) error {
	return incident.Invalidf("unknown severity %q: use %s, or its number (1 is the most severe)", s,
		strings.Join(cfg.Command.Severities, ", "))
}

// checkUpdate returns the update req posts, or why it cannot be posted.
func checkUpdate(req incident.Request) (incident.StatusUpdate, error) {
	if req.Update == nil {
		return incident.StatusUpdate{}, incident.Invalidf("an update needs a status and a text")
	}
	u := *req.Update
	u.By, u.Via = req.By, req.Via
	state, err := incident.ParseUpdateState(string(u.State))
	if err != nil {
		return u, err
	}
	u.State = state
	u.Text, u.PublicText = strings.TrimSpace(u.Text), strings.TrimSpace(u.PublicText)
	switch {
	case u.Text == "":
		return u, incident.Invalidf("an update needs a text: where things stand, for the people inside")
	case len(u.Text) > incident.MaxNote || len(u.PublicText) > incident.MaxNote:
		return u, incident.Invalidf("an update's text is at most 4 KiB")
	case !utf8.ValidString(u.Text) || !utf8.ValidString(u.PublicText):
		return u, incident.Invalidf("an update's text must be UTF-8")
	}
	return u, nil
}

// Declaration is an incident someone opens by hand: a customer report or
// a phone call is a detection too.
type Declaration struct {
	Title   string
	Summary string
	Service string
	// Severity as typed ("1", "sev1", "SEV1"); "" leaves it without one
	// until someone sets it.
	Severity string
	By, Via  string
}

// maxTitle bounds a declared incident's title: it is a subject line.
const maxTitle = 200

// Declare opens an incident on a service, paged through the service's
// escalation at once, as an alert would open it. It returns its ID and
// severity.
func (a *Actions) Declare(ctx context.Context, cfg *policies.Config, d Declaration) (int64, string, error) {
	d.Title, d.Summary = strings.TrimSpace(d.Title), strings.TrimSpace(d.Summary)
	switch {
	case d.Title == "":
		return 0, "", incident.Invalidf("a declared incident needs a title: what is wrong, for whom")
	case utf8.RuneCountInString(d.Title) > maxTitle:
		return 0, "", incident.Invalidf("a title is at most %d characters; put the rest in the summary", maxTitle)
	case len(d.Summary) > incident.MaxNote:
		return 0, "", incident.Invalidf("a summary is at most 4 KiB")
	case !utf8.ValidString(d.Title) || !utf8.ValidString(d.Summary):
		return 0, "", incident.Invalidf("title and summary must be UTF-8")
	case d.By == "":
		return 0, "", incident.Invalidf("say who declares it")
	}
	svc := cfg.Service(d.Service)
	if svc == nil {
		var names []string
		for _, s := range cfg.Services {
			names = append(names, s.Name)
		}
		return 0, "", incident.Invalidf("no service %q is configured: use one of %s", d.Service, strings.Join(names, ", "))
	}
	sev := ""
	if d.Severity != "" {
		var ok bool
		if sev, ok = cfg.ParseSeverity(d.Severity); !ok {
			return 0, "", unknownSeverity(cfg, d.Severity)
		}
	}
	id, err := a.Store.Declare(ctx, store.Declaration{Service: svc.Name, Escalation: svc.Escalation, Title: d.Title,
		Summary: d.Summary, Severity: sev, SeverityRank: cfg.SeverityRank(sev), By: d.By, Via: d.Via})
	if err != nil {
		return 0, "", err
	}
	a.Log.Info("incident declared", "incident", id, "service", svc.Name, "severity", sev, "by", d.By, "via", d.Via)
	if a.Wake != nil {
		a.Wake()
	}
	return id, sev, nil
}
