package pagerduty

import (
	"io"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
)

// IntegrationType is the integration type whose token is a routing_key.
const IntegrationType = "pagerduty"

func init() {
	policies.RegisterIntegrationType(policies.IntegrationType{Name: IntegrationType,
		Doc: "PagerDuty Events API v2 senders (/v2/enqueue, /v2/change/enqueue); the token is their routing_key"})
	// Both read the credential from the body, as PagerDuty does: its
	// senders send no Authorization header.
	ingest.Register(ingest.Format{
		Name: "pagerduty", Integration: IntegrationType, Pattern: "POST /v2/enqueue", TokenInBody: true,
		Decode:  func(r io.Reader, o ingest.Options) (*ingest.Batch, error) { return DecodeEvent(r, o.Now) },
		Respond: respondEvent,
		Refuse:  refuse,
	})
	ingest.Register(ingest.Format{
		Name: "pagerduty-change", Integration: IntegrationType, Pattern: "POST /v2/change/enqueue", TokenInBody: true,
		Decode:  func(r io.Reader, o ingest.Options) (*ingest.Batch, error) { return DecodeChange(r, o.Now) },
		Respond: respondChange,
		Refuse:  refuse,
	})
}
