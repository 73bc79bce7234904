package router

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/store"
)

func TestTitleAndGroupLabels(t *testing.T) {
	lset := map[string]string{"alertname": "CheckoutDown", "cluster": "eu1", "instance": "a:9090"}
	group := groupLabels([]string{"alertname", "cluster", "missing"}, lset)
	if len(group) != 3 || group["missing"] != "" || group["cluster"] != "eu1" {
		t.Errorf("groupLabels = %v", group)
	}
	tests := []struct {
		name  string
		alert ingest.Alert
		group map[string]string
		want  string
	}{
		{"alertname and group labels", ingest.Alert{Labels: lset}, group, "CheckoutDown cluster=eu1"},
		{"a sender's summary when no label names it", ingest.Alert{Labels: map[string]string{"source": "db1"},
			Annotations: map[string]string{"summary": "Disk full on db1"}}, map[string]string{}, "Disk full on db1"},
		{"the labels as a last resort", ingest.Alert{Labels: map[string]string{"job": "x"}}, map[string]string{}, `alert {job="x"}`},
	}
	for _, tc := range tests {
		if got := title(&tc.alert, tc.group); got != tc.want {
			t.Errorf("%s: title = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// An alert the store cannot keep because of what it holds — a time past
// the year 9999 in UTC, which a decoder let through — is the sender's
// problem: Ingest names the alert and field in an *ingest.DecodeError (a
// 4xx, not the store failure a 503 stands for), and stores none of the
// request's alerts.
func TestIngestRefusesAnAlertItCannotEncode(t *testing.T) {
	ctx := context.Background()
	st := store.New(testenv.StartRedis(t).Client(t), "content")
	cfg := &policies.Config{
		Settings:    policies.Settings{ResolvedRetention: time.Hour},
		Escalations: map[string]*policies.Escalation{"ops": {Name: "ops"}},
		Services:    []*policies.Service{{Name: "all", Escalation: "ops"}},
	}
	rt := &Router{Store: st, Config: func() *policies.Config { return cfg }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	in := &policies.Integration{Name: "am", Type: "alertmanager"}
	start := time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -(23*3600+59*60)))
	tests := []struct {
		name  string
		batch ingest.Batch
		field string
	}{
		{"endsAt past 9999 in UTC", ingest.Batch{Alerts: []ingest.Alert{
			{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "A"}, StartsAt: start, Fingerprint: "a"},
			{Action: incident.AlertResolve, Labels: map[string]string{"alertname": "B"}, StartsAt: start, EndsAt: far, Fingerprint: "b"},
		}}, "alerts[1].endsAt"},
		{"details that are not JSON", ingest.Batch{Alerts: []ingest.Alert{
			{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "C"}, StartsAt: start, Fingerprint: "c",
				Details: json.RawMessage(`{not json`)},
		}}, "alerts[0].details"},
		{"a change past 9999 in UTC", ingest.Batch{
			Alerts:  []ingest.Alert{{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "D"}, StartsAt: start, Fingerprint: "d"}},
			Changes: []incident.Change{{At: far, Summary: "deployed"}},
		}, "changes[0].timestamp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rt.Ingest(ctx, in, &tc.batch)
			var de *ingest.DecodeError
			if !errors.As(err, &de) || de.HTTPStatus() != 422 || !strings.HasPrefix(de.Error(), tc.field+": ") {
				t.Fatalf("Ingest = %v (%T), want a 422 *ingest.DecodeError naming %s", err, err, tc.field)
			}
		})
	}
	if incs, err := st.List(ctx, false, 10); err != nil || len(incs) != 0 {
		t.Errorf("refused requests stored %d incidents (%v), want none", len(incs), err)
	}
	if changes, err := st.Changes(ctx, "all", 10); err != nil || len(changes) != 0 {
		t.Errorf("refused requests stored %d changes (%v), want none", len(changes), err)
	}
}
