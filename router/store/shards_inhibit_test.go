package store

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// An inhibition rule's source mutes its targets in every shard: each
// shard publishes its sources' changes, and the mirror (here by hand, as
// the inhibit-mirror consumer does) copies them into the others. A target
// whose source is not there yet holds its first page for a moment. On the
// 3-master cluster, so that every step stays in one slot.
func TestShardsInhibitAcrossShards(t *testing.T) {
	cluster := testenv.StartRedisCluster(t, 3)
	s, clk := shardedOnCluster(t, cluster)
	ctx := context.Background()
	if err := s.EnsureGroup(ctx, "mirror"); err != nil {
		t.Fatal(err)
	}
	mirrored := 0
	mirror := func() {
		t.Helper()
		evs, err := s.ReadEvents(ctx, "mirror", "test", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		var acks []string
		for _, ev := range evs {
			if ev.Kind == KindInhibitSource {
				mirrored++
			}
			if err := s.MirrorInhibitSource(ctx, ev); err != nil {
				t.Fatal(err)
			}
			acks = append(acks, ev.ID)
		}
		if err := s.AckEvents(ctx, "mirror", acks...); err != nil {
			t.Fatal(err)
		}
	}
	alert := func(fp string, shard int, token string) AlertWrite {
		w := write(fp, groupIn(s, shard, fp), false, time.Time{})
		w.Suppression.Inhibit = token
		return w
	}
	src, tgt := alert("src", 0, "o:cluster-down:eu1"), alert("tgt", 1, "t:cluster-down:eu1")

	res, err := s.Ingest(ctx, []AlertWrite{src})
	if err != nil || res[0].Outcome != incident.AlertTriggered {
		t.Fatalf("source = %v, %v", res, err)
	}
	mirror()
	if mirrored != 1 {
		t.Fatalf("%d source changes published; want the source's one", mirrored)
	}
	res, err = s.Ingest(ctx, []AlertWrite{tgt})
	if err != nil || res[0].Outcome != incident.AlertSuppressed {
		t.Fatalf("target in another shard than its source = %v, %v; want it suppressed", res, err)
	}
	target := res[0].IncidentID
	if inc, _ := s.Incident(ctx, target); inc.Suppressed != "inhibited:cluster-down" {
		t.Errorf("target incident suppressed %q; want inhibited:cluster-down", inc.Suppressed)
	}

	// A target that comes with its source, which another shard stores,
	// opens an incident that holds its first page for a moment, until the
	// source reaches its shard; one that comes alone pages at once.
	firstStep := func(id int64) int64 {
		t.Helper()
		sh := s.idShard(id)
		at, err := sh.rdb.ZScore(ctx, sh.key("timers"), strconv.FormatInt(id, 10)).Result()
		if err != nil {
			t.Fatal(err)
		}
		return int64(at)
	}
	us1, early := alert("us1-src", 0, "o:cluster-down:us1"), alert("early", 2, "t:cluster-down:us1")
	res, err = s.Ingest(ctx, []AlertWrite{early, us1})
	if err != nil || res[0].Outcome != incident.AlertTriggered {
		t.Fatalf("target with its source = %v, %v; want it triggered, its source not in its shard yet", res, err)
	}
	if at := firstStep(res[0].IncidentID); at != clk.Now().Add(time.Second).UnixMilli() {
		t.Errorf("its first step at %d; want a second from now (%d)", at, clk.Now().Add(time.Second).UnixMilli())
	}
	res, err = s.Ingest(ctx, []AlertWrite{alert("alone", 2, "t:cluster-down:ap1")})
	if err != nil || res[0].Outcome != incident.AlertTriggered {
		t.Fatalf("target alone = %v, %v", res, err)
	}
	if at := firstStep(res[0].IncidentID); at != clk.Now().UnixMilli() {
		t.Errorf("a lone target's first step at %d; want now (%d)", at, clk.Now().UnixMilli())
	}
	mirror()

	// The source resolves: the target's incident is looked at again, now.
	src.Action = incident.AlertResolve
	if _, err := s.Ingest(ctx, []AlertWrite{src}); err != nil {
		t.Fatal(err)
	}
	if inc, _ := s.Incident(ctx, target); inc.NeedsReview {
		t.Fatal("the target's incident was reviewed before the source's end reached its shard")
	}
	mirror()
	if inc, _ := s.Incident(ctx, target); !inc.NeedsReview {
		t.Error("the source resolved and the target's incident is not due for a review")
	}
	if mirrored != 3 {
		t.Errorf("%d source changes published; want 3: eu1's source's start and end, us1's start", mirrored)
	}
	// Its review finds it free.
	if err := s.Review(ctx, target, "checkout", "0", time.Time{}, []ReviewedAlert{{Fingerprint: "tgt", Name: "InstanceDown tgt", Suppression: tgt.Suppression}}); err != nil {
		t.Fatal(err)
	}
	if inc, _ := s.Incident(ctx, target); inc.Suppressed != "" {
		t.Errorf("target incident after the review suppressed %q; want paging", inc.Suppressed)
	}
	// Nothing of the source stays in any shard's copy.
	for _, sh := range s.shards {
		for _, role := range []string{"o", "O"} {
			if n, _ := sh.rdb.Exists(ctx, sh.key("inh", "cluster-down", "eu1", role)).Result(); n != 0 {
				t.Errorf("shard %d keeps inh:cluster-down:eu1:%s", sh.index, role)
			}
		}
	}
}

// A target that joins a suppressed incident, sent with a source that
// opens an incident in the same shard, is stored a call before its
// source (which first asks the other shards, placeUnknown): the target
// frees the incident, which must not page before the source mutes it
// again. It holds its new first step for a moment, as a target that
// opens an incident does; the source, once stored, asks for a review.
func TestShardsTargetFreeingAnIncidentWaitsForItsSource(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := srv.Client(t)
	hook := &afterLook{}
	rdb.AddHook(hook)
	s := New(rdb, "test", WithShards(3))
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s.Clock = clk.Now
	ctx := context.Background()
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	alert := func(fp, group, inhibit string) AlertWrite {
		w := write(fp, group, false, time.Time{})
		w.Suppression.Inhibit = inhibit
		return w
	}
	// Incident I, in shard 0, is suppressed: its one alert is muted by
	// another rule's source.
	gTarget, gOther, gSource := groupIn(s, 0, "target"), groupIn(s, 0, "other"), groupIn(s, 0, "source")
	res, err := s.Ingest(ctx, []AlertWrite{alert("other-src", gOther, "o:disk-full:x"), alert("t1", gTarget, "t:disk-full:x")})
	if err != nil || res[1].Outcome != incident.AlertSuppressed {
		t.Fatalf("I's first alert = %v, %v; want it suppressed", res, err)
	}
	id := res[1].IncidentID
	sh := s.idShard(id)
	timer := func() (float64, error) {
		return sh.rdb.ZScore(ctx, sh.key("timers"), strconv.FormatInt(id, 10)).Result()
	}

	hook.mu.Lock()
	hook.do = func() { // between the first call and the source's
		inc, err := s.Incident(ctx, id)
		if err != nil {
			t.Error(err)
			return
		}
		at, err := timer()
		if inc.Suppressed == "" && (err != nil || int64(at) <= clk.Now().UnixMilli()) {
			t.Errorf("before its source was stored, the freed incident is due at %v (%v); want a second from now", at, err)
		}
	}
	hook.mu.Unlock()
	res, err = s.Ingest(ctx, []AlertWrite{alert("src", gSource, "o:cluster-down:x"), alert("t2", gTarget, "t:cluster-down:x")})
	if err != nil {
		t.Fatal(err)
	}
	hook.mu.Lock()
	looked := hook.do == nil
	hook.mu.Unlock()
	if !looked {
		t.Fatal("the source never asked the other shards")
	}
	if inc, _ := s.Incident(ctx, id); !inc.NeedsReview {
		t.Error("the source is stored and I is not due for a review")
	}
	if at, err := timer(); err != nil || int64(at) > clk.Now().UnixMilli() {
		t.Errorf("I's timer at %v (%v); want due now, for the review", at, err)
	}
}

// HoldTargets marks a request's targets in place when sharded, so that
// the router's retry of a stale target alone keeps its mark; with one
// shard it marks nothing. A two-sided target ('T') is held for a
// source-only alert, not for another two-sided one.
func TestHoldTargetsMarksTheWholeRequest(t *testing.T) {
	req := func() []AlertWrite {
		ws := make([]AlertWrite, 4)
		for i, inh := range []string{"o:cluster-down:x", "t:cluster-down:x", "b:db-down:y T:db-down:y", "b:db-down:y"} {
			ws[i] = write(fmt.Sprint("fp", i), "g", false, time.Time{})
			ws[i].Suppression.Inhibit = inh
		}
		return ws
	}
	for _, c := range []struct {
		shards int
		want   []bool
	}{
		{1, []bool{false, false, false, false}},
		{3, []bool{false, true, false, false}},
	} {
		ws := req()
		New(nil, "test", WithShards(c.shards)).HoldTargets(ws)
		for i, w := range ws {
			if w.Suppression.hold != c.want[i] {
				t.Errorf("%d shards: %q held = %v, want %v", c.shards, w.Suppression.Inhibit, w.Suppression.hold, c.want[i])
			}
		}
	}
}
