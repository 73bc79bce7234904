package alertmanager

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest"
)

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

// checkDecoded holds for every payload either decoder accepts. emptyOK says
// the decoder may accept a payload with no alerts.
func checkDecoded(t *testing.T, alerts []ingest.Alert, err error, emptyOK bool) {
	t.Helper()
	if err != nil {
		var de *ingest.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("error %v is a %T, want *ingest.DecodeError", err, err)
		}
		if de.Error() == "" {
			t.Fatal("empty error message")
		}
		return
	}
	if (len(alerts) == 0 && !emptyOK) || len(alerts) > ingest.MaxAlerts {
		t.Fatalf("accepted %d alerts", len(alerts))
	}
	for i, a := range alerts {
		if len(a.Labels) == 0 {
			t.Fatalf("alert %d accepted without labels", i)
		}
		ls := make(model.LabelSet, len(a.Labels))
		for k, v := range a.Labels {
			if v == "" || !model.LegacyValidation.IsValidLabelName(k) {
				t.Fatalf("alert %d accepted with label %q=%q", i, k, v)
			}
			ls[model.LabelName(k)] = model.LabelValue(v)
		}
		if !hex16.MatchString(a.Fingerprint) || a.Fingerprint != ls.Fingerprint().String() {
			t.Fatalf("alert %d has fingerprint %q", i, a.Fingerprint)
		}
		if a.StartsAt.IsZero() {
			t.Fatalf("alert %d has no start", i)
		}
		if !ingest.StorableTime(a.StartsAt) || !ingest.StorableTime(a.EndsAt) {
			t.Fatalf("alert %d accepted with times pagerd cannot keep: %s, %s", i, a.StartsAt, a.EndsAt)
		}
		if !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
			t.Fatalf("alert %d ends %s before it starts %s", i, a.EndsAt, a.StartsAt)
		}
	}
}

func addSeeds(f *testing.F, fixture string, more ...string) {
	b, err := os.ReadFile("testdata/" + fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, s := range more {
		f.Add([]byte(s))
	}
}

func FuzzDecodeWebhook(f *testing.F) {
	addSeeds(f, "alertmanager-0.25-webhook-firing.json",
		``, `{}`, `{"version":"4","alerts":[]}`,
		`{"version":"4","alerts":[{"status":"resolved","labels":{"a":"b","c":""},"startsAt":"2026-11-24T01:00:00Z","endsAt":"2026-11-24T03:00:00+02:00"}]}`,
		`{"version":"4","alerts":[null,{"status":"firing","labels":{"a":1}}]}`,
		// RFC 3339, but outside the years 0000-9999 once in UTC.
		`{"version":"4","alerts":[{"status":"resolved","labels":{"a":"b"},"startsAt":"0000-01-01T00:00:00+23:59","endsAt":"9999-12-31T23:59:59-23:59"}]}`,
		`{"version":"4","alerts":[{"status":"firing","labels":{"a":"b"},"startsAt":"9999-12-31T23:59:59-23:59"}]}`)
	now := time.Date(2026, 11, 24, 1, 12, 20, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		alerts, err := DecodeWebhook(strings.NewReader(string(body)), now)
		checkDecoded(t, alerts, err, false)
		for _, a := range alerts {
			if !a.EndsAt.IsZero() != (a.Action == incident.AlertResolve) || a.EndsAt.After(now) {
				t.Fatalf("webhook alert: an end in the past must mean resolved, and only then: %+v", a)
			}
		}
	})
}

func FuzzDecodeAPIv2(f *testing.F) {
	addSeeds(f, "prometheus-2.42-api-v2-alerts.json",
		``, `[]`, `[{}]`, `[{"labels":{"a":"b"}}]`,
		`[{"labels":{"a":"b"},"endsAt":"2026-11-24T01:00:00Z"},{"labels":{"x":"y","z":""},"startsAt":"2030-01-01T00:00:00Z"}]`,
		`[{"labels":{"a.b":"c"}}]`, `[1,]`,
		`[{"labels":{"a":"b"},"startsAt":"0000-01-01T00:00:00+23:59"}]`,
		`[{"labels":{"a":"b"},"endsAt":"9999-12-31T23:59:59-23:59"}]`)
	now := time.Date(2026, 11, 24, 1, 12, 20, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		alerts, err := DecodeAPIv2(strings.NewReader(string(body)), now, time.Minute)
		checkDecoded(t, alerts, err, true)
		for _, a := range alerts {
			if a.EndsAt.IsZero() {
				t.Fatalf("API v2 alert without an end: %+v", a)
			}
			if a.EndsAt.After(now) != (a.Action == incident.AlertTrigger) {
				t.Fatalf("API v2 alert fires exactly while its end is ahead: %+v", a)
			}
		}
	})
}
