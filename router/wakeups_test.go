package router

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/redis/go-redis/v9"

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
