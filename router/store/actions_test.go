package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// Action items outlive their incident: added while it is kept, listed,
// reminded and done after its retention ran out, each published event
// carrying the item even when the timeline is gone.
func TestActionItemsOutliveTheirIncident(t *testing.T) {
	s, clk, srv := newTestStore(t)
	ctx := context.Background()
	id, err := s.Declare(ctx, Declaration{Service: "checkout", Escalation: "payments", Title: "checkout errors", By: "alice", Via: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddAction(ctx, NewAction{Incident: 99, Title: "x", Owner: "bob", Kind: incident.ActionFix}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an item of no incident: %v, want ErrNotFound", err)
	}
	overdue := time.Date(2027, 1, 16, 0, 0, 0, 0, time.UTC)
	n, err := s.AddAction(ctx, NewAction{Incident: id, Title: "pin package Y below 1.2.3", Owner: "bob", Kind: incident.ActionTechDebt,
		Due: "2027-01-15", OverdueAt: overdue, By: "carol", Via: "cli"})
	if err != nil || n != 1 {
		t.Fatalf("AddAction = %d, %v", n, err)
	}
	n2, err := s.AddAction(ctx, NewAction{Incident: id, Title: "runbook", Owner: "carol", Kind: incident.ActionProcess, By: "carol", Via: "cli"})
	if err != nil || n2 != 2 {
		t.Fatalf("second AddAction = %d, %v", n2, err)
	}
	// The chore's timer is due when the first item becomes overdue.
	if next, err := s.NextDue(ctx); err != nil || !next.Equal(clk.Now()) {
		t.Fatalf("NextDue = %v, %v; want the declared incident now", next, err)
	}
	if sc, err := srv.Client(t).ZScore(ctx, "{test}:timers", "chore:actions").Result(); err != nil || int64(sc) != overdue.UnixMilli() {
		t.Errorf("chore timer at %v, %v; want %v", sc, err, overdue.UnixMilli())
	}
	if items, next, err := s.DueReminders(ctx, overdue.Add(-time.Second), 10); err != nil || len(items) != 0 || !next.Equal(overdue) {
		t.Errorf("DueReminders before it is due = %v, %v, %v", items, next, err)
	}
	if _, err := s.Act(ctx, incident.Request{Incident: id, Action: incident.Resolve, By: "alice", Via: "cli"}, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	srv.Client(t).Del(ctx, "{test}:inc:1", "{test}:inc:1:timeline") // its retention ran out
	items, next, err := s.DueReminders(ctx, overdue, 10)
	if err != nil || len(items) != 1 || items[0].ID != 1 || items[0].Owner != "bob" || !next.IsZero() {
		t.Fatalf("DueReminders = %+v, %v, %v", items, next, err)
	}
	if err := s.ActionReminded(ctx, 1, overdue.Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.ActionDone(ctx, 1, "bob", "console"); err != nil || !changed {
		t.Fatalf("ActionDone = %v, %v", changed, err)
	}
	if changed, err := s.ActionDone(ctx, 1, "bob", "console"); err != nil || changed {
		t.Errorf("ActionDone again = %v, %v; want unchanged", changed, err)
	}
	if _, err := s.ActionDone(ctx, 9, "bob", "console"); !errors.Is(err, ErrActionNotFound) {
		t.Errorf("ActionDone of no item: %v", err)
	}
	if items, _, _ := s.DueReminders(ctx, overdue.Add(30*24*time.Hour), 10); len(items) != 0 {
		t.Errorf("a done item is still reminded: %+v", items)
	}
	all, err := s.Actions(ctx, id)
	if err != nil || len(all) != 2 || !all[0].Done() || all[0].DoneBy != "bob" || all[1].Done() || all[1].Service != "checkout" {
		t.Fatalf("Actions = %+v, %v", all, err)
	}
	evs, err := s.PublishedSince(ctx, time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Kind == incident.KindActionAdded || ev.Kind == incident.KindActionDone {
			if ev.Item == nil || ev.Item.Incident != id || ev.Service != "checkout" {
				t.Errorf("event %s carries %+v (service %q)", ev.Kind, ev.Item, ev.Service)
				continue
			}
			got = append(got, string(ev.Kind)+":"+ev.Item.Title+":"+ev.Item.Due)
		}
	}
	want := []string{"action_added:pin package Y below 1.2.3:2027-01-15", "action_added:runbook:", "action_done:pin package Y below 1.2.3:2027-01-15"}
	if len(got) != len(want) {
		t.Fatalf("published %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %s, want %s", i, got[i], want[i])
		}
	}
	if n, _ := srv.Client(t).Exists(ctx, "{test}:inc:1:timeline").Result(); n != 0 {
		t.Error("marking an item done recreated the expired incident's timeline")
	}
}

// A post-mortem's owner is named once; it is done once, and only for a
// resolved incident.
func TestPostmortemState(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	id, err := s.Declare(ctx, Declaration{Service: "checkout", Escalation: "payments", Title: "checkout errors", Severity: "SEV1",
		SeverityRank: 1, By: "alice", Via: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	var invalid *incident.Invalid
	if _, err := s.PostmortemDone(ctx, id, "carol", "cli"); !errors.As(err, &invalid) {
		t.Errorf("done while open: %v, want *incident.Invalid", err)
	}
	if _, err := s.Act(ctx, incident.Request{Incident: id, Action: incident.Resolve, By: "alice", Via: "cli"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if owner, err := s.NamePostmortemOwner(ctx, id, "carol", "the incident manager", true, "carol owns it"); err != nil || owner != "carol" {
		t.Fatalf("NamePostmortemOwner = %q, %v", owner, err)
	}
	if owner, err := s.NamePostmortemOwner(ctx, id, "alice", "who resolved it", true, "alice owns it"); err != nil || owner != "carol" {
		t.Errorf("naming again = %q, %v; want carol kept", owner, err)
	}
	if err := s.PostmortemWritten(ctx, id, "/srv/pm/x.md", "abc"); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.PostmortemDone(ctx, id, "carol", "cli"); err != nil || !changed {
		t.Fatalf("PostmortemDone = %v, %v", changed, err)
	}
	if changed, err := s.PostmortemDone(ctx, id, "bob", "cli"); err != nil || changed {
		t.Errorf("PostmortemDone again = %v, %v", changed, err)
	}
	pm, err := s.Postmortem(ctx, id)
	if err != nil || pm.Owner != "carol" || !pm.Required || !pm.Done() || pm.DoneBy != "carol" || pm.Path != "/srv/pm/x.md" || pm.DraftSum != "abc" {
		t.Errorf("Postmortem = %+v, %v", pm, err)
	}
	if n := countFacts(t, s, id, incident.KindPostmortemOwner); n != 1 {
		t.Errorf("%d postmortem_owner facts, want 1", n)
	}
	if _, err := s.PostmortemDone(ctx, 77, "bob", "cli"); !errors.Is(err, ErrNotFound) {
		t.Errorf("done of no incident: %v", err)
	}
}

// A magic link is spent once; a session is found by its digest until it
// ends.
func TestMagicLinksAndSessions(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if first, err := s.UseMagicLink(ctx, "abc", time.Minute); err != nil || !first {
		t.Fatalf("first use = %v, %v", first, err)
	}
	if first, err := s.UseMagicLink(ctx, "abc", time.Minute); err != nil || first {
		t.Errorf("second use = %v, %v; want refused", first, err)
	}
	if used, err := s.MagicLinkUsed(ctx, "def"); err != nil || used {
		t.Errorf("an unused link reads used: %v, %v", used, err)
	}
	if err := s.CreateSession(ctx, "d1", Session{User: "alice", CSRF: "tok", CreatedAt: clk.Now()}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx, "d1"); err != nil || got.User != "alice" || got.CSRF != "tok" || !got.CreatedAt.Equal(clk.Now()) {
		t.Errorf("Session = %+v, %v", got, err)
	}
	if err := s.EndSession(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "d1"); !errors.Is(err, ErrNoSession) {
		t.Errorf("ended session: %v", err)
	}
}
