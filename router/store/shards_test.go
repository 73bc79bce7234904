package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// openIn opens a new incident of service in shard k of s (a group that
// hashes there) and returns its id, which must name shard k.
func openIn(t *testing.T, s *Store, k int, service string) int64 {
	t.Helper()
	for i := 0; ; i++ {
		w := write(fmt.Sprintf("%s-%d-%d", service, k, i), fmt.Sprintf("%s/%d/%d", service, k, i), false, time.Time{})
		w.Service = service
		if s.ingestShard(&w).index != k {
			continue
		}
		res, err := s.Ingest(context.Background(), []AlertWrite{w})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Outcome != incident.AlertTriggered {
			// An alert of an earlier call's group: try the next.
			continue
		}
		if got := s.idShard(res[0].IncidentID).index; got != k {
			t.Fatalf("incident %d opened in shard %d names shard %d", res[0].IncidentID, k, got)
		}
		return res[0].IncidentID
	}
}

// shardedOnCluster is a store of three shards, under its own namespace,
// on the cluster; at the end of the test no node may have answered an
// error (redirection, cross-slot, missing script).
func shardedOnCluster(t *testing.T, cluster *testenv.RedisCluster) (*Store, *testenv.Clock) {
	t.Helper()
	s, clk, _, hook := clusterStore(t, cluster, strings.ReplaceAll(t.Name(), "/", "-"), WithShards(3))
	t.Cleanup(func() {
		if errs := hook.take(); len(errs) != 0 {
			t.Errorf("nodes answered errors (want no MOVED, ASK, CROSSSLOT or NOSCRIPT):\n%s", strings.Join(errs, "\n"))
		}
	})
	return s, clk
}

func claimedIDs(cs []Claim) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.IncidentID)
	}
	slices.Sort(out)
	return out
}

// The sharded store's cross-shard operations on the 3-master cluster:
// claims that outlive a crashed replica, event streams, chat message
// places, merged lists and gauges, action items, status pages and
// silences.
func TestShardsOnRedisCluster(t *testing.T) {
	cluster := testenv.StartRedisCluster(t, 3)
	ctx := context.Background()

	// slot is what the cluster hashes a shard's keys to.
	t.Run("slots of the shard tags", func(t *testing.T) {
		cc := cluster.Client(t)
		for _, ns := range []string{"pagerd", "test", "prod-eu"} {
			for _, n := range []int{2, 3, 6} {
				prefixes := []string{"{" + ns + "}:"}
				for i := 1; i < n; i++ {
					prefixes = append(prefixes, shardPrefix(ns, i, n))
				}
				for _, p := range prefixes {
					tag := strings.TrimSuffix(strings.TrimPrefix(p, "{"), "}:")
					want, err := cc.ClusterKeySlot(ctx, p+"timers").Result()
					if err != nil {
						t.Fatal(err)
					}
					if got := slot(tag); int64(got) != want {
						t.Errorf("slot(%q) = %d; CLUSTER KEYSLOT %stimers = %d", tag, got, p, want)
					}
				}
			}
		}
	})

	// Replica A claims the incidents of all three shards and crashes
	// after renewing two of them: each claim is held while its lease
	// lasts and taken over by replica B once it lapses; a claim B gives
	// back is due at once.
	t.Run("claims of a crashed replica", func(t *testing.T) {
		s, clk := shardedOnCluster(t, cluster)
		inc := []int64{openIn(t, s, 0, "checkout"), openIn(t, s, 1, "checkout"), openIn(t, s, 2, "checkout")}
		a, err := s.ClaimNext(ctx, 30*time.Second, 10)
		if err != nil || !slices.Equal(claimedIDs(a.Claims), sorted(slices.Clone(inc)...)) {
			t.Fatalf("A's ClaimNext = %v, %v; want %v", claimedIDs(a.Claims), err, inc)
		}
		byID := map[int64]Claim{}
		for _, c := range a.Claims {
			byID[c.IncidentID] = c
		}
		if b, err := s.ClaimNext(ctx, 30*time.Second, 10); err != nil || len(b.Claims) != 0 {
			t.Fatalf("B's ClaimNext while A's leases hold = %v, %v; want none", claimedIDs(b.Claims), err)
		}
		clk.Advance(20 * time.Second)
		for _, id := range inc[1:] {
			c, ok, err := s.RenewClaim(ctx, byID[id], 30*time.Second)
			if err != nil || !ok {
				t.Fatalf("A renews its claim on incident %d (shard %d) = %v, %v; want renewed", id, s.idShard(id).index, ok, err)
			}
			byID[id] = c
		}
		clk.Advance(15 * time.Second) // A's first lease lapsed, the renewed ones hold
		b, err := s.ClaimNext(ctx, 30*time.Second, 10)
		if err != nil || !slices.Equal(claimedIDs(b.Claims), []int64{inc[0]}) {
			t.Fatalf("B's ClaimNext after A's first lease lapsed = %v, %v; want [%d]", claimedIDs(b.Claims), err, inc[0])
		}
		if _, ok, err := s.RenewClaim(ctx, byID[inc[0]], 30*time.Second); err != nil || ok {
			t.Errorf("A renews the claim B took over = %v, %v; want refused", ok, err)
		}
		clk.Advance(20 * time.Second) // A is gone: its renewed leases lapse
		b, err = s.ClaimNext(ctx, 30*time.Second, 10)
		if err != nil || !slices.Equal(claimedIDs(b.Claims), sorted(inc[1], inc[2])) {
			t.Fatalf("B's ClaimNext after A's renewed leases lapsed = %v, %v; want %v", claimedIDs(b.Claims), err, inc[1:])
		}
		for _, c := range b.Claims {
			if c.IncidentID == inc[2] {
				if err := s.ReleaseClaim(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
		}
		c, err := s.ClaimNext(ctx, 30*time.Second, 10)
		if err != nil || !slices.Equal(claimedIDs(c.Claims), []int64{inc[2]}) {
			t.Fatalf("C's ClaimNext after B released incident %d = %v, %v; want it", inc[2], claimedIDs(c.Claims), err)
		}
		// A's stale claim cannot move the timer C holds now.
		far := clk.Now().Add(24 * time.Hour)
		if err := s.Reschedule(ctx, byID[inc[2]], far); err != nil {
			t.Fatal(err)
		}
		if err := s.Reschedule(ctx, c.Claims[0], clk.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if due, err := s.idShard(inc[2]).NextDue(ctx); err != nil || !due.Equal(clk.Now().Add(time.Minute)) {
			t.Errorf("shard 2's next timer = %v, %v; want C's reschedule, not A's", due, err)
		}
	})

	// The engine's wake channel hears of a timer made earlier in any
	// shard.
	t.Run("wake-ups", func(t *testing.T) {
		s, clk := shardedOnCluster(t, cluster)
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		wake := s.Wakeups(wctx)
		receive := func(what string) time.Time {
			t.Helper()
			select {
			case at, ok := <-wake:
				if !ok {
					t.Fatalf("%s: wake channel closed", what)
				}
				return at
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: no wake-up in 10s", what)
			}
			return time.Time{}
		}
		// Each shard's subscription says it is made (the zero time).
		for k := range 3 {
			if at := receive(fmt.Sprintf("subscription %d", k)); !at.IsZero() {
				t.Fatalf("subscription %d: wake-up at %v, want the zero time", k, at)
			}
		}
		for k := range 3 {
			clk.Advance(time.Second)
			openIn(t, s, k, "checkout")
			if at := receive(fmt.Sprintf("incident in shard %d", k)); !at.Equal(clk.Now()) {
				t.Errorf("incident in shard %d: wake-up at %v, want %v", k, at, clk.Now())
			}
			// Out of the way of the next shard's: an hour on.
			due, err := s.ClaimNext(ctx, time.Minute, 10)
			if err != nil || len(due.Claims) != 1 {
				t.Fatalf("ClaimNext = %v, %v", claimedIDs(due.Claims), err)
			}
			if err := s.Reschedule(ctx, due.Claims[0], clk.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	})

	// Every shard's events reach the group; a consumer that dies before
	// acknowledging leaves them pending for another, which acknowledges
	// them by their tagged ids in their own shards.
	t.Run("event streams", func(t *testing.T) {
		s, _ := shardedOnCluster(t, cluster)
		if err := s.EnsureGroup(ctx, "notify"); err != nil {
			t.Fatal(err)
		}
		inc := []int64{openIn(t, s, 0, "checkout"), openIn(t, s, 1, "checkout"), openIn(t, s, 2, "checkout")}
		evs, err := s.ReadEvents(ctx, "notify", "c1", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, e := range evs {
			got = append(got, e.Incident)
			k, _ := tagged(e.ID)
			if want := s.idShard(e.Incident).index; k != want || (k > 0) != strings.Contains(e.ID, "/") {
				t.Errorf("event %s of incident %d: tagged as shard %d, want %d", e.ID, e.Incident, k, want)
			}
			if e.Kind != incident.KindTriggered {
				t.Errorf("event %s is %s, want triggered", e.ID, e.Kind)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, sorted(slices.Clone(inc)...)) {
			t.Fatalf("c1 read events of incidents %v; want %v", got, inc)
		}
		// c1 dies; c2 takes over its pending events of every shard.
		pending, err := s.ClaimPendingEvents(ctx, "notify", "c2")
		if err != nil || len(pending) != len(evs) {
			t.Fatalf("c2 claims %d pending events, %v; want %d", len(pending), err, len(evs))
		}
		var acks []string
		for _, e := range pending {
			acks = append(acks, e.ID)
		}
		if err := s.AckEvents(ctx, "notify", acks...); err != nil {
			t.Fatal(err)
		}
		for _, sh := range s.shards {
			if p, err := sh.rdb.XPending(ctx, sh.eventsKey(), "notify").Result(); err != nil || p.Count != 0 {
				t.Errorf("shard %d: %+v, %v pending after the acks; want none", sh.index, p, err)
			}
		}
		if again, err := s.ClaimPendingEvents(ctx, "notify", "c3"); err != nil || len(again) != 0 {
			t.Errorf("c3 claims %d pending events, %v; want none", len(again), err)
		}
		if err := s.AckEvents(ctx, "notify", "7/1-0"); !errors.Is(err, errUnknownShard) {
			t.Errorf("ack of an event of shard 7 = %v; want errUnknownShard", err)
		}
		// AckAndReadEvents: a new event of shard 2 comes after the acks.
		if _, err := s.Append(ctx, inc[2], incident.KindNote, "checked", "", 0); err != nil {
			t.Fatal(err)
		}
		next, err := s.AckAndReadEvents(ctx, "notify", "c2", nil, 10)
		if err != nil || len(next) != 1 || next[0].Incident != inc[2] || !strings.HasPrefix(next[0].ID, "2/") {
			t.Fatalf("AckAndReadEvents = %+v, %v; want the note of incident %d, tagged 2/", next, err, inc[2])
		}
		if _, err := s.AckAndReadEvents(ctx, "notify", "c2", []string{next[0].ID}, 10); err != nil {
			t.Fatal(err)
		}
		if p, err := s.shards[2].rdb.XPending(ctx, s.shards[2].eventsKey(), "notify").Result(); err != nil || p.Count != 0 {
			t.Errorf("shard 2: %+v, %v pending after AckAndReadEvents; want none", p, err)
		}
		if len(s.EventStreams()) != 3 {
			t.Errorf("EventStreams = %d, want 3", len(s.EventStreams()))
		}
	})

	t.Run("message places", func(t *testing.T) {
		s, _ := shardedOnCluster(t, cluster)
		for k := range 3 {
			id := openIn(t, s, k, "checkout")
			place := fmt.Sprintf("slack:C01/%d.0001", k)
			if err := s.KeepMessageAt(ctx, id, "slack:first", "ts"+place, place, "slack:first"); err != nil {
				t.Fatal(err)
			}
			if got, thread, ok, err := s.MessageAt(ctx, place); err != nil || !ok || got != id || thread != "slack:first" {
				t.Errorf("MessageAt(%s) = %d, %q, %v, %v; want incident %d (shard %d), thread slack:first", place, got, thread, ok, err, id, k)
			}
			if ref, ok, err := s.Message(ctx, id, "slack:first"); err != nil || !ok || ref != "ts"+place {
				t.Errorf("Message of incident %d = %q, %v, %v", id, ref, ok, err)
			}
		}
		if _, _, ok, err := s.MessageAt(ctx, "slack:C01/none"); err != nil || ok {
			t.Errorf("MessageAt an unknown place = %v, %v; want not found", ok, err)
		}
	})

	t.Run("list and gauges", func(t *testing.T) {
		s, clk := shardedOnCluster(t, cluster)
		// Opened a minute apart, in shards 2, 0, 1, 2, 1.
		var want []int64
		services := map[int64]string{}
		for i, k := range []int{2, 0, 1, 2, 1} {
			svc := []string{"checkout", "search"}[i%2]
			id := openIn(t, s, k, svc)
			services[id] = svc
			want = append([]int64{id}, want...)
			clk.Advance(time.Minute)
		}
		if all, err := s.List(ctx, false, 10); err != nil || !slices.Equal(ids(all), want) {
			t.Errorf("List = %v, %v; want newest first %v", ids(all), err, want)
		}
		if top, err := s.List(ctx, false, 3); err != nil || !slices.Equal(ids(top), want[:3]) {
			t.Errorf("List of 3 = %v, %v; want %v", ids(top), err, want[:3])
		}
		// 0 lists them all, as with one shard: the reload's rerouting of
		// unrouted incidents asks so.
		if every, err := s.List(ctx, false, 0); err != nil || !slices.Equal(ids(every), want) {
			t.Errorf("List of 0 = %v, %v; want all %v", ids(every), err, want)
		}
		if out, _, err := transition(ctx, s, want[1], "resolve", "bob", "api", time.Hour); err != nil || out != incident.OutcomeResolved {
			t.Fatalf("resolve %d = %q, %v", want[1], out, err)
		}
		if _, _, err := transition(ctx, s, want[3], "ack", "bob", "api", time.Hour); err != nil {
			t.Fatal(err)
		}
		openWant := slices.Delete(slices.Clone(want), 1, 2)
		if open, err := s.List(ctx, true, 10); err != nil || !slices.Equal(ids(open), openWant) {
			t.Errorf("open = %v, %v; want %v", ids(open), err, openWant)
		}
		// Gauges's script is not among those Load sends ahead (a scrape
		// is not the hot path): send it, so its first call meets no
		// NOSCRIPT, which the test counts as an error.
		if err := gaugesScript.Load(ctx, s.rdb).Err(); err != nil {
			t.Fatal(err)
		}
		counts := map[OpenCount]bool{}
		wantCounts := map[[2]string]int{}
		for _, id := range openWant {
			st := "triggered"
			if id == want[3] {
				st = "acknowledged"
			}
			wantCounts[[2]string{services[id], st}]++
		}
		open, due, err := s.Gauges(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range open {
			counts[o] = true
			if wantCounts[[2]string{o.Service, o.Status}] != o.Count {
				t.Errorf("Gauges: %+v; want %d", o, wantCounts[[2]string{o.Service, o.Status}])
			}
		}
		if len(counts) != len(wantCounts) {
			t.Errorf("Gauges = %+v; want %v", open, wantCounts)
		}
		// Every incident's timer is due and unclaimed (the resolved one's
		// too: the engine has its resolve to send), in whichever shard.
		if due != len(want) {
			t.Errorf("Gauges: %d timers due; want %d", due, len(want))
		}
	})

	t.Run("action items", func(t *testing.T) {
		s, _ := shardedOnCluster(t, cluster)
		items := map[int64]int64{} // item -> incident
		for k := range 3 {
			id := openIn(t, s, k, "checkout")
			for j := range 2 {
				n, err := s.AddAction(ctx, NewAction{Incident: id, Title: fmt.Sprintf("fix %d.%d", k, j), Owner: "bob", Kind: incident.ActionFix, By: "carol", Via: "cli"})
				if err != nil {
					t.Fatalf("AddAction on incident %d (shard %d): %v", id, k, err)
				}
				if _, dup := items[n]; dup || n <= 0 {
					t.Fatalf("AddAction on incident %d gave item %d, already %v", id, n, items)
				}
				items[n] = id
			}
		}
		for n, id := range items {
			a, err := s.Action(ctx, n)
			if err != nil || a.ID != n || a.Incident != id {
				t.Errorf("Action(%d) = %+v, %v; want the item of incident %d", n, a, err, id)
			}
			if done, err := s.ActionDone(ctx, n, "bob", "cli"); err != nil || !done {
				t.Errorf("ActionDone(%d) = %v, %v; want done", n, done, err)
			}
			if done, err := s.ActionDone(ctx, n, "bob", "cli"); err != nil || done {
				t.Errorf("ActionDone(%d) again = %v, %v; want already done", n, done, err)
			}
			if list, err := s.Actions(ctx, id); err != nil || len(list) != 2 {
				t.Errorf("Actions(%d) = %+v, %v; want 2", id, list, err)
			}
		}
		if len(items) != 6 {
			t.Errorf("items %v; want 6", items)
		}
		// Numbers stay as short as the count of items.
		for n := range items {
			if n > 6 {
				t.Errorf("item number %d of 6 items; want at most 6", n)
			}
		}
	})

	t.Run("status page", func(t *testing.T) {
		s, clk := shardedOnCluster(t, cluster)
		start := clk.Now()
		post := func(id int64, code, body string) {
			t.Helper()
			if _, err := s.PostPage(ctx, PagePost{Incident: id, Service: "checkout", Pages: []string{"public"}, Title: "Checkout " + code,
				Status: incident.StateInvestigating, Body: body, By: "alice", Via: "cli", Keep: time.Hour, Code: code}); err != nil {
				t.Fatal(err)
			}
		}
		a, b := openIn(t, s, 0, "checkout"), openIn(t, s, 2, "checkout")
		post(a, "aaa", "first")
		cursor, err := s.LastPageChange(ctx)
		if err != nil || len(strings.Split(cursor, ",")) != 3 {
			t.Fatalf("LastPageChange = %q, %v; want a cursor of 3 shards", cursor, err)
		}
		// Nothing after the cursor yet.
		if got, err := s.PageChanges(ctx, cursor, 10*time.Millisecond); err != nil || got != "" {
			t.Fatalf("PageChanges with nothing new = %q, %v; want none", got, err)
		}
		woke := make(chan string, 1)
		fail := make(chan error, 1)
		begun := time.Now()
		go func() {
			got, err := s.PageChanges(ctx, cursor, 20*time.Second)
			if err != nil {
				fail <- err
				return
			}
			woke <- got
		}()
		post(b, "bbb", "second")
		select {
		case got := <-woke:
			old, now := strings.Split(cursor, ","), strings.Split(got, ",")
			if len(now) != 3 || now[0] != old[0] || now[1] != old[1] || now[2] == old[2] {
				t.Errorf("PageChanges = %q after %q; want shard 2's part moved on", got, cursor)
			}
			if took := time.Since(begun); took > 10*time.Second {
				t.Errorf("PageChanges took %s to answer a change; want it at once (block 20s)", took)
			}
		case err := <-fail:
			t.Fatal(err)
		case <-time.After(15 * time.Second):
			t.Fatal("PageChanges did not wake on a change of shard 2")
		}
		all, err := s.PageIncidents(ctx, start.Add(-time.Hour))
		if err != nil || len(all) != 2 || all[0].ID != min(a, b) || all[1].ID != max(a, b) {
			t.Fatalf("PageIncidents = %+v, %v; want incidents %d and %d by id", all, err, min(a, b), max(a, b))
		}
		if p, err := s.PageIncident(ctx, b); err != nil || p.Code != "bbb" {
			t.Errorf("PageIncident(%d) = %+v, %v", b, p, err)
		}
	})

	// A silence raises the version every shard compares the router's
	// snapshot with: the old snapshot is stale, the new one not, in
	// every shard.
	t.Run("silences", func(t *testing.T) {
		s, clk := shardedOnCluster(t, cluster)
		sil := incident.Silence{ID: "s1", Matchers: []string{"a=b"}, StartsAt: clk.Now(), EndsAt: clk.Now().Add(time.Hour)}
		if err := s.PutSilence(ctx, sil, "", time.Hour); err != nil {
			t.Fatal(err)
		}
		version, _, err := s.Silences(ctx)
		if err != nil || version == "" || version == "0" {
			t.Fatalf("Silences version = %q, %v", version, err)
		}
		for k := range 3 {
			var w AlertWrite
			for i := 0; ; i++ {
				w = write(fmt.Sprintf("sil-%d-%d", k, i), fmt.Sprintf("sil/%d/%d", k, i), false, time.Time{})
				if s.ingestShard(&w).index == k {
					break
				}
			}
			w.Suppression = Suppression{Silences: "0"}
			if got, err := s.Ingest(ctx, []AlertWrite{w}); err != nil || !got[0].Stale() {
				t.Errorf("shard %d: alert with the old snapshot = %+v, %v; want stale", k, got, err)
			}
			w.Suppression = Suppression{Silences: version}
			got, err := s.Ingest(ctx, []AlertWrite{w})
			if err != nil || got[0].Outcome != incident.AlertTriggered || s.idShard(got[0].IncidentID).index != k {
				t.Errorf("shard %d: alert with the new snapshot = %+v, %v; want a new incident there", k, got, err)
			}
		}

		// A writer that stopped after the home shard and before the others:
		// shard 2 is behind, so the router's fresh snapshot is stale there
		// once; that answer copies the version, and the retry passes.
		sil2 := incident.Silence{ID: "s2", Matchers: []string{"c=d"}, StartsAt: clk.Now(), EndsAt: clk.Now().Add(time.Hour)}
		if err := s.shard.PutSilence(ctx, sil2, "", time.Hour); err != nil {
			t.Fatal(err)
		}
		v2, _, err := s.Silences(ctx)
		if err != nil || v2 == version {
			t.Fatalf("Silences version after s2 = %q, %v; want a new one", v2, err)
		}
		var w AlertWrite
		for i := 0; ; i++ {
			w = write(fmt.Sprintf("behind-%d", i), fmt.Sprintf("behind/%d", i), false, time.Time{})
			if s.ingestShard(&w).index == 2 {
				break
			}
		}
		w.Suppression = Suppression{Silences: v2}
		if got, err := s.Ingest(ctx, []AlertWrite{w}); err != nil || !got[0].Stale() {
			t.Fatalf("alert of the behind shard with the new snapshot = %+v, %v; want stale once", got, err)
		}
		if got, err := s.Ingest(ctx, []AlertWrite{w}); err != nil || got[0].Outcome != incident.AlertTriggered {
			t.Errorf("the router's retry = %+v, %v; want a new incident", got, err)
		}
	})
}

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
					// Redis answers no call an error, the refused Loads' neither.
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

			// The deployment of one shard: incidents 1 (open), 2 (resolved)
			// and 3 (open, its timer claimed and rescheduled), item 1.
			old := load(oldStore())
			res, err := old.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{}), write("b", "g2", false, time.Time{}), write("c", "g3", false, time.Time{})})
			if err != nil || !slices.Equal(res, []IngestResult{{1, incident.AlertTriggered}, {2, incident.AlertTriggered}, {3, incident.AlertTriggered}}) {
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

			// Upgraded to three shards.
			s := load(newStore(WithShards(3)))
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
