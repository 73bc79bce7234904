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
	"encoding/json"
	"net/http"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/incident"
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
		Respond: respond,
	})
}

// response is the answer once every alert is stored: what storing each
// did, in order.
type response struct {
	Status string   `json:"status"`
	Alerts []result `json:"alerts"`
}

type result struct {
	Fingerprint string                `json:"fingerprint"`
	DedupKey    string                `json:"dedup_key,omitempty"`
	Incident    int64                 `json:"incident,omitempty"`
	Outcome     incident.AlertOutcome `json:"outcome"`
}

func respond(w http.ResponseWriter, _ *ingest.Batch, results []ingest.Result) {
	out := response{Status: "success", Alerts: make([]result, len(results))}
	for i, r := range results {
		out.Alerts[i] = result{Fingerprint: r.Alert.Fingerprint, DedupKey: r.Alert.DedupKey, Incident: r.IncidentID, Outcome: r.Outcome}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(out)
}
