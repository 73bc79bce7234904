package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

func TestSeverityFromAlertsRisesOnlyUntilAPersonSetsIt(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	sev := func(fp, name string, rank int) AlertWrite {
		w := write(fp, "g1", false, time.Time{})
		w.Severity, w.SeverityRank = name, rank
		return w
	}
	steps := []struct {
		name       string
		write      AlertWrite
		set        string // set by a person before the write
		want       string
		wantFacts  int           // severity_changed facts so far
		wantMoment time.Duration // after the start: the clock moves a minute a step
	}{
		{"opens at SEV3", sev("a", "SEV3", 3), "", "SEV3", 0, 0},
		{"a less severe alert changes nothing", sev("b", "SEV4", 4), "", "SEV3", 0, 0},
		{"an alert without severity changes nothing", sev("c", "", 0), "", "SEV3", 0, 0},
		{"a more severe alert raises it", sev("d", "SEV2", 2), "", "SEV2", 1, 3 * time.Minute},
		{"a person lowers it; alerts no longer raise it", sev("e", "SEV1", 1), "SEV3", "SEV3", 2, 4 * time.Minute},
	}
	start := clk.Now()
	for i, st := range steps {
		clk.Set(start.Add(time.Duration(i) * time.Minute))
		if st.set != "" {
			if _, err := s.SetSeverity(ctx, 1, st.set, 3, "alice", "cli"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Ingest(ctx, []AlertWrite{st.write}); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		inc, err := s.Incident(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Severity != st.want || !inc.SeverityAt.Equal(start.Add(st.wantMoment)) {
			t.Errorf("%s: severity %q since %v, want %q since %v", st.name, inc.Severity, inc.SeverityAt, st.want, start.Add(st.wantMoment))
		}
		if n := countFacts(t, s, 1, incident.KindSeverity); n != st.wantFacts {
			t.Errorf("%s: %d severity facts, want %d", st.name, n, st.wantFacts)
		}
	}
}

func countFacts(t *testing.T, s *Store, id int64, kind incident.Kind) int {
	t.Helper()
	tl, err := s.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range tl {
		if f.Kind == kind {
			n++
		}
	}
	return n
}

func TestDeclareOpensAnIncidentTheEngineTakes(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	id, err := s.Declare(ctx, Declaration{Service: "checkout", Escalation: "payments", Title: "checkout errors for EU users",
		Summary: "reported by support", Severity: "SEV1", SeverityRank: 1, By: "alice", Via: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.Declare(ctx, Declaration{Service: "checkout", Escalation: "payments", Title: "checkout errors for EU users", By: "bob", Via: "api"})
	if err != nil {
		t.Fatal(err)
	}
	if id2 == id {
		t.Fatalf("two declarations share incident %d: declared incidents group nothing", id)
	}
	inc, err := s.Incident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != incident.Triggered || inc.Severity != "SEV1" || inc.SeverityBy != "alice" || inc.DeclaredBy != "alice" ||
		inc.Title != "checkout errors for EU users" || inc.Summary != "reported by support" || inc.FiringCount != 0 {
		t.Errorf("declared incident = %+v", inc)
	}
	tl, _ := s.Timeline(ctx, id)
	if len(tl) != 1 || tl[0].Kind != incident.KindTriggered || tl[0].Actor != "alice" || tl[0].Via != "cli" {
		t.Errorf("timeline = %+v, want one triggered fact by alice via cli", tl)
	}
	_, claims, err := s.ClaimDue(ctx, 5*time.Second, 10)
	if err != nil || len(claims) != 2 {
		t.Fatalf("claims = %v, %v: want both declared incidents due at once", claims, err)
	}
}

func TestCommandActions(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	update := func(state incident.UpdateState, text, public string) func() (CommandResult, error) {
		return func() (CommandResult, error) {
			return s.PostUpdate(ctx, 1, incident.StatusUpdate{By: "alice", Via: "cli", State: state, Text: text, PublicText: public}, time.Hour)
		}
	}
	steps := []struct {
		name    string
		do      func() (CommandResult, error)
		want    incident.Outcome
		was     string
		wantErr error
	}{
		{"alice takes command", func() (CommandResult, error) { return s.Assign(ctx, 1, incident.RoleManager, "alice", "alice", "sms") }, incident.OutcomeAssigned, "", nil},
		{"again: unchanged", func() (CommandResult, error) { return s.Assign(ctx, 1, incident.RoleManager, "alice", "alice", "sms") }, incident.OutcomeUnchanged, "alice", nil},
		{"bob takes over", func() (CommandResult, error) { return s.Assign(ctx, 1, incident.RoleManager, "bob", "carol", "api") }, incident.OutcomeAssigned, "alice", nil},
		{"a scribe", func() (CommandResult, error) { return s.Assign(ctx, 1, incident.RoleScribe, "carol", "bob", "cli") }, incident.OutcomeAssigned, "", nil},
		{"the scribe role taken back", func() (CommandResult, error) { return s.Assign(ctx, 1, incident.RoleScribe, "", "bob", "cli") }, incident.OutcomeAssigned, "carol", nil},
		{"severity set", func() (CommandResult, error) { return s.SetSeverity(ctx, 1, "SEV2", 2, "bob", "cli") }, incident.OutcomeSeverity, "", nil},
		{"first update", update(incident.StateInvestigating, "looking at the EU load balancers", ""), incident.OutcomeUpdated, "1", nil},
		{"second update", update(incident.StateIdentified, "bad deploy abc123", "We found the cause."), incident.OutcomeUpdated, "2", nil},
		{"resolved by update", update(incident.StateResolved, "rolled back", ""), incident.OutcomeUpdated, "3", nil},
		{"no update after", update(incident.StateMonitoring, "late", ""), "", "", incident.ErrClosed},
		{"no role after", func() (CommandResult, error) { return s.Assign(ctx, 1, incident.RoleComms, "dan", "bob", "cli") }, "", "", incident.ErrClosed},
		{"severity may be corrected after", func() (CommandResult, error) { return s.SetSeverity(ctx, 1, "SEV1", 1, "bob", "cli") }, incident.OutcomeSeverity, "SEV2", nil},
		{"unknown incident", func() (CommandResult, error) { return s.Assign(ctx, 99, incident.RoleManager, "bob", "bob", "cli") }, "", "", ErrNotFound},
	}
	for _, st := range steps {
		clk.Advance(time.Minute)
		res, err := st.do()
		if st.wantErr != nil {
			if !errors.Is(err, st.wantErr) {
				t.Errorf("%s: err = %v, want %v", st.name, err, st.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if res.Outcome != st.want || res.Was != st.was {
			t.Errorf("%s = %+v, want %s was %q", st.name, res, st.want, st.was)
		}
	}
	inc, err := s.Incident(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != incident.Resolved || inc.ResolvedBy != "alice" || inc.Role(incident.RoleManager) != "bob" ||
		inc.Role(incident.RoleScribe) != "" || inc.Severity != "SEV1" || inc.UpdateState != incident.StateResolved || inc.Updates != 3 {
		t.Errorf("incident = %+v", inc)
	}
	ups, err := s.Updates(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 3 || ups[1].N != 2 || ups[1].State != incident.StateIdentified || ups[1].Public() != "We found the cause." ||
		ups[0].Public() != "looking at the EU load balancers" || ups[1].By != "alice" || ups[1].At.IsZero() {
		t.Errorf("updates = %+v", ups)
	}
	// Every change is on the timeline, attributed; the update carries its state.
	tl, _ := s.Timeline(ctx, 1)
	var got []string
	for _, f := range tl {
		if f.Kind == incident.KindRoleAssigned || f.Kind == incident.KindStatusUpdate || f.Kind == incident.KindSeverity {
			got = append(got, fmt.Sprintf("%s %s by %s [%s]", f.Kind, f.Detail, f.Actor, f.Tag))
		}
	}
	want := []string{
		"role_assigned manager: alice by alice [manager]",
		"role_assigned manager: bob (was alice) by carol [manager]",
		"role_assigned scribe: carol by bob [scribe]",
		"role_assigned scribe: nobody (was carol) by bob [scribe]",
		"severity_changed none → SEV2 by bob [SEV2]",
		"status_update looking at the EU load balancers by alice [investigating]",
		"status_update bad deploy abc123 by alice [identified]",
		"status_update rolled back by alice [resolved]",
		"severity_changed SEV2 → SEV1 by bob [SEV1]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("command facts:\n%q\nwant\n%q", got, want)
	}
	// Consumers read the update from its event, without another read.
	evs, err := s.PublishedSince(ctx, time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seen int
	for _, ev := range evs {
		if ev.Kind == incident.KindStatusUpdate {
			seen++
			if ev.Update == nil || ev.Update.N != seen || ev.Update.State != incident.UpdateState(ev.Tag) {
				t.Errorf("status update event %+v carries %+v", ev, ev.Update)
			}
		}
	}
	if seen != 3 {
		t.Errorf("%d status update events, want 3", seen)
	}
}

func TestTimelinePages(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	for i := range 24 {
		if _, err := s.Act(ctx, incident.Request{Incident: 1, Action: incident.Note, By: "alice", Via: "cli", Text: fmt.Sprint("note ", i)}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	var all []incident.Fact
	cursor, pages := "", 0
	for {
		page, next, err := s.TimelinePage(ctx, 1, cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 25 || pages != 3 || all[0].Kind != incident.KindTriggered || all[24].Detail != "note 23" {
		t.Errorf("paged %d facts in %d pages, want 25 in 3, oldest first", len(all), pages)
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID <= all[i-1].ID && len(all[i].ID) <= len(all[i-1].ID) {
			t.Errorf("fact %d has ID %s after %s", i, all[i].ID, all[i-1].ID)
		}
	}
}

func TestNoteKeepsItsTag(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, incident.Request{Incident: 1, Action: incident.Note, By: "alice", Via: "sms", Text: "memory limit too low", Tag: incident.TagRootCause}, time.Hour); err != nil {
		t.Fatal(err)
	}
	tl, _ := s.Timeline(ctx, 1)
	if last := tl[len(tl)-1]; last.Kind != incident.KindNote || last.Tag != string(incident.TagRootCause) || last.Actor != "alice" {
		t.Errorf("note fact = %+v, want alice's, tagged root_cause", last)
	}
}
