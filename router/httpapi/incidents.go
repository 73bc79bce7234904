package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// incidentID parses the {id} path value; it writes the error itself.
func (s *Server) incidentID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, http.StatusBadRequest, "incident id must be a positive number, not "+strconv.Quote(r.PathValue("id")), err)
		return 0, false
	}
	return id, true
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	openOnly := r.URL.Query().Get("status") != "all"
	limit := int64(100)
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > 1000 {
			s.fail(w, r, http.StatusBadRequest, "limit must be between 1 and 1000", err)
			return
		}
		limit = n
	}
	incs, err := s.Store.List(r.Context(), openOnly, limit)
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
		return
	}
	if incs == nil {
		incs = []*incident.Incident{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": incs})
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	id, ok := s.incidentID(w, r)
	if !ok {
		return
	}
	inc, err := s.Store.Incident(r.Context(), id)
	if s.storeFailed(w, r, err) {
		return
	}
	alerts, err := s.Store.Alerts(r.Context(), id)
	if s.storeFailed(w, r, err) {
		return
	}
	timeline, err := s.Store.Timeline(r.Context(), id)
	if s.storeFailed(w, r, err) {
		return
	}
	changes, err := s.recentChanges(r, inc)
	if s.storeFailed(w, r, err) {
		return
	}
	var folded []*incident.Incident
	if inc.Storm != nil {
		if folded, _, err = s.Store.Folded(r.Context(), id, maxFolded); s.storeFailed(w, r, err) {
			return
		}
	}
	writeJSON(w, http.StatusOK, struct {
		*incident.Incident
		Alerts   []json.RawMessage `json:"alerts"`
		Timeline []incident.Fact   `json:"timeline"`
		// Changes are the service's changes in the day before the incident
		// opened and since: what changed before it broke.
		Changes []incident.Change `json:"recent_changes"`
		// Folded are, for a storm incident, the incidents folded into it,
		// newest first (the latest maxFolded; storm.folded counts them all).
		Folded []*incident.Incident `json:"folded,omitempty"`
	}{inc, alerts, timeline, changes, folded})
}

// maxFolded bounds the folded incidents an incident's answer lists.
const maxFolded = 500

// changesWindow is how far before an incident its service's changes count
// as recent.
const changesWindow = 24 * time.Hour

func (s *Server) recentChanges(r *http.Request, inc *incident.Incident) ([]incident.Change, error) {
	all, err := s.Store.Changes(r.Context(), inc.Service, 100)
	if err != nil {
		return nil, err
	}
	out := []incident.Change{}
	for _, c := range all {
		if !c.At.Before(inc.CreatedAt.Add(-changesWindow)) {
			out = append(out, c)
		}
	}
	return out, nil
}

// serviceChanges lists a service's recent change events, newest first.
func (s *Server) serviceChanges(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	changes, err := s.Store.Changes(r.Context(), r.PathValue("name"), 100)
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
		return
	}
	if changes == nil {
		changes = []incident.Change{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": r.PathValue("name"), "changes": changes})
}

// storeFailed answers 404 for a missing incident and 503 for anything else.
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, incident.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "no such incident", err)
	default:
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
	}
	return true
}

// actOnIncident applies one action: POST /v1/incidents/{id}/{action}
// with ?by=NAME (default: the integration's name); a note's text is the
// body, as JSON {"text": "..."} or plain text.
func (s *Server) actOnIncident(w http.ResponseWriter, r *http.Request) {
	in, ok := s.authenticate(w, r, policies.APIIntegration)
	if !ok {
		return
	}
	id, ok := s.incidentID(w, r)
	if !ok {
		return
	}
	action, err := incident.ParseAction(r.PathValue("action"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err.Error(), nil)
		return
	}
	// An integration's token acts for anyone: the API is not held to
	// services' responders rules.
	req := incident.Request{Incident: id, Action: action, By: r.URL.Query().Get("by"), Via: "api",
		Credential: incident.CredentialToken}
	if req.By == "" {
		req.By = in.Name
	}
	if action == incident.Note {
		if req.Text, ok = s.noteText(w, r); !ok {
			return
		}
	}
	res, err := s.Router.Act(r.Context(), req)
	var refused *incident.Refusal
	if errors.As(err, &refused) {
		s.fail(w, r, http.StatusForbidden, refused.Error(), err)
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": id, "outcome": res.Outcome, "previous_status": res.Before})
}

// maxNote bounds a note's text.
const maxNote = 4 << 10

// noteText reads a note from the request body; it answers bad input itself.
func (s *Server) noteText(w http.ResponseWriter, r *http.Request) (string, bool) {
	var mt string
	if ct := r.Header.Get("Content-Type"); ct != "" {
		var params map[string]string
		var err error
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			s.fail(w, r, http.StatusUnsupportedMediaType, "unreadable content type "+strconv.Quote(ct), err)
			return "", false
		}
		if msg, ok := utf8Charset(params); !ok {
			s.fail(w, r, http.StatusUnsupportedMediaType, msg, nil)
			return "", false
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNote+1024))
	if err != nil {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "a note is at most 4 KiB", err)
		return "", false
	}
	text := string(body)
	if mt == "application/json" {
		var v struct{ Text string }
		if err := json.Unmarshal(body, &v); err != nil {
			s.fail(w, r, http.StatusBadRequest, `a note is {"text": "..."}: `+err.Error(), err)
			return "", false
		}
		text = v.Text
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		s.fail(w, r, http.StatusBadRequest, `a note needs text: send {"text": "..."}`, nil)
		return "", false
	case len(text) > maxNote:
		s.fail(w, r, http.StatusRequestEntityTooLarge, "a note is at most 4 KiB", nil)
		return "", false
	}
	return text, true
}
