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
// problem: Ingest refuses that alert alone, naming it and the field in an
// *ingest.DecodeError (a 4xx, not the store failure a 503 stands for), and
// stores the others of the request. A change it cannot keep refuses the
// request before anything is stored.
func TestIngestRefusesAnAlertItCannotEncode(t *testing.T) {
	ctx := context.Background()
	st := store.New(testenv.StartRedis(t).Client(t), "content")
	cfg := &policies.Config{
		Settings:    policies.Settings{ResolvedRetention: time.Hour},
		Escalations: map[string]*policies.Escalation{"ops": {Name: "ops"}},
		Services:    []*policies.Service{{Name: "all", Escalation: "ops", GroupBy: []string{"alertname"}}},
	}
	rt := &Router{Store: st, Config: func() *policies.Config { return cfg }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	in := &policies.Integration{Name: "am", Type: "alertmanager"}
	start := time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -(23*3600+59*60)))
	tests := []struct {
		name     string
		batch    ingest.Batch
		field    string
		outcomes string // of each alert, when the request is not refused
	}{
		{"endsAt past 9999 in UTC", ingest.Batch{Alerts: []ingest.Alert{
			{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "A"}, StartsAt: start, Fingerprint: "a"},
			{Action: incident.AlertResolve, Labels: map[string]string{"alertname": "B"}, StartsAt: start, EndsAt: far, Fingerprint: "b"},
		}}, "alerts[1].endsAt", "triggered rejected"},
		{"details that are not JSON, behind an alert refused on decoding", ingest.Batch{
			Rejected: []*ingest.DecodeError{ingest.Invalidf(0, "labels", "alert has no labels")},
			Alerts: []ingest.Alert{
				{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "C"}, StartsAt: start, Fingerprint: "c",
					Details: json.RawMessage(`{not json`)},
			}}, "alerts[1].details", "rejected"},
		{"a change past 9999 in UTC", ingest.Batch{
			Alerts:  []ingest.Alert{{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "D"}, StartsAt: start, Fingerprint: "d"}},
			Changes: []incident.Change{{At: far, Summary: "deployed"}},
		}, "changes[0].timestamp", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			results, err := rt.Ingest(ctx, in, &tc.batch)
			var de *ingest.DecodeError
			if tc.outcomes == "" {
				if !errors.As(err, &de) || de.HTTPStatus() != 422 || !strings.HasPrefix(de.Error(), tc.field+": ") {
					t.Fatalf("Ingest = %v (%T), want a 422 *ingest.DecodeError naming %s", err, err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var outcomes []string
			for _, r := range results {
				outcomes = append(outcomes, string(r.Outcome))
				if r.Err != nil && (r.Err.HTTPStatus() != 422 || !strings.HasPrefix(r.Err.Error(), tc.field+": ")) {
					t.Errorf("alert refused with %q, want a 422 naming %s", r.Err, tc.field)
				}
			}
			if got := strings.Join(outcomes, " "); got != tc.outcomes {
				t.Errorf("outcomes %q, want %q", got, tc.outcomes)
			}
		})
	}
	incs, err := st.List(ctx, false, 10)
	if err != nil || len(incs) != 1 || incs[0].Title != "A" {
		t.Errorf("stored %d incidents (%v), want only the good alert A's", len(incs), err)
	}
	if changes, err := st.Changes(ctx, "all", 10); err != nil || len(changes) != 0 {
		t.Errorf("refused requests stored %d changes (%v), want none", len(changes), err)
	}
}
