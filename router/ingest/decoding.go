package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"time"

	"github.com/prometheus/common/model"
)

// The toolkit format packages decode with: errors that say where a payload
// is wrong, and the label rules every alert follows.
//
// Label rules follow Alertmanager 0.25, the oldest sender we accept payloads
// from: label names must match the classic Prometheus pattern
// [a-zA-Z_][a-zA-Z0-9_]*, and labels with an empty value are dropped before
// anything else looks at them, because Prometheus treats an empty label value
// as an absent label and Alertmanager drops them on intake too. The
// fingerprint is therefore always computed over non-empty labels, which is
// what Alertmanager does, so the two agree.

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

// DecodeError is the error decoders return for a payload they refuse, and
// the router for an alert it cannot store because of what it holds: a
// problem of content, which sending the same request again cannot fix, so
// it is answered with a 4xx and never a 503. Error() is safe to show to the
// sender.
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
	// Problems, when a payload breaks several rules at once, lists each
	// (Reason then summarizes them).
	Problems []string
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

// Invalidf is a DecodeError for a rule an alert (index >= 0) or the whole
// payload (index -1) breaks.
func Invalidf(index int, field, format string, args ...any) *DecodeError {
	return &DecodeError{Kind: Invalid, Index: index, Field: field, Offset: -1, Reason: fmt.Sprintf(format, args...)}
}

// TooManyAlerts is the DecodeError for a request of n alerts.
func TooManyAlerts(n int) *DecodeError {
	return &DecodeError{Kind: TooMany, Index: -1, Offset: -1,
		Reason: fmt.Sprintf("%d alerts in one request, at most %d are accepted", n, MaxAlerts)}
}

// JSONError turns an encoding/json error into a DecodeError. base is the
// offset to report when the error carries none.
func JSONError(index int, err error, base int64) *DecodeError {
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

// CountingReader counts the bytes read, to place errors at the end of
// input.
type CountingReader struct {
	R io.Reader
	N int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// ExpectEOF fails unless only whitespace follows the JSON value dec has
// read.
func ExpectEOF(dec *json.Decoder) error {
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return &DecodeError{Kind: Malformed, Index: -1, Offset: end,
			Reason: "unexpected data after the JSON payload"}
	}
	return nil
}

// ParseTime reads an RFC 3339 time; "" and Go's zero time both mean absent.
// A time that is valid RFC 3339 but falls outside the years 0000 to 9999 in
// UTC is refused too (see StorableTime).
func ParseTime(index int, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, Invalidf(index, field, "%q is not an RFC 3339 time", s)
	}
	if !StorableTime(t) {
		return time.Time{}, Invalidf(index, field, "%q is out of range: %s", s, TimeRange)
	}
	return t.UTC(), nil
}

// TimeRange says which times pagerd keeps, for refusals.
const TimeRange = "in UTC it must fall in the years 0000 to 9999"

// StorableTime reports whether t, in UTC, falls in the years 0000 to 9999:
// the only times RFC 3339 can write, and so the only ones pagerd can keep
// and show. A time with an offset can parse and still cross that boundary
// in UTC: "9999-12-31T23:59:59-23:59" is in the year 10000. Decoders refuse
// such a time, naming the field, rather than accept an alert that can
// never be stored: a sender retrying it would hold back every other alert
// of its request forever.
func StorableTime(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// Labels checks a label set by Alertmanager's rules and drops empty values;
// it returns the set and its fingerprint.
func Labels(index int, raw map[string]string) (map[string]string, string, error) {
	labels := make(model.LabelSet, len(raw))
	for name, value := range raw {
		if value == "" {
			continue
		}
		if !model.LegacyValidation.IsValidLabelName(name) {
			return nil, "", Invalidf(index, "labels",
				"invalid label name %q: must match [a-zA-Z_][a-zA-Z0-9_]*", name)
		}
		labels[model.LabelName(name)] = model.LabelValue(value)
	}
	if len(labels) == 0 {
		return nil, "", Invalidf(index, "labels", "alert has no labels (labels with empty values are ignored)")
	}
	out := make(map[string]string, len(labels))
	for name, value := range labels {
		out[string(name)] = string(value)
	}
	return out, labels.Fingerprint().String(), nil
}
