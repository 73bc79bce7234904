package grafana

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest/ingesttest"
)

// FuzzDecode holds the decoder to the toolkit's promises (see
// ingesttest.CheckBatch) and to its own: links only with an href, details
// always a JSON object, an end in the past exactly for resolved alerts.
// Its seed corpus is testdata/fuzz/FuzzDecode and the golden payloads.
func FuzzDecode(f *testing.F) {
	ingesttest.AddSeeds(f, []string{"grafana-webhook-firing.json", "grafana-webhook-resolved.json", "grafana-webhook-bad-alerts.json"})
	now := time.Date(2026, 11, 24, 1, 32, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := Decode(strings.NewReader(string(body)), now)
		ingesttest.CheckBatch(t, b, err)
		if err != nil {
			return
		}
		for _, a := range b.Alerts {
			if !a.EndsAt.IsZero() != (a.Action == incident.AlertResolve) || a.EndsAt.After(now) {
				t.Fatalf("an end in the past must mean resolved, and only then: %+v", a)
			}
			for _, l := range a.Links {
				if l.Href == "" || l.Text == "" {
					t.Fatalf("link without href or text: %+v", a.Links)
				}
			}
			var d map[string]any
			if err := json.Unmarshal(a.Details, &d); err != nil {
				t.Fatalf("details %s are not a JSON object: %v", a.Details, err)
			}
		}
	})
}
