package escalation

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/schedules"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// world has three users, a team, and a schedule with a gap at t0: "nights"
// has someone on call only from 18:00 UTC.
func world() *policies.Config {
	nights := &schedules.Schedule{Name: "nights", Location: time.UTC, Layers: []schedules.Layer{{
		Name: "n", Users: []string{"carol"}, Start: t0.Add(-48 * time.Hour),
		Every: schedules.ShiftLength{Days: 1}, OnCall: 1,
		Restrictions: []schedules.Restriction{{From: 18 * 60, To: 6 * 60}},
	}}}
	return &policies.Config{
		Users: map[string]*policies.User{
			"alice": {Name: "alice", Rules: []policies.NotifyRule{{Via: "sms"}, {After: 5 * time.Minute, Via: "voice"}}},
			"bob":   {Name: "bob", Rules: []policies.NotifyRule{{Via: "email"}}},
			"carol": {Name: "carol", Rules: []policies.NotifyRule{{Via: "sms"}}},
		},
		Teams:     map[string]*policies.Team{"ops": {Name: "ops", Members: []string{"alice", "bob"}}},
		Schedules: map[string]*schedules.Schedule{"nights": nights},
	}
}

func target(s string) policies.Target {
	kind, name, _ := strings.Cut(s, ":")
	return policies.Target{Kind: kind, Name: name}
}

func step(after time.Duration, targets ...string) policies.EscalationStep {
	s := policies.EscalationStep{After: after}
	for _, t := range targets {
		s.Targets = append(s.Targets, target(t))
	}
	return s
}

// render is a plan's steps as round.index@minutes[people](+destinations),
// "!" marking a step started by an escalation request.
func render(p Plan) string {
	var parts []string
	for _, s := range p.Steps {
		mark := ""
		if s.Forced {
			mark = "!"
		}
		part := fmt.Sprintf("%d.%d@%d%s%v", s.Round, s.Index, int(s.Start.Sub(t0).Minutes()), mark, s.People)
		for _, d := range s.Destinations {
			part += "+" + d.String()
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " ")
}

func minutes(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return t.Sub(t0)
}

func TestWalk(t *testing.T) {
	pol := &policies.Escalation{
		Steps: []policies.EscalationStep{
			step(0, "user:alice"),
			step(10*time.Minute, "schedule:nights"),
			step(10*time.Minute, "team:ops", "webhook:audit"),
		},
		Repeat: 1, RepeatAfter: 15 * time.Minute,
	}
	tests := []struct {
		name        string
		elapsed     time.Duration
		escalations []time.Duration
		want        string
		wantNext    time.Duration
		// wantExhausted is when the policy has run out (0: not yet known).
		wantExhausted time.Duration
	}{
		{"first step at once", 0, nil, "0.0@0[alice]", 10 * time.Minute, 0},
		{"second step not yet", 9 * time.Minute, nil, "0.0@0[alice]", 10 * time.Minute, 0},
		// Step 2 reaches nobody (gap), so step 3 starts with it.
		{"a gap falls through", 10 * time.Minute, nil, "0.0@0[alice] 0.1@10[] 0.2@10[alice bob]+webhook:audit", 25 * time.Minute, 0},
		{"repeat after repeat_after", 25 * time.Minute, nil, "0.0@0[alice] 0.1@10[] 0.2@10[alice bob]+webhook:audit 1.0@25[alice]", 35 * time.Minute, 0},
		{"exhausted", 4 * time.Hour, nil, "0.0@0[alice] 0.1@10[] 0.2@10[alice bob]+webhook:audit 1.0@25[alice] 1.1@35[] 1.2@35[alice bob]+webhook:audit", 0, 50 * time.Minute},
		// Escalating at +3m starts step 2 then (a gap: step 3 with it).
		{"escalate now", 3 * time.Minute, []time.Duration{3 * time.Minute}, "0.0@0[alice] 0.1@3![] 0.2@3[alice bob]+webhook:audit", 18 * time.Minute, 0},
		// Twice at once: the first press reaches step 3 (step 2's gap falls
		// through by itself), the second the next round.
		{"escalate twice", 5 * time.Minute, []time.Duration{2 * time.Minute, 2 * time.Minute},
			"0.0@0[alice] 0.1@2![] 0.2@2[alice bob]+webhook:audit 1.0@2![alice]", 12 * time.Minute, 0},
		// From the last step, escalating starts the repeat early.
		{"escalate during the last step", 20 * time.Minute, []time.Duration{11 * time.Minute},
			"0.0@0[alice] 0.1@10[] 0.2@10[alice bob]+webhook:audit 1.0@11![alice]", 21 * time.Minute, 0},
		// With nothing left to escalate to, a request changes nothing.
		{"escalate when exhausted", 4 * time.Hour, []time.Duration{3 * time.Hour},
			"0.0@0[alice] 0.1@10[] 0.2@10[alice bob]+webhook:audit 1.0@25[alice] 1.1@35[] 1.2@35[alice bob]+webhook:audit", 0, 50 * time.Minute},
		// Escalating from the last step of the last round exhausts the
		// policy at once.
		{"escalate from the last step", 45 * time.Minute, []time.Duration{40 * time.Minute},
			"0.0@0[alice] 0.1@10[] 0.2@10[alice bob]+webhook:audit 1.0@25[alice] 1.1@35[] 1.2@35[alice bob]+webhook:audit", 0, 40 * time.Minute},
		// A suppressed incident has no steps, escalated or not: it pages
		// nobody until it is not suppressed (then a new run starts).
		{"suppressed", 4 * time.Hour, []time.Duration{3 * time.Minute}, "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := State{Incident: 7, RunAt: t0}
			if tc.name == "suppressed" {
				st.Suppressed = "silence:x"
			}
			for _, e := range tc.escalations {
				st.Escalations = append(st.Escalations, t0.Add(e))
			}
			p := Walk(world(), pol, st, t0.Add(tc.elapsed))
			if got := render(p); got != tc.want {
				t.Errorf("Walk at +%s = %s, want %s", tc.elapsed, got, tc.want)
			}
			if got := minutes(p.Next); got != tc.wantNext {
				t.Errorf("Walk at +%s: next = +%s, want +%s", tc.elapsed, got, tc.wantNext)
			}
			if got := minutes(p.Exhausted); got != tc.wantExhausted {
				t.Errorf("Walk at +%s: exhausted = +%s, want +%s", tc.elapsed, got, tc.wantExhausted)
			}
		})
	}
}

func TestDeliveriesAndDue(t *testing.T) {
	pol := &policies.Escalation{Steps: []policies.EscalationStep{
		step(0, "user:alice", "webhook:audit"),
		step(10*time.Minute, "user:bob"),
	}}
	st := State{Incident: 7, Run: 1, RunAt: t0}
	p := Walk(world(), pol, st, t0.Add(time.Minute))
	var keys []string
	for _, d := range p.Deliveries {
		keys = append(keys, fmt.Sprintf("%s +%s", d.Key, d.At.Sub(t0)))
	}
	// The key format is what send records are stored under: a change here
	// pages again, after an upgrade, for every step already sent.
	id := stepIDs(pol)[0]
	want := []string{
		"7:1:0:" + id + ":alice:sms@0s +0s",
		"7:1:0:" + id + ":alice:voice@5m0s +5m0s",
		"7:1:0:" + id + ":webhook:audit +0s",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("deliveries = %q, want %q", keys, want)
	}
	due, next := p.Due(t0.Add(time.Minute), map[string]bool{want[2][:strings.LastIndex(want[2], " ")]: true})
	if len(due) != 1 || due[0].User.Name != "alice" || due[0].Via != "sms" {
		t.Errorf("due = %+v, want alice's SMS only (the webhook is done, the call not yet due)", due)
	}
	if next != t0.Add(5*time.Minute) {
		t.Errorf("next = %s, want +5m (alice's call), before step 2 at +10m", next.Sub(t0))
	}
}

func TestStepIDsFollowContentNotPosition(t *testing.T) {
	a := step(0, "user:alice")
	b := step(10*time.Minute, "user:bob")
	before := stepIDs(&policies.Escalation{Steps: []policies.EscalationStep{a, b}})
	after := stepIDs(&policies.Escalation{Steps: []policies.EscalationStep{step(0, "user:carol"), a, b}})
	if before[0] != after[1] || before[1] != after[2] {
		t.Errorf("ids moved with the steps' positions: %v then %v", before, after)
	}
	twins := stepIDs(&policies.Escalation{Steps: []policies.EscalationStep{a, a}})
	if twins[0] == twins[1] {
		t.Errorf("identical steps share id %s", twins[0])
	}
}

// An incident folded into a storm pages nobody, now or later, escalated or
// not: the storm incident pages for it.
func TestWalkFolded(t *testing.T) {
	pol := &policies.Escalation{Steps: []policies.EscalationStep{step(0, "user:alice", "webhook:audit"), step(10*time.Minute, "user:bob")}, Repeat: 1}
	tests := []struct {
		name  string
		state State
		until time.Duration
		want  string
	}{
		{"not folded pages", State{Incident: 7, RunAt: t0}, time.Minute, "0.0@0[alice]+webhook:audit"},
		{"folded", State{Incident: 7, RunAt: t0, FoldedInto: 6}, 0, ""},
		{"folded, later", State{Incident: 7, RunAt: t0, FoldedInto: 6}, 4 * time.Hour, ""},
		{"folded, escalated", State{Incident: 7, RunAt: t0, FoldedInto: 6, Escalations: []time.Time{t0.Add(time.Minute)}}, 5 * time.Minute, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Walk(world(), pol, tc.state, t0.Add(tc.until))
			if got := render(p); got != tc.want || (tc.want == "" && (len(p.Deliveries) > 0 || !p.Next.IsZero())) {
				t.Errorf("Walk = %s (deliveries %d, next %v), want %q and nothing next", got, len(p.Deliveries), p.Next, tc.want)
			}
			if tc.state.Pages() != (tc.state.FoldedInto == 0 && tc.state.Suppressed == "") {
				t.Errorf("Pages() = %v for %+v", tc.state.Pages(), tc.state)
			}
		})
	}
}

// The policy runs out when another round would have started, or later
// when a notification rule of its last step is due after that.
func TestExhausted(t *testing.T) {
	tests := []struct {
		name   string
		pol    *policies.Escalation
		want   time.Duration
		rounds int
		words  string
	}{
		{"repeat_after", &policies.Escalation{Name: "ops", Steps: []policies.EscalationStep{step(0, "user:bob")}, Repeat: 1, RepeatAfter: 20 * time.Minute},
			40 * time.Minute, 2, "escalation ops exhausted after 2 rounds; nobody acknowledged"},
		// alice's call comes 5m after the step, later than a minute.
		{"a later rule", &policies.Escalation{Name: "ops", Steps: []policies.EscalationStep{step(0, "user:alice")}, RepeatAfter: time.Minute},
			5 * time.Minute, 1, "escalation ops exhausted after 1 round; nobody acknowledged"},
		// A repeat_after under a minute is a minute, as between rounds.
		{"at least a minute", &policies.Escalation{Name: "ops", Steps: []policies.EscalationStep{step(0, "user:bob"), step(2*time.Minute, "user:carol")}},
			3 * time.Minute, 1, "escalation ops exhausted after 1 round; nobody acknowledged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Walk(world(), tc.pol, State{Incident: 7, RunAt: t0}, t0.Add(24*time.Hour))
			if got := minutes(p.Exhausted); got != tc.want || p.Rounds != tc.rounds {
				t.Errorf("exhausted at +%s after %d rounds, want +%s after %d", got, p.Rounds, tc.want, tc.rounds)
			}
			if got := Exhausted(tc.pol); got != tc.words {
				t.Errorf("Exhausted() = %q, want %q", got, tc.words)
			}
		})
	}
}
