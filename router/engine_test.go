package router

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
	"github.com/redis/go-redis/v9"

	// The real channels: the engine asks their registry for ranks and
	// addresses.
	_ "github.com/pagerd/pagerd/pagers/all"
)

// blocking is a Pager whose sends hang until their context ends.
type blocking struct{ entered atomic.Int32 }

func (b *blocking) Send(ctx context.Context, _ pagers.Notification) (pagers.Receipt, error) {
	b.entered.Add(1)
	<-ctx.Done()
	return pagers.Receipt{}, ctx.Err()
}

type engineWorld struct {
	store *store.Store
	cfg   *policies.Config
	clock *testenv.Clock
	eng   *Engine
	rt    *Router
}

func newEngineWorld(t *testing.T, sms pagers.Pager, email pagers.Pager) *engineWorld {
	t.Helper()
	return newEngineWorldOn(t, testenv.StartRedis(t).Client(t), sms, email)
}

// newEngineWorldOn is newEngineWorld on a given Redis client (one with
// hooks, say).
func newEngineWorldOn(t *testing.T, rdb redis.UniversalClient, sms pagers.Pager, email pagers.Pager) *engineWorld {
	t.Helper()
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	st := store.New(rdb, "engine")
	st.Clock = clk.Now
	if err := st.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := &engineWorld{store: st, clock: clk}
	w.cfg = &policies.Config{
		Settings: policies.Settings{ResolvedRetention: time.Hour},
		Users: map[string]*policies.User{
			"alice": {Name: "alice", Contacts: map[string]string{"phone": "+15550001", "email": "alice@example.com"}, Rules: []policies.NotifyRule{{Via: "sms"}}},
			"bob":   {Name: "bob", Contacts: map[string]string{"phone": "+15550002"}, Rules: []policies.NotifyRule{{Via: "sms"}}},
			"carol": {Name: "carol", Contacts: map[string]string{"phone": "+15550003"}, Rules: []policies.NotifyRule{{Via: "sms"}}},
		},
		Escalations: map[string]*policies.Escalation{"ops": {Name: "ops", Steps: []policies.EscalationStep{
			{Targets: []policies.Target{{Kind: "user", Name: "alice"}}},
			{After: 10 * time.Minute, Targets: []policies.Target{{Kind: "user", Name: "bob"}}},
		}}},
		Services: []*policies.Service{{Name: "svc", Escalation: "ops"}},
	}
	var mu sync.Mutex
	current := func() *policies.Config { mu.Lock(); defer mu.Unlock(); return w.cfg }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w.eng = &Engine{
		Store: st, Config: current, Log: log, Owner: "test",
		Pagers: func() pagers.Set {
			return pagers.Set{"sms": sms, "email": email, "console": &kindRecorder{}}
		},
		Links:      testLinks,
		StatusPoll: 10 * time.Millisecond,
	}
	w.rt = &Router{Store: st, Config: current, Log: log}
	return w
}

func (w *engineWorld) fire(t *testing.T) {
	t.Helper()
	if _, err := w.store.Ingest(context.Background(), []store.AlertWrite{{
		Fingerprint: "fp1", Doc: json.RawMessage(`{}`), Service: "svc", Escalation: "ops",
		GroupID: "svc:g", GroupLabels: map[string]string{}, Title: "Down", Retention: time.Hour,
	}}); err != nil {
		t.Fatal(err)
	}
}

// due processes incident 1 at the store's clock, as a wake-up would.
func (w *engineWorld) due(t *testing.T) {
	t.Helper()
	if _, err := w.eng.process(context.Background(), 1, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestEditingThePolicyMidIncidentDoesNotPageAgain(t *testing.T) {
	sms := &kindRecorder{}
	w := newEngineWorld(t, sms, &kindRecorder{})
	w.fire(t)
	w.due(t)
	w.clock.Advance(11 * time.Minute)
	w.due(t)
	if sms.count("alice", pagers.KindPage) != 1 || sms.count("bob", pagers.KindPage) != 1 {
		t.Fatalf("before the edit: alice %d, bob %d pages; want 1 each", sms.count("alice", pagers.KindPage), sms.count("bob", pagers.KindPage))
	}
	// A reload puts carol first; the old steps keep their content.
	pol := w.cfg.Escalations["ops"]
	pol.Steps = append([]policies.EscalationStep{{Targets: []policies.Target{{Kind: "user", Name: "carol"}}}}, pol.Steps...)
	w.due(t)
	if sms.count("alice", pagers.KindPage) != 1 || sms.count("bob", pagers.KindPage) != 1 || sms.count("carol", pagers.KindPage) != 1 {
		t.Errorf("after the edit: alice %d, bob %d, carol %d pages; want 1 each", sms.count("alice", pagers.KindPage), sms.count("bob", pagers.KindPage), sms.count("carol", pagers.KindPage))
	}
}

func TestAckStopsASendInFlight(t *testing.T) {
	sms, email := &blocking{}, &kindRecorder{}
	w := newEngineWorld(t, sms, email)
	w.fire(t)
	done := make(chan error, 1)
	go func() { _, err := w.eng.process(context.Background(), 1, w.clock.Now()); done <- err }()
	deadline := time.Now().Add(5 * time.Second)
	for sms.entered.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the SMS send never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := w.rt.Act(context.Background(), incident.Request{Incident: 1, Action: incident.Ack, By: "alice", Via: "link", Credential: incident.CredentialLink}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the send in flight was not stopped by the ack")
	}
	if n := email.count("alice", pagers.KindPage); n != 0 {
		t.Errorf("alice was emailed %d times after she acknowledged", n)
	}
	tl, _ := w.store.Timeline(context.Background(), 1)
	var facts []string
	for _, e := range tl {
		facts = append(facts, string(e.Kind)+": "+e.Detail)
	}
	if !strings.Contains(strings.Join(facts, "\n"), "stopped paging alice") {
		t.Errorf("timeline lacks the stopped page:\n%s", strings.Join(facts, "\n"))
	}
}

func TestSendTimeoutBoundsAPageWhenProvidersHang(t *testing.T) {
	sms, email := &blocking{}, &blocking{}
	w := newEngineWorld(t, sms, email)
	w.eng.SendTimeout = 200 * time.Millisecond
	w.fire(t)
	start := time.Now()
	w.due(t)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("hanging providers held the step for %s", took)
	}
	if sms.entered.Load() != 1 || email.entered.Load() != 1 {
		t.Errorf("tried sms %d and email %d times, want each once within the page's time", sms.entered.Load(), email.entered.Load())
	}
	done, _ := w.store.SendsDone(context.Background(), 1)
	if len(done) != 1 {
		t.Errorf("the timed-out page was not recorded as done: %v", done)
	}
}

// tickOnce claims what is due and works on it, waiting for all of it: one
// poll of Run, for tests that step replicas by hand.
func (e *Engine) tickOnce(ctx context.Context) (int, error) {
	e.defaults()
	_, claims, err := e.Store.ClaimDue(ctx, e.Lease, e.Batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, c := range claims {
		wg.Go(func() { e.work(ctx, c) })
	}
	wg.Wait()
	return len(claims), nil
}

func TestHangingProviderLeavesTimeForTheNextChannel(t *testing.T) {
	email, sms := &blocking{}, &kindRecorder{}
	w := newEngineWorld(t, sms, email)
	w.cfg.Users["alice"].Rules = []policies.NotifyRule{{Via: "email"}}
	w.eng.SendTimeout = 500 * time.Millisecond // for every channel together
	w.fire(t)
	w.due(t)
	if email.entered.Load() != 1 {
		t.Fatalf("email tried %d times, want 1", email.entered.Load())
	}
	if n := sms.count("alice", pagers.KindPage); n != 1 {
		t.Fatalf("after email hung, alice got %d SMS pages, want 1", n)
	}
}

// testLinks signs links with a fixed key under http://x.
func testLinks() links.Builder {
	return links.Builder{PublicURL: "http://x", Signer: links.Signer{Key: []byte("0123456789abcdef0123456789abcdef")}, TTL: time.Hour}
}
