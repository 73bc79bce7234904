package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router"
)

// maxSilenceBody bounds a silence request.
const maxSilenceBody = 64 << 10

// silenceView is a silence as the API shows it: with its state now.
type silenceView struct {
	incident.Silence
	State incident.SilenceState `json:"state"`
}

func (s *Server) viewSilence(sil incident.Silence) silenceView {
	return silenceView{Silence: sil, State: sil.State(s.Now())}
}

// addSilence creates a silence: POST /v1/silences with
// {"matchers": [...], "starts_at": RFC 3339 (default now), "ends_at":
// RFC 3339 or "duration": "2h", "created_by": "...", "comment": "..."}.
func (s *Server) addSilence(w http.ResponseWriter, r *http.Request) {
	in, ok := s.authenticate(w, r, policies.APIIntegration)
	if !ok {
		return
	}
	var body struct {
		Matchers  []string  `json:"matchers"`
		StartsAt  time.Time `json:"starts_at"`
		EndsAt    time.Time `json:"ends_at"`
		Duration  string    `json:"duration"`
		CreatedBy string    `json:"created_by"`
		Comment   string    `json:"comment"`
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSilenceBody))
	if err != nil {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "a silence request is at most 64 KiB", err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		s.fail(w, r, http.StatusBadRequest, "a silence is {\"matchers\": [...], \"ends_at\" or \"duration\", \"created_by\", \"comment\"}: "+err.Error(), err)
		return
	}
	req := router.SilenceRequest{Matchers: body.Matchers, StartsAt: body.StartsAt, EndsAt: body.EndsAt,
		CreatedBy: body.CreatedBy, Comment: body.Comment}
	if req.CreatedBy == "" {
		req.CreatedBy = in.Name
	}
	if body.Duration != "" {
		d, err := time.ParseDuration(body.Duration)
		if err != nil || d <= 0 || !body.EndsAt.IsZero() {
			s.fail(w, r, http.StatusUnprocessableEntity, `duration must be a positive duration such as "2h", given instead of ends_at`, err)
			return
		}
		from := body.StartsAt
		if from.IsZero() {
			from = s.Now()
		}
		req.EndsAt = from.Add(d)
	}
	sil, err := s.Router.AddSilence(r.Context(), req)
	if errors.Is(err, router.ErrInvalidSilence) {
		s.fail(w, r, http.StatusUnprocessableEntity, err.Error(), nil)
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"silence": s.viewSilence(sil)})
}

// listSilences lists the pending and active silences, or with ?state=all
// the expired ones kept too.
func (s *Server) listSilences(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	sils, err := s.Router.Silences(r.Context(), r.URL.Query().Get("state") == "all")
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
		return
	}
	views := make([]silenceView, len(sils))
	for i, sil := range sils {
		views[i] = s.viewSilence(sil)
	}
	writeJSON(w, http.StatusOK, map[string]any{"silences": views})
}

func (s *Server) getSilence(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	sil, err := s.Router.Silence(r.Context(), r.PathValue("id"))
	if s.silenceFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"silence": s.viewSilence(sil)})
}

// expireSilence ends a silence now: POST /v1/silences/{id}/expire?by=NAME.
// The outcome is "expired", or "unchanged" for one that had ended.
func (s *Server) expireSilence(w http.ResponseWriter, r *http.Request) {
	in, ok := s.authenticate(w, r, policies.APIIntegration)
	if !ok {
		return
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = in.Name
	}
	sil, changed, err := s.Router.ExpireSilence(r.Context(), r.PathValue("id"), by)
	if s.silenceFailed(w, r, err) {
		return
	}
	outcome := "expired"
	if !changed {
		outcome = string(incident.OutcomeUnchanged)
	}
	writeJSON(w, http.StatusOK, map[string]any{"silence": s.viewSilence(sil), "outcome": outcome})
}

// silenceFailed answers 404 for a missing silence and 503 for anything else.
func (s *Server) silenceFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, incident.ErrSilenceNotFound):
		s.fail(w, r, http.StatusNotFound, "no such silence", err)
	default:
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
	}
	return true
}
