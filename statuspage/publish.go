package statuspage

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Keep is how long a resolved incident stays in the pages' store: the
// history, and a week more for those who link to it.
const Keep = (HistoryDays + 7) * 24 * time.Hour

// Publisher puts incidents on status pages: by hand (the CLI and the
// API), by the pages' auto_publish, and as the public wording of the
// manager's status updates of an incident already published.
type Publisher struct {
	Store  *store.Store
	Config func() *policies.Config
	Log    *slog.Logger
}

// Publish is one request to publish, or update, an incident on pages.
type Publish struct {
	Incident int64
	// Pages it goes on; none: the pages it is on, or, for a new one,
	// every page showing a component of its service.
	Pages  []string
	Status incident.UpdateState // "": investigating for a new one, else as it is
	Text   string
	Title  string // "": as it is, or for a new one a title from its components
	// Components are the states to give the page's components, by name;
	// a new one without: its service's components, in the state its
	// severity maps to.
	Components map[string]string
	By, Via    string
	// Source makes it once (a mirrored status update, auto_publish).
	Source string
}

// Published is what publishing did.
type Published struct {
	Outcome string   `json:"outcome"` // published, updated, duplicate
	Code    string   `json:"code"`
	N       int      `json:"update"`
	Pages   []string `json:"pages"`
	URLs    []string `json:"urls"`
}

// Publish checks req against the config and the incident, fills in what
// it leaves out, and stores the update. A request that names what does
// not exist, or says what cannot be said on a page, is refused with an
// *incident.Invalid naming the problem.
func (p *Publisher) Publish(ctx context.Context, req Publish) (Published, error) {
	cfg := p.Config()
	inc, err := p.Store.Incident(ctx, req.Incident)
	if err != nil && !errors.Is(err, incident.ErrNotFound) {
		return Published{}, err
	}
	prev, perr := p.Store.PageIncident(ctx, req.Incident)
	if perr != nil && !errors.Is(perr, incident.ErrNotFound) {
		return Published{}, perr
	}
	if inc == nil && prev == nil {
		return Published{}, fmt.Errorf("incident %d: %w", req.Incident, incident.ErrNotFound)
	}
	service := ""
	switch {
	case inc != nil:
		service = inc.Service
	default:
		service = prev.Service
	}
	pages, err := p.pages(cfg, req, service, prev)
	if err != nil {
		return Published{}, err
	}
	post := store.PagePost{Incident: req.Incident, Service: service, Title: strings.TrimSpace(req.Title),
		Status: req.Status, Body: strings.TrimSpace(req.Text), By: req.By, Via: req.Via, Source: req.Source, Keep: Keep}
	for _, pg := range pages {
		post.Pages = append(post.Pages, pg.Name)
	}
	if err := checkText("text", post.Body, incident.MaxPublicText, true); err != nil {
		return Published{}, err
	}
	if err := checkText("title", post.Title, incident.MaxPublicTitle, false); err != nil {
		return Published{}, err
	}
	if post.Status == "" {
		post.Status = incident.StateInvestigating
		if prev != nil {
			post.Status = prev.Status
		}
	}
	if !slices.Contains(incident.UpdateStates, post.Status) {
		return Published{}, incident.Invalidf("unknown status %q: use investigating, identified, monitoring or resolved", post.Status)
	}
	post.Components, err = components(cfg, pages, req.Components)
	if err != nil {
		return Published{}, err
	}
	if prev == nil {
		sev := ""
		if inc != nil {
			sev = inc.Severity
		}
		if len(post.Components) == 0 {
			post.Components = defaultComponents(cfg, pages, service, sev)
		}
		if post.Title == "" {
			post.Title = defaultTitle(post.Components)
		}
		post.Code = newCode()
	}
	out, err := p.Store.PostPage(ctx, post)
	if err != nil {
		return Published{}, err
	}
	res := Published{Outcome: out.Outcome, Code: out.Code, N: out.N}
	for _, pg := range pages {
		res.Pages = append(res.Pages, pg.Name)
		res.URLs = append(res.URLs, pg.PublicURL+"/incidents/"+out.Code)
	}
	p.Log.Info("published on status pages", "incident", req.Incident, "pages", res.Pages, "outcome", out.Outcome,
		"update", out.N, "status", post.Status, "by", req.By)
	return res, nil
}

// pages are the pages a request publishes on.
func (p *Publisher) pages(cfg *policies.Config, req Publish, service string, prev *incident.PageIncident) ([]*policies.StatusPage, error) {
	var out []*policies.StatusPage
	for _, name := range req.Pages {
		pg := cfg.Page(name)
		if pg == nil {
			var names []string
			for _, q := range cfg.StatusPages {
				names = append(names, q.Name)
			}
			if len(names) == 0 {
				return nil, incident.Invalidf("no status page %q: the config has none (add a status_page block)", name)
			}
			return nil, incident.Invalidf("no status page %q: use %s", name, strings.Join(names, ", "))
		}
		if !slices.Contains(out, pg) {
			out = append(out, pg)
		}
	}
	if len(out) == 0 && prev != nil {
		for _, name := range prev.Pages {
			if pg := cfg.Page(name); pg != nil {
				out = append(out, pg)
			}
		}
	}
	if len(out) == 0 {
		out = cfg.PagesOf(service)
	}
	if len(out) == 0 {
		return nil, incident.Invalidf("no status page shows a component of service %q: name one with --page, and its components with --component", service)
	}
	for _, pg := range out {
		if len(cfg.ComponentsOf(pg, service)) == 0 && len(req.Components) == 0 && (prev == nil || !prev.OnPage(pg.Name)) {
			return nil, incident.Invalidf("status page %q shows no component of service %q: say which of its components it affects (--component NAME=STATE)", pg.Name, service)
		}
	}
	return out, nil
}

// components checks the states a request gives components.
func components(cfg *policies.Config, pages []*policies.StatusPage, req map[string]string) (map[string]string, error) {
	if len(req) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for name, state := range req {
		on := false
		for _, pg := range pages {
			on = on || slices.Contains(pg.Components, name)
		}
		if !on {
			return nil, incident.Invalidf("component %q is not on status page %s", name, pageNames(pages))
		}
		if !slices.Contains(policies.ComponentStates, state) {
			return nil, incident.Invalidf("component %q: state %q is not one of %s", name, state, strings.Join(policies.ComponentStates, ", "))
		}
		out[name] = state
	}
	return out, nil
}

func pageNames(pages []*policies.StatusPage) string {
	var names []string
	for _, p := range pages {
		names = append(names, p.Name)
	}
	return strings.Join(names, " or ")
}

// defaultComponents are the components of service on the pages, in the
// state the first page maps sev to.
func defaultComponents(cfg *policies.Config, pages []*policies.StatusPage, service, sev string) map[string]string {
	out := map[string]string{}
	for _, pg := range pages {
		for _, c := range cfg.ComponentsOf(pg, service) {
			if _, ok := out[c.Name]; !ok {
				out[c.Name] = pages[0].StateFor(sev)
			}
		}
	}
	return out
}

// defaultTitle names an incident by what customers see of it, never by
// its alert's name, which is for responders.
func defaultTitle(comps map[string]string) string {
	worst, names := policies.StateOperational, []string{}
	for name, state := range comps {
		names = append(names, name)
		worst = worse(worst, state)
	}
	slices.Sort(names)
	what := strings.Join(names, ", ")
	if what == "" {
		what = "some services"
	}
	switch worst {
	case policies.StateMajor:
		return "Outage of " + what
	case policies.StatePartial:
		return "Partial outage of " + what
	}
	return "Degraded performance of " + what
}

// checkText refuses text a page cannot show: too long, or with control
// characters other than line breaks and tabs.
func checkText(what, s string, limit int, required bool) error {
	switch {
	case required && s == "":
		return incident.Invalidf("%s is empty: say what customers should know", what)
	case len([]rune(s)) > limit:
		return incident.Invalidf("%s is %d characters; a page takes at most %d", what, len([]rune(s)), limit)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return incident.Invalidf("%s has control characters", what)
	}
	return nil
}

// newCode is a public incident code: 12 characters of base 32, which say
// nothing about pagerd's incident numbers.
func newCode() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	var b [12]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// publicText is what a page says for a status update: the manager's
// public wording, or, when they gave none, the usual words for its state
// — never the words they wrote for the team.
func publicText(u *incident.StatusUpdate) string {
	if strings.TrimSpace(u.PublicText) != "" {
		return strings.TrimSpace(u.PublicText)
	}
	return stateTemplates[u.State]
}

var stateTemplates = map[incident.UpdateState]string{
	incident.StateInvestigating: "We are investigating this issue.",
	incident.StateIdentified:    "The issue has been identified and a fix is being implemented.",
	incident.StateMonitoring:    "A fix has been implemented and we are monitoring the results.",
	incident.StateResolved:      "This incident has been resolved.",
}

// Hand-off is command.StatusPage: the stakeholder matrix's public
// quadrants (keep_satisfied, monitor) hand the public wording of an
// incident's moments to the status page, with their mailing lists.
var _ command.StatusPage = (*HandOff)(nil)

// HandOff takes the stakeholders' public wording: their mailing lists are
// emailed it (as page subscribers are, without an unsubscribe link: the
// HCL subscribed them). What goes on the pages themselves follows the
// incident's own status updates (Consumer), so nothing is posted twice.
type HandOff struct {
	Store  *store.Store
	Config func() *policies.Config
}

// Publish implements command.StatusPage.
func (h *HandOff) Publish(ctx context.Context, u command.PublicUpdate) error {
	if len(h.Config().StatusPages) == 0 {
		return command.ErrNoStatusPage
	}
	if len(u.Subscribers) == 0 {
		return nil
	}
	var ids []string
	for _, addr := range u.Subscribers {
		ids = append(ids, "cfg:list:"+addr)
	}
	item := store.OutItem{Key: fmt.Sprintf("sh:%d:%d:%s", u.Incident, u.At.UnixMilli(), u.State), Type: "notice",
		Incident: u.Incident, Title: u.Title, Status: string(u.State), Text: u.Text}
	_, err := h.Store.FanOut(ctx, item, 7*24*time.Hour, ids)
	return err
}
