package router

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/store"
)

// An alert an ownership map owns becomes an incident of the service its
// label names, paged by the owner team's policy — a listed value and a
// value only the default owner takes alike — and the team's members may
// act on it as its responders.
func TestOwnershipMapRoutesAndPages(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := `
pagerd { unrouted = "record" }
user "alice" { phone = "+15550001" }
user "bob" { phone = "+15550002" }
escalation "payments" {
  step { notify = ["user:alice"] }
}
escalation "sre" {
  step { notify = ["user:bob"] }
}
team "payments" {
  members    = ["alice"]
  escalation = "payments"
}
team "sre" {
  members    = ["bob"]
  escalation = "sre"
}
ownership "services" {
  label    = "service"
  owners   = { checkout = "team:payments" }
  default  = "team:sre"
  group_by = ["alertname"]
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := policies.Load(dir)
	if cfg == nil {
		t.Fatal(diags)
	}
	clk := testenv.NewClock(time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC))
	st := store.New(testenv.StartRedis(t).Client(t), "own")
	st.Clock = clk.Now
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	current := func() *policies.Config { return cfg }
	rt := &Router{Store: st, Config: current, Log: log}
	sms := &kindRecorder{}
	eng := replica(st, cfg, sms, "A")
	in := &policies.Integration{Name: "am", Type: "alertmanager"}
	batch := &ingest.Batch{Alerts: []ingest.Alert{
		{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "Down", "service": "checkout"}, StartsAt: clk.Now(), Fingerprint: "a"},
		{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "Down", "service": "inventory"}, StartsAt: clk.Now(), Fingerprint: "b"},
	}}
	if _, err := rt.Ingest(ctx, in, batch); err != nil {
		t.Fatal(err)
	}
	if err := eng.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64][2]string{1: {"checkout", "payments"}, 2: {"inventory", "sre"}} {
		inc, err := st.Incident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Service != want[0] || inc.Escalation != want[1] {
			t.Errorf("incident %d: service %s, escalation %s; want %s, %s", id, inc.Service, inc.Escalation, want[0], want[1])
		}
	}
	if sms.count("alice", pagers.KindPage) != 1 || sms.count("bob", pagers.KindPage) != 1 {
		t.Errorf("pages: alice %d, bob %d; want one each", sms.count("alice", pagers.KindPage), sms.count("bob", pagers.KindPage))
	}
	// bob, of the team whose policy pages inventory, may acknowledge it by
	// SMS though he was only paged — and alice, who is not, may not.
	if _, err := rt.Act(ctx, incident.Request{Incident: 2, Action: incident.Ack, By: "alice", Via: "sms", Credential: incident.CredentialAddress}); err == nil {
		t.Error("alice, of another team, acknowledged sre's incident")
	}
	if _, err := rt.Act(ctx, incident.Request{Incident: 2, Action: incident.Ack, By: "bob", Via: "sms", Credential: incident.CredentialAddress}); err != nil {
		t.Errorf("bob could not acknowledge his team's incident: %v", err)
	}
}
