package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

func newTestStore(t *testing.T) (*Store, *testenv.Clock, *testenv.RedisServer) {
	return newTestStoreTB(t)
}

func newTestStoreTB(t testing.TB) (*Store, *testenv.Clock, *testenv.RedisServer) {
	t.Helper()
	srv := testenv.StartRedis(t)
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s := New(srv.Client(t), "test")
	s.Clock = clk.Now
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, clk, srv
}

func write(fp, group string, resolved bool, ends time.Time) AlertWrite {
	return AlertWrite{
		Fingerprint: fp, Action: action(resolved), EndsAt: ends,
		Doc: json.RawMessage(`{"fingerprint":"` + fp + `","status":"firing"}`), Name: "CheckoutDown",
		Service: "checkout", Escalation: "payments", GroupID: group,
		GroupLabels: map[string]string{"alertname": "CheckoutDown"},
		Title:       "CheckoutDown", Retention: time.Hour,
	}
}

func TestIngestDedupGroupAndResolve(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	steps := []struct {
		name   string
		writes []AlertWrite
		want   []IngestResult
	}{
		{"first alert opens an incident", []AlertWrite{write("a", "g1", false, time.Time{})}, []IngestResult{{1, incident.AlertTriggered}}},
		{"re-sent alert is deduplicated", []AlertWrite{write("a", "g1", false, time.Time{})}, []IngestResult{{1, incident.AlertDeduplicated}}},
		{"second alert of the group joins, another group opens", []AlertWrite{
			write("b", "g1", false, time.Time{}), write("c", "g2", false, time.Time{}),
		}, []IngestResult{{1, incident.AlertGrouped}, {2, incident.AlertTriggered}}},
		{"unknown resolved alert is ignored", []AlertWrite{write("zz", "g1", true, time.Time{})}, []IngestResult{{1, incident.AlertIgnored}}},
		{"one of two resolves", []AlertWrite{write("a", "g1", true, time.Time{})}, []IngestResult{{1, incident.AlertEnded}}},
		{"last one resolves the incident", []AlertWrite{write("b", "g1", true, time.Time{})}, []IngestResult{{1, incident.AlertClosed}}},
		{"firing again opens a new incident", []AlertWrite{write("a", "g1", false, time.Time{})}, []IngestResult{{3, incident.AlertTriggered}}},
	}
	for _, st := range steps {
		got, err := s.Ingest(ctx, st.writes)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(got) != len(st.want) {
			t.Fatalf("%s: got %v, want %v", st.name, got, st.want)
		}
		for i := range got {
			if got[i] != st.want[i] {
				t.Errorf("%s: result %d = %+v, want %+v", st.name, i, got[i], st.want[i])
			}
		}
	}
	inc, err := s.Incident(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != incident.Resolved || inc.ResolvedBy != "alerts" || inc.AlertsTotal != 2 {
		t.Errorf("incident 1 = %+v, want resolved by alerts with 2 alerts", inc)
	}
	open, err := s.List(ctx, true, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[0].ID != 3 || open[1].ID != 2 {
		t.Errorf("open incidents = %v, want [3 2]", ids(open))
	}
	tl, err := s.Timeline(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range tl {
		events = append(events, string(e.Kind))
	}
	want := []string{"triggered", "alert_firing", "alert_resolved", "alert_resolved", "resolved"}
	if len(events) != len(want) {
		t.Fatalf("timeline = %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("timeline = %v, want %v", events, want)
			break
		}
	}
}

func ids(incs []*incident.Incident) []int64 {
	var out []int64
	for _, i := range incs {
		out = append(out, i.ID)
	}
	return out
}

func TestAlertsWithEndsAtExpire(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	ends := clk.Now().Add(5 * time.Minute)
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, ends)}); err != nil {
		t.Fatal(err)
	}
	// Re-sent with a later end: the incident must survive the first end.
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, ends.Add(5*time.Minute))}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(6 * time.Minute)
	closed, err := s.ExpireAlerts(ctx, 1, time.Hour)
	if err != nil || closed {
		t.Fatalf("ExpireAlerts at +6m = %v, %v; want still open", closed, err)
	}
	clk.Advance(5 * time.Minute)
	closed, err = s.ExpireAlerts(ctx, 1, time.Hour)
	if err != nil || !closed {
		t.Fatalf("ExpireAlerts at +11m = %v, %v; want closed", closed, err)
	}
}

func TestTransitions(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		action string
		want   incident.Outcome
		before incident.Status
	}{
		{"escalate", incident.OutcomeEscalated, incident.Triggered},
		{"ack", incident.OutcomeAcknowledged, incident.Triggered},
		{"ack", incident.OutcomeUnchanged, incident.Acknowledged},
		{"escalate", incident.OutcomeUnchanged, incident.Acknowledged},
		{"note", incident.OutcomeNoted, incident.Acknowledged},
		{"reopen", incident.OutcomeReopened, incident.Acknowledged},
		{"resolve", incident.OutcomeResolved, incident.Triggered},
		{"ack", incident.OutcomeUnchanged, incident.Resolved},
		{"resolve", incident.OutcomeUnchanged, incident.Resolved},
		{"note", incident.OutcomeNoted, incident.Resolved},
	} {
		got, before, err := transition(ctx, s, 1, tc.action, "alice", "sms", time.Hour)
		if err != nil || got != tc.want || before != tc.before {
			t.Errorf("transition(%s) = %q, %q, %v; want %q, %q", tc.action, got, before, err, tc.want, tc.before)
		}
	}
	inc, _ := s.Incident(ctx, 1)
	if inc.Run != 1 || len(inc.Escalations) != 0 {
		t.Errorf("after reopen: run %d, escalations %v; want run 1 and none (they belong to the run)", inc.Run, inc.Escalations)
	}
	if _, _, err := transition(ctx, s, 99, "ack", "alice", "", time.Hour); !errors.Is(err, ErrNotFound) {
		t.Errorf("ack of missing incident: err = %v, want ErrNotFound", err)
	}
	// A resolved group is free again.
	res, _ := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})})
	if res[0].Outcome != incident.AlertTriggered || res[0].IncidentID != 2 {
		t.Errorf("alert after manual resolve = %+v, want new incident 2", res[0])
	}
}

func TestClaimDueAndReschedule(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	_, claims, err := s.ClaimDue(ctx, 30*time.Second, 10)
	if err != nil || len(claims) != 1 {
		t.Fatalf("first claim = %v, %v; want incident 1", claims, err)
	}
	if _, again, _ := s.ClaimDue(ctx, 30*time.Second, 10); len(again) != 0 {
		t.Fatalf("second replica claimed %v while the lease holds", again)
	}
	// The holder dies: after the lease another replica takes it over.
	clk.Advance(31 * time.Second)
	_, taken, _ := s.ClaimDue(ctx, 30*time.Second, 10)
	if len(taken) != 1 {
		t.Fatalf("claim after lapsed lease = %v, want incident 1", taken)
	}
	// An ack moves the timer: the stale holder's reschedule must not undo it.
	if _, _, err := transition(ctx, s, 1, "ack", "bob", "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Reschedule(ctx, claims[0], clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, _ := s.NextDue(ctx)
	if !due.Equal(clk.Now()) {
		t.Errorf("next due = %v, want the ack's wake-up %v", due, clk.Now())
	}
	if err := s.Reschedule(ctx, taken[0], time.Time{}); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.NextDue(ctx); due.IsZero() {
		t.Error("reschedule by a holder whose lease was overtaken removed the timer")
	}
}

func TestClaimSend(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	claim := func() SendState {
		st, _, err := s.ClaimSend(ctx, 1, incident.Triggered, 0, "k1", time.Minute, "r1")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := claim(); st != SendClaimed {
		t.Fatalf("first claim = %s", st)
	}
	if st := claim(); st != SendBusy {
		t.Fatalf("claim while pending = %s, want busy", st)
	}
	if err := s.FinishSend(ctx, 1, SendResult{Key: "k1", Receipt: "SM1", Kind: incident.KindNotified, Detail: "alice via sms", Reached: &aliceSMS}); err != nil {
		t.Fatal(err)
	}
	if st := claim(); st != SendDone {
		t.Fatalf("claim after finish = %s, want sent", st)
	}
	if _, _, err := transition(ctx, s, 1, "ack", "alice", "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := s.ClaimSend(ctx, 1, incident.Triggered, 0, "k2", time.Minute, "r1"); st != SendStale {
		t.Fatalf("claim after ack = %s, want stale", st)
	}
	who, _ := s.Notified(ctx, 1)
	if len(who) != 1 || who[0] != aliceSMS {
		t.Errorf("notified = %v", who)
	}
}

func TestScriptsSurviveRedisForgettingThem(t *testing.T) {
	s, _, srv := newTestStore(t)
	ctx := context.Background()
	if err := srv.Client(t).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	res, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{}), write("b", "g", false, time.Time{})})
	if err != nil || len(res) != 2 || res[1].Outcome != incident.AlertGrouped {
		t.Fatalf("ingest after SCRIPT FLUSH = %v, %v", res, err)
	}
}

func TestRedisDownIsAnError(t *testing.T) {
	s, _, srv := newTestStore(t)
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err == nil {
		t.Fatal("ingest with Redis down returned no error")
	}
}

func TestLinkSecretIsSharedByReplicas(t *testing.T) {
	s, _, srv := newTestStore(t)
	other := New(srv.Client(t), "test")
	a, err := s.LinkSecret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := other.LinkSecret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || len(a) != 32 {
		t.Errorf("replicas got different link secrets")
	}
}

func TestRegroupingByReloadKeepsAlertsInTheirIncident(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "by-alertname", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	// A reload changed group_by: the same alert now computes another group.
	res, err := s.Ingest(ctx, []AlertWrite{write("a", "by-alertname-and-cluster", false, time.Time{})})
	if err != nil || res[0] != (IngestResult{1, incident.AlertDeduplicated}) {
		t.Fatalf("re-sent alert after regrouping = %v, %v; want deduplicated into 1", res, err)
	}
	res, err = s.Ingest(ctx, []AlertWrite{write("a", "by-alertname-and-cluster", true, time.Time{})})
	if err != nil || res[0] != (IngestResult{1, incident.AlertClosed}) {
		t.Fatalf("resolved alert after regrouping = %v, %v; want incident 1 resolved", res, err)
	}
}

func TestManualResolveFreesFingerprints(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := transition(ctx, s, 1, "resolve", "alice", "api", time.Hour); err != nil {
		t.Fatal(err)
	}
	res, _ := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})})
	if res[0] != (IngestResult{2, incident.AlertTriggered}) {
		t.Fatalf("alert still firing after a manual resolve = %+v, want a new incident 2", res[0])
	}
}

func TestSendRecordsLastAsLongAsTheIncident(t *testing.T) {
	s, _, srv := newTestStore(t)
	ctx := context.Background()
	rdb := srv.Client(t)
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := s.ClaimSend(ctx, 1, incident.Triggered, 0, "k", time.Minute, "r1"); st != SendClaimed {
		t.Fatal(st)
	}
	if err := s.FinishSend(ctx, 1, SendResult{Key: "k", Receipt: "SM1", Kind: incident.KindNotified, Detail: "x"}); err != nil {
		t.Fatal(err)
	}
	sends := s.incidentKey(1) + ":sends"
	if ttl := rdb.PTTL(ctx, sends).Val(); ttl != -1 {
		t.Fatalf("send records of an open incident expire in %s; they must not", ttl)
	}
	done, _ := s.SendsDone(ctx, 1)
	if !done["k"] {
		t.Fatalf("SendsDone = %v, want k", done)
	}
	if _, _, err := transition(ctx, s, 1, "resolve", "alice", "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, sends).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("send records of a resolved incident: TTL %s, want the retention", ttl)
	}
}

func TestRescheduleKeepsTheEarliestAlertEnd(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	_, claims, _ := s.ClaimDue(ctx, time.Minute, 10)
	// While the engine works (it saw no endsAt), an alert with one joins.
	ends := clk.Now().Add(5 * time.Minute)
	if _, err := s.Ingest(ctx, []AlertWrite{write("b", "g", false, ends)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Reschedule(ctx, claims[0], time.Time{}); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.NextDue(ctx); !due.Equal(ends) {
		t.Errorf("next due = %v, want the new alert's end %v", due, ends)
	}
}

func TestZeroRetentionDoesNotBreakScripts(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	w := write("a", "g", false, time.Time{})
	w.Retention = 0
	if _, err := s.Ingest(ctx, []AlertWrite{w}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := transition(ctx, s, 1, "resolve", "x", "", 0); err != nil {
		t.Fatalf("resolve with zero retention: %v", err)
	}
}

func TestReopenOnlyTheAcknowledgementThatTimedOut(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	ack := func() time.Time {
		if _, _, err := transition(ctx, s, 1, "ack", "alice", "", time.Hour); err != nil {
			t.Fatal(err)
		}
		inc, _ := s.Incident(ctx, 1)
		return inc.AckedAt
	}
	first := ack()
	if ok, err := s.Reopen(ctx, 1, first, "ack timeout"); err != nil || !ok {
		t.Fatalf("Reopen of the timed-out ack = %v, %v; want reopened", ok, err)
	}
	clk.Advance(time.Minute)
	ack() // acknowledged anew, on another replica say
	if ok, err := s.Reopen(ctx, 1, first, "ack timeout"); err != nil || ok {
		t.Fatalf("stale Reopen = %v, %v; want the fresh acknowledgement to stand", ok, err)
	}
}

func TestWakeOpenMakesOpenIncidentsDue(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{}), write("b", "g2", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	_, claims, _ := s.ClaimDue(ctx, time.Minute, 10)
	for _, c := range claims {
		_ = s.Reschedule(ctx, c, time.Time{}) // escalation exhausted: no timer
	}
	if due, _ := s.NextDue(ctx); !due.IsZero() {
		t.Fatalf("timers left: %v", due)
	}
	clk.Advance(time.Hour)
	if err := s.WakeOpen(ctx); err != nil {
		t.Fatal(err)
	}
	if _, claims, _ := s.ClaimDue(ctx, time.Minute, 10); len(claims) != 2 {
		t.Errorf("after WakeOpen %d incidents are due, want 2", len(claims))
	}
}

func action(resolved bool) incident.AlertAction {
	if resolved {
		return incident.AlertResolve
	}
	return incident.AlertTrigger
}

var aliceSMS = incident.Reached{User: "alice", Channel: "sms", Address: "+1555"}

// transition applies one action the way people do (and "reopen", the way
// the ack timeout does), with its outcome as plain values for tables, in
// the incident's shard.
func transition(ctx context.Context, s *Store, id int64, action, by, via string, retention time.Duration) (incident.Outcome, incident.Status, error) {
	res, err := s.idShard(id).transition(ctx, id, action, by, via, retention, "")
	return res.Outcome, res.Before, err
}

// The links of the alert that opens an incident are kept with it; a
// later alert of the group does not change them.
func TestIncidentKeepsTheLinksOfItsFirstAlert(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	first, second := write("a", "g", false, time.Time{}), write("b", "g", false, time.Time{})
	first.Links = []incident.Link{{Text: "Dashboard", Href: "https://grafana.example.com/d/x"}}
	second.Links = []incident.Link{{Text: "Other", Href: "https://other"}}
	if _, err := s.Ingest(ctx, []AlertWrite{first, second, write("c", "h", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64][]incident.Link{1: first.Links, 2: nil} {
		inc, err := s.Incident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(inc.Links, want) {
			t.Errorf("incident %d has links %+v, want %+v", id, inc.Links, want)
		}
	}
}

// A request's alerts go to Redis in batches (ingestBatch a call); across
// the batches' edges they are stored in order, each answered in its place,
// and an alert later in the request sees what an earlier one stored.
func TestIngestAcrossBatches(t *testing.T) {
	s, _, _ := newTestStoreTB(t)
	ctx := context.Background()
	if _, args, _ := s.ingestArgs(write("a", "g", false, time.Time{})); len(args) != 2+ingestPerAlert {
		t.Fatalf("ingestArgs gives %d arguments, want 2+%d", len(args), ingestPerAlert)
	}
	n := 2*ingestBatch + 7
	writes := make([]AlertWrite, n)
	for i := range writes {
		// Groups of three straddle the batch edges; the last alert re-sends
		// the first.
		writes[i] = write(fmt.Sprintf("fp-%d", i), fmt.Sprintf("g-%d", i/3), false, time.Time{})
	}
	writes[n-1] = write("fp-0", "g-0", false, time.Time{})
	got, err := s.Ingest(ctx, writes)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d results for %d alerts", len(got), n)
	}
	for i, r := range got[:n-1] {
		want := IngestResult{IncidentID: int64(i/3 + 1), Outcome: incident.AlertGrouped}
		if i%3 == 0 {
			want.Outcome = incident.AlertTriggered
		}
		if r != want {
			t.Errorf("alert %d: %+v, want %+v", i, r, want)
		}
	}
	if last := got[n-1]; last != (IngestResult{IncidentID: 1, Outcome: incident.AlertDeduplicated}) {
		t.Errorf("the re-sent first alert, last in the request: %+v, want deduplicated in incident 1", last)
	}
}

// A re-sent alert that changed nothing is not written again
// (ingest.lua's refresh); one whose end or document changed is.
func TestIngestResentUnchangedWritesNothing(t *testing.T) {
	s, _, srv := newTestStore(t)
	ctx := context.Background()
	rdb := srv.Client(t)
	ends := time.UnixMilli(1_900_000_000_000)
	first := write("a", "g1", false, ends)
	if _, err := s.Ingest(ctx, []AlertWrite{first}); err != nil {
		t.Fatal(err)
	}
	hsets := func() int64 {
		t.Helper()
		stats, err := testenv.CommandStats(ctx, rdb)
		if err != nil {
			t.Fatal(err)
		}
		return stats["hset"].Calls
	}
	changedDoc := first
	changedDoc.Doc = json.RawMessage(`{"fingerprint":"a","status":"firing","labels":{"x":"y"}}`)
	changedEnd := changedDoc
	changedEnd.EndsAt = ends.Add(time.Minute)
	for _, c := range []struct {
		name  string
		w     AlertWrite
		wantN int64 // HSETs it takes
	}{
		{"unchanged", first, 0},
		{"new document", changedDoc, 1},
		{"new end", changedEnd, 2},
		{"unchanged again", changedEnd, 0},
	} {
		before := hsets()
		got, err := s.Ingest(ctx, []AlertWrite{c.w})
		if err != nil {
			t.Fatal(err)
		}
		if want := (IngestResult{1, incident.AlertDeduplicated}); got[0] != want {
			t.Errorf("%s: Ingest = %+v, want %+v", c.name, got[0], want)
		}
		if n := hsets() - before; n != c.wantN {
			t.Errorf("%s: %d HSET calls, want %d", c.name, n, c.wantN)
		}
		docs, err := s.Alerts(ctx, 1)
		if err != nil || len(docs) != 1 || !bytes.Equal(docs[0], c.w.Doc) {
			t.Errorf("%s: Alerts = %s, %v; want %s", c.name, docs, err, c.w.Doc)
		}
	}
}
