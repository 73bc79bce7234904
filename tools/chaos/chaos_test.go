package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestChaosShort is the harness's short run: 3 replicas, 20 incidents
// escalating over 30s, a rolling restart and a kill -9, each aimed at a
// replica caught sending a page. It fails on a page missing, an alert or
// acknowledgement answered 2xx and lost, a page after an acknowledgement,
// and on what the engine promises for each fault: a rolling restart
// repeats no page and delays none by more than a second; a kill -9
// delays none by more than 10s (one lease and a poll) and repeats only
// the sends in flight at the kill.
//
// It ends on observable state, not on a timer: the pages due have
// arrived and pagerd recorded them.
func TestChaosShort(t *testing.T) {
	opts := DefaultOptions()
	opts.Replicas = 3
	opts.Incidents = 20
	opts.Duration = 30 * time.Second
	opts.Schedule = []scheduled{{At: 2 * time.Second, Kind: faultRolling}, {At: 12 * time.Second, Kind: faultKill}}
	opts.Grace = 4 * time.Minute
	opts.MaxLate = 10 * time.Second
	opts.MaxDuplicates = -1 // per fault, below
	opts.WorkDir = t.TempDir()
	opts.Log = logWriter{t}

	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
	defer cancel()
	rep, err := Run(ctx, opts)
	if err != nil {
		t.Fatalf("the harness could not run: %v", err)
	}
	var text strings.Builder
	rep.WriteText(&text)
	t.Logf("report:\n%s", text.String())

	all := rep.Pages[len(rep.Pages)-1]
	if all.Missing > 0 {
		t.Errorf("%d of %d pages missing", all.Missing, all.Expected)
	}
	if n := len(rep.Alerts.Lost); n > 0 {
		t.Errorf("%d alerts answered 2xx are not stored: %v", n, rep.Alerts.Lost)
	}
	if !rep.Pass {
		t.Errorf("the run failed: %s", strings.Join(rep.Failures, "; "))
		logTails(t, opts.WorkDir)
	}
	for _, row := range rep.Pages {
		switch row.Group {
		case string(faultRolling):
			if row.Duplicated > 0 || row.LateMax > 1 {
				t.Errorf("rolling restart: %d pages sent twice, latest %.2fs late; want none twice, none over 1s late", row.Duplicated, row.LateMax)
			}
		case string(faultKill):
			// The replica killed was sending at least one page; a few
			// more of its workers may have been mid-send too.
			if row.Duplicated > 3 {
				t.Errorf("kill -9: %d pages sent twice, want only the few in flight at the kill", row.Duplicated)
			}
		}
	}
	// The run must have exercised what it claims to: every incident
	// opened and escalated, and both faults hit a replica at work.
	if want := opts.Incidents * 3; all.Expected < want {
		t.Errorf("only %d pages expected, want at least %d (one per step of each incident)", all.Expected, want)
	}
	if len(rep.Faults) != 2 {
		t.Fatalf("%d faults injected, want 2: %+v", len(rep.Faults), rep.Faults)
	}
	for _, f := range rep.Faults {
		if !strings.Contains(f.Detail, "sending page") {
			t.Logf("fault %s did not catch a replica sending a page: %s", f.Kind, f.Detail)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	got, err := parseSchedule("20s:kill, 5s:rolling,1m:redis")
	if err != nil {
		t.Fatal(err)
	}
	want := []scheduled{{5 * time.Second, faultRolling}, {20 * time.Second, faultKill}, {time.Minute, faultRedis}}
	if len(got) != len(want) {
		t.Fatalf("parseSchedule = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("parseSchedule[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"5s", "x:rolling", "5s:reboot", "-1s:kill"} {
		if _, err := parseSchedule(bad); err == nil {
			t.Errorf("parseSchedule(%q) = nil error, want one", bad)
		}
	}
	if _, err := parseKinds("rolling,teleport"); err == nil {
		t.Error(`parseKinds("rolling,teleport") = nil error, want one`)
	}
	if k, err := parseKinds("none"); err != nil || len(k) != 0 {
		t.Errorf(`parseKinds("none") = %v, %v, want no kinds`, k, err)
	}
}

func TestPortOf(t *testing.T) {
	for in, want := range map[string]int{"0100007F:1F90": 8080, "00000000000000000000000001000000:C350": 50000, "junk": -1} {
		if got := portOf(in); got != want {
			t.Errorf("portOf(%q) = %d, want %d", in, got, want)
		}
	}
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// logTails logs the end of every process log of a failed run.
func logTails(t *testing.T, dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, path := range logs {
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		t.Logf("--- %s (last lines):\n%s", filepath.Base(path), strings.Join(lines, "\n"))
	}
}

// TestReportCounts checks the counting on made-up receipts: what is
// expected of an incident, missing, duplicated, unexpected after an
// acknowledgement, lost alerts, and the fault a page is counted under.
func TestReportCounts(t *testing.T) {
	step := 4 * time.Second
	cfg, err := writeConfig(t.TempDir(), newSecrets(), endpoints{publicURL: "http://127.0.0.1:1", twilioURL: "http://127.0.0.1:2",
		smtpHost: "127.0.0.1", smtpPort: 25, hookURL: "http://127.0.0.1:3/hook"}, step)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	opts := DefaultOptions()
	opts.StepAfter = step
	opts.Incidents = 2
	h := &harness{opts: opts, cfg: cfg, incidents: map[int64]*tracked{}, rejected: map[string]int{},
		rec: newRecorder(nil, t.TempDir())}
	h.faults = []FaultEvent{{Kind: faultKill, Start: t0.Add(3 * time.Second)}}

	doc := func(id int64, acked time.Time, fps ...string) *incidentDoc {
		d := &incidentDoc{}
		d.ID, d.Escalation, d.RunAt, d.AckedAt = id, escalationName, t0, acked
		for _, fp := range fps {
			d.Alerts = append(d.Alerts, storedAlert{Fingerprint: fp})
		}
		return d
	}
	// #1 runs its whole policy: 7 pages.
	one := &tracked{ID: 1, Name: "Chaos001", State: doc(1, time.Time{}, "a1", "a2")}
	one.Plan = planIncident(cfg, &one.State.Incident)
	// #2 is acknowledged 1.25 steps in: the 4 pages of steps 1 and 2 (bob's
	// first mail) are expected, bob's second mail and step 3 are not.
	ackAt := t0.Add(step + step/4)
	two := &tracked{ID: 2, Name: "Chaos002", AckAfter: step + step/4, AckTried: ackAt.Add(-10 * time.Millisecond), AckOK: true,
		State: doc(2, ackAt, "b1")}
	two.Plan = planIncident(cfg, &two.State.Incident)
	h.incidents[1], h.incidents[2] = one, two
	if len(one.Plan) != 7 || len(two.Plan) != 7 {
		t.Fatalf("plans have %d and %d pages, want 7 each", len(one.Plan), len(two.Plan))
	}

	got := func(p planned, late time.Duration) {
		h.rec.add(receipt{Channel: p.Channel, Match: p.Match, ID: p.Key, Incident: p.Incident, At: p.Due.Add(late)})
	}
	for _, p := range one.Plan {
		switch {
		case p.Who == "carol":
			// never received: missing
		case p.Channel == "webhook" && p.Due.Equal(t0):
			got(p, 10*time.Millisecond)
			got(p, 2*time.Minute) // sent again
		case p.Who == "bob" && p.Due.Equal(t0.Add(step)):
			got(p, 3*time.Second)
		default:
			got(p, 20*time.Millisecond)
		}
	}
	for _, p := range two.Plan {
		switch {
		case p.Due.Before(ackAt):
			got(p, 5*time.Millisecond)
		case p.Who == "carol":
			got(p, 0) // after the acknowledgement: unexpected
		}
	}
	h.rec.add(receipt{Channel: "webhook", Match: "msg_nobody", ID: "msg_nobody", Incident: 9, At: t0.Add(time.Second)})
	h.alerts = []sentAlert{{"a1", 1, t0}, {"a2", 1, t0}, {"b1", 2, t0}, {"b2", 2, t0}}

	rep := h.report(t0, t0.Add(time.Minute), nil)
	rows := map[string]PageRow{}
	for _, r := range rep.Pages {
		rows[r.Group] = r
	}
	all := rows["overall"]
	want := PageRow{Group: "overall", Expected: 11, Delivered: 10, Missing: 1, Duplicated: 1, Extra: 1, Unexpected: 2}
	if all.Expected != want.Expected || all.Delivered != want.Delivered || all.Missing != want.Missing ||
		all.Duplicated != want.Duplicated || all.Extra != want.Extra || all.Unexpected != want.Unexpected {
		t.Errorf("overall = %+v, want %+v", all, want)
	}
	if all.LateMax != 3 {
		t.Errorf("overall late max = %vs, want 3s (bob's mail)", all.LateMax)
	}
	// Steps 1 (due at 0) are counted before the kill at 3s, the rest under
	// it — and so is the webhook due at 0 but sent again after the kill.
	if n, k := rows[faultNone].Expected, rows[faultKill].Expected; n != 3 || k != 8 {
		t.Errorf("expected none = %d, kill = %d; want 3 and 8", n, k)
	}
	if d := rows[faultKill].Duplicated; d != 1 {
		t.Errorf("duplicates under the kill = %d, want the webhook sent again after it", d)
	}
	if len(rep.Alerts.Lost) != 1 || rep.Alerts.Lost[0] != "b2@2" || rep.Alerts.Stored != 3 {
		t.Errorf("alerts = %+v, want b2@2 lost and 3 stored", rep.Alerts)
	}
	if rep.Acks.Acknowledged != 1 || rep.Acks.Stored != 1 || rep.Acks.Raced != 0 {
		t.Errorf("acks = %+v, want one acknowledged and stored", rep.Acks)
	}
	var whats []string
	for _, p := range rep.Problems {
		whats = append(whats, p.What)
	}
	if got, want := strings.Join(whats, ","), "missing,unexpected,unexpected,duplicate,late"; got != want {
		t.Errorf("problems = %s, want %s", got, want)
	}
	if rep.Pass || len(rep.Failures) != 3 {
		t.Errorf("verdict: pass %v, failures %q; want a fail for the missing page, the lost alert and the unexpected pages", rep.Pass, rep.Failures)
	}
}

// TestGroupsFollowHeldIncident: pages of an incident held up by a fault
// are counted under it, even when due after the next fault started.
func TestGroupsFollowHeldIncident(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	h := &harness{rec: newRecorder(nil, t.TempDir()), faults: []FaultEvent{
		{Kind: faultRolling, Start: t0.Add(time.Second)}, {Kind: faultKill, Start: t0.Add(5 * time.Second), Caught: "e"}}}
	plan := []planned{
		{Key: "a", Match: "a", Due: t0},                      // before any fault, on time
		{Key: "b", Match: "b", Due: t0.Add(2 * time.Second)}, // held by the rolling restart
		{Key: "c", Match: "c", Due: t0.Add(6 * time.Second)}, // due after the kill, still held
		{Key: "d", Match: "d", Due: t0.Add(3 * time.Minute)}, // after the hold ended
		{Key: "e", Match: "e", Due: t0.Add(4 * time.Second)}, // due just before the kill that caught it in flight
		// Another incident: due just before the kill, late past it (the
		// killed replica had claimed it), or sent again after it.
		{Key: "f", Match: "f", Due: t0.Add(4 * time.Second)},
		{Key: "g", Match: "g", Due: t0.Add(4 * time.Second)},
	}
	h.rec.add(receipt{Match: "g", At: t0.Add(4 * time.Second)})
	for key, at := range map[string]time.Duration{"a": 0, "b": 2 * time.Minute, "c": 2 * time.Minute, "d": 3 * time.Minute, "e": 4 * time.Second,
		"f": 9 * time.Second, "g": 9 * time.Second} {
		h.rec.add(receipt{Match: key, At: t0.Add(at)})
	}
	got := h.groups(plan)
	want := map[string]string{"a": faultNone, "b": faultRolling, "c": faultRolling, "d": faultKill, "e": faultKill, "f": faultKill, "g": faultKill}
	for k, g := range want {
		if got[k] != g {
			t.Errorf("page %s counted under %q, want %q", k, got[k], g)
		}
	}
}
