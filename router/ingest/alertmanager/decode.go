// Package alertmanager takes alerts the way Prometheus Alertmanager's
// ecosystem sends them: Alertmanager's webhook receiver (payload version
// "4", Alertmanager 0.16 and later) at /v1/webhooks/alertmanager, and
// Alertmanager's own alert API at /api/v2/alerts, so that Prometheus can
// send to pagerd as if it were an Alertmanager. Both authenticate with the
// token of an integration of type "alertmanager".
package alertmanager

import (
	"encoding/json"
	"io"
	"maps"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest"
)

// DefaultResolveTimeout is Alertmanager's default resolve_timeout: how long an
// API v2 alert without endsAt stays firing unless it is sent again.
const DefaultResolveTimeout = 5 * time.Minute

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
		return ingest.JSONError(index, err, -1)
	}
	return nil
}

func (r *rawAlert) times(index int) (startsAt, endsAt time.Time, err error) {
	if startsAt, err = ingest.ParseTime(index, "startsAt", r.StartsAt); err != nil {
		return
	}
	endsAt, err = ingest.ParseTime(index, "endsAt", r.EndsAt)
	return
}

// normalize checks the label set and builds the Alert with its fingerprint.
func (r *rawAlert) normalize(index int, action incident.AlertAction, startsAt, endsAt time.Time) (ingest.Alert, error) {
	labels, fp, err := ingest.Labels(index, r.Labels)
	if err != nil {
		return ingest.Alert{}, err
	}
	if !endsAt.IsZero() && endsAt.Before(startsAt) {
		return ingest.Alert{}, ingest.Invalidf(index, "endsAt", "endsAt %s is before startsAt %s",
			endsAt.Format(time.RFC3339Nano), startsAt.Format(time.RFC3339Nano))
	}
	out := ingest.Alert{
		Action:       action,
		Labels:       labels,
		Annotations:  make(map[string]string, len(r.Annotations)),
		StartsAt:     startsAt,
		EndsAt:       endsAt,
		GeneratorURL: r.GeneratorURL,
		Fingerprint:  fp,
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

// DecodeWebhook decodes the body of an Alertmanager webhook_configs
// notification (payload version "4", Alertmanager 0.16 and later). now is
// the receive time.
//
// The payload's per-alert status is authoritative, because Alertmanager
// decided it on its own clock: a firing alert triggers with a zero EndsAt
// (Alertmanager sends 0001-01-01 for it anyway), and a resolved alert
// resolves with the payload's endsAt, or now when that is absent or later
// than now. The fingerprint Alertmanager sends is ignored and recomputed
// from the labels.
//
// The caller limits the body size; the whole body is read.
func DecodeWebhook(r io.Reader, now time.Time) ([]ingest.Alert, error) {
	now = now.UTC()
	cr := &ingest.CountingReader{R: r}
	dec := json.NewDecoder(cr)
	var msg webhookMessage
	if err := dec.Decode(&msg); err != nil {
		return nil, ingest.JSONError(-1, err, cr.N)
	}
	if err := ingest.ExpectEOF(dec); err != nil {
		return nil, err
	}
	if msg.Version != "4" {
		return nil, ingest.Invalidf(-1, "version", "unsupported Alertmanager webhook version %q, want \"4\"", msg.Version)
	}
	if len(msg.Alerts) == 0 {
		return nil, ingest.Invalidf(-1, "alerts", "no alerts in payload")
	}
	if len(msg.Alerts) > ingest.MaxAlerts {
		return nil, ingest.TooManyAlerts(len(msg.Alerts))
	}
	alerts := make([]ingest.Alert, 0, len(msg.Alerts))
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
		action := incident.AlertTrigger
		switch wa.Status {
		case "firing":
			endsAt = time.Time{}
		case "resolved":
			action = incident.AlertResolve
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
			return nil, ingest.Invalidf(i, "status", "unknown status %q, want \"firing\" or \"resolved\"", wa.Status)
		}
		a, err := wa.normalize(i, action, startsAt, endsAt)
		if err != nil {
			return nil, err
		}
		alerts = append(alerts, a)
	}
	return alerts, nil
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
// DefaultResolveTimeout. An empty array decodes to no alerts and no error,
// as Alertmanager accepts it.
func DecodeAPIv2(r io.Reader, now time.Time, resolveTimeout time.Duration) ([]ingest.Alert, error) {
	now = now.UTC()
	if resolveTimeout <= 0 {
		resolveTimeout = DefaultResolveTimeout
	}
	cr := &ingest.CountingReader{R: r}
	dec := json.NewDecoder(cr)
	tok, err := dec.Token()
	if err != nil {
		return nil, ingest.JSONError(-1, err, cr.N)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, &ingest.DecodeError{Kind: ingest.Malformed, Index: -1, Offset: 0,
			Reason: "want a JSON array of alerts"}
	}
	var alerts []ingest.Alert
	for i := 0; dec.More(); i++ {
		if i == ingest.MaxAlerts {
			// Stop reading here: the rest of the body is not worth decoding.
			return nil, ingest.TooManyAlerts(i + 1)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, ingest.JSONError(-1, err, cr.N)
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
		action := incident.AlertTrigger
		if !endsAt.After(now) {
			action = incident.AlertResolve
		}
		a, err := ra.normalize(i, action, startsAt, endsAt)
		if err != nil {
			return nil, err
		}
		alerts = append(alerts, a)
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
	// An empty array is no error: Alertmanager answers it with 200.
	return alerts, nil
}
