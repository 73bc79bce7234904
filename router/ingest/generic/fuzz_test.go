package generic_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/ingest/generic"
)

// fuzzMapping reads every kind of value a body may hold, through the
// functions most likely to meet odd input.
const fuzzMapping = `
  mapping {
    labels = merge(
      { for k, v in try(body.tags, {}) : k => v if can(tostring(v)) },
      { alertname = coalesce(try(tostring(body.name), ""), "Fuzz"), host = try(lower(body.host), null) },
    )
    annotations = { note = try(jsonencode(body.note), "") }
    summary     = try(format("%s: %v", body.host, body.msg), null)
    status      = try(body.ok ? "resolved" : "firing", "firing")
    dedup_key   = try(tostring(body.id), null)
    starts_at   = try(body.at, null)
    links       = try(body.links, [])
  }
`

// FuzzDecode holds Decode to its contract on any body: it never panics,
// refuses only with an *ingest.DecodeError, and every alert it accepts is
// one pagerd can store.
func FuzzDecode(f *testing.F) {
	in := compileMapping(f, fuzzMapping)
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range []string{
		`{}`, `[]`, `null`, `42`, `"x"`, `[null]`, `[{}, {"name": "A"}]`,
		`{"name": "A", "host": "DB1", "msg": "down", "id": 7, "at": 1795482000}`,
		`{"name": "A", "ok": true, "id": "k"}`,
		`{"name": "A", "tags": {"bad-name": "x", "team": 3, "n": null}}`,
		`{"name": "A", "at": "9999-12-31T23:59:59-23:59"}`,
		`{"name": "A", "at": 1e300}`,
		`{"name": "A", "links": ["u", {"href": "h", "text": 1}, {"x": 1}, [1]]}`,
		`{"name": "\u0000\ud800", "host": "é"}`,
		`{"name": "A", "name": "B"}`,
		strings.Repeat("[", 100) + strings.Repeat("]", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		b, err := generic.Decode(strings.NewReader(body), ingest.Options{Now: received, Integration: in})
		if err != nil {
			var de *ingest.DecodeError
			if !errors.As(err, &de) || de.Error() == "" {
				t.Fatalf("error %v (%T) is not a *ingest.DecodeError with a message", err, err)
			}
			return
		}
		if len(b.Alerts) > ingest.MaxAlerts {
			t.Fatalf("accepted %d alerts", len(b.Alerts))
		}
		for i, a := range b.Alerts {
			if a.Action != incident.AlertTrigger && a.Action != incident.AlertResolve && a.Action != incident.AlertAcknowledge {
				t.Fatalf("alert %d has action %q", i, a.Action)
			}
			if a.Action == incident.AlertTrigger && len(a.Labels) == 0 {
				t.Fatalf("alert %d fires without labels", i)
			}
			for k, v := range a.Labels {
				if v == "" || !model.LegacyValidation.IsValidLabelName(k) {
					t.Fatalf("alert %d accepted with label %q=%q", i, k, v)
				}
			}
			if len(a.Fingerprint) != 16 || a.Annotations == nil {
				t.Fatalf("alert %d: fingerprint %q, annotations %v", i, a.Fingerprint, a.Annotations)
			}
			if !ingest.StorableTime(a.StartsAt) || !ingest.StorableTime(a.EndsAt) {
				t.Fatalf("alert %d has times pagerd cannot keep: %s, %s", i, a.StartsAt, a.EndsAt)
			}
		}
	})
}
