// Package ingest is pagerd's intake: the one form every monitor's alerts
// decode to (Alert), the toolkit formats decode with, and the registry of
// formats. Each payload format is a package of its own under
// router/ingest/<format> that registers its path, the integration type that
// may post it, its decoder and its response shape; router/ingest/all links
// them in. It knows payloads, not HTTP routing, authentication or storage.
package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// MaxAlerts is the most alerts one request may carry. Alertmanager sends one
// group per request and Prometheus batches at most 64 by default, so a
// request above this is a misconfigured or hostile sender.
const MaxAlerts = 1000

// Alert is one alert in the normalized form every source decodes to.
type Alert struct {
	// Action is what the sender says: the alert fires, is acknowledged, or
	// ended.
	Action incident.AlertAction
	// Labels are never empty for a trigger, and hold no empty values; an
	// acknowledge or resolve by dedup key alone carries none.
	Labels      map[string]string
	Annotations map[string]string // never nil
	StartsAt    time.Time         // UTC
	// EndsAt is when the alert stops firing, in UTC. Zero means no known
	// end: it fires until the sender says it ended.
	EndsAt       time.Time
	GeneratorURL string
	// Fingerprint identifies the alert: for label-addressed formats, 16
	// lower-case hex digits, the value Alertmanager computes for the same
	// labels; for key-addressed ones, derived from DedupKey and the
	// integration (see KeyFingerprint).
	Fingerprint string
	// DedupKey is the sender's own key for the alert (PagerDuty's
	// dedup_key), by which it later acknowledges and resolves it; "" for
	// senders that address alerts by their labels.
	DedupKey string
	// Links and images the sender attached, shown with the alert.
	Links []incident.Link
	// Details is the sender's free-form detail object, kept as sent.
	Details json.RawMessage
	// Client names the sending tool; ClientURL links to it.
	Client, ClientURL string
}

// KeyFingerprint is the fingerprint of an alert a sender addresses by its
// own dedup key: keys are scoped to the integration that sent them, as a
// PagerDuty dedup_key is scoped to its routing key.
func KeyFingerprint(integration, key string) string {
	sum := sha256.Sum256([]byte("dedup\x00" + integration + "\x00" + key))
	return hex.EncodeToString(sum[:8])
}

// Batch is what one request carries.
type Batch struct {
	// Token is the credential a payload carries itself (a PagerDuty
	// routing_key), for formats whose Format.TokenInBody is set.
	Token  string
	Alerts []Alert
	// Rejected are the alerts of the payload refused one by one, in
	// payload order, each a *DecodeError whose Index is the alert's
	// position in the payload: one bad alert costs only itself, the rest
	// of the batch is stored (see Answer). Alerts holds the others, in
	// payload order.
	Rejected []*DecodeError
	Changes  []incident.Change // change events: recorded, never paged
}

// Collect adds an alert a format decoded to b or, when decoding failed
// with a *DecodeError about that alert alone (Index >= 0), records it as
// rejected. Any other error concerns the whole payload and is returned.
func (b *Batch) Collect(a Alert, err error) error {
	if err == nil {
		b.Alerts = append(b.Alerts, a)
		return nil
	}
	var de *DecodeError
	if errors.As(err, &de) && de.Index >= 0 {
		b.Rejected = append(b.Rejected, de)
		return nil
	}
	return err
}

// Position is the position in the payload of b.Alerts[i]: the alerts
// rejected while decoding leave gaps.
func (b *Batch) Position(i int) int {
	for _, r := range b.Rejected {
		if r.Index <= i {
			i++
		}
	}
	return i
}

// Result is the fate of one alert of a batch.
type Result struct {
	// Index is the alert's position in the payload, from 0.
	Index int
	// Alert is the alert as decoded; nil for one rejected while decoding.
	Alert      *Alert
	IncidentID int64
	Outcome    incident.AlertOutcome
	// Err says why the alert was refused (Outcome is AlertRejected):
	// nothing of it was stored.
	Err *DecodeError
}

// Answer is what an intake answers for b once the router stored what it
// could (stored, one Result per b.Alerts): every alert's Result in
// payload order, the refused ones included, and the status to answer
// with. A batch stores every alert it can: a bad alert costs only itself.
//
//   - Nothing refused: 200 (a format may answer its own success code).
//   - Some alerts stored, some refused: 207 Multi-Status, listing each.
//     Alertmanager's webhook notifier, Grafana's and Prometheus's
//     notifier count any 2xx as delivered: they neither resend the batch
//     (Alertmanager would, every group_interval, after a 4xx: its
//     notification log records only deliveries) nor count the stored
//     alerts as dropped. The refused ones cannot be stored by sending
//     them again; the answer and pagerd's log and metrics name them.
//   - Every alert refused: the 4xx of the problems (422, or 400 when each
//     is malformed JSON), as for a payload that is wrong as a whole.
//
// An empty batch is no error: 200, as Alertmanager answers it.
func Answer(b *Batch, stored []Result) ([]Result, int) {
	all := make([]Result, 0, len(stored)+len(b.Rejected))
	all = append(all, stored...)
	for _, r := range b.Rejected {
		all = append(all, Result{Index: r.Index, Outcome: incident.AlertRejected, Err: r})
	}
	slices.SortStableFunc(all, func(x, y Result) int { return x.Index - y.Index })
	refused, status := 0, http.StatusBadRequest
	for _, r := range all {
		if r.Err != nil {
			refused++
			if r.Err.HTTPStatus() == http.StatusUnprocessableEntity {
				status = http.StatusUnprocessableEntity
			}
		}
	}
	switch {
	case refused == 0:
		return all, http.StatusOK
	case refused < len(all):
		return all, http.StatusMultiStatus
	}
	return all, status
}

// Options are what decoding may depend on besides the payload.
type Options struct {
	Now time.Time // the receive time, for defaults such as a missing startsAt
	// ResolveTimeout is how long an alert without endsAt stays firing
	// unless it is sent again (Alertmanager's resolve_timeout), for formats
	// that have one.
	ResolveTimeout time.Duration
	// Integration is the integration the request authenticated as, with
	// the Settings its type compiled from its HCL block; nil for formats
	// whose credential travels in the body (TokenInBody), which is decoded
	// before it is known.
	Integration *policies.Integration
}

// Format is one payload format, as its package registers it.
type Format struct {
	Name string // for logs and metrics: "alertmanager", "prometheus", "pagerduty"
	// Integration is the integration type whose token may post it.
	Integration string
	// Pattern is where it is posted, as http.ServeMux takes it:
	// "POST /v1/webhooks/alertmanager".
	Pattern string
	// TokenInBody: the credential travels in the payload, so the body is
	// decoded before the integration is known. Otherwise the request's
	// Authorization header names the integration before the body is read.
	TokenInBody bool
	// Decode reads one request body. Its errors are *DecodeError, safe to
	// show the sender.
	Decode func(r io.Reader, opts Options) (*Batch, error)
	// Respond writes the answer once the batch is stored: results are
	// every alert's, in payload order, and status what Answer says (200,
	// or 207 when some alerts were refused; a batch whose every alert was
	// refused is refused instead, through Refuse).
	Respond func(w http.ResponseWriter, b *Batch, results []Result, status int)
	// Refuse writes a refusal in the format's own shape; nil answers with
	// pagerd's {"error": ..., "request_id": ...}.
	Refuse func(w http.ResponseWriter, r Refusal)
}

// Refusal is a request refused: its status, and what to tell the sender.
type Refusal struct {
	Status    int
	Message   string
	Problems  []string // one entry per problem found, when known
	RequestID string
}

var formats struct {
	sync.Mutex
	list []*Format
}

// Register adds a format. It is called from the init function of the
// format's package and panics on a duplicate name or pattern.
func Register(f Format) {
	formats.Lock()
	defer formats.Unlock()
	for _, g := range formats.list {
		if g.Name == f.Name || g.Pattern == f.Pattern {
			panic("ingest: format " + f.Name + " registered twice")
		}
	}
	formats.list = append(formats.list, &f)
}

// Formats returns every registered format, in registration order.
func Formats() []*Format {
	formats.Lock()
	defer formats.Unlock()
	return append([]*Format(nil), formats.list...)
}

// FormatsOf returns the formats an integration of type typ may post, in
// registration order.
func FormatsOf(typ string) []*Format {
	var out []*Format
	for _, f := range Formats() {
		if f.Integration == typ {
			out = append(out, f)
		}
	}
	return out
}

// DecodeAs reads body as what an integration of type typ posts, when the
// endpoint it came to does not say which of the type's formats it is (a
// sample body given to `pagerd route`, a heartbeat): each format is tried
// in turn and the first that accepts it decides. When none does, the error
// is the first that found the body in its shape but broke a rule, else
// the first; with no format for typ it is ErrNoFormat.
func DecodeAs(typ string, body []byte, opts Options) (*Format, *Batch, error) {
	var first, shaped error
	for _, f := range FormatsOf(typ) {
		b, err := f.Decode(bytes.NewReader(body), opts)
		if err == nil {
			return f, b, nil
		}
		var de *DecodeError
		if shaped == nil && errors.As(err, &de) && de.Kind != Malformed {
			shaped = err
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		return nil, nil, ErrNoFormat
	}
	if shaped != nil {
		return nil, nil, shaped
	}
	return nil, nil, first
}

// ErrNoFormat: the integration's type posts no alerts (the API's).
var ErrNoFormat = errors.New("no intake format for this integration type")
