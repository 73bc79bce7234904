package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// nodeErrors is a hook on every node connection of a client that records
// each error a node answered (redis.Nil aside): on a Cluster it catches
// MOVED/ASK redirections that the client would otherwise follow silently,
// CROSSSLOT and "non local key" script errors, and NOSCRIPT fallbacks.
type nodeErrors struct {
	mu   sync.Mutex
	errs []string
}

func (h *nodeErrors) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *nodeErrors) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.record(cmd.Name(), err) // Process sets cmd's error only after the hooks
		return err
	}
}

func (h *nodeErrors) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			h.record(cmd.Name(), cmd.Err())
		}
		return err
	}
}

func (h *nodeErrors) record(name string, err error) {
	if name == "client" {
		return // the connection handshake: Redis 7.0 has no CLIENT SETINFO
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		h.mu.Lock()
		h.errs = append(h.errs, fmt.Sprintf("%s: %v", name, err))
		h.mu.Unlock()
	}
}

// take returns the errors recorded so far and forgets them.
func (h *nodeErrors) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	errs := h.errs
	h.errs = nil
	return errs
}

// exerciseStore runs every store operation once against s, asserting the
// same results the single-node tests expect.
//
// The store chooses incident ids (a sharded store's name their shard), so
// the results it wants name incidents 1, 2, ... in the order they open,
// and id maps each to the id the store gave: a new one, distinct from the
// others — and, in a store of one shard, that very number.
func exerciseStore(t *testing.T, s *Store, clk *testenv.Clock) {
	t.Helper()
	ctx := context.Background()
	given := map[int64]int64{}
	id := func(n int64) int64 {
		t.Helper()
		got, ok := given[n]
		if !ok {
			t.Fatalf("incident %d has not opened", n)
		}
		return got
	}
	ingest := func(what string, writes []AlertWrite, want ...IngestResult) {
		t.Helper()
		got, err := s.Ingest(ctx, writes)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: got %+v, want %+v (incidents %v)", what, got, want, given)
		}
		for i, w := range want {
			if _, ok := given[w.IncidentID]; !ok && w.Outcome == incident.AlertTriggered {
				for n, old := range given {
					if old == got[i].IncidentID {
						t.Fatalf("%s: result %d opened incident %d, the id of incident %d", what, i, old, n)
					}
				}
				if got[i].IncidentID <= 0 || (s.Shards() == 1 && got[i].IncidentID != w.IncidentID) {
					t.Fatalf("%s: result %d opened incident %d, want id %d (one shard) or a new positive id", what, i, got[i].IncidentID, w.IncidentID)
				}
				given[w.IncidentID] = got[i].IncidentID
			}
			if want, ok := given[w.IncidentID]; !ok || got[i] != (IngestResult{want, w.Outcome}) {
				t.Fatalf("%s: got %+v, want %+v (incidents %v)", what, got, want, given)
			}
		}
	}
	none := time.Time{}

	// One pipelined batch: open, group, another group, dedup in the batch.
	ingest("pipelined batch", []AlertWrite{
		write("a", "g1", false, none), write("b", "g1", false, none),
		write("c", "g2", false, none), write("a", "g1", false, none),
	}, IngestResult{1, incident.AlertTriggered}, IngestResult{1, incident.AlertGrouped}, IngestResult{2, incident.AlertTriggered}, IngestResult{1, incident.AlertDeduplicated})
	ingest("re-sent alert", []AlertWrite{write("a", "g1", false, none)}, IngestResult{1, incident.AlertDeduplicated})
	ingest("unknown resolved alert", []AlertWrite{write("zz", "g1", true, none)}, IngestResult{1, incident.AlertIgnored})

	inc, err := s.Incident(ctx, id(1))
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != incident.Triggered || inc.AlertsTotal != 2 || inc.FiringCount != 2 || inc.Service != "checkout" {
		t.Errorf("incident 1 = %+v, want triggered with 2 firing alerts", inc)
	}
	if docs, err := s.Alerts(ctx, id(1)); err != nil || len(docs) != 2 {
		t.Errorf("alerts of incident 1 = %d, %v; want 2", len(docs), err)
	}

	// Timers: both new incidents are due now; a second replica gets none.
	_, claims, err := s.ClaimDue(ctx, 30*time.Second, 10)
	var claimed []int64
	for _, c := range claims {
		claimed = append(claimed, c.IncidentID)
	}
	slices.Sort(claimed)
	if err != nil || !slices.Equal(claimed, sorted(id(1), id(2))) {
		t.Fatalf("ClaimDue = %+v, %v; want incidents %d and %d", claims, err, id(1), id(2))
	}
	if _, again, err := s.ClaimDue(ctx, 30*time.Second, 10); err != nil || len(again) != 0 {
		t.Fatalf("second ClaimDue = %+v, %v; want nothing while leases hold", again, err)
	}
	wake := clk.Now().Add(time.Hour)
	for _, c := range claims {
		if err := s.Reschedule(ctx, c, wake); err != nil {
			t.Fatal(err)
		}
	}
	if due, err := s.NextDue(ctx); err != nil || !due.Equal(wake) {
		t.Errorf("NextDue = %v, %v; want %v", due, err, wake)
	}

	// Sends: claim, busy, finish, done; stale after an ack.
	claim := func(key string) SendState {
		t.Helper()
		st, _, err := s.ClaimSend(ctx, id(1), incident.Triggered, 0, key, time.Minute, "r1")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := claim("k1"); st != SendClaimed {
		t.Fatalf("first claim = %s, want claimed", st)
	}
	if st := claim("k1"); st != SendBusy {
		t.Fatalf("claim while pending = %s, want busy", st)
	}
	if err := s.FinishSend(ctx, id(1), SendResult{Key: "k1", Receipt: "SM1", Kind: incident.KindNotified, Detail: "alice via sms", Reached: &aliceSMS}); err != nil {
		t.Fatal(err)
	}
	if st := claim("k1"); st != SendDone {
		t.Fatalf("claim after finish = %s, want sent", st)
	}
	if done, err := s.SendsDone(ctx, id(1)); err != nil || len(done) != 1 || !done["k1"] {
		t.Errorf("SendsDone = %v, %v; want k1", done, err)
	}
	if st, run, err := s.Status(ctx, id(1)); err != nil || st != incident.Triggered || run != 0 {
		t.Errorf("Status = %q, %d, %v; want triggered, run 0", st, run, err)
	}
	if who, err := s.Notified(ctx, id(1)); err != nil || !slices.Equal(who, []incident.Reached{aliceSMS}) {
		t.Errorf("Notified = %v, %v", who, err)
	}

	// Transitions.
	if out, before, err := transition(ctx, s, id(1), "ack", "alice", "sms", time.Hour); err != nil || out != incident.OutcomeAcknowledged || before != incident.Triggered {
		t.Fatalf("ack = %q, %q, %v", out, before, err)
	}
	if st := claim("k2"); st != SendStale {
		t.Fatalf("claim after ack = %s, want stale", st)
	}
	if out, before, err := transition(ctx, s, id(2), "resolve", "bob", "api", time.Hour); err != nil || out != incident.OutcomeResolved || before != incident.Triggered {
		t.Fatalf("resolve = %q, %q, %v", out, before, err)
	}
	if _, _, err := transition(ctx, s, 99, "ack", "alice", "", time.Hour); !errors.Is(err, ErrNotFound) {
		t.Errorf("ack of missing incident: err = %v, want ErrNotFound", err)
	}
	ingest("alerts of the acked incident end", []AlertWrite{write("a", "g1", true, none), write("b", "g1", true, none)},
		IngestResult{1, incident.AlertEnded}, IngestResult{1, incident.AlertClosed})

	if open, err := s.List(ctx, true, 10); err != nil || len(open) != 0 {
		t.Errorf("open incidents = %v, %v; want none", ids(open), err)
	}
	// Newest first; 1 and 2 opened at the same moment: the greater id first.
	if all, err := s.List(ctx, false, 10); err != nil || !slices.Equal(ids(all), []int64{max(id(1), id(2)), min(id(1), id(2))}) {
		t.Errorf("all incidents = %v, %v; want [%d %d]", ids(all), err, max(id(1), id(2)), min(id(1), id(2)))
	}
	tl, err := s.Timeline(ctx, id(1))
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range tl {
		events = append(events, string(e.Kind))
	}
	want := []string{"triggered", "alert_firing", "notified", "acknowledged", "alert_resolved", "alert_resolved", "resolved"}
	if !slices.Equal(events, want) {
		t.Errorf("timeline of incident 1 = %v, want %v", events, want)
	}

	// Alerts that lapse at endsAt, and a hand-written timeline fact.
	ingest("alert with an end", []AlertWrite{write("e", "g3", false, clk.Now().Add(5*time.Minute))}, IngestResult{3, incident.AlertTriggered})
	clk.Advance(6 * time.Minute)
	if closed, err := s.ExpireAlerts(ctx, id(3), time.Hour); err != nil || !closed {
		t.Errorf("ExpireAlerts = %v, %v; want closed", closed, err)
	}
	if _, err := s.Append(ctx, id(3), incident.KindNote, "checked by hand", "", 0); err != nil {
		t.Fatal(err)
	}
	if tl, err := s.Timeline(ctx, id(3)); err != nil || len(tl) == 0 || tl[len(tl)-1].Kind != incident.KindNote {
		t.Errorf("timeline of incident 3 = %+v, %v; want it to end with the note", tl, err)
	}

	// Once and the shared link secret.
	for i, want := range []bool{true, false} {
		if ok, err := s.Once(ctx, "handoff:2026-11-27", time.Minute); err != nil || ok != want {
			t.Errorf("Once #%d = %v, %v; want %v", i+1, ok, err, want)
		}
	}
	a, err := s.LinkSecret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.LinkSecret(ctx)
	if err != nil || string(a) != string(b) || len(a) != 32 {
		t.Errorf("LinkSecret twice = %x, %x, %v; want the same 32 bytes", a, b, err)
	}

	// A rate limit: a burst of 2, then a wait.
	for i, want := range []bool{true, true, false} {
		if ok, _, err := s.Allow(ctx, "integration:am", 2, time.Hour, 1); err != nil || ok != want {
			t.Errorf("Allow #%d = %v, %v; want %v", i+1, ok, err, want)
		}
	}

	// Redis TIME as the clock, as in production.
	real := New(s.rdb, strings.Trim(s.prefix, "{}:"), WithShards(s.Shards()))
	if err := real.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := real.Load(ctx); err != nil {
		t.Fatalf("Load of a second replica: %v", err)
	}
	now, err := real.Now(ctx)
	if err != nil || time.Since(now).Abs() > time.Minute {
		t.Errorf("Now = %v, %v; want Redis's clock", now, err)
	}
	ingest("on Redis TIME", []AlertWrite{write("t", "g4", false, none)}, IngestResult{4, incident.AlertTriggered})
	if _, due, err := real.ClaimDue(ctx, time.Second, 10); err != nil || len(due) == 0 {
		t.Errorf("ClaimDue on Redis TIME = %+v, %v; want the due incidents", due, err)
	}
	if ok, _, err := real.Allow(ctx, "integration:other", 1, time.Hour, 1); err != nil || !ok {
		t.Errorf("Allow on Redis TIME = %v, %v; want it to pass", ok, err)
	}
	if ok, wait, err := real.Allow(ctx, "integration:other", 1, time.Hour, 1); err != nil || ok || wait < 59*time.Minute || wait > time.Hour {
		t.Errorf("Allow on Redis TIME over the limit = %v, %s, %v; want a wait of about an hour", ok, wait, err)
	}

	// Heartbeats: registered, missed (a WATCHed transaction), beaten
	// (pipelined with the resolve), forgotten (a transaction).
	if err := s.SyncHeartbeats(ctx, map[string]time.Duration{"backup": time.Hour}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	hb, err := s.Heartbeat(ctx, "backup")
	if err != nil || !hb.Known {
		t.Fatalf("Heartbeat = %+v, %v", hb, err)
	}
	if res, err := s.MissHeartbeat(ctx, hb, clk.Now(), heartbeatWrite(incident.AlertTrigger), nil); err != nil || res.Outcome != incident.AlertTriggered {
		t.Fatalf("MissHeartbeat = %+v, %v; want a new incident", res, err)
	}
	if res, err := s.Beat(ctx, "backup", time.Hour, heartbeatWrite(incident.AlertResolve)); err != nil || !res.WasMissed || res.Resolved.Outcome != incident.AlertClosed {
		t.Fatalf("Beat = %+v, %v; want the miss resolved", res, err)
	}
	if err := s.ForgetHeartbeat(ctx, "backup", nil); err != nil {
		t.Fatal(err)
	}
}

func sorted(ids ...int64) []int64 {
	slices.Sort(ids)
	return ids
}

// clusterStore builds a Store the way pagerd does for a multi-address URL
// without master_name: a UniversalClient, which is then a ClusterClient.
func clusterStore(t *testing.T, cluster *testenv.RedisCluster, namespace string, opts ...Option) (*Store, *testenv.Clock, *redis.ClusterClient, *nodeErrors) {
	t.Helper()
	u := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: cluster.Addrs})
	t.Cleanup(func() { u.Close() })
	cc, ok := u.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("UniversalClient for %d addresses is a %T, want *redis.ClusterClient", len(cluster.Addrs), u)
	}
	hook := &nodeErrors{}
	cc.OnNewNode(func(c *redis.Client) { c.AddHook(hook) })
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s := New(cc, namespace, opts...)
	s.Clock = clk.Now
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, clk, cc, hook
}

// masterKeys returns DBSIZE of every master, by address.
func masterKeys(t *testing.T, cluster *testenv.RedisCluster) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, n := range cluster.Nodes {
		size, err := n.Client(t).DBSize(context.Background()).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[n.Addr] = size
	}
	return out
}

func TestStoreOnRedisCluster(t *testing.T) {
	cluster := testenv.StartRedisCluster(t, 3)
	ctx := context.Background()

	s, clk, cc, hook := clusterStore(t, cluster, "test")
	exerciseStore(t, s, clk)
	if errs := hook.take(); len(errs) != 0 {
		t.Errorf("nodes answered errors (want no MOVED, ASK, CROSSSLOT or NOSCRIPT):\n%s", strings.Join(errs, "\n"))
	}

	// Every key of the deployment hashes to the slot of its tag...
	tagSlot, err := cc.ClusterKeySlot(ctx, "test").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{s.key("timers"), s.key("inc", "1", "timeline"), s.key("grp:g1"), s.key("inc", "1", "sends"), s.key("link-secret")} {
		if slot, err := cc.ClusterKeySlot(ctx, k).Result(); err != nil || slot != tagSlot {
			t.Errorf("CLUSTER KEYSLOT %s = %d, %v; want the tag's slot %d", k, slot, err, tagSlot)
		}
	}
	// ...so they all live on the one master that owns it.
	owner, err := cc.MasterForKey(ctx, s.key("timers"))
	if err != nil {
		t.Fatal(err)
	}
	ownerAddr := owner.Options().Addr
	sizes := masterKeys(t, cluster)
	for addr, n := range sizes {
		if (addr == ownerAddr) != (n > 0) {
			t.Errorf("DBSIZE per master = %v; want keys on %s only (owner of slot %d)", sizes, ownerAddr, tagSlot)
			break
		}
	}

	// A deployment whose slot is on another master works too: Load put the
	// scripts on every shard, so pipelined EVALSHA needs no fallback there.
	var other string
	for i := range 1000 {
		ns := fmt.Sprintf("ns%d", i)
		m, err := cc.MasterForKey(ctx, "{"+ns+"}:timers")
		if err != nil {
			t.Fatal(err)
		}
		if m.Options().Addr != ownerAddr {
			other = ns
			break
		}
	}
	s2, _, _, hook2 := clusterStore(t, cluster, other)
	res, err := s2.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{}), write("b", "g", false, time.Time{})})
	if err != nil || !slices.Equal(res, []IngestResult{{1, incident.AlertTriggered}, {1, incident.AlertGrouped}}) {
		t.Fatalf("ingest in namespace %s = %+v, %v", other, res, err)
	}
	if out, _, err := transition(ctx, s2, 1, "ack", "alice", "", time.Hour); err != nil || out != incident.OutcomeAcknowledged {
		t.Fatalf("ack in namespace %s = %q, %v", other, out, err)
	}
	if errs := hook2.take(); len(errs) != 0 {
		t.Errorf("namespace %s on another master: nodes answered errors:\n%s", other, strings.Join(errs, "\n"))
	}

	// Scripts forgotten on every node (a restart or failover): the pipeline
	// falls back to EVAL, single scripts to Run's EVAL.
	if err := cc.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	res, err = s.Ingest(ctx, []AlertWrite{write("x", "g5", false, time.Time{}), write("y", "g5", false, time.Time{})})
	if err != nil || len(res) != 2 || res[0].Outcome != incident.AlertTriggered || res[1].Outcome != incident.AlertGrouped {
		t.Fatalf("ingest after SCRIPT FLUSH = %+v, %v", res, err)
	}
	if out, _, err := transition(ctx, s, res[0].IncidentID, "ack", "alice", "", time.Hour); err != nil || out != incident.OutcomeAcknowledged {
		t.Fatalf("ack after SCRIPT FLUSH = %q, %v", out, err)
	}
	errs := hook.take()
	if !slices.ContainsFunc(errs, func(e string) bool { return strings.HasPrefix(e, "evalsha: NOSCRIPT") }) {
		t.Errorf("after SCRIPT FLUSH nodes answered %q; want the pipelined EVALSHA to meet NOSCRIPT", errs)
	}
	for _, e := range errs {
		if !strings.Contains(e, "NOSCRIPT") {
			t.Errorf("after SCRIPT FLUSH a node answered %s; want only NOSCRIPT", e)
		}
	}
	t.Logf("DBSIZE per master: %v (slot %d on %s); after SCRIPT FLUSH: %q", sizes, tagSlot, ownerAddr, errs)
}

// A store of three shards on the three masters: every operation works
// as on one node, each script on its own shard's slot (no redirection,
// no cross-slot error, no missing script), and the shards' keys on three
// different masters.
func TestShardedStoreOnRedisCluster(t *testing.T) {
	cluster := testenv.StartRedisCluster(t, 3)
	ctx := context.Background()

	s, clk, cc, hook := clusterStore(t, cluster, "test", WithShards(3))
	if s.Shards() != 3 {
		t.Fatalf("Shards() = %d, want 3", s.Shards())
	}
	exerciseStore(t, s, clk)
	if errs := hook.take(); len(errs) != 0 {
		t.Errorf("nodes answered errors (want no MOVED, ASK, CROSSSLOT or NOSCRIPT):\n%s", strings.Join(errs, "\n"))
	}

	masters := map[string]int{}
	for _, sh := range s.shards {
		m, err := cc.MasterForKey(ctx, sh.key("timers"))
		if err != nil {
			t.Fatal(err)
		}
		masters[m.Options().Addr] = sh.index
		// Every incident's keys are in its shard's slot.
		tagSlot, err := cc.ClusterKeySlot(ctx, sh.key("timers")).Result()
		if err != nil {
			t.Fatal(err)
		}
		list, err := sh.List(ctx, false, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range list {
			if s.idShard(inc.ID) != sh {
				t.Errorf("incident %d is in shard %d, its id names shard %d", inc.ID, sh.index, s.idShard(inc.ID).index)
			}
			group, err := sh.rdb.HGet(ctx, sh.incidentKey(inc.ID), "group").Result()
			if err != nil {
				t.Fatalf("group of incident %d: %v", inc.ID, err)
			}
			for _, k := range []string{sh.incidentKey(inc.ID), sh.incidentKey(inc.ID) + ":timeline", sh.prefix + group} {
				if slot, err := cc.ClusterKeySlot(ctx, k).Result(); err != nil || slot != tagSlot {
					t.Errorf("CLUSTER KEYSLOT %s = %d, %v; want shard %d's slot %d", k, slot, err, sh.index, tagSlot)
				}
			}
		}
	}
	if len(masters) != 3 {
		t.Errorf("the shards' keys are on masters %v; want three different masters", masters)
	}
	sizes := masterKeys(t, cluster)
	for addr, n := range sizes {
		if n == 0 {
			t.Errorf("DBSIZE per master = %v; want keys on every master (%s has none)", sizes, addr)
		}
	}
	t.Logf("shards by master: %v; DBSIZE per master: %v", masters, sizes)

	// Scripts forgotten on every master: each shard's pipeline falls back
	// to EVAL on its own master.
	if err := cc.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	var writes []AlertWrite
	for k := range 3 {
		for i := 0; ; i++ {
			w := write(fmt.Sprintf("flushed%d", i), fmt.Sprintf("flushed%d", i), false, time.Time{})
			if s.ingestShard(&w).index == k {
				writes = append(writes, w)
				break
			}
		}
	}
	res, err := s.Ingest(ctx, writes)
	if err != nil || len(res) != 3 {
		t.Fatalf("ingest after SCRIPT FLUSH = %+v, %v", res, err)
	}
	for k, r := range res {
		if r.Outcome != incident.AlertTriggered || s.idShard(r.IncidentID).index != k {
			t.Errorf("ingest after SCRIPT FLUSH: %+v; want a new incident in shard %d", r, k)
		} else if out, _, err := transition(ctx, s, r.IncidentID, "ack", "alice", "", time.Hour); err != nil || out != incident.OutcomeAcknowledged {
			t.Errorf("ack of incident %d after SCRIPT FLUSH = %q, %v", r.IncidentID, out, err)
		}
	}
	errs := hook.take()
	if len(errs) == 0 {
		t.Errorf("no NOSCRIPT after SCRIPT FLUSH; want the pipelined EVALSHA to meet it")
	}
	for _, e := range errs {
		if !strings.Contains(e, "NOSCRIPT") {
			t.Errorf("after SCRIPT FLUSH a node answered %s; want only NOSCRIPT", e)
		}
	}
}

// A store of three shards on one redis-server works as one of one shard.
func TestShardedStoreOnOneRedis(t *testing.T) {
	srv := testenv.StartRedis(t)
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s := New(srv.Client(t), "test", WithShards(3))
	s.Clock = clk.Now
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	exerciseStore(t, s, clk)
	// The incidents went to more than the home shard (g1..g4 hash to
	// several), so the test above crossed shards.
	used := map[int]bool{}
	all, err := s.List(context.Background(), false, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range all {
		used[s.idShard(inc.ID).index] = true
	}
	if len(used) < 2 {
		t.Errorf("incidents %v are all in one shard; want the exercise to cross shards", ids(all))
	}
}

func TestStoreThroughSentinel(t *testing.T) {
	sentinel := testenv.StartRedisSentinel(t)
	ctx := context.Background()
	u := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{sentinel.SentinelAddr}, MasterName: sentinel.MasterName})
	t.Cleanup(func() { u.Close() })
	if _, ok := u.(*redis.Client); !ok {
		t.Fatalf("UniversalClient with MasterName is a %T, want a failover *redis.Client", u)
	}
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s := New(u, "test")
	s.Clock = clk.Now
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	exerciseStore(t, s, clk)

	// The state is on the master the Sentinel named.
	master := sentinel.Master.Client(t)
	if n, err := master.Exists(ctx, s.key("timers"), s.key("inc", "1")).Result(); err != nil || n != 2 {
		t.Errorf("keys on the master = %d, %v; want them written through the Sentinel", n, err)
	}
	if err := master.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	res, err := s.Ingest(ctx, []AlertWrite{write("x", "g5", false, time.Time{}), write("y", "g5", false, time.Time{})})
	if err != nil || len(res) != 2 || res[1].Outcome != incident.AlertGrouped {
		t.Fatalf("ingest after SCRIPT FLUSH = %+v, %v", res, err)
	}
}
