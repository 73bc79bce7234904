package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/jsonenc"
	"github.com/pagerd/pagerd/internal/testenv"
)

// BenchmarkMemoryPerAlert measures what Redis holds for each open
// deduplicated alert (issue 13, target 4): 100,000 distinct alerts in
// 1,000 groups, shaped like tools/sidebyside's (Alertmanager API v2, five
// labels, two annotations, a generator URL), stored 100 a request, on a
// fresh real redis-server; and in 10,000 groups, target 5's shape. B/alert
// is the growth of INFO used_memory per alert, as the issue measured it;
// the other metrics split the keys' MEMORY USAGE by what they are, per
// alert, and -v logs one incident's.
//
//	go test -run '^$' -bench MemoryPerAlert -benchtime 1x -v ./router/store/
func BenchmarkMemoryPerAlert(b *testing.B) {
	// The shape, and target 5's: ten alerts an incident.
	for _, groups := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) { memoryPerAlert(b, groups) })
	}
}

func memoryPerAlert(b *testing.B, groups int) {
	const alerts, request = 100_000, 100
	srv := testenv.StartRedis(b)
	rdb := srv.Client(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		s := New(rdb, "pagerd") // Redis TIME, as in production
		if err := s.Load(ctx); err != nil {
			b.Fatal(err)
		}
		before := usedMemory(b, rdb)
		b.StartTimer()
		batch := make([]AlertWrite, 0, request)
		for i := range alerts {
			batch = append(batch, loadAlert(i, groups))
			if len(batch) == request || i == alerts-1 {
				if _, err := s.Ingest(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(usedMemory(b, rdb)-before)/alerts, "B/alert")
		usage := keyUsage(b, rdb)
		kinds := make([]string, 0, len(usage))
		for k, n := range usage {
			b.ReportMetric(float64(n)/alerts, k+"-B/alert")
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			b.Logf("%-10s %8.1f B/alert", k, float64(usage[k])/alerts)
		}
		for _, suffix := range []string{"", ":alerts", ":firing", ":timeline"} {
			k := s.incidentKey(1) + suffix
			n, _ := rdb.MemoryUsage(ctx, k, 0).Result()
			enc, _ := rdb.ObjectEncoding(ctx, k).Result()
			b.Logf("incident 1 %-10s %7d B (%s), %d alerts", suffix, n, enc, alerts/groups)
		}
		b.StartTimer()
	}
}

// loadAlert is alert i of tools/sidebyside's batch case as ingest.lua gets
// it: the document router.encodeAlert writes for it, and where
// place() puts it (the group of its alertname, in service "all").
func loadAlert(i, groups int) AlertWrite {
	name := fmt.Sprintf("Load%d", i%groups)
	labels := map[string]string{
		"alertname": name, "instance": fmt.Sprintf("batch-r0-host-%d:9100", i),
		"job": "node", "service": "checkout", "severity": "critical",
	}
	h := fnv.New64a()
	h.Write([]byte(labels["instance"]))
	fp := fmt.Sprintf("%016x", h.Sum64())
	starts := time.Date(2026, 12, 1, 0, 59, 17, 123456789, time.UTC)
	ends := starts.Add(5 * time.Minute)
	doc := []byte(`{"fingerprint":"` + fp + `","status":"firing","labels":`)
	doc = jsonenc.AppendStringMap(doc, labels)
	doc = append(doc, `,"annotations":`...)
	doc = jsonenc.AppendStringMap(doc, map[string]string{"summary": "synthetic load", "description": "side-by-side benchmark"})
	doc = append(doc, `,"startsAt":"`+starts.Format(time.RFC3339Nano)+`","endsAt":"`+ends.Format(time.RFC3339Nano)+
		`","generatorURL":"http://prometheus.example:9090/graph?g0.expr=up","integration":"alertmanager"}`...)
	g := fnv.New64a()
	g.Write([]byte(name))
	return AlertWrite{
		Fingerprint: fp, Sender: "alertmanager", EndsAt: ends, Doc: doc, Name: name + " " + fp,
		Service: "all", Escalation: "ops", GroupID: fmt.Sprintf("all:%016x", g.Sum64()),
		GroupLabels: map[string]string{"alertname": name}, Title: name, Summary: "synthetic load",
		SourceURL: "http://prometheus.example:9090/graph?g0.expr=up", Retention: 24 * time.Hour,
	}
}

func usedMemory(tb testing.TB, rdb *redis.Client) int64 {
	tb.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("no used_memory in INFO memory")
	return 0
}

// keyKind names a key by what it holds: "{ns}:inc:7:alerts" is
// "inc:alerts", "{ns}:grp:all:f00" is "grp".
var keyKind = regexp.MustCompile(`^\{[^}]*\}:([a-z_]+)(?::([0-9]+)(:[a-z_]+)?)?`)

// keyUsage sums MEMORY USAGE over every key, by kind of key; a kind's
// figure leaves out what the keyspace itself costs per key (its entry in
// the main dictionary), which used_memory counts.
func keyUsage(tb testing.TB, rdb *redis.Client) map[string]int64 {
	tb.Helper()
	ctx := context.Background()
	out := map[string]int64{}
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		kind := k
		if m := keyKind.FindStringSubmatch(k); m != nil {
			kind = m[1] + m[3]
		}
		n, err := rdb.MemoryUsage(ctx, k, 0).Result()
		if err != nil {
			tb.Fatal(err)
		}
		out[kind] += n
	}
	if err := iter.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkIngestNew100 is BenchmarkIngest100 with the alerts of
// BenchmarkMemoryPerAlert: each op stores 100 new side-by-side alerts
// (documents of their real size) into 100 of 1,000 open groups, one
// pipelined round trip, on Redis's own clock.
func BenchmarkIngestNew100(b *testing.B) {
	srv := testenv.StartRedis(b)
	s := New(srv.Client(b), "pagerd")
	ctx := context.Background()
	if err := s.Load(ctx); err != nil {
		b.Fatal(err)
	}
	rdb := srv.Client(b)
	if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	batch := make([]AlertWrite, 100)
	for i := 0; b.Loop(); i++ {
		for j := range batch {
			batch[j] = loadAlert(i*len(batch)+j, 1000)
		}
		if _, err := s.Ingest(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	alerts := b.N * len(batch)
	b.ReportMetric(float64(alerts)/b.Elapsed().Seconds(), "alerts/s")
	b.ReportMetric(redisMicrosPerAlert(b, rdb, alerts), "redis-µs/alert")
}

// A new incident's timeline is written back at its size (open_incident
// in lua/common.lua): Redis would hold 4 KB for its first fact.
func TestNewTimelineHoldsWhatItHas(t *testing.T) {
	s, _, srv := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	rdb := srv.Client(t)
	k := s.incidentKey(1) + ":timeline"
	if n, err := rdb.MemoryUsage(ctx, k, 0).Result(); err != nil || n > 1500 {
		t.Errorf("MEMORY USAGE %s = %d, %v; want under 1,500 bytes", k, n, err)
	}
	if _, err := s.Ingest(ctx, []AlertWrite{write("b", "g1", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	facts, err := s.Timeline(ctx, 1)
	if err != nil || len(facts) != 2 || facts[0].Kind != "triggered" || facts[1].Kind != "alert_firing" {
		t.Errorf("Timeline = %+v, %v; want triggered, alert_firing", facts, err)
	}
	if ttl, _ := rdb.PTTL(ctx, k).Result(); ttl >= 0 {
		t.Errorf("an open incident's timeline expires in %s", ttl)
	}
}
