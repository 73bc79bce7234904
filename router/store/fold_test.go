package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// stormy is an alert write of a service that folds storms of more than
// two new incidents within 5m.
func stormy(fp, group, name string, resolved bool) AlertWrite {
	w := write(fp, group, resolved, time.Time{})
	w.Name = name + " " + fp
	w.StormIncidents, w.StormWindow = 2, 5*time.Minute
	return w
}

// flappy is an alert write of a service where more than four changes
// within 1h make an alert flapping, held 15m once resolved.
func flappy(fp string, resolved bool) AlertWrite {
	w := write(fp, "g-"+fp, resolved, time.Time{})
	if resolved {
		w.Doc = json.RawMessage(`{"fingerprint":"` + fp + `","status":"resolved"}`)
	}
	w.FlapChanges, w.FlapWindow, w.FlapHold = 4, time.Hour, 15*time.Minute
	return w
}

type foldStep struct {
	name  string
	at    time.Duration // from the start
	write AlertWrite
	want  IngestResult
}

func runFoldSteps(t *testing.T, s *Store, start time.Time, set func(time.Time), steps []foldStep) {
	t.Helper()
	for _, st := range steps {
		set(start.Add(st.at))
		got, err := s.Ingest(context.Background(), []AlertWrite{st.write})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got[0] != st.want {
			t.Errorf("%s: got %+v, want %+v", st.name, got[0], st.want)
		}
	}
}

func TestStormFoldsNewIncidentsUntilItPasses(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	t0 := clk.Now()
	runFoldSteps(t, s, t0, clk.Set, []foldStep{
		{"first incident opens", 0, stormy("a", "ga", "Disk", false), IngestResult{1, incident.AlertTriggered}},
		{"second opens", time.Minute, stormy("b", "gb", "Disk", false), IngestResult{2, incident.AlertTriggered}},
		{"third starts the storm and is folded", 2 * time.Minute, stormy("c", "gc", "Down", false), IngestResult{4, incident.AlertFolded}},
		{"fourth is folded", 3 * time.Minute, stormy("d", "gd", "Down", false), IngestResult{5, incident.AlertFolded}},
		{"an alert joins a folded incident", 3 * time.Minute, stormy("e", "gc", "Down", false), IngestResult{4, incident.AlertGrouped}},
		{"fifth is folded, 5m after the first fold", 7 * time.Minute, stormy("f", "gf", "Disk", false), IngestResult{6, incident.AlertFolded}},
	})
	storm, err := s.Incident(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if storm.Storm == nil || storm.Storm.Folded != 3 || storm.Storm.Open != 3 || storm.Title != "Alert storm in checkout" ||
		storm.Summary != "3 incidents folded: Down (2), Disk (1)" || storm.Status != incident.Triggered {
		t.Errorf("storm = %+v %+v, want 3 folded and open, titled and summed up", storm, storm.Storm)
	}
	if want := t0.Add(12 * time.Minute); !storm.Storm.PassesAt().Equal(want) {
		t.Errorf("storm passes at %v, want %v", storm.Storm.PassesAt(), want)
	}
	folded, total, err := s.Folded(ctx, 3, 10)
	if err != nil || total != 3 || len(folded) != 3 || folded[0].ID != 6 || folded[2].ID != 4 || folded[2].FiringCount != 2 {
		t.Fatalf("folded = %v (%d), %v; want #6, #5, #4 (2 alerts)", folded, total, err)
	}
	for _, f := range folded {
		if f.FoldedInto != 3 {
			t.Errorf("incident %d folded into %d, want 3", f.ID, f.FoldedInto)
		}
	}
	if tl, _ := s.Timeline(ctx, 4); len(tl) == 0 || tl[0].Kind != incident.KindFolded || !strings.Contains(tl[0].Detail, "#3") {
		t.Errorf("folded incident's timeline = %+v, want it to start folded into #3", tl)
	}

	settle := []struct {
		name                 string
		at                   time.Duration
		resolve              []string // alerts resolved first
		passed, resolvedNow  bool
		wantStatus           incident.Status
		wantOpen, wantFolded int
	}{
		{"not yet: the last fold was 4m ago", 11 * time.Minute, nil, false, false, incident.Triggered, 3, 3},
		{"passes, but folded incidents are open", 12 * time.Minute, nil, true, false, incident.Triggered, 3, 3},
		{"passed twice is passed once", 12 * time.Minute, []string{"c", "e"}, true, false, incident.Triggered, 2, 3},
		{"resolves with its last folded incident", 13 * time.Minute, []string{"d", "f"}, true, true, incident.Resolved, 0, 3},
	}
	for _, st := range settle {
		clk.Set(t0.Add(st.at))
		for _, fp := range st.resolve {
			if _, err := s.Ingest(ctx, []AlertWrite{stormy(fp, "g"+fp, "Down", true)}); err != nil {
				t.Fatal(err)
			}
		}
		passed, resolved, err := s.SettleStorm(ctx, 3, time.Hour)
		if err != nil || passed != st.passed || resolved != st.resolvedNow {
			t.Errorf("%s: SettleStorm = %v, %v, %v; want %v, %v", st.name, passed, resolved, err, st.passed, st.resolvedNow)
		}
		storm, _ := s.Incident(ctx, 3)
		if storm.Status != st.wantStatus || storm.Storm.Open != st.wantOpen || storm.Storm.Folded != st.wantFolded {
			t.Errorf("%s: storm = %s, %+v; want %s with %d of %d open", st.name, storm.Status, storm.Storm, st.wantStatus, st.wantOpen, st.wantFolded)
		}
	}
	tl, _ := s.Timeline(ctx, 3)
	var kinds []string
	for _, f := range tl {
		kinds = append(kinds, string(f.Kind))
	}
	if got := strings.Join(kinds, " "); got != "triggered storm_passed resolved" {
		t.Errorf("storm timeline = %s, want triggered storm_passed resolved", got)
	}
	// Counting starts afresh: the next new incident opens on its own.
	runFoldSteps(t, s, t0, clk.Set, []foldStep{
		{"after the storm, a new incident opens", 14 * time.Minute, stormy("g", "gg", "Disk", false), IngestResult{7, incident.AlertTriggered}},
	})
}

func TestStormAckAndResolveCarryToFoldedIncidents(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	t0 := clk.Now()
	runFoldSteps(t, s, t0, clk.Set, []foldStep{
		{"1", 0, stormy("a", "ga", "A", false), IngestResult{1, incident.AlertTriggered}},
		{"2", 0, stormy("b", "gb", "A", false), IngestResult{2, incident.AlertTriggered}},
		{"3 folds", 0, stormy("c", "gc", "A", false), IngestResult{4, incident.AlertFolded}},
		{"4 folds", 0, stormy("d", "gd", "A", false), IngestResult{5, incident.AlertFolded}},
	})
	// One folded incident is resolved by hand before the storm is acknowledged.
	if _, err := s.Act(ctx, incident.Request{Incident: 5, Action: incident.Resolve, By: "bob"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		action incident.Action
		want   map[int64]incident.Status
	}{
		{incident.Ack, map[int64]incident.Status{1: incident.Triggered, 3: incident.Acknowledged, 4: incident.Acknowledged, 5: incident.Resolved}},
		{incident.Resolve, map[int64]incident.Status{1: incident.Triggered, 3: incident.Resolved, 4: incident.Resolved, 5: incident.Resolved}},
	} {
		if _, err := s.Act(ctx, incident.Request{Incident: 3, Action: step.action, By: "alice", Via: "sms"}, time.Hour); err != nil {
			t.Fatal(err)
		}
		for id, want := range step.want {
			inc, err := s.Incident(ctx, id)
			if err != nil || inc.Status != want {
				t.Errorf("after %s of the storm, incident %d = %v, %v; want %s", step.action, id, inc.Status, err, want)
			}
		}
	}
	inc, _ := s.Incident(ctx, 4)
	if inc.ResolvedBy != "alice" {
		t.Errorf("folded incident resolved by %q, want alice", inc.ResolvedBy)
	}
	// Resolved by hand, the storm takes no more incidents: counting
	// starts afresh, and the two opened within the window start another.
	runFoldSteps(t, s, t0, clk.Set, []foldStep{
		{"after a resolved storm, a new incident opens", time.Minute, stormy("e", "ge", "A", false), IngestResult{6, incident.AlertTriggered}},
	})
}

func TestFlappingAlertPagesOnceAndIsHeld(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	t0 := clk.Now()
	runFoldSteps(t, s, t0, clk.Set, []foldStep{
		{"fires", 0, flappy("a", false), IngestResult{1, incident.AlertTriggered}},
		{"resolves: changes 1 and 2", time.Minute, flappy("a", true), IngestResult{1, incident.AlertClosed}},
		{"fires: 3", 2 * time.Minute, flappy("a", false), IngestResult{2, incident.AlertTriggered}},
		{"re-sent firing is no change", 2 * time.Minute, flappy("a", false), IngestResult{2, incident.AlertDeduplicated}},
		{"resolves: 4", 3 * time.Minute, flappy("a", true), IngestResult{2, incident.AlertClosed}},
		{"re-sent resolved is no change", 3 * time.Minute, flappy("a", true), IngestResult{0, incident.AlertIgnored}},
		{"fires: 5, flapping", 4 * time.Minute, flappy("a", false), IngestResult{3, incident.AlertTriggered}},
		{"resolves: held", 5 * time.Minute, flappy("a", true), IngestResult{3, incident.AlertFlapping}},
		{"re-sent resolved while held", 5 * time.Minute, flappy("a", true), IngestResult{3, incident.AlertIgnored}},
		{"fires again: absorbed", 6 * time.Minute, flappy("a", false), IngestResult{3, incident.AlertFlapping}},
		{"re-sent firing", 6 * time.Minute, flappy("a", false), IngestResult{3, incident.AlertDeduplicated}},
		{"resolves: held 15m", 7 * time.Minute, flappy("a", true), IngestResult{3, incident.AlertFlapping}},
		{"another alert keeps its own count", 7 * time.Minute, flappy("b", false), IngestResult{4, incident.AlertTriggered}},
	})
	inc, err := s.Incident(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !inc.Flapping || inc.Status != incident.Triggered || inc.FiringCount != 1 {
		t.Fatalf("incident 3 = %+v, want flapping, triggered, its alert held as firing", inc)
	}
	if want := t0.Add(22 * time.Minute); !inc.NextAlertEnd().Equal(want) {
		t.Errorf("held until %v, want %v", inc.NextAlertEnd(), want)
	}
	for _, id := range []int64{1, 2, 4} {
		if inc, _ := s.Incident(ctx, id); inc.Flapping {
			t.Errorf("incident %d is flapping, want only 3", id)
		}
	}
	for _, st := range []struct {
		at     time.Duration
		closed bool
	}{{21 * time.Minute, false}, {22 * time.Minute, true}} {
		clk.Set(t0.Add(st.at))
		closed, err := s.ExpireAlerts(ctx, 3, time.Hour)
		if err != nil || closed != st.closed {
			t.Errorf("expire at +%s = %v, %v; want closed %v", st.at, closed, err, st.closed)
		}
	}
	tl, _ := s.Timeline(ctx, 3)
	var got []string
	for _, f := range tl {
		got = append(got, string(f.Kind)+": "+f.Detail)
	}
	want := []string{
		"triggered: CheckoutDown",
		"flapping: CheckoutDown changed state more than 4 times within 1h: its flips no longer page",
		"alert_resolved: CheckoutDown (flapping: resolves if it stays resolved for 15m)",
		"alert_firing: CheckoutDown (flapping)",
		"alert_resolved: CheckoutDown (flapping: resolves if it stays resolved for 15m)",
		"alert_resolved: a stayed resolved for its hold time (flapping)",
		"resolved: all alerts ended",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Still flapping within the window: its next firing opens an incident
	// that pages once, marked flapping again.
	runFoldSteps(t, s, t0, clk.Set, []foldStep{
		{"fires after the hold", 30 * time.Minute, flappy("a", false), IngestResult{5, incident.AlertTriggered}},
	})
	if inc, _ := s.Incident(ctx, 5); !inc.Flapping {
		t.Errorf("incident 5 = %+v, want flapping", inc)
	}
}

func TestFoldingOffChangesNothing(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	for i, fp := range []string{"a", "b", "c", "d", "e", "f"} {
		got, err := s.Ingest(ctx, []AlertWrite{write(fp, "g"+fp, false, time.Time{}), write(fp, "g"+fp, true, time.Time{})})
		if err != nil {
			t.Fatal(err)
		}
		if want := []IngestResult{{int64(i + 1), incident.AlertTriggered}, {int64(i + 1), incident.AlertClosed}}; got[0] != want[0] || got[1] != want[1] {
			t.Errorf("alert %s: %v, want %v", fp, got, want)
		}
	}
}

// ingest.lua takes a service's folding as two strings, "" when off.
func TestFoldArgs(t *testing.T) {
	tests := []struct {
		w           AlertWrite
		storm, flap string
	}{
		{AlertWrite{}, "", ""},
		{AlertWrite{StormIncidents: 5, StormWindow: 5 * time.Minute, FlapChanges: 4, FlapWindow: time.Hour, FlapHold: 15 * time.Minute},
			"5/300000", "4/3600000/900000"},
		{AlertWrite{StormIncidents: 10, StormWindow: 5 * time.Minute, FlapWindow: time.Hour}, "10/300000", ""},
		{AlertWrite{StormWindow: time.Minute, FlapChanges: 2, FlapWindow: time.Minute, FlapHold: time.Minute}, "", "2/60000/60000"},
	}
	for i, tt := range tests {
		if s, fl := tt.w.stormArg(), tt.w.flapArg(); s != tt.storm || fl != tt.flap {
			t.Errorf("alert %d: %q, %q; want %q, %q", i, s, fl, tt.storm, tt.flap)
		}
	}
}
