package router

import (
	"context"
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

// heartbeatWorld is two replicas' engines on one Redis and a driven clock,
// with a config that watches heartbeat "backup" (every 1h, grace 10m).
type heartbeatWorld struct {
	t      *testing.T
	store  *store.Store
	clock  *testenv.Clock
	cfg    atomic.Pointer[policies.Config]
	sms    *kindRecorder
	a, b   *Engine
	router *Router
}

func heartbeatConfig(heartbeats ...*policies.Heartbeat) *policies.Config {
	cfg := replicasConfig()
	cfg.Heartbeats = heartbeats
	return cfg
}

var backup = &policies.Heartbeat{Name: "backup", Every: time.Hour, Grace: 10 * time.Minute, Service: "svc",
	Labels: map[string]string{"severity": "critical"}}

func newHeartbeatWorld(t *testing.T, namespace string) *heartbeatWorld {
	t.Helper()
	w := &heartbeatWorld{t: t, clock: testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)), sms: &kindRecorder{}}
	w.store = store.New(testenv.StartRedis(t).Client(t), namespace)
	w.store.Clock = w.clock.Now
	if err := w.store.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.cfg.Store(heartbeatConfig(backup))
	w.a = replica(w.store, nil, w.sms, "A")
	w.b = replica(w.store, nil, w.sms, "B")
	for _, e := range []*Engine{w.a, w.b} {
		e.Config = w.cfg.Load
	}
	w.router = &Router{Store: w.store, Config: w.cfg.Load, Log: w.a.Log}
	w.reload(w.cfg.Load())
	return w
}

// reload swaps in cfg, as a reload does on both replicas.
func (w *heartbeatWorld) reload(cfg *policies.Config) {
	w.t.Helper()
	w.cfg.Store(cfg)
	for _, e := range []*Engine{w.a, w.b} {
		if err := e.SyncHeartbeats(context.Background()); err != nil {
			w.t.Fatal(err)
		}
	}
}

// settle has both replicas do, at once, all that is due at the clock's
// time.
func (w *heartbeatWorld) settle() {
	w.t.Helper()
	for range 2 {
		var wg sync.WaitGroup
		for _, e := range []*Engine{w.a, w.b} {
			wg.Go(func() {
				if err := e.Drain(context.Background()); err != nil {
					w.t.Error(err)
				}
			})
		}
		wg.Wait()
	}
}

func (w *heartbeatWorld) beat() BeatResult {
	w.t.Helper()
	res, err := w.router.Beat(context.Background(), w.cfg.Load().Heartbeat("backup"))
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

func (w *heartbeatWorld) pages() int {
	return w.sms.count("alice", pagers.KindPage) + w.sms.count("bob", pagers.KindPage)
}

func (w *heartbeatWorld) incidents() []*incident.Incident {
	w.t.Helper()
	list, err := w.store.List(context.Background(), false, 100)
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

func TestHeartbeatOnTimeThenMissedThenBack(t *testing.T) {
	w := newHeartbeatWorld(t, "hb1")
	// Beats on time, each within every+grace of the one before (the
	// first within it of the config first having the heartbeat).
	for _, after := range []time.Duration{69 * time.Minute, 70*time.Minute - time.Millisecond, 30 * time.Minute} {
		w.clock.Advance(after)
		w.settle()
		w.beat()
	}
	w.clock.Advance(70*time.Minute - time.Millisecond)
	w.settle()
	if n := len(w.incidents()); n != 0 || w.pages() != 0 {
		t.Fatalf("beats on time: %d incidents, %d pages, want none", n, w.pages())
	}

	// One millisecond later the deadline has passed: both replicas find
	// the miss at once; one incident opens and each person is paged once.
	w.clock.Advance(time.Millisecond)
	w.settle()
	incs := w.incidents()
	if len(incs) != 1 || incs[0].Service != "svc" || incs[0].Status != incident.Triggered || incs[0].Title != "HeartbeatMissed" {
		t.Fatalf("after the missed beat: %+v, want one triggered HeartbeatMissed incident on svc", incs)
	}
	if a, b := w.sms.count("alice", pagers.KindPage), w.sms.count("bob", pagers.KindPage); a != 1 || b != 1 {
		t.Fatalf("alice paged %d times, bob %d, want once each", a, b)
	}
	alerts, err := w.store.Alerts(context.Background(), 1)
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts of the incident: %s %v", alerts, err)
	}
	for _, want := range []string{`"heartbeat":"backup"`, `"severity":"critical"`, `"summary":"heartbeat backup missed"`, `"integration":"heartbeat:backup"`} {
		if !strings.Contains(string(alerts[0]), want) {
			t.Errorf("the missed beat's alert lacks %s: %s", want, alerts[0])
		}
	}
	// Nothing more while it stays missed, however long.
	w.clock.Advance(5 * time.Hour)
	w.settle()
	if len(w.incidents()) != 1 || w.pages() != 2 {
		t.Fatalf("while missed: %d incidents, %d pages, want still 1 and 2", len(w.incidents()), w.pages())
	}

	// The next beat resolves it; watching goes on from that beat.
	res := w.beat()
	if !res.WasMissed || res.Resolved.IncidentID != 1 || res.Resolved.Outcome != incident.AlertClosed {
		t.Fatalf("beat after the miss = %+v, want incident 1 resolved", res)
	}
	w.settle()
	if w.incidents()[0].Status != incident.Resolved || w.sms.count("alice", pagers.KindResolved) != 1 {
		t.Fatalf("after the beat: status %s, alice told %d times, want resolved and told once", w.incidents()[0].Status, w.sms.count("alice", pagers.KindResolved))
	}
	w.clock.Advance(71 * time.Minute)
	w.settle()
	if incs := w.incidents(); len(incs) != 2 || incs[0].Status != incident.Triggered {
		t.Fatalf("a second miss: %d incidents, want a new one", len(incs))
	}
}

// A reload that removes a heartbeat stops watching it; one removed while
// missed has its alert resolved, as no beat will come to do it.
func TestHeartbeatRemovedByReload(t *testing.T) {
	w := newHeartbeatWorld(t, "hb2")
	w.clock.Advance(30 * time.Minute)
	w.settle()
	w.reload(heartbeatConfig())
	w.clock.Advance(10 * time.Hour)
	w.settle()
	if n := len(w.incidents()); n != 0 {
		t.Fatalf("a removed heartbeat opened %d incidents", n)
	}
	if st, _ := w.store.Heartbeat(context.Background(), "backup"); st.Known {
		t.Errorf("the removed heartbeat is still kept: %+v", st)
	}

	// Back in the config, it is watched from the reload on.
	w.reload(heartbeatConfig(backup))
	w.clock.Advance(71 * time.Minute)
	w.settle()
	if incs := w.incidents(); len(incs) != 1 || incs[0].Status != incident.Triggered {
		t.Fatalf("re-added heartbeat not beaten for 71m: %+v, want one incident", incs)
	}
	w.reload(heartbeatConfig())
	w.settle()
	if incs := w.incidents(); incs[0].Status != incident.Resolved {
		t.Errorf("the incident of a heartbeat removed while missed is %s, want resolved", incs[0].Status)
	}
}

// A reload that changes a missed heartbeat's labels moves its miss to the
// new alert: the old one resolves, the new one fires.
func TestHeartbeatLabelsChangedWhileMissed(t *testing.T) {
	w := newHeartbeatWorld(t, "hb3")
	w.clock.Advance(71 * time.Minute)
	w.settle()
	changed := *backup
	changed.Labels = map[string]string{"severity": "warning"}
	w.reload(heartbeatConfig(&changed))
	w.settle()
	incs := w.incidents()
	if len(incs) != 1 || incs[0].AlertsTotal != 2 || incs[0].FiringCount != 1 {
		t.Fatalf("after the labels changed: %+v, want the incident with the old alert resolved and the new one firing", incs)
	}
	if res := w.beat(); res.Resolved.Outcome != incident.AlertClosed {
		t.Errorf("the beat resolved %+v, want the incident closed", res.Resolved)
	}
}
