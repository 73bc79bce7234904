package alertmanager

import (
	"io"

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
			return DecodeWebhook(r, o.Now)
		},
		Respond: ingest.RespondStored,
	})
	ingest.Register(ingest.Format{
		Name: "prometheus", Integration: IntegrationType, Pattern: "POST /api/v2/alerts",
		Decode: func(r io.Reader, o ingest.Options) (*ingest.Batch, error) {
			return DecodeAPIv2(r, o.Now, o.ResolveTimeout)
		},
		Respond: ingest.RespondStored,
	})
}
