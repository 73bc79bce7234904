package statuspage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// reportsPerPage bounds the reports one page takes from everyone
// together: a flood from many addresses fills no disk.
var reportsPerPage = policies.Rate{Events: 120, Per: time.Hour}

// Reports are the problems customers report through a page's form: each
// becomes a triage item with a reference the customer sees, listed for
// the team (pagerd reports), which promotes it to an incident or links
// it to one already open. It pages nobody unless the page's reports
// block names a service for them.
type Reports struct {
	Store  *store.Store
	Config func() *policies.Config
	Log    *slog.Logger
	Now    func() time.Time
	// Declare opens an incident by hand (command.Actions.Declare).
	Declare func(ctx context.Context, cfg *policies.Config, d command.Declaration) (int64, string, error)
}

func (rp *Reports) routes() []Route {
	return []Route{
		{"GET /v1/status/reports", rp.list},
		{"POST /v1/status/reports/{ref}/promote", rp.promote},
		{"POST /v1/status/reports/{ref}/link", rp.link},
	}
}

// submit: POST /status/{page}/report, the form.
func (rp *Reports) submit(w http.ResponseWriter, r *http.Request, f *Forms) {
	page, rd, ok := f.page(w, r)
	if !ok {
		return
	}
	if page.Reports == nil {
		http.Error(w, "status page "+page.Name+" takes no reports", http.StatusNotFound)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	if err := r.ParseForm(); err != nil {
		f.refuse(w, r, rd, http.StatusBadRequest, "We could not read that.", "The form is too large or malformed.")
		return
	}
	rep := incident.Report{Page: page.Name, Component: strings.TrimSpace(r.PostForm.Get("component")),
		Text: strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get("text"), "\r\n", "\n")), Email: strings.TrimSpace(r.PostForm.Get("email"))}
	// The honeypot: a field people never see, which form-filling bots do.
	// They are thanked and nothing is kept, so they learn nothing.
	if r.PostForm.Get("website") != "" {
		rp.Log.Info("status page report dropped: the honeypot was filled", "page", page.Name, "client", clientIP(r))
		f.answer(w, r, rd, http.StatusAccepted, Message{Title: "Thank you.", Lines: []string{"We have your report."}}, nil)
		return
	}
	if err := checkReport(page, &rep); err != "" {
		f.refuse(w, r, rd, http.StatusUnprocessableEntity, "We cannot take this report.", err)
		return
	}
	rate := page.Reports.RateLimit
	if wait, limited := f.limited(r, "sp-report-ip:"+page.Name+":"+clientIP(r), rate); limited {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		f.refuse(w, r, rd, http.StatusTooManyRequests, "You have sent several reports already.", "Thank you: we have them. Try again in "+wait.Round(time.Minute).String()+".")
		return
	}
	if wait, limited := f.limited(r, "sp-report-page:"+page.Name, reportsPerPage); limited {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		f.refuse(w, r, rd, http.StatusTooManyRequests, "We are getting many reports right now.", "We are most likely on it already; see the page for updates.")
		return
	}
	ref, err := rp.Store.AddReport(r.Context(), rep, Keep)
	if err != nil {
		rp.Log.Error("status page report not stored", "page", page.Name, "err", err)
		w.Header().Set("Retry-After", "5")
		f.refuse(w, r, rd, http.StatusServiceUnavailable, "We could not take your report just now.", "Please try again in a minute.")
		return
	}
	rp.Log.Info("status page report", "page", page.Name, "ref", ref, "component", rep.Component)
	if svc := page.Reports.Service; svc != "" {
		// The page asked for reports to be paged: one incident per report,
		// which the team may merge by hand.
		if id, err := rp.open(r.Context(), ref, svc, "", "", "customer", "status page"); err != nil {
			rp.Log.Error("status page report did not open an incident; it waits in the triage list", "ref", ref, "err", err)
		} else {
			rp.Log.Info("status page report opened an incident", "ref", ref, "incident", id)
		}
	}
	f.answer(w, r, rd, http.StatusCreated, Message{Title: "Thank you. Your reference is " + ref + ".",
		Lines: []string{"Our team sees your report now. If this becomes an incident, this page will say so."}},
		map[string]any{"ref": ref})
}

// checkReport says what is wrong with a report, "" when nothing.
func checkReport(page *policies.StatusPage, rep *incident.Report) string {
	switch {
	case rep.Text == "":
		return "Say what happens."
	case len([]rune(rep.Text)) > incident.MaxPublicText:
		return fmt.Sprintf("Please keep it under %d characters.", incident.MaxPublicText)
	case strings.ContainsFunc(rep.Text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return "The text has control characters."
	case rep.Component != "" && !slices.Contains(page.Components, rep.Component):
		return "This page has no component " + quoteName(rep.Component) + "."
	}
	if rep.Email != "" {
		if strings.ContainsAny(rep.Email, "\r\n") {
			return "The email address contains a line break."
		}
		a, err := mail.ParseAddress(rep.Email)
		if err != nil || a.Name != "" || a.Address != rep.Email || len(rep.Email) > 254 {
			return quoteName(rep.Email) + " is not an email address."
		}
	}
	return ""
}

// open declares an incident for a report and links them.
func (rp *Reports) open(ctx context.Context, ref, service, sev, title, by, via string) (int64, error) {
	rep, err := rp.Store.Report(ctx, ref)
	if err != nil {
		return 0, err
	}
	if rep.Incident != 0 {
		return 0, incident.Invalidf("report %s is already linked to incident %d", ref, rep.Incident)
	}
	if title == "" {
		title = "Customer report " + ref
		if rep.Component != "" {
			title += " (" + rep.Component + ")"
		}
	}
	summary := rep.Text
	if rep.Email != "" {
		summary += "\n\nReported by " + rep.Email
	}
	id, _, err := rp.Declare(ctx, rp.Config(), command.Declaration{Title: title, Summary: summary, Service: service,
		Severity: sev, By: by, Via: via})
	if err != nil {
		return 0, err
	}
	return id, rp.Store.LinkReport(ctx, ref, id, by)
}

// list: GET /v1/status/reports[?limit=N] — newest first.
func (rp *Reports) list(w http.ResponseWriter, r *http.Request, _ string) {
	limit := int64(100)
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.ParseInt(l, 10, 64)
		if err != nil || n < 1 || n > 1000 {
			fail(w, rp.Log, r, http.StatusBadRequest, "limit must be a number from 1 to 1000", nil)
			return
		}
		limit = n
	}
	out, err := rp.Store.Reports(r.Context(), limit)
	if err != nil {
		fail(w, rp.Log, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": out})
}

// promote: POST /v1/status/reports/{ref}/promote {"service", "severity",
// "title"} opens an incident for the report.
func (rp *Reports) promote(w http.ResponseWriter, r *http.Request, by string) {
	var body struct {
		Service  string `json:"service"`
		Severity string `json:"severity"`
		Title    string `json:"title"`
	}
	if !readJSON(w, r, rp.Log, &body, `{"service": "checkout", "severity": "SEV2"}`) {
		return
	}
	if body.Service == "" {
		fail(w, rp.Log, r, http.StatusUnprocessableEntity, "service is required: the service the incident is on", nil)
		return
	}
	id, err := rp.open(r.Context(), r.PathValue("ref"), body.Service, body.Severity, body.Title, by, "api")
	if err != nil {
		rp.failed(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ref": r.PathValue("ref"), "incident": id})
}

// link: POST /v1/status/reports/{ref}/link {"incident": 42}.
func (rp *Reports) link(w http.ResponseWriter, r *http.Request, by string) {
	var body struct {
		Incident int64 `json:"incident"`
	}
	if !readJSON(w, r, rp.Log, &body, `{"incident": 42}`) {
		return
	}
	if _, err := rp.Store.Incident(r.Context(), body.Incident); err != nil {
		rp.failed(w, r, err)
		return
	}
	if err := rp.Store.LinkReport(r.Context(), r.PathValue("ref"), body.Incident, by); err != nil {
		rp.failed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ref": r.PathValue("ref"), "incident": body.Incident})
}

func (rp *Reports) failed(w http.ResponseWriter, r *http.Request, err error) {
	var invalid *incident.Invalid
	switch {
	case errors.As(err, &invalid):
		fail(w, rp.Log, r, http.StatusUnprocessableEntity, invalid.Reason, nil)
	case errors.Is(err, incident.ErrNotFound):
		fail(w, rp.Log, r, http.StatusNotFound, strings.TrimPrefix(err.Error(), "store: "), nil)
	default:
		fail(w, rp.Log, r, http.StatusServiceUnavailable, "state store unavailable", err)
	}
}
