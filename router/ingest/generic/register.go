// Package generic takes alerts from any monitor that can POST JSON: an
// integration of type "generic" says in its HCL block, as a mapping of HCL
// expressions over the request's JSON (body), what alert a request
// becomes —
//
//	mapping {
//	  labels    = { service = body.service, severity = lower(body.level) }
//	  status    = body.state == "ok" ? "resolved" : "firing"
//	  dedup_key = body.check_id
//	  summary   = "${body.host}: ${body.message}"
//	}
//
// `pagerd check` compiles and checks the mapping; each request evaluates
// it with cty against the body, one JSON object or an array of them (one
// alert each). A field that fails on a body is refused with 422 naming
// it. Requests go to /v1/webhooks/generic with the integration's token.
package generic

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
)

// IntegrationType is the integration type whose mapping decodes requests
// to Path.
const IntegrationType = "generic"

// Path is where generic integrations post.
const Path = "/v1/webhooks/generic"

func init() {
	policies.RegisterIntegrationType(policies.IntegrationType{
		Name:   IntegrationType,
		Doc:    "any JSON sender, at " + Path + ", through the mapping in its integration block",
		Schema: &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "mapping"}}},
		Decode: compile,
	})
	ingest.Register(ingest.Format{
		Name: IntegrationType, Integration: IntegrationType, Pattern: "POST " + Path,
		Decode:  Decode,
		Respond: ingest.RespondStored,
	})
}
