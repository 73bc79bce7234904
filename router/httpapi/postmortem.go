package httpapi

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/pagerd/pagerd/console"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/postmortem"
	"github.com/pagerd/pagerd/router/store"
)

// The post-mortem and action item API: the draft as Markdown, marking it
// done, and the backlog of action items, per incident or all of them, as
// JSON or CSV. The postmortem package decides; these only translate.

// postmortemFailed answers an error of the postmortem service: 422 invalid
// (it names the problem), 404 unknown incident or item, 503 the store.
func (s *Server) postmortemFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	var invalid *incident.Invalid
	switch {
	case err == nil:
		return false
	case errors.As(err, &invalid):
		s.fail(w, r, http.StatusUnprocessableEntity, invalid.Error(), nil)
	case errors.Is(err, store.ErrActionNotFound):
		s.fail(w, r, http.StatusNotFound, "no such action item", err)
	default:
		s.storeFailed(w, r, err)
	}
	return true
}

// postmortemMarkdown: GET /v1/incidents/{id}/postmortem.md, the draft.
func (s *Server) postmortemMarkdown(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	md, err := s.Postmortems.Markdown(r.Context(), id, s.Now())
	if s.postmortemFailed(w, r, err) {
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="incident-`+itoa(id)+`-postmortem.md"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(md))
}

// postmortemState: GET /v1/incidents/{id}/postmortem, who owns it and
// whether it is done.
func (s *Server) postmortemState(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	if _, err := s.Store.Incident(r.Context(), id); s.storeFailed(w, r, err) {
		return
	}
	pm, err := s.Store.Postmortem(r.Context(), id)
	if s.storeFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"postmortem": pm, "draft": "/v1/incidents/" + itoa(id) + "/postmortem.md"})
}

// postmortemDone: POST /v1/incidents/{id}/postmortem/done[?by=NAME].
func (s *Server) postmortemDone(w http.ResponseWriter, r *http.Request) {
	in, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	changed, err := s.Postmortems.Done(r.Context(), id, by(r, "", in), "api")
	if s.postmortemFailed(w, r, err) {
		return
	}
	outcome := "done"
	if !changed {
		outcome = string(incident.OutcomeUnchanged)
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": id, "outcome": outcome})
}

// addAction: POST /v1/incidents/{id}/actions {"title", "owner", "due",
// "kind", "by"}; 201 {"action_item": {...}}.
func (s *Server) addAction(w http.ResponseWriter, r *http.Request) {
	in, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	var body struct {
		Title string `json:"title"`
		Owner string `json:"owner"`
		Due   string `json:"due"`
		Kind  string `json:"kind"`
		By    string `json:"by"`
	}
	if !s.readJSON(w, r, &body, `{"title": "...", "owner": "bob", "due": "2027-01-15", "kind": "tech-debt"}`) {
		return
	}
	item, err := s.Postmortems.Add(r.Context(), postmortem.NewAction{Incident: id, Title: body.Title, Owner: body.Owner,
		Due: body.Due, Kind: body.Kind, By: by(r, body.By, in), Via: "api"}, s.Now())
	if s.postmortemFailed(w, r, err) {
		return
	}
	w.Header().Set("Location", "/v1/actions/"+itoa(item.ID))
	writeJSON(w, http.StatusCreated, map[string]any{"action_item": postmortem.Export(item, s.Now())})
}

// listActions: GET /v1/actions and GET /v1/incidents/{id}/actions, with
// ?status=open (default), overdue or all, ?kind=, ?owner=, and
// ?format=csv (or Accept: text/csv) for a spreadsheet or tracker import.
func (s *Server) listActions(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	q := r.URL.Query()
	f := postmortem.Filter{Now: s.Now(), Owner: strings.TrimSpace(q.Get("owner"))}
	if r.PathValue("id") != "" {
		id, ok := s.incidentID(w, r)
		if !ok {
			return
		}
		f.Incident = id
	}
	switch q.Get("status") {
	case "", "open":
		f.Open = true
	case "overdue":
		f.Overdue = true
	case "all":
	default:
		s.fail(w, r, http.StatusBadRequest, "status is open, overdue or all, not "+strconv.Quote(q.Get("status")), nil)
		return
	}
	kind, err := postmortem.ParseFilter(s.Config(), q.Get("kind"), f.Owner)
	if s.postmortemFailed(w, r, err) {
		return
	}
	f.Kind = kind
	items, err := s.Postmortems.List(r.Context(), f)
	if s.postmortemFailed(w, r, err) {
		return
	}
	if wantsCSV(r) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="pagerd-action-items.csv"`)
		_ = postmortem.WriteCSV(w, items, f.Now)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = postmortem.WriteJSON(w, items, f.Now)
}

// wantsCSV: ?format=csv, or an Accept header that asks for text/csv.
func wantsCSV(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return strings.EqualFold(f, "csv")
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

// actionID parses the {n} path value; it writes the error itself.
func (s *Server) actionID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n <= 0 {
		s.fail(w, r, http.StatusBadRequest, "action item number must be a positive number, not "+strconv.Quote(r.PathValue("n")), err)
		return 0, false
	}
	return n, true
}

// getAction: GET /v1/actions/{n}.
func (s *Server) getAction(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	n, ok := s.actionID(w, r)
	if !ok {
		return
	}
	item, err := s.Store.Action(r.Context(), n)
	if s.postmortemFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"action_item": postmortem.Export(item, s.Now())})
}

// actionDone: POST /v1/actions/{n}/done[?by=NAME].
func (s *Server) actionDone(w http.ResponseWriter, r *http.Request) {
	in, ok := s.authenticate(w, r, policies.APIIntegration)
	if !ok {
		return
	}
	n, ok := s.actionID(w, r)
	if !ok {
		return
	}
	item, changed, err := s.Postmortems.Complete(r.Context(), n, by(r, "", in), "api")
	if s.postmortemFailed(w, r, err) {
		return
	}
	outcome := "done"
	if !changed {
		outcome = string(incident.OutcomeUnchanged)
	}
	writeJSON(w, http.StatusOK, map[string]any{"action_item": postmortem.Export(item, s.Now()), "outcome": outcome})
}

// login: POST /v1/login {"user": "alice", "via": "email"} sends alice a
// console sign-in link through via (default: her first notification
// rule's channel); 202 {"user", "channel", "expires_at"}. The link goes
// to her, never to the caller.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	var body struct {
		User string `json:"user"`
		Via  string `json:"via"`
	}
	if !s.readJSON(w, r, &body, `{"user": "alice"}`) {
		return
	}
	sent, err := s.Console.SendSignIn(r.Context(), strings.TrimSpace(body.User), strings.TrimSpace(body.Via))
	var tooMany *console.ErrTooManySignIns
	if errors.As(err, &tooMany) {
		w.Header().Set("Retry-After", strconv.Itoa(int(tooMany.RetryAfter.Seconds()+1)))
		s.fail(w, r, http.StatusTooManyRequests, tooMany.Error(), nil)
		return
	}
	if s.postmortemFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusAccepted, sent)
}
