package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/internal/testenv"
)

// startOn runs one pagerd replica of w on the Redis behind redisURL
// instead of w's single-node Redis.
func (w *world) startOn(redisURL string) *app.App {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{
		ConfigDir: w.dir, Listen: fmt.Sprintf("127.0.0.1:%d", w.port), RedisURL: redisURL,
		Namespace: "e2e", Shards: w.shards, Log: testLogger(), Console: w.console, Replica: "r1",
		Poll: 20 * time.Millisecond, NoticeEvery: 20 * time.Millisecond,
		HTTPClient:   w.twilio.HTTPClient(),
		RetryBackoff: func(int) time.Duration { return time.Millisecond },
		Clock:        w.clock.Now,
	})
	if err != nil {
		cancel()
		w.t.Fatalf("start pagerd on %s: %v", redisURL, err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	w.t.Cleanup(func() { cancel(); <-done })
	return a
}

// pageThrough posts the Alertmanager fixture to a pagerd on redisURL and
// checks the incident is stored, listed and paged; rdb looks at the keys.
func pageThrough(t *testing.T, redisURL string, rdb redis.UniversalClient) {
	t.Helper()
	w := newWorld(t, "5m")
	a := w.startOn(redisURL)
	base := "http://" + a.Addr()

	r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	if r.code != http.StatusOK || !strings.Contains(r.body, `"triggered"`) {
		t.Fatalf("webhook = %d %s, want 200 triggered", r.code, r.body)
	}
	// The same webhook again is deduplicated: no second incident.
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != http.StatusOK || strings.Contains(r.body, `"triggered"`) {
		t.Fatalf("re-sent webhook = %d %s, want 200 without a new incident", r.code, r.body)
	}
	if inc := incident(t, base, 1); inc["status"] != "triggered" || inc["service"] != "checkout" {
		t.Errorf("incident 1 = %v, want a triggered checkout incident", inc)
	}
	// The engine claims the timer and pages alice.
	if sms := w.twilio.WaitMessages(t, 1, 5*time.Second); sms[0].To != alicePhone {
		t.Errorf("SMS = %+v, want alice paged", sms[0])
	}
	if n, err := rdb.Exists(context.Background(), "{e2e}:inc:1", "{e2e}:timers").Result(); err != nil || n != 2 {
		t.Errorf("incident keys in Redis = %d, %v; want both", n, err)
	}
}

func TestServesOnRedisCluster(t *testing.T) {
	cluster := testenv.StartRedisCluster(t, 3)
	u, err := app.ParseRedisURL(cluster.URL())
	if err != nil || len(u.Options.Addrs) != 3 || u.Options.MasterName != "" {
		t.Fatalf("ParseRedisURL(%s) = %+v, %v; want 3 cluster seeds", cluster.URL(), u.Options, err)
	}
	pageThrough(t, cluster.URL(), cluster.Client(t))
}

func TestServesThroughRedisSentinel(t *testing.T) {
	sentinel := testenv.StartRedisSentinel(t)
	pageThrough(t, sentinel.URL(), sentinel.Master.Client(t))
}
