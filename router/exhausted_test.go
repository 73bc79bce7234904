package router

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// exhaustConfig pages alice, then bob 10 minutes later, in one round
// or two; carol is nobody's step.
func exhaustConfig(repeat int) *policies.Config {
	cfg := replicasConfig()
	cfg.Users["carol"] = &policies.User{Name: "carol", Contacts: map[string]string{"phone": "+15550003"}, Rules: []policies.NotifyRule{{Via: "sms"}}}
	cfg.Teams = map[string]*policies.Team{"ops": {Name: "ops", Members: []string{"bob"}}}
	cfg.Escalations["ops"] = &policies.Escalation{Name: "ops", Repeat: repeat, RepeatAfter: 5 * time.Minute, Steps: []policies.EscalationStep{
		{Targets: []policies.Target{{Kind: "user", Name: "alice"}}},
		{After: 10 * time.Minute, Targets: []policies.Target{{Kind: "team", Name: "ops"}}},
	}}
	return cfg
}

// facts is the incident's timeline as "kind: detail" lines.
func facts(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	tl, err := st.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range tl {
		lines = append(lines, string(f.Kind)+": "+f.Detail)
	}
	return strings.Join(lines, "\n")
}

// An escalation that runs out with nobody acknowledging says so on the
// timeline and pages its last resort — once, with two replicas taking
// the incident on a driven clock — and every page names its step and
// round.
func TestExhaustedEscalationTellsTheLastResortOnce(t *testing.T) {
	ctx := context.Background()
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	st := store.New(testenv.StartRedis(t).Client(t), "ex1")
	st.Clock = clk.Now
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := exhaustConfig(1)
	cfg.Teams["ops"].Lead = "carol"
	sms := &kindRecorder{}
	a, b := replica(st, cfg, sms, "A"), replica(st, cfg, sms, "B")
	fireOne(t, st, "fp1", "svc:g")

	tick := func() {
		t.Helper()
		for _, e := range []*Engine{a, b} {
			if _, err := e.tickOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Round 1: alice at 0, bob at +10m; round 2: alice at +15m, bob at
	// +25m; the policy has run out at +30m, when round 3 would start.
	for range 29 {
		tick()
		clk.Advance(time.Minute)
	}
	tick()
	if got := facts(t, st, 1); strings.Contains(got, "escalation_exhausted") {
		t.Fatalf("exhausted before the last round ran its course:\n%s", got)
	}
	if sms.count("alice", pagers.KindPage) != 2 || sms.count("bob", pagers.KindPage) != 2 || sms.count("carol", pagers.KindPage) != 0 {
		t.Fatalf("pages before the end: alice %d, bob %d, carol %d; want 2, 2, 0",
			sms.count("alice", pagers.KindPage), sms.count("bob", pagers.KindPage), sms.count("carol", pagers.KindPage))
	}
	clk.Advance(time.Minute)
	for range 3 {
		tick()
		clk.Advance(time.Hour)
	}
	if n := sms.count("carol", pagers.KindPage); n != 1 {
		t.Fatalf("carol, the team's lead, was paged %d times, want once", n)
	}
	for _, n := range sms.sent {
		if n.User == "carol" && (n.Incident.Exhausted != "escalation ops exhausted after 2 rounds; nobody acknowledged" || n.AckURL == "") {
			t.Errorf("carol's page: exhausted %q, ack link %q; want why, and a way to acknowledge", n.Incident.Exhausted, n.AckURL)
		}
	}
	got := facts(t, st, 1)
	for _, want := range []string{
		"notified: paged alice via sms (x) at step 1, round 1 of 2",
		"notified: paged bob via sms (x) at step 2, round 1 of 2",
		"notified: paged alice via sms (x) at step 1, round 2 of 2",
		"notified: paged bob via sms (x) at step 2, round 2 of 2",
		`escalation_exhausted: escalation ops exhausted after 2 rounds; nobody acknowledged; paging carol, lead of team "ops"`,
		`escalation_exhausted_notice: paged carol via sms (x) as last resort (lead of team "ops")`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("timeline lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "escalation_exhausted:"); n != 1 {
		t.Errorf("%d exhausted facts, want 1:\n%s", n, got)
	}
	inc, err := st.Incident(ctx, 1)
	if err != nil || inc.Status != incident.Triggered {
		t.Fatalf("incident after exhaustion: %+v, %v; want it still triggered", inc, err)
	}
	// Carol was paged about it: she may act, and hears when someone does.
	rt := &Router{Store: st, Config: func() *policies.Config { return cfg }, Log: a.Log}
	if _, err := rt.Act(ctx, incident.Request{Incident: 1, Action: incident.Ack, By: "alice", Via: "api", Credential: incident.CredentialToken}); err != nil {
		t.Fatal(err)
	}
	tick()
	if n := sms.count("carol", pagers.KindAcknowledged); n != 1 {
		t.Errorf("carol heard of the acknowledgement %d times, want once", n)
	}
}

// Who hears that nobody acknowledged: the policy's last resort first,
// then the leads of the teams it pages, then the pagerd block's; nobody
// when none is set, which the timeline says.
func TestExhaustedLastResort(t *testing.T) {
	tests := []struct {
		name   string
		config func(*policies.Config)
		want   string // the exhausted fact
		paged  string // who got the UNANSWERED page
	}{
		{"policy's own", func(c *policies.Config) {
			c.Teams["ops"].Lead = "alice"
			c.Escalations["ops"].LastResort = &policies.Target{Kind: "user", Name: "carol"}
		}, `escalation ops exhausted after 1 round; nobody acknowledged; paging carol, last_resort of escalation "ops"`, "carol"},
		{"a team's lead", func(c *policies.Config) { c.Teams["ops"].Lead = "alice" },
			`escalation ops exhausted after 1 round; nobody acknowledged; paging alice, lead of team "ops"`, "alice"},
		{"a team without a lead reaches every member", func(c *policies.Config) {
			c.Escalations["ops"].LastResort = &policies.Target{Kind: "team", Name: "ops"}
		}, `escalation ops exhausted after 1 round; nobody acknowledged; paging bob, last_resort of escalation "ops"`, "bob"},
		{"the pagerd block's", func(c *policies.Config) { c.Settings.LastResort = &policies.Target{Kind: "user", Name: "carol"} },
			"escalation ops exhausted after 1 round; nobody acknowledged; paging carol, last_resort of the pagerd block", "carol"},
		{"nobody", func(*policies.Config) {},
			`escalation ops exhausted after 1 round; nobody acknowledged; no last resort to tell (set last_resort on escalation "ops", or a lead on a team it pages)`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
			st := store.New(testenv.StartRedis(t).Client(t), "ex2")
			st.Clock = clk.Now
			if err := st.Load(ctx); err != nil {
				t.Fatal(err)
			}
			cfg := exhaustConfig(0)
			tc.config(cfg)
			sms := &kindRecorder{}
			e := replica(st, cfg, sms, "A")
			fireOne(t, st, "fp1", "svc:g")
			for range 4 { // +0, +10m (bob), +20m: run out at +15m
				if _, err := e.tickOnce(ctx); err != nil {
					t.Fatal(err)
				}
				clk.Advance(10 * time.Minute)
			}
			got := facts(t, st, 1)
			if !strings.Contains(got, "escalation_exhausted: "+tc.want+"\n") && !strings.HasSuffix(got, "escalation_exhausted: "+tc.want) {
				t.Errorf("timeline lacks %q:\n%s", tc.want, got)
			}
			var paged []string
			for _, n := range sms.sent {
				if n.Incident.Exhausted != "" {
					paged = append(paged, n.User)
				}
			}
			if strings.Join(paged, ",") != tc.paged {
				t.Errorf("paged as last resort: %v, want %q", paged, tc.paged)
			}
		})
	}
}

// An incident acknowledged before its policy runs out is not exhausted.
func TestAcknowledgedIsNotExhausted(t *testing.T) {
	ctx := context.Background()
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	st := store.New(testenv.StartRedis(t).Client(t), "ex3")
	st.Clock = clk.Now
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := exhaustConfig(0)
	cfg.Settings.LastResort = &policies.Target{Kind: "user", Name: "carol"}
	sms := &kindRecorder{}
	e := replica(st, cfg, sms, "A")
	rt := &Router{Store: st, Config: func() *policies.Config { return cfg }, Log: e.Log}
	fireOne(t, st, "fp1", "svc:g")
	for i := range 4 {
		if i == 2 {
			if _, err := rt.Act(ctx, incident.Request{Incident: 1, Action: incident.Ack, By: "bob", Via: "api", Credential: incident.CredentialToken}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.tickOnce(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(10 * time.Minute)
	}
	if got := facts(t, st, 1); strings.Contains(got, "exhausted") || sms.count("carol", pagers.KindPage) != 0 {
		t.Errorf("an acknowledged incident ran out:\n%s", got)
	}
}
