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
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// kindRecorder records every notification with its kind.
type kindRecorder struct {
	mu   sync.Mutex
	sent []pagers.Notification
	// gate, when set, blocks sends to gateUser until it is closed; the
	// send then succeeds (the provider accepted it before anyone acked).
	gate     chan struct{}
	gateUser string
	entered  chan struct{}
	delay    time.Duration // every send takes this long (respects ctx)
}

func (r *kindRecorder) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	if r.gate != nil && n.User == r.gateUser && n.Kind == pagers.KindPage {
		close(r.entered)
		<-r.gate
	}
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-ctx.Done():
			return pagers.Receipt{}, ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, n)
	return pagers.Receipt{ProviderID: "x"}, nil
}

func (r *kindRecorder) count(user string, kind pagers.Kind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := 0
	for _, n := range r.sent {
		if n.User == user && n.Kind == kind {
			c++
		}
	}
	return c
}

func replicasConfig() *policies.Config {
	return &policies.Config{
		Settings: policies.Settings{ResolvedRetention: time.Hour},
		Users: map[string]*policies.User{
			"alice": {Name: "alice", Contacts: map[string]string{"phone": "+15550001"}, Rules: []policies.NotifyRule{{Via: "sms"}}},
			"bob":   {Name: "bob", Contacts: map[string]string{"phone": "+15550002"}, Rules: []policies.NotifyRule{{Via: "sms"}}},
		},
		Escalations: map[string]*policies.Escalation{"ops": {Name: "ops", Steps: []policies.EscalationStep{
			{Targets: []policies.Target{{Kind: "user", Name: "alice"}, {Kind: "user", Name: "bob"}}},
		}}},
		Services: []*policies.Service{{Name: "svc", Escalation: "ops"}},
	}
}

func replica(st *store.Store, cfg *policies.Config, sms pagers.Pager, owner string) *Engine {
	return &Engine{
		Store: st, Config: func() *policies.Config { return cfg }, Owner: owner,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Pagers: func() pagers.Set {
			return pagers.Set{"sms": sms, "console": &kindRecorder{}}
		},
		Links: testLinks,
	}
}

func fireOne(t *testing.T, st *store.Store, fp, group string) {
	t.Helper()
	if _, err := st.Ingest(context.Background(), []store.AlertWrite{{
		Fingerprint: fp, Doc: json.RawMessage(`{}`), Service: "svc", Escalation: "ops",
		GroupID: group, GroupLabels: map[string]string{}, Title: "Down", Retention: time.Hour,
	}}); err != nil {
		t.Fatal(err)
	}
}

// A page that the provider accepts just after someone acknowledges (inside
// the StatusPoll window) is recorded after another replica already handled
// the ack: recording it must wake the incident so that person, too, hears
// it was acknowledged.
func TestReplicasAckNoticeReachesAPageFinishingAfterTheAck(t *testing.T) {
	ctx := context.Background()
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	st := store.New(testenv.StartRedis(t).Client(t), "rv1")
	st.Clock = clk.Now
	cfg := replicasConfig()
	sms := &kindRecorder{gate: make(chan struct{}), gateUser: "bob", entered: make(chan struct{})}
	a := replica(st, cfg, sms, "A")
	a.StatusPoll = time.Hour // the ack lands inside one poll interval
	b := replica(st, cfg, sms, "B")
	rt := &Router{Store: st, Config: func() *policies.Config { return cfg }, Log: a.Log}

	fireOne(t, st, "fp1", "svc:g")
	doneA := make(chan error, 1)
	go func() { _, err := a.tickOnce(ctx); doneA <- err }()
	<-sms.entered // bob's SMS is at the provider

	if _, err := rt.Act(ctx, incident.Request{Incident: 1, Action: incident.Ack, By: "alice", Via: "link", Credential: incident.CredentialLink}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.tickOnce(ctx); err != nil || n != 1 {
		t.Fatalf("replica B tick: %d %v", n, err)
	}
	close(sms.gate) // the provider answers: bob's page was delivered
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		clk.Advance(time.Hour)
		_, _ = a.tickOnce(ctx)
		_, _ = b.tickOnce(ctx)
	}
	notified, _ := st.Notified(ctx, 1)
	next, _ := st.NextDue(ctx)
	if sms.count("bob", pagers.KindPage) == 1 && sms.count("bob", pagers.KindAcknowledged) == 0 {
		t.Errorf("bob was paged (notified=%v) but never told alice acknowledged; timer left: %v", notified, next)
	}
}

// A notice that takes longer than a lease is kept alive by its replica's
// heartbeat: another replica polling after the lease would have lapsed
// finds nothing to take over, and the notice goes out once.
func TestReplicasSlowNoticeIsNeverSentTwice(t *testing.T) {
	ctx := context.Background()
	st := store.New(testenv.StartRedis(t).Client(t), "rv2") // Redis clock: leases lapse in real time
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := replicasConfig()
	fast := &kindRecorder{}
	lease := 400 * time.Millisecond
	a := replica(st, cfg, fast, "A")
	a.Lease = lease
	fireOne(t, st, "fp1", "svc:g")
	if _, err := a.tickOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if fast.count("bob", pagers.KindPage) != 1 {
		t.Fatal("bob not paged")
	}
	if _, err := st.Act(ctx, incident.Request{Incident: 1, Action: incident.Resolve, By: "alice", Via: "api"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	slow := &kindRecorder{delay: 3 * lease} // e.g. Retry over a sluggish SMTP/Twilio
	a = replica(st, cfg, slow, "A")
	a.Lease = lease
	b := replica(st, cfg, slow, "B")
	b.Lease = lease
	doneA := make(chan error, 1)
	go func() { _, err := a.tickOnce(ctx); doneA <- err }()
	time.Sleep(lease + 100*time.Millisecond) // without heartbeats, A's leases would have lapsed
	if n, err := b.tickOnce(ctx); err != nil || n != 0 {
		t.Fatalf("replica B took over %d incidents (%v) while A's heartbeat kept them", n, err)
	}
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	if n := slow.count("bob", pagers.KindResolved); n != 1 {
		t.Errorf("bob got %d resolved notices; want 1", n)
	}
	tl, _ := st.Timeline(ctx, 1)
	told := 0
	for _, e := range tl {
		if e.Kind == incident.KindResolvedNotice && strings.Contains(e.Detail, "bob") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("timeline records %d resolved notices to bob, want 1: %+v", told, tl)
	}
}

// An incident whose provider hangs holds one worker only: the first page of
// an unrelated incident that triggers meanwhile goes out at once.
func TestSlowIncidentDoesNotDelayOtherPages(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := store.New(testenv.StartRedis(t).Client(t), "rv3")
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := replicasConfig()
	cfg.Users["alice"].Rules = []policies.NotifyRule{{Via: "email"}}
	cfg.Users["alice"].Contacts["email"] = "alice@example.com"
	cfg.Escalations["ops"].Steps[0].Targets = []policies.Target{{Kind: "user", Name: "alice"}}
	cfg.Escalations["ops2"] = &policies.Escalation{Name: "ops2", Steps: []policies.EscalationStep{
		{Targets: []policies.Target{{Kind: "user", Name: "bob"}}}}}
	hang := &blocking{}
	sms := &kindRecorder{}
	e := replica(st, cfg, sms, "A")
	e.Poll = 20 * time.Millisecond
	e.SendTimeout = 5 * time.Second
	pg := e.Pagers
	e.Pagers = func() pagers.Set { m := pg(); m["email"] = hang; return m }
	go e.Run(ctx)

	fireOne(t, st, "fp1", "svc:g1") // alice by email: the SMTP server hangs
	for hang.entered.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if _, err := st.Ingest(ctx, []store.AlertWrite{{
		Fingerprint: "fp2", Doc: json.RawMessage(`{}`), Service: "svc2", Escalation: "ops2",
		GroupID: "svc2:g", GroupLabels: map[string]string{}, Title: "Other", Retention: time.Hour,
	}}); err != nil {
		t.Fatal(err)
	}
	e.Wake()
	var paged atomic.Bool
	for time.Since(start) < 8*time.Second {
		if sms.count("bob", pagers.KindPage) > 0 {
			paged.Store(true)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took := time.Since(start); !paged.Load() || took > time.Second {
		t.Errorf("bob's page for an unrelated incident took %s (paged=%v): held behind another incident's hanging provider", took.Round(time.Millisecond), paged.Load())
	}
}

// A replica that dies while sending a resolved notice leaves its send claim
// pending; the next replica must look again when the claim lapses and send
// the notice then.
func TestReplicasNoticeSurvivesACrashMidSend(t *testing.T) {
	ctx := context.Background()
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	st := store.New(testenv.StartRedis(t).Client(t), "rv4")
	st.Clock = clk.Now
	cfg := replicasConfig()
	sms := &kindRecorder{}
	b := replica(st, cfg, sms, "B")
	fireOne(t, st, "fp1", "svc:g")
	if _, err := b.tickOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Act(ctx, incident.Request{Incident: 1, Action: incident.Resolve, By: "alice", Via: "api"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	// Replica A claims the timer, then claims bob's notice and dies.
	if _, _, err := st.ClaimDue(ctx, 2*time.Minute, 50); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second) // A sent others' notices first
	if s, _, err := st.ClaimSend(ctx, 1, incident.Resolved, -1, "1:resolved:0:bob:sms", 2*time.Minute, "A"); err != nil || s != store.SendClaimed {
		t.Fatal(s, err)
	}
	for i := 0; i < 10; i++ { // the next hour, polled by B
		clk.Advance(30 * time.Second)
		_, _ = b.tickOnce(ctx)
	}
	if n := sms.count("bob", pagers.KindResolved); n != 1 {
		t.Errorf("bob got %d resolved notices after replica A died mid-notice; want 1", n)
	}
}
