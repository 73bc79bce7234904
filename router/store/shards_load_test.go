package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// scriptCalls is how many script calls a node served since its last
// CONFIG RESETSTAT: EVALSHA and EVAL calls, from INFO commandstats.
func scriptCalls(t *testing.T, n *testenv.RedisServer) int64 {
	t.Helper()
	stats, err := testenv.CommandStats(context.Background(), n.Client(t))
	if err != nil {
		t.Fatal(err)
	}
	return stats["evalsha"].Calls + stats["eval"].Calls
}

// share checks that each master's part of the whole is within tol of an
// even share, and logs the parts.
func share(t *testing.T, what string, cluster *testenv.RedisCluster, per map[string]int64, tol float64) {
	t.Helper()
	var total int64
	for _, n := range per {
		total += n
	}
	even := 1 / float64(len(cluster.Nodes))
	var parts []string
	for _, node := range cluster.Nodes {
		p := float64(per[node.Addr]) / float64(total)
		parts = append(parts, fmt.Sprintf("%s %d (%.1f%%)", node.Addr, per[node.Addr], 100*p))
		if p < even-tol || p > even+tol {
			t.Errorf("%s: master %s has %.1f%% of %d; want %.0f%% ± %.0f%%", what, node.Addr, 100*p, total, 100*even, 100*tol)
		}
	}
	t.Logf("%s per master (total %d): %s", what, total, strings.Join(parts, ", "))
}

// Issue 13, target 5: three shards on a cluster of three masters spread
// ingest and escalation evenly. After 100,000 alerts in 10,000 groups,
// sent as webhooks of 100 alerts by several senders at once, and a round
// of escalation (every timer claimed and rescheduled, some pages claimed
// and finished), each master holds 33% ± 5% of the keys and served 33% ±
// 10% of the script calls.
func TestShardsSpreadLoadOverClusterMasters(t *testing.T) {
	const (
		groups, perGroup = 10_000, 10
		batch, senders   = 100, 8
	)
	cluster := testenv.StartRedisCluster(t, 3)
	ctx := context.Background()
	s, clk, _, hook := clusterStore(t, cluster, "pagerd", WithShards(3))
	for _, n := range cluster.Nodes {
		if err := n.Client(t).ConfigResetStat(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()

	// Ingest: alert i of group g is fingerprint "g.i"; a webhook carries
	// batch alerts, those of batch/perGroup groups.
	alert := func(g, i int) AlertWrite {
		w := write(fmt.Sprintf("%d.%d", g, i), "group-"+strconv.Itoa(g), false, time.Time{})
		w.Doc = json.RawMessage(`{"fingerprint":"` + w.Fingerprint + `","status":"firing","labels":{"instance":"node-` + strconv.Itoa(i) + `"}}`)
		return w
	}
	var next atomic.Int64
	var opened, grouped atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for range senders {
		wg.Go(func() {
			for {
				first := int(next.Add(batch)) - batch
				if first >= groups*perGroup {
					return
				}
				ws := make([]AlertWrite, 0, batch)
				for a := first; a < first+batch; a++ {
					ws = append(ws, alert(a/perGroup, a%perGroup))
				}
				res, err := s.Ingest(ctx, ws)
				if err != nil {
					errs <- err
					return
				}
				for _, r := range res {
					switch r.Outcome {
					case incident.AlertTriggered:
						opened.Add(1)
					case incident.AlertGrouped:
						grouped.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if opened.Load() != groups || grouped.Load() != groups*(perGroup-1) {
		t.Fatalf("ingest opened %d incidents and grouped %d alerts; want %d and %d", opened.Load(), grouped.Load(), groups, groups*(perGroup-1))
	}
	ingested := time.Since(start)

	// Escalation: every new incident is due; claim them in batches and
	// reschedule each an hour on, as the engine's first step does, and
	// page those whose id ends in 0, about a tenth (claim the send, finish it).
	wake := clk.Now().Add(time.Hour)
	var claimed, tenths, paged atomic.Int64
	claimers := make(chan error, senders)
	for range senders {
		wg.Go(func() {
			for {
				due, err := s.ClaimNext(ctx, time.Minute, 100)
				if err != nil {
					claimers <- err
					return
				}
				if len(due.Claims) == 0 {
					return
				}
				for _, c := range due.Claims {
					if c.IncidentID%10 == 0 {
						tenths.Add(1)
						st, _, err := s.ClaimSend(ctx, c.IncidentID, incident.Triggered, 0, "page", time.Minute, "r1")
						if err == nil && st == SendClaimed {
							err = s.FinishSend(ctx, c.IncidentID, SendResult{Key: "page", Receipt: "SM" + strconv.FormatInt(c.IncidentID, 10),
								Kind: incident.KindNotified, Detail: "alice via sms", Reached: &aliceSMS})
							paged.Add(1)
						}
						if err != nil {
							claimers <- err
							return
						}
					}
					if err := s.Reschedule(ctx, c, wake); err != nil {
						claimers <- err
						return
					}
				}
				claimed.Add(int64(len(due.Claims)))
			}
		})
	}
	wg.Wait()
	close(claimers)
	for err := range claimers {
		t.Fatal(err)
	}
	if claimed.Load() != groups || paged.Load() != tenths.Load() || paged.Load() < groups/20 {
		t.Fatalf("claimed %d timers and paged %d incidents; want %d and every one whose id ends in 0 (%d)", claimed.Load(), paged.Load(), groups, tenths.Load())
	}
	if errs := hook.take(); len(errs) != 0 {
		t.Errorf("nodes answered errors (want no MOVED, ASK, CROSSSLOT or NOSCRIPT): %d, first %s", len(errs), errs[0])
	}
	if due, err := s.NextDue(ctx); err != nil || !due.Equal(wake) {
		t.Errorf("NextDue = %v, %v; want every timer at %v", due, err, wake)
	}
	// (Gauges's script is not sent ahead by Load: its first call meets
	// NOSCRIPT on each master, by design.)
	open, _, err := s.Gauges(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, o := range open {
		total += o.Count
	}
	if total != groups {
		t.Errorf("Gauges count %d open incidents (%+v); want %d", total, open, groups)
	}
	t.Logf("ingest of %d alerts: %s; escalation of %d incidents: %s", groups*perGroup, ingested.Round(time.Millisecond), groups, (time.Since(start) - ingested).Round(time.Millisecond))

	share(t, "keys (DBSIZE)", cluster, masterKeys(t, cluster), 0.05)
	calls := map[string]int64{}
	for _, n := range cluster.Nodes {
		calls[n.Addr] = scriptCalls(t, n)
	}
	share(t, "script calls (EVALSHA+EVAL)", cluster, calls, 0.10)
}
