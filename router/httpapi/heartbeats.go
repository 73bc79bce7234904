package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
)

// beatAnswer is the answer to a beat.
type beatAnswer struct {
	Status    string    `json:"status"` // "ok", or "ignored" for a body that is not a beat
	Heartbeat string    `json:"heartbeat"`
	BeatAt    time.Time `json:"beat_at,omitzero"`
	NextBy    time.Time `json:"next_beat_by,omitzero"` // a miss is found after this without another beat
	// Missed: this beat ended a miss; Incident is the incident its alert
	// fired in, and Outcome what resolving it did.
	Missed   bool                  `json:"missed,omitempty"`
	Incident int64                 `json:"incident,omitempty"`
	Outcome  incident.AlertOutcome `json:"outcome,omitempty"`
	Reason   string                `json:"reason,omitempty"`
}

// beat serves POST /v1/heartbeats/{name}: a beat of heartbeat NAME, sent
// with the token of an integration that may beat it (one the heartbeat
// names, or else any of type "heartbeat"). The body may be empty or
// anything, except from an integration whose type has an intake format:
// it is then read as that format, and counts as a beat only when an alert
// in it fires — a dead man's switch alert fires while the pipeline that
// sends it works, and one reported resolved means it stopped.
func (s *Server) beat(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	token := bearerToken(r)
	in := cfg.IntegrationByToken(token)
	if in == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pagerd"`)
		msg := "unknown integration token"
		if token == "" {
			msg = "missing credentials: send the integration token as 'Authorization: Bearer <token>'"
		}
		s.fail(w, r, http.StatusUnauthorized, msg, nil)
		return
	}
	name := r.PathValue("name")
	hb := cfg.Heartbeat(name)
	if hb == nil {
		s.fail(w, r, http.StatusNotFound, "no heartbeat "+name+" is configured", nil)
		return
	}
	if !hb.MayBeat(in) {
		who := "integrations of type " + policies.HeartbeatIntegration
		if len(hb.Integrations) > 0 {
			who = "integration " + strings.Join(hb.Integrations, ", ")
		}
		s.fail(w, r, http.StatusForbidden, "integration "+in.Name+" may not beat heartbeat "+name+": only "+who+" may", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.fail(w, r, http.StatusRequestEntityTooLarge, "body larger than the limit of "+formatBytes(s.MaxBody), err)
		return
	case err != nil:
		s.fail(w, r, http.StatusBadRequest, "could not read the body", err)
		return
	}
	if reason, code, msg, cause := s.notABeat(r, in, body); msg != "" {
		s.fail(w, r, code, msg, cause)
		return
	} else if reason != "" {
		writeJSON(w, http.StatusOK, beatAnswer{Status: "ignored", Heartbeat: name, Reason: reason})
		return
	}
	wait, err := s.overLimit(r.Context(), in, 1)
	switch {
	case err != nil:
		s.fail(w, r, http.StatusServiceUnavailable, "beat not recorded: state store unavailable, retry later", err)
		return
	case wait > 0:
		w.Header().Set("Retry-After", retryAfter(wait))
		s.fail(w, r, http.StatusTooManyRequests, "integration "+in.Name+" is over its rate_limit of "+in.RateLimit.String()+
			"; retry in "+retryAfter(wait)+"s", nil)
		return
	}
	res, err := s.Router.Beat(r.Context(), hb)
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, "beat not recorded: state store unavailable, retry later", err)
		return
	}
	s.Log.Info("heartbeat beat", "heartbeat", name, "integration", in.Name, "next_by", res.Deadline, "missed", res.WasMissed,
		"request_id", requestID(r))
	out := beatAnswer{Status: "ok", Heartbeat: name, BeatAt: res.At, NextBy: res.Deadline, Missed: res.WasMissed}
	if res.Resolved.Outcome != incident.AlertIgnored {
		out.Incident, out.Outcome = res.Resolved.IncidentID, res.Resolved.Outcome
	}
	writeJSON(w, http.StatusOK, out)
}

// notABeat reads a beat's body. With a reason, the body is well formed
// but says the sender's dead man's switch stopped firing: not a beat.
// With a msg, the body is refused (code, cause).
func (s *Server) notABeat(r *http.Request, in *policies.Integration, body []byte) (reason string, code int, msg string, cause error) {
	if len(bytes.TrimSpace(body)) == 0 || len(ingest.FormatsOf(in.Type)) == 0 {
		return "", 0, "", nil // a bare beat: curl -X POST
	}
	if msg, err := jsonContentType(r); msg != "" {
		return "", http.StatusUnsupportedMediaType, msg, err
	}
	now := s.Now()
	_, batch, err := ingest.DecodeAs(in.Type, body, ingest.Options{Now: now, ResolveTimeout: s.Config().Settings.ResolveTimeout, Integration: in})
	var bad *ingest.DecodeError
	switch {
	case errors.As(err, &bad):
		return "", bad.HTTPStatus(), "invalid payload: " + bad.Error(), err
	case err != nil:
		return "", http.StatusBadRequest, "could not read payload", err
	}
	for _, a := range batch.Alerts {
		if a.Action == incident.AlertTrigger && (a.EndsAt.IsZero() || a.EndsAt.After(now)) {
			return "", 0, "", nil
		}
	}
	return "no firing alert in the body: the sender's dead man's switch stopped, which is not a beat", 0, "", nil
}
