package store

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/testenv"
)

// An engine with every worker busy claims one timer whenever one frees
// up: the shards take turns, so that none waits for another's backlog to
// drain.
func TestShardedClaimNextTakesTurns(t *testing.T) {
	srv := testenv.StartRedis(t)
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s := New(srv.Client(t), "test", WithShards(3))
	s.Clock = clk.Now
	ctx := context.Background()
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for k := range 3 {
		for range 3 {
			openIn(t, s, k, "checkout")
		}
	}
	for _, tc := range []struct {
		limit, calls int
	}{{1, 3}, {2, 3}} {
		per := map[int]int{}
		for range tc.calls {
			due, err := s.ClaimNext(ctx, time.Minute, tc.limit)
			if err != nil || len(due.Claims) != tc.limit {
				t.Fatalf("ClaimNext(%d) = %v, %v; want %d claims", tc.limit, claimedIDs(due.Claims), err, tc.limit)
			}
			for _, c := range due.Claims {
				per[s.idShard(c.IncidentID).index]++
			}
		}
		for k := range 3 {
			if want := tc.limit * tc.calls / 3; per[k] != want {
				t.Errorf("%d claims of %d: by shard %v; want %d from each", tc.calls, tc.limit, per, want)
				break
			}
		}
	}
	if due, err := s.ClaimNext(ctx, time.Minute, 1); err != nil || len(due.Claims) != 0 {
		t.Errorf("ClaimNext with every timer claimed = %v, %v; want none", claimedIDs(due.Claims), err)
	}
}

// failSingleEvalSha fails every EVALSHA sent on its own (not in a
// pipeline) while on: ClaimNext's second pass, not its first.
type failSingleEvalSha struct{ on atomic.Bool }

func (h *failSingleEvalSha) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *failSingleEvalSha) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.on.Load() && cmd.Name() == "evalsha" {
			err := errors.New("dial tcp: connect: connection refused")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (h *failSingleEvalSha) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// Claims a sharded ClaimNext took are handed out even when a later ask of
// one shard fails (Redis just back, its client still refusing): dropped
// with the error, their timers would stay claimed for a lease, and their
// pages wait that long (seen as 6 s in `go run ./tools/chaos
// --redis-shards 3 --schedule 15s:redis`).
func TestShardedClaimNextKeepsClaimsWhenALaterAskFails(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := srv.Client(t)
	hook := &failSingleEvalSha{}
	rdb.AddHook(hook)
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s := New(rdb, "test", WithShards(3))
	s.Clock = clk.Now
	ctx := context.Background()
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	// Shard 0 has more due than its share of a claim of 3 (one each), so
	// ClaimNext asks it again, alone, and that ask fails.
	for range 3 {
		openIn(t, s, 0, "checkout")
	}
	hook.on.Store(true)
	due, err := s.ClaimNext(ctx, time.Minute, 3)
	hook.on.Store(false)
	if err != nil || len(due.Claims) != 1 {
		t.Fatalf("ClaimNext = %v, %v; want shard 0's share, 1 claim, and no error", claimedIDs(due.Claims), err)
	}
	// The two left are due still, for the next claim.
	again, err := s.ClaimNext(ctx, time.Minute, 3)
	if err != nil || len(again.Claims) != 2 {
		t.Fatalf("next ClaimNext = %v, %v; want the 2 left", claimedIDs(again.Claims), err)
	}
}
