package console

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/postmortem"
)

// timelinePage is how many facts the incident page shows at a time; a
// longer timeline pages on with ?after=ID, as the API does.
const timelinePage = 100

// incidentPage shows one incident.
func (c *Console) incidentPage(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := incidentID(r)
	if !ok {
		c.notFound(w, s, "That incident")
		return
	}
	ctx := r.Context()
	inc, err := c.Store.Incident(ctx, id)
	if errors.Is(err, incident.ErrNotFound) {
		c.notFound(w, s, "Incident #"+strconv.FormatInt(id, 10))
		return
	}
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	cfg, now := c.Config(), c.Now()
	p := page{Title: "#" + strconv.FormatInt(id, 10) + " " + inc.Title, User: s.User, CSRF: s.CSRF,
		Incident: &incidentRow{Incident: inc, View: command.ViewOf(cfg, inc, now)}, Notice: r.URL.Query().Get("notice")}
	after := r.URL.Query().Get("after")
	if p.Timeline, p.NextFacts, err = c.Store.TimelinePage(ctx, id, after, timelinePage); err == nil {
		p.Updates, err = c.Store.Updates(ctx, id)
	}
	if err == nil {
		p.Postmortem, err = c.Store.Postmortem(ctx, id)
	}
	var items []incident.ActionItem
	if err == nil {
		items, err = c.Store.Actions(ctx, id)
	}
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	for _, a := range items {
		p.Actions = append(p.Actions, postmortem.Export(a, now))
	}
	for _, f := range p.Timeline {
		if f.Kind == incident.KindStakeholders || f.Kind == incident.KindStatusPage || f.Kind == incident.KindStakeholderFailed {
			p.Stakeholders = append(p.Stakeholders, f)
		}
	}
	p.Paged = after != ""
	// Who is told what for an incident of this service and severity: the
	// same matrix `pagerd stakeholders` prints and the API serves.
	m := command.MatrixOf(cfg, inc.Service, inc.Severity, now)
	p.Matrix = &m
	for _, role := range incident.Roles {
		p.Roles = append(p.Roles, roleRow{Role: role, Title: role.Title(), Who: inc.Role(role)})
	}
	for name := range cfg.Users {
		p.Users = append(p.Users, name)
	}
	slices.Sort(p.Users)
	p.States, p.Kinds, p.Today = incident.UpdateStates, incident.ActionKinds, now.UTC().Format(incident.DateLayout)
	c.render(w, http.StatusOK, "incident", p)
}

// act applies one form of the incident page and goes back to it, saying
// what happened; a refusal or bad input is shown on a page of its own,
// with nothing changed.
func (c *Console) act(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := incidentID(r)
	if !ok {
		c.notFound(w, s, "That incident")
		return
	}
	ctx := r.Context()
	form := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	// A signed-in person acts as themselves, held to the service's
	// responders rule like an SMS reply or a chat button.
	req := incident.Request{Incident: id, By: s.User, Via: "console"}
	var notice string
	var err error
	switch op := r.PathValue("op"); op {
	case "ack", "resolve", "escalate":
		req.Action, _ = incident.ParseAction(op)
	case "note":
		req.Action, req.Text = incident.Note, form("text")
		if req.Tag, err = incident.ParseNoteTag(form("tag")); err == nil {
			switch {
			case req.Text == "":
				err = incident.Invalidf("a note needs text")
			case len(req.Text) > incident.MaxNote:
				err = incident.Invalidf("a note is at most 4 KiB")
			}
		}
		notice = "Note added."
	case "assign":
		req.Action, req.Assignee = incident.Assign, form("user")
		req.Role, err = incident.ParseRole(form("role"))
	case "update":
		req.Action = incident.Update
		req.Update = &incident.StatusUpdate{State: incident.UpdateState(form("status")), Text: form("text"), PublicText: form("public_text")}
		notice = "Status update posted."
	case "severity":
		req.Action, req.Severity = incident.SetSeverity, form("severity")
	case "postmortem-done":
		_, err = c.Postmortems.Done(ctx, id, s.User, "console")
		notice = "Post-mortem marked done."
	case "action":
		var item incident.ActionItem
		item, err = c.Postmortems.Add(ctx, postmortem.NewAction{Incident: id, Title: form("title"), Owner: form("owner"),
			Kind: form("kind"), Due: form("due"), By: s.User, Via: "console"}, c.Now())
		notice = "Action item #" + strconv.FormatInt(item.ID, 10) + " added."
	default:
		c.notFound(w, s, "That action")
		return
	}
	if err == nil && req.Action != "" {
		var res incident.Result
		res, err = c.Router.Act(ctx, req)
		if notice == "" {
			notice = "Done: " + strings.ReplaceAll(string(res.Outcome), "_", " ") + "."
		}
	}
	var refused *incident.Refusal
	var invalid *incident.Invalid
	switch {
	case err == nil:
		http.Redirect(w, r, "/console/incidents/"+strconv.FormatInt(id, 10)+"?notice="+urlQueryEscape(notice), http.StatusSeeOther)
	case errors.As(err, &refused):
		c.render(w, http.StatusForbidden, "message", page{Title: "Not allowed", User: s.User, CSRF: s.CSRF, Message: refused.Error(), Back: id})
	case errors.As(err, &invalid):
		c.render(w, http.StatusUnprocessableEntity, "message", page{Title: "Nothing changed", User: s.User, CSRF: s.CSRF, Message: invalid.Error(), Back: id})
	case errors.Is(err, incident.ErrClosed):
		c.render(w, http.StatusConflict, "message", page{Title: "Nothing changed", User: s.User, CSRF: s.CSRF,
			Message: "The incident is resolved: it takes no more updates or roles.", Back: id})
	case errors.Is(err, incident.ErrNotFound):
		c.notFound(w, s, "Incident #"+strconv.FormatInt(id, 10))
	default:
		c.unavailable(w, r, err)
	}
}

// incidentRow is an incident with its command clocks.
type incidentRow struct {
	*incident.Incident
	command.View
}

// Age is how long it has been open, or lasted.
func (i incidentRow) Age(now time.Time) string {
	end := i.ResolvedAt
	if end.IsZero() {
		end = now
	}
	return end.Sub(i.CreatedAt).Round(time.Minute).String()
}

type roleRow struct {
	Role  incident.Role
	Title string
	Who   string
}
