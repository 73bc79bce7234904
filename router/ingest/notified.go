package ingest

import (
	"encoding/json"
	"io"
	"maps"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// NotifiedAlert is one alert of a webhook that an Alertmanager-style
// notifier sends — Alertmanager's webhook_configs, Grafana's webhook
// contact point — once it has grouped alerts by their labels: each says
// itself whether it fires. Times are strings so that a bad one is reported
// with its field name; JSON null reads as absent. Formats embed it in
// their own alert type for the fields they add.
type NotifiedAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// Alert checks the alert at position index of its payload and builds it;
// now is the receive time.
//
// The status is authoritative, because the notifier decided it on its own
// clock: a firing alert triggers with a zero EndsAt (notifiers send
// 0001-01-01 for it anyway), and a resolved alert resolves with its
// endsAt, or now when that is absent or later than now. A missing startsAt
// is now. The fingerprint is computed from the labels, as Alertmanager
// computes it; one the payload carries is not trusted.
func (r *NotifiedAlert) Alert(index int, now time.Time) (Alert, error) {
	now = now.UTC()
	startsAt, err := ParseTime(index, "startsAt", r.StartsAt)
	if err != nil {
		return Alert{}, err
	}
	endsAt, err := ParseTime(index, "endsAt", r.EndsAt)
	if err != nil {
		return Alert{}, err
	}
	if startsAt.IsZero() {
		startsAt = now
	}
	action := incident.AlertTrigger
	switch r.Status {
	case "firing":
		endsAt = time.Time{}
	case "resolved":
		action = incident.AlertResolve
		if !endsAt.IsZero() && endsAt.Before(startsAt) {
			break // reported by LabeledAlert
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
		return Alert{}, Invalidf(index, "status", "unknown status %q, want \"firing\" or \"resolved\"", r.Status)
	}
	return LabeledAlert(index, action, r.Labels, r.Annotations, startsAt, endsAt, r.GeneratorURL)
}

// LabeledAlert checks an alert its sender addresses by its labels (the
// label rules, times in order) and builds it with its fingerprint.
func LabeledAlert(index int, action incident.AlertAction, labels, annotations map[string]string, startsAt, endsAt time.Time, generatorURL string) (Alert, error) {
	labels, fp, err := Labels(index, labels)
	if err != nil {
		return Alert{}, err
	}
	if !endsAt.IsZero() && endsAt.Before(startsAt) {
		return Alert{}, Invalidf(index, "endsAt", "endsAt %s is before startsAt %s",
			endsAt.Format(time.RFC3339Nano), startsAt.Format(time.RFC3339Nano))
	}
	out := Alert{
		Action:       action,
		Labels:       labels,
		Annotations:  make(map[string]string, len(annotations)),
		StartsAt:     startsAt,
		EndsAt:       endsAt,
		GeneratorURL: generatorURL,
		Fingerprint:  fp,
	}
	maps.Copy(out.Annotations, annotations)
	return out, nil
}

// UnmarshalAlert decodes the JSON of the alert at position index into v;
// an error names the alert and is that alert's alone.
func UnmarshalAlert(index int, raw []byte, v any) error {
	// The fast path decodes into a fresh alert, and only a fresh one is
	// replaced by it: json.Unmarshal would merge into maps already there.
	if na, ok := v.(*NotifiedAlert); ok && na.Labels == nil && na.Annotations == nil &&
		na.Status == "" && na.StartsAt == "" && na.EndsAt == "" && na.GeneratorURL == "" {
		var fast NotifiedAlert
		if ParseNotifiedAlert(raw, &fast) {
			*na = fast
			return nil
		}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return JSONError(index, err, -1)
	}
	return nil
}

// DecodeBody decodes a whole request body that is one JSON value into v:
// anything but whitespace after it is an error too. Errors are
// *DecodeError about the payload as a whole.
func DecodeBody(r io.Reader, v any) error {
	cr := &CountingReader{R: r}
	dec := json.NewDecoder(cr)
	if err := dec.Decode(v); err != nil {
		return JSONError(-1, err, cr.N)
	}
	return ExpectEOF(dec)
}

// CollectAlerts decodes the alerts of a payload, each with one, into a
// Batch: an alert that decode refuses with a *DecodeError about it alone
// is rejected, the others kept (see Batch.Collect). More than MaxAlerts
// alerts, or any other error, refuse the payload.
func CollectAlerts(raws []json.RawMessage, decode func(index int, raw []byte) (Alert, error)) (*Batch, error) {
	if len(raws) > MaxAlerts {
		return nil, TooManyAlerts(len(raws))
	}
	b := &Batch{Alerts: make([]Alert, 0, len(raws))}
	for i, raw := range raws {
		if err := b.Collect(decode(i, raw)); err != nil {
			return nil, err
		}
	}
	return b, nil
}
