package pagerduty

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/pagerd/pagerd/router/ingest"
)

// The answers below are PagerDuty's own, byte for byte where PagerDuty's
// bytes are known: compact JSON, keys in PagerDuty's order, no trailing
// newline, Content-Type application/json. Senders read them: Alertmanager
// logs "message: errors" of a 400, go-pagerduty decodes the whole object,
// scripts keep the dedup_key of a 202. Where they come from:
//
//   - 202 {"status":"success","message":"Event processed","dedup_key":...}:
//     the Success response of PagerDuty's OpenAPI description
//     (PagerDuty/api-schema, reference/events-v2/openapiv3.json) and the
//     v2 "send an event" page, whose example key order this keeps.
//   - 202 {"status":"success","message":"Change event processed"} for a
//     change event: go-pagerduty's change_events_test.go, PagerDuty's own
//     client; PagerDuty's docs show no change-event answer.
//   - 400 {"status":"invalid event","message":"Event object is invalid",
//     "errors":[...]}: PagerDuty's v2 event page, and real answers quoted in
//     envato/pagerduty#70 and blockpane/tenderduty#10 (compact, in this key
//     order, several errors in one array).
//   - 400 for a body that is not a JSON object: the Error example of the
//     OpenAPI description, {"status":"Unrecognized object","message":"Event
//     object format is unrecognized","errors":["JSON parse error"]}; the
//     overview says a 400 means "check that the JSON is valid".
//   - 400 "Invalid routing key" for a key no integration has: the answer
//     PagerDuty gave in robusta-dev/robusta#571. PagerDuty has no 401 or
//     403 on this API, and a sender treats a 400 as final, which a wrong
//     key is.
//   - 429 {"status":"throttle exceeded","message":"Requests for this
//     service are arriving too quickly.  Please retry later.","errors":
//     ["Enhance Your Calm."]}: go-pagerduty's event_v2_test.go fixture
//     (two spaces included). PagerDuty's pages only say "429 - Request
//     Limit Exceeded" and show no body; senders retry on the code alone.
//   - 5xx, which PagerDuty documents as "retry after some time" with an
//     Error object (status, message): the status stays (503 with
//     Retry-After when Redis fails), the object says why.
//
// Other refusals httpapi makes before or after decoding (413 for a body
// over the limit, 415 for a content type that is not JSON) have no
// PagerDuty counterpart: they answer 400 "invalid event" naming the
// problem, because PagerDuty documents 400 as its one final error.

// answer is every JSON object PagerDuty answers with; the field order is
// PagerDuty's.
type answer struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

const (
	invalidStatus  = "invalid event"
	invalidMessage = "Event object is invalid"
)

func write(w http.ResponseWriter, code int, a answer) {
	// PagerDuty does not escape <, > and & as \u003c...; encoding/json
	// only leaves them alone through an Encoder.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(a) // strings only: cannot fail
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// respondEvent answers a stored alert event with its dedup_key: the one
// sent, or the one made up for a trigger without one. An acknowledge or a
// resolve for a key pagerd does not know is accepted and dropped, and
// answered the same, as PagerDuty does.
func respondEvent(w http.ResponseWriter, b *ingest.Batch, _ []ingest.Result, _ int) {
	a := answer{Status: "success", Message: "Event processed"}
	if len(b.Alerts) > 0 {
		a.DedupKey = b.Alerts[0].DedupKey
	}
	write(w, http.StatusAccepted, a)
}

func respondChange(w http.ResponseWriter, _ *ingest.Batch, _ []ingest.Result, _ int) {
	write(w, http.StatusAccepted, answer{Status: "success", Message: "Change event processed"})
}

// refusal is the status and object PagerDuty would answer a refused
// request with (see the list above).
func refusal(r ingest.Refusal) (int, answer) {
	switch {
	case r.Status == http.StatusTooManyRequests:
		return r.Status, answer{Status: "throttle exceeded",
			Message: "Requests for this service are arriving too quickly.  Please retry later.",
			Errors:  []string{"Enhance Your Calm."}}
	case r.Status >= 500:
		return r.Status, answer{Status: http.StatusText(r.Status), Message: r.Message}
	case r.Status == http.StatusUnauthorized:
		return http.StatusBadRequest, answer{Status: invalidStatus, Message: invalidMessage,
			Errors: []string{"Invalid routing key"}}
	case r.Status == http.StatusForbidden:
		// A token of another integration type: say which, to the holder
		// of that token.
		return http.StatusBadRequest, answer{Status: invalidStatus, Message: invalidMessage,
			Errors: []string{"Invalid routing key: " + r.Message}}
	case r.Status == http.StatusBadRequest && len(r.Problems) == 0:
		// Not JSON, not an object, or unreadable: the one answer that
		// names no field.
		return http.StatusBadRequest, answer{Status: "Unrecognized object",
			Message: "Event object format is unrecognized", Errors: []string{"JSON parse error"}}
	}
	errs := r.Problems
	if len(errs) == 0 {
		errs = []string{r.Message}
	}
	return http.StatusBadRequest, answer{Status: invalidStatus, Message: invalidMessage, Errors: errs}
}

func refuse(w http.ResponseWriter, r ingest.Refusal) {
	code, a := refusal(r)
	write(w, code, a)
}
