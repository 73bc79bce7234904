package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// Known gaps of the sharded layout (issue 13, target 5): what a store of
// one shard does and one of several does not yet, because an alert's
// shard follows its group (or its service's storm folding), and what
// joins alerts across groups — the fingerprint index, the inhibition
// sets — lives in the shard. Each test asserts the one-shard behaviour
// and is skipped until the design answers it; remove the skip to see it
// fail.

const knownGap = "known gap of the sharded layout (see the comment of shards_gaps_test.go)"

func shardedOnOneRedis(t *testing.T) *Store {
	t.Helper()
	srv := testenv.StartRedis(t)
	clk := testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s := New(srv.Client(t), "test", WithShards(3))
	s.Clock = clk.Now
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// groupNotIn is a group of prefix whose alerts (w with that group) go to
// a shard other than k.
func groupNotIn(s *Store, w AlertWrite, prefix string, k int) string {
	for i := 0; ; i++ {
		w.GroupID = fmt.Sprintf("%s%d", prefix, i)
		if s.ingestShard(&w).index != k {
			return w.GroupID
		}
	}
}

// An inhibition rule's source and target alerts are of different groups,
// so of different shards two times in three: the target's shard does not
// see the source fire, and the target pages.
func TestShardsGapInhibitionAcrossShards(t *testing.T) {
	t.Skip(knownGap)
	s := shardedOnOneRedis(t)
	src := write("src", "g-src", false, time.Time{})
	src.Suppression.Inhibit = "o:cluster-down:x"
	tgt := write("tgt", "", false, time.Time{})
	tgt.GroupID = groupNotIn(s, tgt, "g-tgt", s.ingestShard(&src).index)
	tgt.Suppression.Inhibit = "t:cluster-down:x"
	got, err := s.Ingest(context.Background(), []AlertWrite{src, tgt})
	if err != nil || got[1].Outcome != incident.AlertSuppressed {
		t.Fatalf("source then target in another shard = %+v, %v; want the target suppressed", got, err)
	}
}

// A reload that changes group_by gives a firing alert another group: in
// another shard, whose fingerprint index does not know it, it opens a
// second incident (a second page) instead of staying in its own.
func TestShardsGapRegroupingMovesAlertsToAnotherShard(t *testing.T) {
	t.Skip(knownGap)
	s := shardedOnOneRedis(t)
	ctx := context.Background()
	w := write("a", "by-alertname", false, time.Time{})
	first, err := s.Ingest(ctx, []AlertWrite{w})
	if err != nil {
		t.Fatal(err)
	}
	w.GroupID = groupNotIn(s, w, "by-alertname-and-cluster", s.ingestShard(&w).index)
	res, err := s.Ingest(ctx, []AlertWrite{w})
	if err != nil || res[0] != (IngestResult{first[0].IncidentID, incident.AlertDeduplicated}) {
		t.Fatalf("re-sent alert after regrouping = %+v, %v; want deduplicated into %d", res, err, first[0].IncidentID)
	}
}

// Reroute moves an unrouted incident's alerts to their group in the
// incident's shard; the group's later alerts go to the group's own shard
// and open a second incident there.
func TestShardsGapRerouteToAGroupOfAnotherShard(t *testing.T) {
	t.Skip(knownGap)
	s := shardedOnOneRedis(t)
	ctx := context.Background()
	w := write("a", "unrouted:g", false, time.Time{})
	w.Service = "unrouted"
	res, err := s.Ingest(ctx, []AlertWrite{w})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].IncidentID
	routed := write("a", "", false, time.Time{})
	routed.GroupID = groupNotIn(s, routed, "checkout:g", s.idShard(id).index)
	moved, err := s.Reroute(ctx, id, "unrouted", []RerouteTarget{{Service: "checkout", Escalation: "payments", GroupID: routed.GroupID,
		Title: "CheckoutDown", Alerts: []RerouteAlert{{Fingerprint: "a", Name: "CheckoutDown"}}}}, false, "config reload", time.Hour)
	if err != nil || len(moved) != 1 || moved[0] != id {
		t.Fatalf("Reroute = %v, %v; want incident %d moved", moved, err, id)
	}
	res, err = s.Ingest(ctx, []AlertWrite{routed})
	if err != nil || res[0] != (IngestResult{id, incident.AlertDeduplicated}) {
		t.Fatalf("the rerouted alert sent again = %+v, %v; want deduplicated into %d", res, err, id)
	}
}

// Turning storm folding on for a service (a reload) moves its groups to
// the service's shard: their open incidents are left behind, and their
// next alerts open second ones.
func TestShardsGapStormFoldingTurnedOnMovesGroups(t *testing.T) {
	t.Skip(knownGap)
	s := shardedOnOneRedis(t)
	ctx := context.Background()
	storm := write("b", "", false, time.Time{})
	storm.StormIncidents, storm.StormWindow = 5, time.Minute
	w := write("a", "", false, time.Time{})
	w.GroupID = groupNotIn(s, w, "g", s.ingestShard(&storm).index)
	first, err := s.Ingest(ctx, []AlertWrite{w})
	if err != nil {
		t.Fatal(err)
	}
	storm.GroupID = w.GroupID
	res, err := s.Ingest(ctx, []AlertWrite{storm})
	if err != nil || res[0] != (IngestResult{first[0].IncidentID, incident.AlertGrouped}) {
		t.Fatalf("an alert of the group once its service folds storms = %+v, %v; want grouped into %d", res, err, first[0].IncidentID)
	}
}
