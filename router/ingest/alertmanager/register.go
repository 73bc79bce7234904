package alertmanager

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
)

// IntegrationType is the integration type whose token may post both
// formats.
const IntegrationType = "alertmanager"

func init() {
	policies.RegisterIntegrationType(policies.IntegrationType{Name: IntegrationType,
		Doc: "Alertmanager webhooks (/v1/webhooks/alertmanager) and Prometheus alerts (/api/v2/alerts)"})
	ingest.Register(ingest.Format{
		Name: "alertmanager", Integration: IntegrationType, Pattern: "POST /v1/webhooks/alertmanager",
		Decode: func(r io.Reader, o ingest.Options) (*ingest.Batch, error) {
			alerts, err := DecodeWebhook(r, o.Now)
			return &ingest.Batch{Alerts: alerts}, err
		},
		Respond: respond,
	})
	ingest.Register(ingest.Format{
		Name: "prometheus", Integration: IntegrationType, Pattern: "POST /api/v2/alerts",
		Decode: func(r io.Reader, o ingest.Options) (*ingest.Batch, error) {
			alerts, err := DecodeAPIv2(r, o.Now, o.ResolveTimeout)
			return &ingest.Batch{Alerts: alerts}, err
		},
		Respond: respond,
	})
}

// response is what both formats answer once every alert is stored: what
// storing each one did, in order. Alertmanager and Prometheus only look at
// the status code; people and tests read the rest.
type response struct {
	Status string   `json:"status"`
	Alerts []result `json:"alerts"`
}

type result struct {
	Fingerprint string                `json:"fingerprint"`
	Incident    int64                 `json:"incident,omitempty"`
	Outcome     incident.AlertOutcome `json:"outcome"`
}

func respond(w http.ResponseWriter, _ *ingest.Batch, results []ingest.Result) {
	out := response{Status: "success", Alerts: make([]result, len(results))}
	for i, r := range results {
		out.Alerts[i] = result{Fingerprint: r.Alert.Fingerprint, Incident: r.IncidentID, Outcome: r.Outcome}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(out)
}
