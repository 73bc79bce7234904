package router

import (
	"context"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/escalation"
	"github.com/pagerd/pagerd/router/store"
)

// runUntil runs e until signal is called (SIGTERM); done closes when Run
// has returned.
func runUntil(e *Engine) (signal func(), done <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() { defer close(returned); _ = e.Run(ctx) }()
	return cancel, returned
}

// ctxAtAnswer is a pager whose provider answers when gate closes, and that
// notes whether the send's context was still alive then.
type ctxAtAnswer struct {
	kindRecorder
	user    string
	entered chan struct{}
	gate    chan struct{}
	alive   chan bool
}

func (p *ctxAtAnswer) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	if n.User == p.user && n.Kind == pagers.KindPage {
		close(p.entered)
		<-p.gate
		p.alive <- ctx.Err() == nil
		if ctx.Err() != nil {
			return pagers.Receipt{}, ctx.Err()
		}
	}
	return p.kindRecorder.Send(ctx, n)
}

func shutdownWorld(t *testing.T) (*store.Store, *testenv.Clock, *policies.Config) {
	t.Helper()
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	st := store.New(testenv.StartRedis(t).Client(t), "shutdown")
	st.Clock = clk.Now
	if err := st.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, clk, replicasConfig()
}

// A replica told to stop while a provider is taking a page lets the call
// finish, records it, and hands the incident back: the next replica pages
// nobody twice and the incident's next step is not held behind a lease.
func TestStoppingFinishesAndRecordsPagesInFlight(t *testing.T) {
	st, clk, cfg := shutdownWorld(t)
	sms := &ctxAtAnswer{user: "bob", entered: make(chan struct{}), gate: make(chan struct{}), alive: make(chan bool, 1)}
	a := replica(st, cfg, sms, "A")
	a.Poll = time.Hour // only a wake-up claims
	sigterm, returned := runUntil(a)
	fireOne(t, st, "fp1", "svc:g")
	a.Wake()
	<-sms.entered // bob's SMS is at the provider
	sigterm()
	close(sms.gate) // the provider answers after the stop began
	if !<-sms.alive {
		t.Fatal("the stop cancelled a provider call in flight")
	}
	<-returned

	done, _ := st.SendsDone(context.Background(), 1)
	if len(done) != 2 {
		t.Errorf("sends recorded as done = %v, want alice's and bob's", done)
	}
	// The timer is no longer leased: due at once for whoever polls, or
	// when the one-step policy runs out (a minute after its step).
	if next, _ := st.NextDue(context.Background()); next.After(clk.Now()) && !next.Equal(clk.Now().Add(time.Minute)) {
		t.Errorf("incident due at %s after the stop, want it at once (%s) or when its policy runs out, not behind a lease", next, clk.Now())
	}
	b := replica(st, cfg, &sms.kindRecorder, "B")
	if err := b.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a, b := sms.count("alice", pagers.KindPage), sms.count("bob", pagers.KindPage); a != 1 || b != 1 {
		t.Errorf("pages after the handover: alice %d, bob %d; want 1 each", a, b)
	}
}

// A page still in flight when the grace runs out is cut short and given
// back, not recorded as failed: the next replica sends it at once.
func TestStoppingPastTheGraceHandsThePageOver(t *testing.T) {
	st, _, cfg := shutdownWorld(t)
	hang := &blocking{}
	a := replica(st, cfg, hang, "A")
	a.Poll, a.Grace = time.Hour, 100*time.Millisecond
	sigterm, returned := runUntil(a)
	fireOne(t, st, "fp1", "svc:g")
	a.Wake()
	deadline := time.Now().Add(5 * time.Second)
	for hang.entered.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the pages never reached the provider")
		}
		time.Sleep(5 * time.Millisecond)
	}
	sigterm()
	<-returned

	sms := &kindRecorder{}
	b := replica(st, cfg, sms, "B")
	if err := b.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a, b := sms.count("alice", pagers.KindPage), sms.count("bob", pagers.KindPage); a != 1 || b != 1 {
		t.Errorf("pages by the next replica: alice %d, bob %d; want 1 each, at once", a, b)
	}
	tl, _ := st.Timeline(context.Background(), 1)
	for _, f := range tl {
		if f.Kind == "notify_failed" {
			t.Errorf("a page cut short by the stop was recorded as failed: %+v", f)
		}
	}
}

// A replica killed mid-step (no stop, no heartbeat any more) holds its
// incident for one Lease, not minutes: the next replica sends the step's
// pages once the claim lapses, and not before.
func TestCrashedReplicaHoldsItsIncidentForOneLeaseOnly(t *testing.T) {
	st, clk, cfg := shutdownWorld(t)
	ctx := context.Background()
	sms := &kindRecorder{}
	b := replica(st, cfg, sms, "B")
	b.defaults()
	fireOne(t, st, "fp1", "svc:g")
	// Replica A claims the incident and alice's page, then is killed.
	if _, claims, err := st.ClaimDue(ctx, b.Lease, 50); err != nil || len(claims) != 1 {
		t.Fatal(claims, err)
	}
	plan := escalation.Walk(cfg, cfg.Escalations["ops"], escalation.State{Incident: 1, RunAt: clk.Now()}, clk.Now())
	alice := plan.Deliveries[0]
	if alice.User == nil || alice.User.Name != "alice" {
		t.Fatalf("first delivery = %+v, want alice's", alice)
	}
	if s, _, err := st.ClaimSend(ctx, 1, incident.Triggered, 0, alice.Key, b.Lease, "A"); err != nil || s != store.SendClaimed {
		t.Fatal(s, err)
	}
	clk.Advance(b.Lease - time.Second)
	if err := b.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(sms.sent); n != 0 {
		t.Fatalf("B paged %d people while A's claim was still live", n)
	}
	clk.Advance(time.Second)
	if err := b.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if a, b := sms.count("alice", pagers.KindPage), sms.count("bob", pagers.KindPage); a != 1 || b != 1 {
		t.Errorf("pages one lease after the crash: alice %d, bob %d; want 1 each", a, b)
	}
}
