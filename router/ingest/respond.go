package ingest

import (
	"encoding/json"
	"net/http"

	"github.com/pagerd/pagerd/incident"
)

// StoredAnswer is pagerd's own answer to a batch of alerts, for formats
// that have no answer of their own to imitate (Alertmanager, Prometheus,
// Grafana, generic senders look only at the status code): what became of
// each alert, in payload order. People and tests read it.
type StoredAnswer struct {
	// Status is "success" when every alert was stored, "partial" when
	// some were refused (the answer is then 207).
	Status string        `json:"status"`
	Alerts []StoredAlert `json:"alerts"`
}

// StoredAlert is what became of one alert.
type StoredAlert struct {
	Fingerprint string                `json:"fingerprint,omitempty"`
	DedupKey    string                `json:"dedup_key,omitempty"`
	Incident    int64                 `json:"incident,omitempty"`
	Outcome     incident.AlertOutcome `json:"outcome"`
	// Error says why the alert was refused, naming it and its field:
	// "alerts[1].labels: alert has no labels".
	Error string `json:"error,omitempty"`
}

// RespondStored writes the StoredAnswer of results with status (what
// Answer chose: 200, or 207 when some alerts were refused); a Format's
// Respond may be it.
func RespondStored(w http.ResponseWriter, _ *Batch, results []Result, status int) {
	out := StoredAnswer{Status: "success", Alerts: make([]StoredAlert, len(results))}
	for i, r := range results {
		a := StoredAlert{Incident: r.IncidentID, Outcome: r.Outcome}
		if r.Alert != nil {
			a.Fingerprint, a.DedupKey = r.Alert.Fingerprint, r.Alert.DedupKey
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
