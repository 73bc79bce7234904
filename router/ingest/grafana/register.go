package grafana

import (
	"io"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
)

// IntegrationType is the integration type whose token may post Grafana's
// webhook.
const IntegrationType = "grafana"

func init() {
	policies.RegisterIntegrationType(policies.IntegrationType{Name: IntegrationType,
		Doc: "Grafana alerting's webhook contact point (/v1/webhooks/grafana)"})
	ingest.Register(ingest.Format{
		Name: "grafana", Integration: IntegrationType, Pattern: "POST /v1/webhooks/grafana",
		Decode: func(r io.Reader, o ingest.Options) (*ingest.Batch, error) {
			return Decode(r, o.Now)
		},
		Respond: ingest.RespondStored,
	})
}
