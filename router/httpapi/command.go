package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// The incident command API: declaring incidents, severity, roles, notes,
// status updates and the timeline, page by page. Every change goes
// through the router's typed actions, as SMS replies and chat do; the
// command package decides.

// maxCommandBody bounds a command request: a note or an update and its
// public wording are at most 4 KiB each.
const maxCommandBody = 16 << 10

// readJSON decodes a JSON request body into v, refusing unknown fields;
// it answers bad input itself. shape says what the body should look like.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any, shape string) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCommandBody))
	if err != nil {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "the request body is at most 16 KiB", err)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.fail(w, r, http.StatusBadRequest, "the body is "+shape+": "+err.Error(), err)
		return false
	}
	return true
}

// actFailed answers an action's error: 403 refused, 422 invalid (it names
// the problem), 409 on a resolved incident, 404 unknown incident, 503 the
// store. It reports whether err was one.
func (s *Server) actFailed(w http.ResponseWriter, r *http.Request, id int64, err error) bool {
	var refused *incident.Refusal
	var invalid *incident.Invalid
	switch {
	case err == nil:
		return false
	case errors.As(err, &refused):
		s.fail(w, r, http.StatusForbidden, refused.Error(), err)
	case errors.As(err, &invalid):
		s.fail(w, r, http.StatusUnprocessableEntity, invalid.Error(), nil)
	case errors.Is(err, incident.ErrClosed):
		s.fail(w, r, http.StatusConflict, "incident #"+itoa(id)+" is resolved: it takes no more updates or roles", nil)
	default:
		s.storeFailed(w, r, err)
	}
	return true
}

// by is who acts: ?by=NAME, else the body's, else the integration's name.
func by(r *http.Request, body string, in *policies.Integration) string {
	if q := strings.TrimSpace(r.URL.Query().Get("by")); q != "" {
		return q
	}
	if body = strings.TrimSpace(body); body != "" {
		return body
	}
	return in.Name
}

// declare opens an incident by hand: POST /v1/incidents with
// {"title": "...", "service": "checkout", "severity": "SEV1", "summary":
// "...", "by": "alice"}; 201 {"incident": 42, "severity": "SEV1"}.
func (s *Server) declare(w http.ResponseWriter, r *http.Request) {
	in, ok := s.authenticate(w, r, policies.APIIntegration)
	if !ok {
		return
	}
	var body struct {
		Title    string `json:"title"`
		Summary  string `json:"summary"`
		Service  string `json:"service"`
		Severity string `json:"severity"`
		By       string `json:"by"`
	}
	if !s.readJSON(w, r, &body, `{"title": "...", "service": "NAME", "severity": "SEV1", "summary": "..."}`) {
		return
	}
	id, sev, err := s.Command.Declare(r.Context(), s.Config(), command.Declaration{
		Title: body.Title, Summary: body.Summary, Service: body.Service, Severity: body.Severity,
		By: by(r, body.By, in), Via: "api",
	})
	if s.actFailed(w, r, 0, err) {
		return
	}
	w.Header().Set("Location", "/v1/incidents/"+itoa(id))
	writeJSON(w, http.StatusCreated, map[string]any{"incident": id, "severity": sev, "status": incident.Triggered})
}

// command applies one incident command action to the incident in the
// path and answers what it did, with the incident as it now stands.
func (s *Server) command(w http.ResponseWriter, r *http.Request, in *policies.Integration, req incident.Request) {
	// An integration's token acts for anyone: the API is not held to
	// services' responders rules.
	req.Credential = incident.CredentialToken
	req.Via = "api"
	res, err := s.Router.Act(r.Context(), req)
	if s.actFailed(w, r, req.Incident, err) {
		return
	}
	inc, err := s.Store.Incident(r.Context(), req.Incident)
	if s.storeFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": req.Incident, "outcome": res.Outcome,
		"previous_status": res.Before, "now": s.view(inc)})
}

// setSeverity: POST /v1/incidents/{id}/severity {"severity": "SEV1"}.
func (s *Server) setSeverity(w http.ResponseWriter, r *http.Request) {
	in, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	var body struct {
		Severity string `json:"severity"`
		By       string `json:"by"`
	}
	if !s.readJSON(w, r, &body, `{"severity": "SEV1"}`) {
		return
	}
	s.command(w, r, in, incident.Request{Incident: id, Action: incident.SetSeverity, Severity: body.Severity, By: by(r, body.By, in)})
}

// incidentView is an incident as the API shows it: with its command
// clocks at this moment.
type incidentView struct {
	*incident.Incident
	command.View
}

func (s *Server) view(inc *incident.Incident) incidentView {
	return incidentView{Incident: inc, View: command.ViewOf(s.Config(), inc, s.Now())}
}

// assignRole: POST /v1/incidents/{id}/roles {"role": "manager", "user":
// "alice"}; "user": "" takes the role back.
func (s *Server) assignRole(w http.ResponseWriter, r *http.Request) {
	in, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	var body struct {
		Role string  `json:"role"`
		User *string `json:"user"`
		By   string  `json:"by"`
	}
	if !s.readJSON(w, r, &body, `{"role": "manager", "user": "alice"}`) {
		return
	}
	role, err := incident.ParseRole(body.Role)
	if err != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, err.Error(), nil)
		return
	}
	if body.User == nil {
		s.fail(w, r, http.StatusBadRequest, `say who: {"role": "manager", "user": "alice"} ("user": "" takes the role back)`, nil)
		return
	}
	s.command(w, r, in, incident.Request{Incident: id, Action: incident.Assign, Role: role,
		Assignee: strings.TrimSpace(*body.User), By: by(r, body.By, in)})
}

// postUpdate posts a status update: POST /v1/incidents/{id}/updates with
// {"status": "identified", "text": "...", "public_text": "..."}; posting
// "resolved" resolves the incident. A resolved incident answers 409.
func (s *Server) postUpdate(w http.ResponseWriter, r *http.Request) {
	in, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	var body struct {
		Status     string `json:"status"`
		Text       string `json:"text"`
		PublicText string `json:"public_text"`
		By         string `json:"by"`
	}
	if !s.readJSON(w, r, &body, `{"status": "identified", "text": "...", "public_text": "..."}`) {
		return
	}
	if len(body.Text) > incident.MaxNote || len(body.PublicText) > incident.MaxNote {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "an update's text is at most 4 KiB", nil)
		return
	}
	s.command(w, r, in, incident.Request{Incident: id, Action: incident.Update, By: by(r, body.By, in),
		Update: &incident.StatusUpdate{State: incident.UpdateState(body.Status), Text: body.Text, PublicText: body.PublicText}})
}

// listUpdates: GET /v1/incidents/{id}/updates answers {"updates": [...]},
// oldest first, with "next_update_at" (null when none is due).
func (s *Server) listUpdates(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	inc, err := s.Store.Incident(r.Context(), id)
	if s.storeFailed(w, r, err) {
		return
	}
	updates, err := s.Store.Updates(r.Context(), id)
	if s.storeFailed(w, r, err) {
		return
	}
	v := s.view(inc)
	var next *time.Time
	if !v.NextUpdateAt.IsZero() {
		next = &v.NextUpdateAt
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": id, "updates": updates, "next_update_at": next, "update_overdue": v.UpdateOverdue})
}

// serviceStakeholders shows a service's stakeholder matrix: GET
// /v1/services/{name}/stakeholders[?severity=SEV2] — who is told what,
// when, for an incident of that severity (default the most severe its
// block engages), resolved now.
func (s *Server) serviceStakeholders(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	cfg := s.Config()
	svc := cfg.Service(r.PathValue("name"))
	if svc == nil {
		s.fail(w, r, http.StatusNotFound, "no service "+strconv.Quote(r.PathValue("name")), nil)
		return
	}
	sev := r.URL.Query().Get("severity")
	if sev != "" {
		name, ok := cfg.ParseSeverity(sev)
		if !ok {
			s.fail(w, r, http.StatusUnprocessableEntity, "unknown severity "+strconv.Quote(sev)+": use "+strings.Join(cfg.Command.Severities, ", "), nil)
			return
		}
		sev = name
	}
	writeJSON(w, http.StatusOK, command.MatrixOf(cfg, svc.Name, sev, s.Now()))
}
