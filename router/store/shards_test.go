package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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
