// Package alertmanager takes alerts the way Prometheus Alertmanager's
// ecosystem sends them: Alertmanager's webhook receiver (payload version
// "4", Alertmanager 0.16 and later) at /v1/webhooks/alertmanager, and
// Alertmanager's own alert API at /api/v2/alerts, so that Prometheus can
// send to pagerd as if it were an Alertmanager. Both authenticate with the
// token of an integration of type "alertmanager".
package alertmanager

import (
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest"
)

// DefaultResolveTimeout is Alertmanager's default resolve_timeout: how long an
// API v2 alert without endsAt stays firing unless it is sent again.
const DefaultResolveTimeout = 5 * time.Minute

// webhookMessage is the envelope of Alertmanager's webhook payload. Only the
// fields we use are decoded; the group fields (groupLabels, commonLabels...)
// are derived from the alerts and carry nothing new.
type webhookMessage struct {
	Version string            `json:"version"`
	Alerts  []json.RawMessage `json:"alerts"`
}

// DecodeWebhook decodes the body of an Alertmanager webhook_configs
// notification (payload version "4", Alertmanager 0.16 and later). now is
// the receive time.
//
// Each alert's status is authoritative (see ingest.NotifiedAlert), and the
// fingerprint Alertmanager sends is recomputed from the labels. An alert
// that breaks a rule is rejected alone (Batch.Rejected), the others
// decoded; an empty list of alerts is an empty batch, as Alertmanager's
// own API takes one (Alertmanager never sends it). Only a payload wrong
// as a whole is an error.
//
// The caller limits the body size; the whole body is read.
func DecodeWebhook(r io.Reader, now time.Time) (*ingest.Batch, error) {
	var msg webhookMessage
	if err := ingest.DecodeBody(r, &msg); err != nil {
		return nil, err
	}
	if msg.Version != "4" {
		return nil, ingest.Invalidf(-1, "version", "unsupported Alertmanager webhook version %q, want \"4\"", msg.Version)
	}
	return ingest.CollectAlerts(msg.Alerts, func(index int, raw []byte) (ingest.Alert, error) {
		var na ingest.NotifiedAlert
		if err := ingest.UnmarshalAlert(index, raw, &na); err != nil {
			return ingest.Alert{}, err
		}
		return na.Alert(index, now)
	})
}

// apiAlert is an alert of Alertmanager's API v2. Times are strings so that
// a bad one is reported with its field name; JSON null reads as absent.
type apiAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// DecodeAPIv2 decodes the body of a POST to Alertmanager's /api/v2/alerts,
// which Prometheus and other Alertmanager clients send: a JSON array of
// alerts. now is the receive time.
//
// Missing times get Alertmanager's defaults (api/v2 postAlertsHandler,
// unchanged from 0.16 to 0.35): a missing startsAt becomes endsAt if that is
// set, else now; a missing endsAt becomes now+resolveTimeout, so the alert
// lapses unless the sender repeats it. An endsAt after now means firing until
// then; one at or before now means resolved. resolveTimeout <= 0 means
// DefaultResolveTimeout. An alert that breaks a rule is rejected alone
// (Batch.Rejected), as Alertmanager stores the valid alerts of such a
// request; an empty array is an empty batch, as Alertmanager accepts it.
func DecodeAPIv2(r io.Reader, now time.Time, resolveTimeout time.Duration) (*ingest.Batch, error) {
	now = now.UTC()
	if resolveTimeout <= 0 {
		resolveTimeout = DefaultResolveTimeout
	}
	body, readErr := io.ReadAll(r)
	if readErr == nil && json.Valid(body) {
		if raws, ok := arrayElements(body); ok {
			b := &ingest.Batch{Alerts: make([]ingest.Alert, 0, min(len(raws), ingest.MaxAlerts))}
			for i, raw := range raws {
				if i == ingest.MaxAlerts { // as the streaming decoder below
					return nil, ingest.TooManyAlerts(i + 1)
				}
				if err := b.Collect(apiV2Alert(i, raw, now, resolveTimeout)); err != nil {
					return nil, err
				}
			}
			return b, nil
		}
	}
	// Anything else — not an array, not JSON, a read error — goes through
	// the streaming decoder, which words every error. It sees what the
	// sender sent: the bytes read, then the error that ended the read.
	cr := &ingest.CountingReader{R: io.MultiReader(bytes.NewReader(body), errReader{readErr})}
	dec := json.NewDecoder(cr)
	tok, err := dec.Token()
	if err != nil {
		return nil, ingest.JSONError(-1, err, cr.N)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, &ingest.DecodeError{Kind: ingest.Malformed, Index: -1, Offset: 0,
			Reason: "want a JSON array of alerts"}
	}
	b := &ingest.Batch{}
	for i := 0; dec.More(); i++ {
		if i == ingest.MaxAlerts {
			// Stop reading here: the rest of the body is not worth decoding.
			return nil, ingest.TooManyAlerts(i + 1)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, ingest.JSONError(-1, err, cr.N)
		}
		if err := b.Collect(apiV2Alert(i, raw, now, resolveTimeout)); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, ingest.JSONError(-1, err, cr.N)
	}
	if err := ingest.ExpectEOF(dec); err != nil {
		return nil, err
	}
	return b, nil
}

// arrayElements splits body, known to be valid JSON, into the elements of
// the array it is; ok is false when it is not an array. The one pass
// json.Valid makes and this light one replace the streaming decoder's two
// scans and copy of each alert: a body of 100 alerts is read once into
// memory either way.
func arrayElements(body []byte) (elems [][]byte, ok bool) {
	i := skipSpace(body, 0)
	if i == len(body) || body[i] != '[' {
		return nil, false
	}
	i = skipSpace(body, i+1)
	if body[i] == ']' {
		return nil, true
	}
	for {
		start, depth := i, 0
		for inString := false; ; i++ {
			c := body[i]
			if inString {
				switch c {
				case '\\':
					i++ // the escaped byte cannot end the string
				case '"':
					inString = false
				}
				continue
			}
			switch c {
			case '"':
				inString = true
				continue
			case '{', '[':
				depth++
				continue
			case '}', ']':
				if depth > 0 {
					depth--
					continue
				}
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
			break // a ',' or the ']' that closes the array
		}
		elems = append(elems, bytes.TrimRight(body[start:i], " \t\r\n"))
		if body[i] == ']' {
			return elems, true
		}
		i = skipSpace(body, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// errReader returns err (io.EOF when nil) once what came before is read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err == nil {
		return 0, io.EOF
	}
	return 0, e.err
}

func apiV2Alert(index int, raw []byte, now time.Time, resolveTimeout time.Duration) (ingest.Alert, error) {
	var aa apiAlert
	// An API v2 alert is a notified alert without status (one that has a
	// status has it ignored, by both decoders): the fast path reads it
	// unless it needs encoding/json.
	if na := (ingest.NotifiedAlert{}); ingest.ParseNotifiedAlert(raw, &na) {
		aa = apiAlert{Labels: na.Labels, Annotations: na.Annotations, StartsAt: na.StartsAt, EndsAt: na.EndsAt, GeneratorURL: na.GeneratorURL}
	} else if err := ingest.UnmarshalAlert(index, raw, &aa); err != nil {
		return ingest.Alert{}, err
	}
	startsAt, err := ingest.ParseTime(index, "startsAt", aa.StartsAt)
	if err != nil {
		return ingest.Alert{}, err
	}
	endsAt, err := ingest.ParseTime(index, "endsAt", aa.EndsAt)
	if err != nil {
		return ingest.Alert{}, err
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
	action := incident.AlertTrigger
	if !endsAt.After(now) {
		action = incident.AlertResolve
	}
	return ingest.LabeledAlert(index, action, aa.Labels, aa.Annotations, startsAt, endsAt, aa.GeneratorURL)
}
