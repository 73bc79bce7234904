package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/router/store"
)

// A deployment keeps the shard count it first ran with: a replica started
// with another is refused at once — Redis's answer will not change by
// waiting — and told the flag to use.
func TestShardCountIsFixedAtTheFirstStart(t *testing.T) {
	w := newWorld(t, "5m")
	w.shards = 3
	w.start("r1", w.port)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.New(ctx, app.Options{
		ConfigDir: w.dir, Listen: "127.0.0.1:0", RedisURL: w.redis.URL(), Namespace: "e2e", Shards: 1,
		Log: testLogger(), Console: w.console, Replica: "r2", Clock: w.clock.Now,
	})
	if err == nil {
		a.Close()
		t.Fatal("a replica with one shard started on a deployment of three")
	}
	if _, ok := errors.AsType[*store.ShardCountError](err); !ok || ctx.Err() != nil || !strings.Contains(err.Error(), "--redis-shards 3") {
		t.Errorf("start with 1 shard = %v (waited for the deadline: %v), want a refusal at once that names --redis-shards 3", err, ctx.Err() != nil)
	}
}

// Inhibition rules keep their state in one slot with every alert they
// concern, which shards break: a sharded daemon refuses them, at start
// with the rule's place in the config, and on reload, keeping the running
// config.
func TestShardedDeploymentRefusesInhibitRules(t *testing.T) {
	w := newWorld(t, "5m")
	w.shards = 3
	base := fmt.Sprintf(configTemplate, w.port, "5m", w.smtp.Port)
	w.writeConfig(base + inhibitConfig)
	line := strings.Count(base+inhibitConfig[:strings.Index(inhibitConfig, `inhibit "cluster-down"`)], "\n") + 1

	_, err := app.New(context.Background(), app.Options{
		ConfigDir: w.dir, Listen: "127.0.0.1:0", RedisURL: w.redis.URL(), Namespace: "e2e", Shards: w.shards,
		Log: testLogger(), Console: w.console, Replica: "r1", Clock: w.clock.Now,
	})
	for _, want := range []string{"Inhibit rule on a sharded deployment", fmt.Sprintf("pagerd.hcl:%d:1", line), `inhibit "cluster-down"`, `"dc"`, "--redis-shards 3"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("start with inhibit rules on 3 shards = %v, want a refusal saying %q", err, want)
		}
	}

	w.writeConfig(base)
	a := w.start("r1", w.port)
	w.writeConfig(base + inhibitConfig)
	if err := a.Reload(); err == nil || !strings.Contains(err.Error(), "Inhibit rule on a sharded deployment") {
		t.Errorf("reload with inhibit rules on 3 shards = %v, want it refused", err)
	}
	if n := len(a.Holder.Current().Inhibits); n != 0 {
		t.Errorf("the running config has %d inhibit rules after a refused reload, want the last good one", n)
	}
	r := post(t, "http://"+a.Addr()+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	if r.code != http.StatusOK || !strings.Contains(r.body, `"triggered"`) {
		t.Errorf("webhook after the refused reload = %d %s, want the last good config to page", r.code, r.body)
	}
}
