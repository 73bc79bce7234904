package app_test

import (
	"context"
	"errors"
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
