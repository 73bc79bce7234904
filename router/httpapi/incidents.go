package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/pagerd/pagerd/router/store"
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
	if _, ok := s.authenticate(w, r, "api"); !ok {
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
		incs = []*store.Incident{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": incs})
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, "api"); !ok {
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
	writeJSON(w, http.StatusOK, struct {
		*store.Incident
		Alerts   []json.RawMessage `json:"alerts"`
		Timeline []store.Event     `json:"timeline"`
	}{inc, alerts, timeline})
}

// storeFailed answers 404 for a missing incident and 503 for anything else.
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "no such incident", err)
	default:
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
	}
	return true
}

func (s *Server) actOnIncident(w http.ResponseWriter, r *http.Request) {
	in, ok := s.authenticate(w, r, "api")
	if !ok {
		return
	}
	id, ok := s.incidentID(w, r)
	if !ok {
		return
	}
	action := r.PathValue("action")
	if action != "ack" && action != "resolve" {
		s.fail(w, r, http.StatusNotFound, "unknown action "+strconv.Quote(action)+": use ack or resolve", nil)
		return
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = in.Name
	}
	outcome, before, err := s.Router.Act(r.Context(), id, action, by, "api")
	if s.storeFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": id, "outcome": outcome, "previous_status": before})
}
