package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/router/store"
)

const group = "test-consumer"

// recorder is a Consumer that records what it handled, and fails while
// fail says so.
type recorder struct {
	mu       sync.Mutex
	handled  []incident.Event
	attempts int
	fail     func(ev incident.Event) error
	block    chan struct{} // when set, Handle waits on it (a replica stuck mid-event)
	entered  sync.Once
	inside   chan struct{} // when set, closed as Handle first starts
	alive    []bool        // per handled event: was its context alive at the end
}

func (r *recorder) Group() string { return group }

func (r *recorder) Handle(ctx context.Context, ev incident.Event) error {
	if r.inside != nil {
		r.entered.Do(func() { close(r.inside) })
	}
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.fail != nil {
		if err := r.fail(ev); err != nil {
			return err
		}
	}
	r.handled = append(r.handled, ev)
	r.alive = append(r.alive, ctx.Err() == nil)
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.handled {
		out = append(out, ev.ID)
	}
	return out
}

func newStore(t *testing.T) *store.Store {
	t.Helper()
	st := store.New(testenv.StartRedis(t).Client(t), "events")
	if err := st.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// publish makes n incidents, each triggered then acknowledged, and returns
// the events they published, in stream order.
func publish(t *testing.T, st *store.Store, n int) []incident.Event {
	t.Helper()
	ctx := context.Background()
	if err := st.EnsureGroup(ctx, group); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		_, err := st.Ingest(ctx, []store.AlertWrite{{
			Fingerprint: fmt.Sprint("fp", i), Doc: json.RawMessage(`{}`), Service: "svc", Escalation: "ops",
			GroupID: fmt.Sprint("g", i), GroupLabels: map[string]string{}, Title: "Down", Retention: time.Hour,
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if _, err := st.Act(ctx, incident.Request{Incident: int64(i + 1), Action: incident.Ack, By: "alice", Via: "api"}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := st.PublishedSince(ctx, time.Time{}, 1000)
	if err != nil || len(evs) != 2*n {
		t.Fatalf("published %d events, %v; want %d", len(evs), err, 2*n)
	}
	return evs
}

func ids(evs []incident.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.ID)
	}
	return out
}

// fakeTime is a clock that moves only when the runner sleeps.
type fakeTime struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeTime) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
	return ctx.Err()
}

func runner(st *store.Store, owner string, c Consumer, clock *fakeTime) *Runner {
	r := &Runner{
		Store: st, Owner: owner, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Consumers: func() []Consumer { return []Consumer{c} },
		Lease:     time.Second, Poll: 10 * time.Millisecond,
		Backoff: func(attempt int) time.Duration { return min(time.Duration(attempt)*30*time.Second, 2*time.Minute) },
	}
	if clock != nil {
		r.Now, r.Sleep = clock.Now, clock.Sleep
	}
	return r
}

// start runs r until the test ends.
func start(t *testing.T, r *Runner) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

// waitFor polls cond on the real clock: the runner reads a real Redis.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A consumer whose receiver is down for ten minutes gets every event once
// it is back, in the order they happened.
func TestAReceiverDownTenMinutesLosesNothing(t *testing.T) {
	st := newStore(t)
	clock := &fakeTime{now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	downUntil := clock.Now().Add(10 * time.Minute)
	rec := &recorder{fail: func(incident.Event) error {
		if clock.Now().Before(downUntil) {
			return pagers.RetryAfter(errors.New("503 service unavailable"), 20*time.Second)
		}
		return nil
	}}
	want := publish(t, st, 5)
	start(t, runner(st, "A", rec, clock))
	waitFor(t, "every event", func() bool { return len(rec.ids()) >= len(want) })

	if got := rec.ids(); !slices.Equal(got, ids(want)) {
		t.Errorf("handled %v, want every event once, in order %v", got, ids(want))
	}
	if clock.Now().Before(downUntil) || rec.attempts <= len(want) {
		t.Errorf("the receiver was never down: clock %s, %d attempts", clock.Now(), rec.attempts)
	}
}

// A replica that dies mid-event leaves it pending; the next lease holder
// handles it again, first, then the rest in order.
func TestTakeoverAfterACrash(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	want := publish(t, st, 3)
	// Replica "dead" took the lease and read two events, then died.
	if ok, err := st.Lease(ctx, "events:"+group, "dead", 300*time.Millisecond); err != nil || !ok {
		t.Fatal(ok, err)
	}
	read, err := st.ReadEvents(ctx, group, "dead", 2, 0)
	if err != nil || len(read) != 2 {
		t.Fatal(read, err)
	}
	rec := &recorder{}
	start(t, runner(st, "B", rec, nil))
	waitFor(t, "every event", func() bool { return len(rec.ids()) >= len(want) })
	if got := rec.ids(); !slices.Equal(got, ids(want)) {
		t.Errorf("handled %v, want %v: the dead replica's events first, then the rest", got, ids(want))
	}
}

// Two replicas read one group: the lease gives every event to one of them.
func TestTwoReplicasHandleEachEventOnce(t *testing.T) {
	st := newStore(t)
	want := publish(t, st, 10)
	rec := &recorder{}
	start(t, runner(st, "A", rec, nil))
	start(t, runner(st, "B", rec, nil))
	waitFor(t, "every event", func() bool { return len(rec.ids()) >= len(want) })
	if got := rec.ids(); !slices.Equal(got, ids(want)) {
		t.Errorf("handled %v, want each of %v once, in order", got, ids(want))
	}
}

// A stopped reader hands its group over at once: a graceful stop releases
// the lease instead of letting it lapse.
func TestGracefulStopReleasesTheLease(t *testing.T) {
	st := newStore(t)
	want := publish(t, st, 2)
	rec := &recorder{block: make(chan struct{})}
	a := runner(st, "A", rec, nil)
	a.Lease = time.Hour // were it kept, B would wait an hour
	stopA := start(t, a)
	waitFor(t, "A holding the group", func() bool {
		ok, _ := st.Lease(context.Background(), "events:"+group, "probe", time.Millisecond)
		return !ok
	})
	stopA()
	close(rec.block)
	b := runner(st, "B", rec, nil)
	start(t, b)
	waitFor(t, "B handling every event", func() bool { return len(rec.ids()) >= len(want) })
}

// A replica told to stop while it hands an event to a subscriber lets the
// call finish and acknowledges it: the next replica goes on with the next
// event, and the subscriber hears none twice.
func TestStoppingFinishesTheEventBeingHandled(t *testing.T) {
	st := newStore(t)
	want := publish(t, st, 2)
	rec := &recorder{block: make(chan struct{}), inside: make(chan struct{})}
	a := runner(st, "A", rec, nil)
	ctx, sigterm := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() { defer close(returned); _ = a.Run(ctx) }()
	<-rec.inside
	sigterm()
	close(rec.block) // the subscriber answers after the stop began
	<-returned
	if got := rec.ids(); len(got) != 1 || !rec.alive[0] {
		t.Fatalf("A handled %v (context alive: %v), want the first event, its call not cut short", got, rec.alive)
	}
	start(t, runner(st, "B", rec, nil))
	// One more event: B handles events in order, so once it has this one
	// any repeat of an earlier one would be in the record.
	if _, err := st.Act(context.Background(), incident.Request{Incident: 1, Action: incident.Resolve, By: "alice", Via: "api"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	want, _ = st.PublishedSince(context.Background(), time.Time{}, 1000)
	waitFor(t, "B handling the rest", func() bool { return len(rec.ids()) >= len(want) })
	if got := rec.ids(); !slices.Equal(got, ids(want)) {
		t.Errorf("handled %v, want each of %v once", got, ids(want))
	}
}

// An event the consumer refuses for good is dropped; the rest go on.
func TestPermanentErrorDropsOneEvent(t *testing.T) {
	st := newStore(t)
	want := publish(t, st, 2)
	bad := want[1].ID
	rec := &recorder{fail: func(ev incident.Event) error {
		if ev.ID == bad {
			return pagers.Permanent(errors.New("410 gone"))
		}
		return nil
	}}
	start(t, runner(st, "A", rec, &fakeTime{now: time.Now()}))
	waitFor(t, "the other events", func() bool { return len(rec.ids()) >= len(want)-1 })
	if got := rec.ids(); slices.Contains(got, bad) || len(got) != len(want)-1 {
		t.Errorf("handled %v, want all but %s", got, bad)
	}
}

// A store of three shards has three event streams: the runner reads each
// with a reader and a lease of its own, so the events of incidents in
// every shard are handled, each incident's in order, and acknowledged.
func TestReadsEveryShardsStream(t *testing.T) {
	ctx := context.Background()
	st := store.New(testenv.StartRedis(t).Client(t), "events", store.WithShards(3))
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureGroup(ctx, group); err != nil {
		t.Fatal(err)
	}
	var incidents []int64
	for i := range 9 {
		res, err := st.Ingest(ctx, []store.AlertWrite{{
			Fingerprint: fmt.Sprint("fp", i), Doc: json.RawMessage(`{}`), Service: "svc", Escalation: "ops",
			GroupID: fmt.Sprint("g", i), GroupLabels: map[string]string{}, Title: "Down", Retention: time.Hour,
		}})
		if err != nil {
			t.Fatal(err)
		}
		incidents = append(incidents, res[0].IncidentID)
	}
	for _, action := range []incident.Action{incident.Ack, incident.Resolve} {
		for _, id := range incidents {
			if _, err := st.Act(ctx, incident.Request{Incident: id, Action: action, By: "alice", Via: "api"}, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, err := st.PublishedSince(ctx, time.Time{}, 1000)
	if err != nil || len(want) != 3*len(incidents) {
		t.Fatalf("published %d events, %v; want %d", len(want), err, 3*len(incidents))
	}
	streams := map[string]bool{}
	for _, ev := range want {
		k, _, tagged := strings.Cut(ev.ID, "/")
		if !tagged {
			k = "0"
		}
		streams[k] = true
	}
	if len(streams) != 3 {
		t.Fatalf("events in the streams of shards %v, want all three: the test needs incidents in every shard", streams)
	}

	rec := &recorder{}
	stop := start(t, runner(st, "A", rec, nil))
	waitFor(t, "every event", func() bool { return len(rec.ids()) >= len(want) })
	for _, lease := range []string{"events:" + group, "events:" + group + "#1", "events:" + group + "#2"} {
		if ok, err := st.Lease(ctx, lease, "probe", time.Millisecond); err != nil || ok {
			t.Errorf("lease %s free (%v), want it held by A's reader of that stream", lease, err)
		}
	}
	stop()
	got := rec.ids()
	if len(got) != len(want) {
		t.Errorf("handled %d events, want each of the %d once: %v", len(got), len(want), got)
	}
	for _, id := range incidents {
		if g, w := ofIncident(rec.events(), id), ofIncident(want, id); !slices.Equal(g, w) {
			t.Errorf("incident %d: handled %v, want %v, in that order", id, g, w)
		}
	}
	// Every event was acknowledged: nothing is left pending in any
	// stream for the next holder, and a second runner handles only what
	// is new.
	for k, s := range st.EventStreams() {
		if left, err := s.ClaimPendingEvents(ctx, group, "probe"); err != nil || len(left) > 0 {
			t.Errorf("stream %d: %d events left pending (%v), want none", k, len(left), err)
		}
	}
	again := &recorder{}
	start(t, runner(st, "B", again, nil))
	res, err := st.Ingest(ctx, []store.AlertWrite{{
		Fingerprint: "fp-new", Doc: json.RawMessage(`{}`), Service: "svc", Escalation: "ops",
		GroupID: "g-new", GroupLabels: map[string]string{}, Title: "Down", Retention: time.Hour,
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new event", func() bool { return len(again.ids()) >= 1 })
	if evs := again.events(); len(evs) != 1 || evs[0].Incident != res[0].IncidentID {
		t.Errorf("the second runner handled %v, want only the new incident's event", again.ids())
	}
}

func (r *recorder) events() []incident.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.handled)
}

// ofIncident is the ids of the events of incident id, in their order.
func ofIncident(evs []incident.Event, id int64) []string {
	var out []string
	for _, ev := range evs {
		if ev.Incident == id {
			out = append(out, ev.ID)
		}
	}
	return out
}
