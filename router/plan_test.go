package router

import (
	"fmt"
	"testing"
	"time"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/schedules"
)

func TestPlanWalksStepsRepeatsAndFallsThroughGaps(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	// "nights" has someone on call only from 18:00 UTC: a gap at t0.
	nights := &schedules.Schedule{Name: "nights", Location: time.UTC, Layers: []schedules.Layer{{
		Name: "n", Users: []string{"carol"}, Start: t0.Add(-48 * time.Hour),
		Every: schedules.ShiftLength{Days: 1}, OnCall: 1,
		Restrictions: []schedules.Restriction{{From: 18 * 60, To: 6 * 60}},
	}}}
	cfg := &policies.Config{
		Users:     map[string]*policies.User{"alice": {Name: "alice"}, "bob": {Name: "bob"}, "carol": {Name: "carol"}},
		Teams:     map[string]*policies.Team{"ops": {Name: "ops", Members: []string{"alice", "bob"}}},
		Schedules: map[string]*schedules.Schedule{"nights": nights},
	}
	pol := &policies.Escalation{
		Steps: []policies.EscalationStep{
			{Targets: []policies.Target{{Kind: "user", Name: "alice"}}},
			{After: 10 * time.Minute, Targets: []policies.Target{{Kind: "schedule", Name: "nights"}}},
			{After: 10 * time.Minute, Targets: []policies.Target{{Kind: "team", Name: "ops"}}},
		},
		Repeat: 1, RepeatAfter: 15 * time.Minute,
	}
	tests := []struct {
		elapsed  time.Duration
		want     string // reached steps as round.index@minutes[users]
		wantNext time.Duration
	}{
		{0, "0.0@0[alice]", 10 * time.Minute},
		{9 * time.Minute, "0.0@0[alice]", 10 * time.Minute},
		// Step 2 reaches nobody (gap), so step 3 starts with it.
		{10 * time.Minute, "0.0@0[alice] 0.1@10[] 0.2@10[alice bob]", 25 * time.Minute},
		{25 * time.Minute, "0.0@0[alice] 0.1@10[] 0.2@10[alice bob] 1.0@25[alice]", 35 * time.Minute},
		{4 * time.Hour, "0.0@0[alice] 0.1@10[] 0.2@10[alice bob] 1.0@25[alice] 1.1@35[] 1.2@35[alice bob]", 0},
	}
	for _, tc := range tests {
		reached, next := plan(cfg, pol, t0, t0.Add(tc.elapsed))
		got := ""
		for i, r := range reached {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprintf("%d.%d@%d%v", r.round, r.index, int(r.start.Sub(t0).Minutes()), r.users)
		}
		if got != tc.want {
			t.Errorf("plan at +%s = %s, want %s", tc.elapsed, got, tc.want)
		}
		var gotNext time.Duration
		if !next.IsZero() {
			gotNext = next.Sub(t0)
		}
		if gotNext != tc.wantNext {
			t.Errorf("plan at +%s: next = +%s, want +%s", tc.elapsed, gotNext, tc.wantNext)
		}
	}
}

func TestRulesOfDefaultsToTheBestContact(t *testing.T) {
	tests := []struct {
		user policies.User
		want string
	}{
		{policies.User{Phone: "+15550001", Email: "a@example.com"}, "sms"},
		{policies.User{Email: "a@example.com"}, "email"},
		{policies.User{}, "console"},
		{policies.User{Phone: "+15550001", Rules: []policies.NotifyRule{{Via: "email"}}}, "email"},
	}
	for _, tc := range tests {
		if got := rulesOf(&tc.user)[0].Via; got != tc.want {
			t.Errorf("rulesOf(%+v) = %s, want %s", tc.user, got, tc.want)
		}
	}
}

func TestTitleAndGroupLabels(t *testing.T) {
	lset := map[string]string{"alertname": "CheckoutDown", "cluster": "eu1", "instance": "a:9090"}
	group := groupLabels([]string{"alertname", "cluster", "missing"}, lset)
	if len(group) != 3 || group["missing"] != "" || group["cluster"] != "eu1" {
		t.Errorf("groupLabels = %v", group)
	}
	if got := title(lset, group); got != "CheckoutDown cluster=eu1" {
		t.Errorf("title = %q, want %q", got, "CheckoutDown cluster=eu1")
	}
}
