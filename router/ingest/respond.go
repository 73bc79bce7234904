package ingest

import (
	"encoding/json"
	"net/http"

	"github.com/pagerd/pagerd/incident"
)

// StoredAnswer is pagerd's own answer once a request's alerts are stored,
// for formats that have no answer of their own to imitate: what storing
// each alert did, in order. Senders look at the status code (200); people
// and tests read the rest.
type StoredAnswer struct {
	Status string        `json:"status"` // "success"
	Alerts []StoredAlert `json:"alerts"`
}

// StoredAlert is what storing one alert did.
type StoredAlert struct {
	Fingerprint string                `json:"fingerprint"`
	DedupKey    string                `json:"dedup_key,omitempty"`
	Incident    int64                 `json:"incident,omitempty"`
	Outcome     incident.AlertOutcome `json:"outcome"`
}

// RespondStored writes the StoredAnswer of results with status 200; a
// Format's Respond may be it.
func RespondStored(w http.ResponseWriter, _ *Batch, results []Result) {
	out := StoredAnswer{Status: "success", Alerts: make([]StoredAlert, len(results))}
	for i, r := range results {
		out.Alerts[i] = StoredAlert{Fingerprint: r.Alert.Fingerprint, DedupKey: r.Alert.DedupKey, Incident: r.IncidentID, Outcome: r.Outcome}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(out)
}
