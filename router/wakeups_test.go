package router

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// bubbleEngine runs an engine inside the test's synctest bubble, on a
// store on addr whose clock is the bubble's, until the test function
// returns; tune adjusts it before it starts.
func bubbleEngine(t *testing.T, addr string, cfg *policies.Config, sms pagers.Pager, tune func(*Engine)) *Engine {
	ctx, cancel := context.WithCancel(context.Background())
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	st := store.New(rdb, "wakeups")
	st.Clock = time.Now
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	e := replica(st, cfg, sms, "A")
	e.NoWakeups = true // the subscription's read would hold the bubble's clock
	if tune != nil {
		tune(e)
	}
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped; rdb.Close() })
	return e
}

// However long Redis was unreachable, the engine goes back to work as soon
// as it answers again: it does not sit out a back-off grown during the
// outage. The clock is synctest's, so the ten-minute outage takes no time
// and the delay measured is the engine's, not the machine's.
func TestEngineResumesAsSoonAsRedisAnswersAgain(t *testing.T) {
	proxy := testenv.StartTCPProxy(t, testenv.StartRedis(t).Addr)
	synctest.Test(t, func(t *testing.T) {
		sms := &kindRecorder{}
		bubbleEngine(t, proxy.Addr, replicasConfig(), sms, nil)
		defer proxy.Cut()

		proxy.Cut()
		time.Sleep(10 * time.Minute) // the engine keeps failing to claim
		if err := proxy.Restore(); err != nil {
			t.Fatal(err)
		}
		back := time.Now()
		// The alert reaches another replica, whose connections are fresh.
		other := redis.NewClient(&redis.Options{Addr: proxy.Addr})
		defer other.Close()
		sender := store.New(other, "wakeups")
		sender.Clock = time.Now
		fireOne(t, sender, "fp1", "svc:g")
		for sms.count("alice", pagers.KindPage) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("first page %s after Redis came back", time.Since(back))
		// go-redis probes a refused address once a second; the engine
		// retries more often than that while Redis fails.
		if took := time.Since(back); took > time.Second+retryWhileDown {
			t.Errorf("first page %s after Redis came back from a 10-minute outage, want within %s", took, time.Second+retryWhileDown)
		}
	})
}

// A step due between two polls goes out when it is due: the engine sleeps
// until the next timer, not until its next poll.
func TestEngineWakesWhenTheNextStepIsDue(t *testing.T) {
	srv := testenv.StartRedis(t)
	synctest.Test(t, func(t *testing.T) {
		cfg := replicasConfig()
		cfg.Escalations["ops"].Steps = []policies.EscalationStep{
			{Targets: []policies.Target{{Kind: "user", Name: "alice"}}},
			{After: 5 * time.Minute, Targets: []policies.Target{{Kind: "user", Name: "bob"}}},
		}
		sms := &kindRecorder{}
		e := bubbleEngine(t, srv.Addr, cfg, sms, func(e *Engine) { e.Poll = time.Hour })
		st := e.Store

		fired := time.Now()
		fireOne(t, st, "fp1", "svc:g")
		e.Wake()
		for sms.count("bob", pagers.KindPage) == 0 {
			time.Sleep(time.Second)
		}
		if late := time.Since(fired) - 5*time.Minute; late > time.Second {
			t.Errorf("step 2 went out %s after it was due, want at once (the poll is an hour)", late)
		}
	})
}

// A timer another replica sets earlier than anything this engine sleeps
// toward wakes it through the deployment's wake channel: engine B polls
// once an hour, replica A has no engine at all, and what A does still
// happens at once. B is asleep (its next look set, nothing in hand)
// before A acts, so only a wake-up can make B act within the test.
func TestEngineWakesForTimersOtherReplicasSet(t *testing.T) {
	tests := []struct {
		name   string
		before func(t *testing.T, a *store.Store) // what B handles first
		act    func(t *testing.T, a *store.Store) // what A does while B sleeps
		user   string
		want   pagers.Kind
	}{
		{
			name: "a new incident is paged",
			act:  func(t *testing.T, a *store.Store) { fireOne(t, a, "fp1", "svc:g") },
			user: "alice", want: pagers.KindPage,
		},
		{
			name:   "an ack is told to whoever was paged",
			before: func(t *testing.T, a *store.Store) { fireOne(t, a, "fp1", "svc:g") },
			act: func(t *testing.T, a *store.Store) {
				if _, err := a.Act(context.Background(), incident.Request{Incident: 1, Action: incident.Ack, By: "alice", Via: "api"}, time.Hour); err != nil {
					t.Fatal(err)
				}
			},
			user: "bob", want: pagers.KindAcknowledged,
		},
		{
			name:   "an alert's endsAt expires it",
			before: func(t *testing.T, a *store.Store) { fireOne(t, a, "fp1", "svc:g") },
			act: func(t *testing.T, a *store.Store) {
				now, err := a.Now(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := a.Ingest(context.Background(), []store.AlertWrite{{
					Fingerprint: "fp1", Doc: json.RawMessage(`{}`), Service: "svc", Escalation: "ops",
					GroupID: "svc:g", GroupLabels: map[string]string{}, Title: "Down", Retention: time.Hour,
					EndsAt: now.Add(100 * time.Millisecond),
				}}); err != nil {
					t.Fatal(err)
				}
			},
			user: "bob", want: pagers.KindResolved,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := testenv.StartRedis(t)
			rdb := srv.Client(t)
			a := store.New(rdb, "wake") // Redis's clock, as in production
			if err := a.Load(ctx); err != nil {
				t.Fatal(err)
			}
			sms := &kindRecorder{}
			b := replica(store.New(srv.Client(t), "wake"), replicasConfig(), sms, "B")
			b.Poll = time.Hour
			stopped := make(chan struct{})
			go func() { defer close(stopped); _ = b.Run(ctx) }()
			defer func() { cancel(); <-stopped }()

			waitFor := func(what string, done func() bool) {
				t.Helper()
				for deadline := time.Now().Add(20 * time.Second); !done(); time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("%s: engine B, polling once an hour, never woke", what)
					}
				}
			}
			asleep := func() bool {
				b.mu.Lock()
				defer b.mu.Unlock()
				return b.busy == 0 && b.sleepUntil.Load() != 0
			}
			// B listens on the wake channel before anything happens.
			waitFor("subscribed", func() bool {
				n, err := rdb.PubSubNumSub(ctx, "{wake}:wake").Result()
				return err == nil && n["{wake}:wake"] == 1
			})
			if tt.before != nil {
				tt.before(t, a)
				waitFor("first page", func() bool { return sms.count("bob", pagers.KindPage) == 1 })
			}
			waitFor("asleep", asleep)
			tt.act(t, a)
			waitFor(string(tt.want)+" to "+tt.user, func() bool { return sms.count(tt.user, tt.want) > 0 })
		})
	}
}
