package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// A deployment of one shard keeps working after it restarts with three:
// its incidents and action items are found by their old ids, alerts of
// its open groups join their incidents (no second page), new incidents
// get new short ids in every shard, and a store with another count
// refuses to start on it.
func TestShardsMigrateFromOneShard(t *testing.T) {
	topologies := []struct {
		name  string
		start func(t *testing.T) (old, sharded func(...Option) *Store)
	}{
		{"one redis-server", func(t *testing.T) (func(...Option) *Store, func(...Option) *Store) {
			rdb := testenv.StartRedis(t).Client(t)
			mk := func(opts ...Option) *Store { return New(rdb, "test", opts...) }
			return mk, mk
		}},
		{"cluster of 3 masters", func(t *testing.T) (func(...Option) *Store, func(...Option) *Store) {
			cluster := testenv.StartRedisCluster(t, 3)
			rdb := cluster.Client(t)
			hook := &nodeErrors{}
			rdb.OnNewNode(func(c *redis.Client) { c.AddHook(hook) })
			t.Cleanup(func() {
				for _, e := range hook.take() {
					// Redis answers no call an error, the refused Loads' neither
					// (but BUSYGROUP, which EnsureGroup expects of a group that
					// exists: the first sharded start made the mirror's).
					if strings.Contains(e, "BUSYGROUP") {
						continue
					}
					t.Errorf("a node answered %s; want no MOVED, ASK, CROSSSLOT or NOSCRIPT", e)
				}
			})
			mk := func(opts ...Option) *Store { return New(rdb, "test", opts...) }
			return mk, mk
		}},
	}
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			ctx := context.Background()
			oldStore, newStore := tp.start(t)
			clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
			load := func(s *Store) *Store {
				t.Helper()
				s.Clock = clk.Now
				if err := s.Load(ctx); err != nil {
					t.Fatal(err)
				}
				return s
			}

			// The deployment of one shard: incidents 1 (open, with a source
			// of an inhibition rule), 2 (resolved) and 3 (open, its timer
			// claimed and rescheduled), item 1.
			old := load(oldStore())
			source := write("src", "g1", false, time.Time{})
			source.Suppression.Inhibit = "o:cluster-down:x"
			res, err := old.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{}), write("b", "g2", false, time.Time{}), write("c", "g3", false, time.Time{}), source})
			if err != nil || !slices.Equal(res, []IngestResult{{1, incident.AlertTriggered}, {2, incident.AlertTriggered}, {3, incident.AlertTriggered}, {1, incident.AlertGrouped}}) {
				t.Fatalf("old ingest = %+v, %v", res, err)
			}
			if _, _, err := transition(ctx, old, 2, "resolve", "bob", "api", time.Hour); err != nil {
				t.Fatal(err)
			}
			if n, err := old.AddAction(ctx, NewAction{Incident: 2, Title: "fix", Owner: "bob", Kind: incident.ActionFix}); err != nil || n != 1 {
				t.Fatalf("old AddAction = %d, %v", n, err)
			}
			due, err := old.ClaimNext(ctx, time.Minute, 10)
			if err != nil || len(due.Claims) != 3 {
				t.Fatalf("old ClaimNext = %+v, %v", due, err)
			}
			for _, c := range due.Claims {
				if err := old.Reschedule(ctx, c, clk.Now().Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			const oldMax = 3

			// Upgraded to three shards. The first start dies right after it
			// fixed the layout; the next one goes on.
			s := newStore(WithShards(3))
			if err := layoutScript.Eval(ctx, s.rdb, s.anchor(), s.prefix, 3, InhibitMirrorGroup, 0).Err(); err != nil {
				t.Fatal(err)
			}
			s = load(s)
			for id, st := range map[int64]incident.Status{1: incident.Triggered, 2: incident.Resolved, 3: incident.Triggered} {
				if inc, err := s.Incident(ctx, id); err != nil || inc.Status != st {
					t.Errorf("old incident %d after the upgrade = %+v, %v; want %s", id, inc, err, st)
				}
			}
			if a, err := s.Action(ctx, 1); err != nil || a.Incident != 2 {
				t.Errorf("old action item 1 = %+v, %v", a, err)
			}
			if out, _, err := transition(ctx, s, 1, "ack", "alice", "sms", time.Hour); err != nil || out != incident.OutcomeAcknowledged {
				t.Errorf("ack of old incident 1 = %q, %v", out, err)
			}
			// Alerts of the open old groups join their incidents; the
			// resolved group's opens a new one.
			res, err = s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{}), write("c2", "g3", false, time.Time{}), write("b", "g2", false, time.Time{})})
			if err != nil || len(res) != 3 || res[0] != (IngestResult{1, incident.AlertDeduplicated}) || res[1] != (IngestResult{3, incident.AlertGrouped}) ||
				res[2].Outcome != incident.AlertTriggered || res[2].IncidentID <= oldMax {
				t.Fatalf("ingest after the upgrade = %+v, %v; want a dedup in 1, a grouping in 3 and a new incident after %d", res, err, oldMax)
			}
			// No second page: incident 3's timer was not made due again
			// (1's is, for its ack; the new incident's, to page).
			got, err := s.ClaimNext(ctx, time.Minute, 10)
			if err != nil || !slices.Equal(claimedIDs(got.Claims), []int64{1, res[2].IncidentID}) {
				t.Errorf("due after the upgrade = %v, %v; want the acked incident 1 and the new incident %d", claimedIDs(got.Claims), err, res[2].IncidentID)
			}
			// New groups: new ids, in every shard, short.
			seen := map[int64]bool{1: true, 2: true, 3: true, res[2].IncidentID: true}
			shards := map[int]int{}
			largest := res[2].IncidentID
			var writes []AlertWrite
			for i := range 30 {
				writes = append(writes, write(fmt.Sprintf("n%d", i), fmt.Sprintf("new%d", i), false, time.Time{}))
			}
			res, err = s.Ingest(ctx, writes)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range res {
				if r.Outcome != incident.AlertTriggered || r.IncidentID <= oldMax || seen[r.IncidentID] {
					t.Fatalf("new group %d = %+v; want a new incident after %d, not one of %v", i, r, oldMax, seen)
				}
				seen[r.IncidentID] = true
				shards[s.idShard(r.IncidentID).index]++
				largest = max(largest, r.IncidentID)
				if inc, err := s.Incident(ctx, r.IncidentID); err != nil || inc.Status != incident.Triggered {
					t.Errorf("new incident %d = %+v, %v", r.IncidentID, inc, err)
				}
			}
			if len(shards) != 3 {
				t.Errorf("new incidents by shard %v; want all three", shards)
			}
			if limit := int64(oldMax + 31 + 3); largest > limit {
				t.Errorf("largest id after 31 new incidents = %d; want at most %d (ids stay short)", largest, limit)
			}
			if n, err := s.AddAction(ctx, NewAction{Incident: res[0].IncidentID, Title: "new", Owner: "bob", Kind: incident.ActionFix}); err != nil || n <= 1 || n > 1+3 {
				t.Errorf("new AddAction = %d, %v; want a number after the old item 1, at most 4", n, err)
			} else if a, err := s.Action(ctx, n); err != nil || a.Incident != res[0].IncidentID {
				t.Errorf("new action item %d = %+v, %v", n, a, err)
			}

			// An old group whose incident ended opens a new one, which stays
			// in the home shard with the group.
			if _, _, err := transition(ctx, s, 3, "resolve", "bob", "api", time.Hour); err != nil {
				t.Fatal(err)
			}
			res, err = s.Ingest(ctx, []AlertWrite{write("c3", "g3", false, time.Time{})})
			if err != nil || res[0].Outcome != incident.AlertTriggered || seen[res[0].IncidentID] || res[0].IncidentID <= oldMax || s.idShard(res[0].IncidentID).index != 0 {
				t.Errorf("old group g3 after its incident ended = %+v, %v; want a new incident in shard 0", res, err)
			} else if inc, err := s.Incident(ctx, res[0].IncidentID); err != nil || inc.Status != incident.Triggered {
				t.Errorf("incident %d = %+v, %v", res[0].IncidentID, inc, err)
			}

			// The source that fired before the upgrade mutes a target of
			// another shard: the upgrade published it on the home shard's
			// stream, and the inhibit mirror copied it there.
			if err := s.EnsureGroup(ctx, InhibitMirrorGroup); err != nil {
				t.Fatal(err)
			}
			evs, err := s.ReadEvents(ctx, InhibitMirrorGroup, "test", 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			copied := 0
			for _, ev := range evs {
				if ev.Kind == KindInhibitSource {
					copied++
					if err := s.MirrorInhibitSource(ctx, ev); err != nil {
						t.Fatal(err)
					}
				}
			}
			if copied != 1 {
				t.Errorf("%d sources published at the upgrade; want the one firing", copied)
			}
			target := write("tgt", groupIn(s, 2, "tgt"), false, time.Time{})
			target.Suppression.Inhibit = "t:cluster-down:x"
			if res, err := s.Ingest(ctx, []AlertWrite{target}); err != nil || res[0].Outcome != incident.AlertSuppressed {
				t.Errorf("target in shard 2 of a source that fired before the upgrade = %+v, %v; want it suppressed", res, err)
			}

			// A restart keeps the layout; another shard count is refused.
			again := load(newStore(WithShards(3)))
			if inc, err := again.Incident(ctx, largest); err != nil || inc.ID != largest {
				t.Errorf("incident %d after a restart = %+v, %v", largest, inc, err)
			}
			for _, n := range []int{1, 2, 4} {
				other := newStore(WithShards(n))
				err := other.Load(ctx)
				if err == nil || !strings.Contains(err.Error(), "3 shards") || !strings.Contains(err.Error(), fmt.Sprintf("not %d", n)) {
					t.Errorf("Load with %d shards = %v; want refused, naming the 3 shards", n, err)
				}
			}
		})
	}
}

// slot is Redis Cluster's: the specification's check value and known
// slots (TestShardsOnRedisCluster holds it to CLUSTER KEYSLOT).
func TestSlot(t *testing.T) {
	for _, tc := range []struct {
		tag  string
		want int
	}{
		{"123456789", 0x31C3}, // the specification's CRC16 check value
		{"", 0},
		{"a", 15495}, // CLUSTER KEYSLOT a
	} {
		if got := slot(tc.tag); got != tc.want {
			t.Errorf("slot(%q) = %d, want %d", tc.tag, got, tc.want)
		}
	}
}

// shardPrefix gives the n shards of a namespace slots in n different
// n-ths of the slot range, so that a cluster whose slots are split evenly
// over n masters (or a divisor of n) has the same number on each.
func TestShardPrefixSpreadsSlots(t *testing.T) {
	for _, ns := range []string{"pagerd", "test", "prod-eu", "x"} {
		for _, n := range []int{2, 3, 6} {
			parts := map[int]string{}
			tags := map[string]bool{}
			for i := range n {
				p := "{" + ns + "}:"
				if i > 0 {
					p = shardPrefix(ns, i, n)
					if again := shardPrefix(ns, i, n); again != p {
						t.Errorf("shardPrefix(%q, %d, %d) = %q, then %q; want the same every time", ns, i, n, p, again)
					}
				}
				if !strings.HasPrefix(p, "{") || !strings.HasSuffix(p, "}:") || tags[p] {
					t.Errorf("shardPrefix(%q, %d, %d) = %q: want a new hash tag", ns, i, n, p)
				}
				tags[p] = true
				sl := slot(strings.TrimSuffix(strings.TrimPrefix(p, "{"), "}:"))
				part := sl * n / clusterSlots
				if other, ok := parts[part]; ok {
					t.Errorf("namespace %q, %d shards: %q and %q both in part %d of %d (slot %d)", ns, n, p, other, part, n, sl)
				}
				parts[part] = p
				if i > 0 {
					// Away from the part's edges, by a quarter of it.
					lo, hi := part*clusterSlots/n, (part+1)*clusterSlots/n
					if m := (hi - lo) / 4; sl < lo+m || sl >= hi-m {
						t.Errorf("shardPrefix(%q, %d, %d) = %q: slot %d not in the middle of [%d, %d)", ns, i, n, p, sl, lo, hi)
					}
				}
			}
			if len(parts) != n {
				t.Errorf("namespace %q, %d shards: parts %v; want all %d", ns, n, parts, n)
			}
		}
	}
}
