package ingest

import (
	"encoding/json"
	"net/http"

	"github.com/pagerd/pagerd/incident"
)

// answer is pagerd's own answer to a batch of alerts, for formats whose
// senders only look at the status code (Alertmanager, Prometheus,
// Grafana): what storing each alert did, in payload order. People and
// tests read it.
type answer struct {
	// Status is "success" when every alert was stored, "partial" when
	// some were refused.
	Status string        `json:"status"`
	Alerts []alertAnswer `json:"alerts"`
}

type alertAnswer struct {
	Fingerprint string                `json:"fingerprint,omitempty"`
	Incident    int64                 `json:"incident,omitempty"`
	Outcome     incident.AlertOutcome `json:"outcome"`
	// Error says why the alert was refused, naming it and its field:
	// "alerts[1].labels: alert has no labels".
	Error string `json:"error,omitempty"`
}

// WriteAnswer is a Format.Respond that writes pagerd's own answer.
func WriteAnswer(w http.ResponseWriter, _ *Batch, results []Result, status int) {
	out := answer{Status: "success", Alerts: make([]alertAnswer, len(results))}
	for i, r := range results {
		a := alertAnswer{Incident: r.IncidentID, Outcome: r.Outcome}
		if r.Alert != nil {
			a.Fingerprint = r.Alert.Fingerprint
		}
		if r.Err != nil {
			a.Error = r.Err.Error()
			out.Status = "partial"
		}
		out.Alerts[i] = a
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}
