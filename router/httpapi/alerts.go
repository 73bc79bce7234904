package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/store"
)

// decoder is one inbound payload format.
type decoder func(s *Server, body io.Reader) ([]ingest.Alert, error)

func (s *Server) alertmanagerWebhook(w http.ResponseWriter, r *http.Request) {
	s.receive(w, r, func(s *Server, body io.Reader) ([]ingest.Alert, error) {
		return ingest.DecodeAlertmanagerWebhook(body, s.Now())
	})
}

// apiV2Alerts is Alertmanager's own intake API, so Prometheus can send to
// pagerd directly as if it were an Alertmanager.
func (s *Server) apiV2Alerts(w http.ResponseWriter, r *http.Request) {
	s.receive(w, r, func(s *Server, body io.Reader) ([]ingest.Alert, error) {
		return ingest.DecodeAPIv2Alerts(body, s.Now(), s.Config().Settings.ResolveTimeout)
	})
}

// receive authenticates, decodes and stores one webhook. It answers 2xx only
// once every alert is in Redis; a Redis failure answers 503 so the sender
// retries, and a bad payload a 4xx that names the problem.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, decode decoder) {
	in, ok := s.authenticate(w, r, "alertmanager")
	if !ok {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			s.fail(w, r, http.StatusUnsupportedMediaType, "content type must be application/json, not "+ct, err)
			return
		}
	}
	body := http.MaxBytesReader(w, r.Body, s.MaxBody)
	alerts, err := decode(s, body)
	if err != nil {
		var tooBig *http.MaxBytesError
		var bad *ingest.DecodeError
		switch {
		case errors.As(err, &tooBig):
			s.fail(w, r, http.StatusRequestEntityTooLarge, "body larger than the limit of "+formatBytes(s.MaxBody), err)
		case errors.As(err, &bad):
			s.fail(w, r, bad.HTTPStatus(), "invalid payload: "+bad.Error(), err)
		default:
			s.fail(w, r, http.StatusBadRequest, "could not read payload", err)
		}
		return
	}
	results, err := s.Router.Ingest(r.Context(), in.Name, alerts, s.Now())
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, "alerts not stored: state store unavailable, retry later", err)
		return
	}
	type result struct {
		Fingerprint string        `json:"fingerprint"`
		Incident    int64         `json:"incident,omitempty"`
		Outcome     store.Outcome `json:"outcome"`
	}
	out := make([]result, len(results))
	for i, res := range results {
		out[i] = result{Fingerprint: alerts[i].Fingerprint, Incident: res.IncidentID, Outcome: res.Outcome}
		s.alertsReceived.WithLabelValues(in.Name, string(res.Outcome)).Inc()
	}
	s.Log.Info("alerts stored", "integration", in.Name, "count", len(alerts), "request_id", requestID(r))
	writeJSON(w, http.StatusOK, map[string]any{"status": "success", "alerts": out})
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}
