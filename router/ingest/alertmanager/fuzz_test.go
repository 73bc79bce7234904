package alertmanager

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest/ingesttest"
)

func FuzzDecodeWebhook(f *testing.F) {
	ingesttest.AddSeeds(f, []string{"alertmanager-0.25-webhook-firing.json"},
		``, `{}`, `{"version":"4","alerts":[]}`,
		`{"version":"4","alerts":[{"status":"resolved","labels":{"a":"b","c":""},"startsAt":"2026-11-24T01:00:00Z","endsAt":"2026-11-24T03:00:00+02:00"}]}`,
		`{"version":"4","alerts":[null,{"status":"firing","labels":{"a":1}}]}`,
		// RFC 3339, but outside the years 0000-9999 once in UTC.
		`{"version":"4","alerts":[{"status":"resolved","labels":{"a":"b"},"startsAt":"0000-01-01T00:00:00+23:59","endsAt":"9999-12-31T23:59:59-23:59"}]}`,
		`{"version":"4","alerts":[{"status":"firing","labels":{"a":"b"},"startsAt":"9999-12-31T23:59:59-23:59"}]}`)
	now := time.Date(2026, 11, 24, 1, 12, 20, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeWebhook(strings.NewReader(string(body)), now)
		ingesttest.CheckBatch(t, b, err)
		if err != nil {
			return
		}
		for _, a := range b.Alerts {
			if !a.EndsAt.IsZero() != (a.Action == incident.AlertResolve) || a.EndsAt.After(now) {
				t.Fatalf("webhook alert: an end in the past must mean resolved, and only then: %+v", a)
			}
		}
	})
}

func FuzzDecodeAPIv2(f *testing.F) {
	ingesttest.AddSeeds(f, []string{"prometheus-2.42-api-v2-alerts.json"},
		``, `[]`, `[{}]`, `[{"labels":{"a":"b"}}]`,
		`[{"labels":{"a":"b"},"endsAt":"2026-11-24T01:00:00Z"},{"labels":{"x":"y","z":""},"startsAt":"2030-01-01T00:00:00Z"}]`,
		`[{"labels":{"a.b":"c"}}]`, `[1,]`,
		`[{"labels":{"a":"b"},"startsAt":"0000-01-01T00:00:00+23:59"}]`,
		`[{"labels":{"a":"b"},"endsAt":"9999-12-31T23:59:59-23:59"}]`)
	now := time.Date(2026, 11, 24, 1, 12, 20, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeAPIv2(strings.NewReader(string(body)), now, time.Minute)
		ingesttest.CheckBatch(t, b, err)
		if err != nil {
			return
		}
		for _, a := range b.Alerts {
			if a.EndsAt.IsZero() {
				t.Fatalf("API v2 alert without an end: %+v", a)
			}
			if a.EndsAt.After(now) != (a.Action == incident.AlertTrigger) {
				t.Fatalf("API v2 alert fires exactly while its end is ahead: %+v", a)
			}
		}
	})
}

// FuzzArrayElements holds DecodeAPIv2's splitter to encoding/json: on a
// valid JSON array it finds the elements encoding/json finds, byte for
// byte, and it takes nothing else.
func FuzzArrayElements(f *testing.F) {
	for _, s := range []string{`[]`, ` [ ] `, `[1, "a,]", {"b":[1,{"c":"]}"}]}, null ,"\"\\"]`, "[\n{\"a\":\"\\\"]\"}\t,\r[]\n]\n", `{}`, `"["`, `7`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return // DecodeAPIv2 only splits valid JSON
		}
		got, ok := arrayElements(body)
		var want []json.RawMessage
		isArray := json.Unmarshal(body, &want) == nil && bytes.TrimSpace(body)[0] == '['
		if ok != isArray {
			t.Fatalf("%q: split %v, an array %v", body, ok, isArray)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d elements, want %d", body, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%q: element %d is %q, want %q", body, i, got[i], want[i])
			}
		}
	})
}
