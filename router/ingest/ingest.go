// Package ingest decodes the alert payloads monitors send into one normalized
// form, Alert. It knows payload formats and their rules; it does not know HTTP
// transport, authentication or storage.
//
// Label rules follow Alertmanager 0.25, the oldest sender we accept payloads
// from: label names must match the classic Prometheus pattern
// [a-zA-Z_][a-zA-Z0-9_]*, and labels with an empty value are dropped before
// anything else looks at them, because Prometheus treats an empty label value
// as an absent label and Alertmanager drops them on intake too. The
// fingerprint is therefore always computed over non-empty labels, which is
// what Alertmanager does, so the two agree.
package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"time"

	"github.com/prometheus/common/model"
)

// MaxAlerts is the most alerts one request may carry. Alertmanager sends one
// group per request and Prometheus batches at most 64 by default, so a
// request above this is a misconfigured or hostile sender.
const MaxAlerts = 1000

// DefaultResolveTimeout is Alertmanager's default resolve_timeout: how long an
// API v2 alert without endsAt stays firing unless it is sent again.
const DefaultResolveTimeout = 5 * time.Minute

// Alert is one alert in the normalized form every source decodes to.
type Alert struct {
	Labels      map[string]string // never empty; no empty values
	Annotations map[string]string // never nil
	StartsAt    time.Time         // UTC
	// EndsAt is when the alert stops firing, in UTC. Zero means no known
	// end: it fires until a resolved notification arrives.
	EndsAt       time.Time
	GeneratorURL string
	// Fingerprint identifies the label set: 16 lower-case hex digits, the
	// same value Alertmanager computes for the same labels.
	Fingerprint string
}

// Resolved reports whether the alert has ended at now.
func (a Alert) Resolved(now time.Time) bool {
	return !a.EndsAt.IsZero() && !a.EndsAt.After(now)
}

// ErrorKind says what sort of problem a DecodeError is, so a handler can
// answer with the right status.
type ErrorKind int

const (
	// Malformed: the body is not JSON, or not JSON of the expected shape.
	Malformed ErrorKind = iota
	// Invalid: the JSON has the expected shape, but an alert breaks a rule
	// (no labels, a bad label name, times out of order, unknown status...).
	Invalid
	// TooMany: the request carries more than MaxAlerts alerts.
	TooMany
)

// DecodeError is the error both decoders return for a payload they refuse.
// Error() is safe to show to the sender.
type DecodeError struct {
	Kind ErrorKind
	// Index is the alert's position in the payload, from 0; -1 when the
	// problem concerns the payload as a whole.
	Index int
	// Field is the JSON field at fault inside the alert (or the payload when
	// Index is -1), such as "labels" or "startsAt"; empty when unknown.
	Field string
	// Offset is the byte offset of a JSON syntax or type error: into the
	// whole body when Index is -1, into the alert's own JSON otherwise.
	// -1 when the error is not about JSON syntax.
	Offset int64
	// Reason says what is wrong, without the location.
	Reason string
	// Err is the underlying error, if any (a *json.SyntaxError, ...).
	Err error
}

func (e *DecodeError) Error() string {
	loc := ""
	if e.Index >= 0 {
		loc = fmt.Sprintf("alerts[%d]", e.Index)
	}
	if e.Field != "" {
		if loc != "" {
			loc += "."
		}
		loc += e.Field
	}
	if e.Offset >= 0 {
		if loc != "" {
			loc += " "
		}
		loc += fmt.Sprintf("at byte %d", e.Offset)
	}
	if loc == "" {
		return e.Reason
	}
	return loc + ": " + e.Reason
}

func (e *DecodeError) Unwrap() error { return e.Err }

// HTTPStatus is the status a webhook handler should answer with: 400 for a
// malformed body, 422 for well-formed JSON that breaks a rule, 413 for too
// many alerts. All are 4xx, which Alertmanager and Prometheus do not retry.
func (e *DecodeError) HTTPStatus() int {
	switch e.Kind {
	case Invalid:
		return http.StatusUnprocessableEntity
	case TooMany:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusBadRequest
	}
}

func invalid(index int, field, format string, args ...any) *DecodeError {
	return &DecodeError{Kind: Invalid, Index: index, Field: field, Offset: -1, Reason: fmt.Sprintf(format, args...)}
}

func tooMany(n int) *DecodeError {
	return &DecodeError{Kind: TooMany, Index: -1, Offset: -1,
		Reason: fmt.Sprintf("%d alerts in one request, at most %d are accepted", n, MaxAlerts)}
}

// jsonError turns an encoding/json error into a DecodeError. base is the
// offset to report when the error carries none.
func jsonError(index int, err error, base int64) *DecodeError {
	de := &DecodeError{Kind: Malformed, Index: index, Offset: base, Err: err}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		de.Offset = syn.Offset
		de.Reason = "malformed JSON: " + syn.Error()
	case errors.As(err, &typ):
		de.Offset = typ.Offset
		de.Field = typ.Field
		de.Reason = fmt.Sprintf("JSON %s where %s was expected", typ.Value, jsonKind(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		de.Reason = "malformed JSON: unexpected end of input"
	case errors.Is(err, io.EOF):
		de.Reason = "empty body, want a JSON payload"
	default:
		de.Reason = "malformed JSON: " + err.Error()
	}
	return de
}

// jsonKind names a Go type the way the JSON sender sees it.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	default:
		return t.Kind().String()
	}
}

// countingReader counts the bytes read, to place errors at the end of input.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// expectEOF fails unless only whitespace follows the JSON value dec has read.
func expectEOF(dec *json.Decoder) error {
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return &DecodeError{Kind: Malformed, Index: -1, Offset: end,
			Reason: "unexpected data after the JSON payload"}
	}
	return nil
}

// rawAlert holds the fields both formats share. Times are strings so a bad
// one is reported with its field name; JSON null reads as absent.
type rawAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       string            `json:"status"` // webhook only
}

func unmarshalAlert(index int, raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return jsonError(index, err, -1)
	}
	return nil
}

// parseTime reads an RFC 3339 time; "" and Go's zero time both mean absent.
func parseTime(index int, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid(index, field, "%q is not an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

func (r *rawAlert) times(index int) (startsAt, endsAt time.Time, err error) {
	if startsAt, err = parseTime(index, "startsAt", r.StartsAt); err != nil {
		return
	}
	endsAt, err = parseTime(index, "endsAt", r.EndsAt)
	return
}

// normalize checks the label set and builds the Alert with its fingerprint.
func (r *rawAlert) normalize(index int, startsAt, endsAt time.Time) (Alert, error) {
	labels := make(model.LabelSet, len(r.Labels))
	for name, value := range r.Labels {
		if value == "" {
			continue
		}
		if !model.LegacyValidation.IsValidLabelName(name) {
			return Alert{}, invalid(index, "labels",
				"invalid label name %q: must match [a-zA-Z_][a-zA-Z0-9_]*", name)
		}
		labels[model.LabelName(name)] = model.LabelValue(value)
	}
	if len(labels) == 0 {
		return Alert{}, invalid(index, "labels", "alert has no labels (labels with empty values are ignored)")
	}
	if !endsAt.IsZero() && endsAt.Before(startsAt) {
		return Alert{}, invalid(index, "endsAt", "endsAt %s is before startsAt %s",
			endsAt.Format(time.RFC3339Nano), startsAt.Format(time.RFC3339Nano))
	}
	out := Alert{
		Labels:       make(map[string]string, len(labels)),
		Annotations:  make(map[string]string, len(r.Annotations)),
		StartsAt:     startsAt,
		EndsAt:       endsAt,
		GeneratorURL: r.GeneratorURL,
		Fingerprint:  labels.Fingerprint().String(),
	}
	for name, value := range labels {
		out.Labels[string(name)] = string(value)
	}
	maps.Copy(out.Annotations, r.Annotations)
	return out, nil
}

// webhookMessage is the envelope of Alertmanager's webhook payload. Only the
// fields we use are decoded; the group fields (groupLabels, commonLabels...)
// are derived from the alerts and carry nothing new.
type webhookMessage struct {
	Version string            `json:"version"`
	Alerts  []json.RawMessage `json:"alerts"`
}

// DecodeAlertmanagerWebhook decodes the body of an Alertmanager
// webhook_configs notification (payload version "4", Alertmanager 0.16 and
// later). now is the receive time.
//
// The payload's per-alert status is authoritative, because Alertmanager
// decided it on its own clock: a firing alert gets a zero EndsAt (Alertmanager
// sends 0001-01-01 for it anyway), and a resolved alert gets the payload's
// endsAt, or now when that is absent or later than now, so Resolved(now) is
// always true for it. The fingerprint Alertmanager sends is ignored and
// recomputed from the labels.
//
// The caller limits the body size; the whole body is read.
func DecodeAlertmanagerWebhook(r io.Reader, now time.Time) ([]Alert, error) {
	now = now.UTC()
	cr := &countingReader{r: r}
	dec := json.NewDecoder(cr)
	var msg webhookMessage
	if err := dec.Decode(&msg); err != nil {
		return nil, jsonError(-1, err, cr.n)
	}
	if err := expectEOF(dec); err != nil {
		return nil, err
	}
	if msg.Version != "4" {
		return nil, &DecodeError{Kind: Invalid, Index: -1, Field: "version", Offset: -1,
			Reason: fmt.Sprintf("unsupported Alertmanager webhook version %q, want \"4\"", msg.Version)}
	}
	if len(msg.Alerts) == 0 {
		return nil, &DecodeError{Kind: Invalid, Index: -1, Field: "alerts", Offset: -1, Reason: "no alerts in payload"}
	}
	if len(msg.Alerts) > MaxAlerts {
		return nil, tooMany(len(msg.Alerts))
	}
	alerts := make([]Alert, 0, len(msg.Alerts))
	for i, raw := range msg.Alerts {
		var wa rawAlert
		if err := unmarshalAlert(i, raw, &wa); err != nil {
			return nil, err
		}
		startsAt, endsAt, err := wa.times(i)
		if err != nil {
			return nil, err
		}
		if startsAt.IsZero() {
			startsAt = now
		}
		switch wa.Status {
		case "firing":
			endsAt = time.Time{}
		case "resolved":
			if !endsAt.IsZero() && endsAt.Before(startsAt) {
				break // reported by normalize
			}
			if endsAt.IsZero() || endsAt.After(now) {
				endsAt = now
				// Only a sender whose clock runs ahead of ours gets here
				// with startsAt after now; keep the alert well ordered.
				if startsAt.After(endsAt) {
					startsAt = endsAt
				}
			}
		default:
			return nil, invalid(i, "status", "unknown status %q, want \"firing\" or \"resolved\"", wa.Status)
		}
		a, err := wa.normalize(i, startsAt, endsAt)
		if err != nil {
			return nil, err
		}
		alerts = append(alerts, a)
	}
	return alerts, nil
}

// DecodeAPIv2Alerts decodes the body of a POST to Alertmanager's
// /api/v2/alerts, which Prometheus and other Alertmanager clients send: a
// JSON array of alerts. now is the receive time.
//
// Missing times get Alertmanager's defaults (api/v2 postAlertsHandler,
// unchanged from 0.16 to 0.35): a missing startsAt becomes endsAt if that is
// set, else now; a missing endsAt becomes now+resolveTimeout, so the alert
// lapses unless the sender repeats it. An endsAt after now means firing until
// then; one at or before now means resolved. resolveTimeout <= 0 means
// DefaultResolveTimeout. An empty array decodes to no alerts and no error,
// as Alertmanager accepts it.
func DecodeAPIv2Alerts(r io.Reader, now time.Time, resolveTimeout time.Duration) ([]Alert, error) {
	now = now.UTC()
	if resolveTimeout <= 0 {
		resolveTimeout = DefaultResolveTimeout
	}
	cr := &countingReader{r: r}
	dec := json.NewDecoder(cr)
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(-1, err, cr.n)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, &DecodeError{Kind: Malformed, Index: -1, Offset: 0,
			Reason: "want a JSON array of alerts"}
	}
	var alerts []Alert
	for i := 0; dec.More(); i++ {
		if i == MaxAlerts {
			// Stop reading here: the rest of the body is not worth decoding.
			return nil, tooMany(i + 1)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonError(-1, err, cr.n)
		}
		var ra rawAlert
		if err := unmarshalAlert(i, raw, &ra); err != nil {
			return nil, err
		}
		startsAt, endsAt, err := ra.times(i)
		if err != nil {
			return nil, err
		}
		if startsAt.IsZero() {
			if endsAt.IsZero() {
				startsAt = now
			} else {
				startsAt = endsAt
			}
		}
		if endsAt.IsZero() {
			endsAt = now.Add(resolveTimeout)
		}
		a, err := ra.normalize(i, startsAt, endsAt)
		if err != nil {
			return nil, err
		}
		alerts = append(alerts, a)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, jsonError(-1, err, cr.n)
	}
	if err := expectEOF(dec); err != nil {
		return nil, err
	}
	// An empty array is no error: Alertmanager answers it with 200.
	return alerts, nil
}
