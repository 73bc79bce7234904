package router

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Lateness benchmark (issue 13, target 2): latenessTimers pending
// incident timers worked on by latenessReplicas engines on one real
// redis-server, each engine with its own connections and its default Poll
// and Lease. How late a page goes out is measured where it leaves: the
// pager's clock when Send is called, minus when it was due.
//
//   - steady: the timers fall due at random times spread over 10 minutes
//     (about 170 a second); the run measures the first minute's.
//   - dense: every timer falls due within a minute (about 1,700 a
//     second): the engines never sleep long, and on a small machine this
//     measures its capacity as much as the timers.
//   - sparse: every timer is due in an hour; meanwhile a fourth replica
//     without an engine of its own (an API replica, or one whose workers
//     are all busy) opens latenessSparseRate new incidents a second for
//     latenessSparseFor. Their first page is due the moment they open,
//     earlier than anything the sleeping engines wait for.
const (
	latenessTimers     = 100_000
	latenessReplicas   = 3
	latenessMeasured   = 60 * time.Second
	latenessSparseRate = 20
	latenessSparseFor  = 30 * time.Second
	// latenessLead is how long after the timers are set the first falls
	// due, so that every engine is up and asleep when it does.
	latenessLead = 2 * time.Second
)

// BenchmarkTimerLateness reports the lateness p50, p99 and max of every
// page of the run (run it with -benchtime 1x: one op is the whole run,
// about a minute each).
func BenchmarkTimerLateness(b *testing.B) {
	if testing.Short() {
		b.Skip("minute-long runs against redis-server")
	}
	srv := testenv.StartRedis(b)
	for _, sc := range []latenessScenario{
		{name: "steady", spread: 10 * time.Minute},
		{name: "dense", spread: latenessMeasured},
		{name: "sparse"},
	} {
		b.Run(sc.name, func(b *testing.B) {
			for b.Loop() {
				reportLateness(b, latenessRun(b, srv, sc))
			}
		})
	}
}

// latenessScenario is how the pending timers fall due: spread evenly
// (at random) over spread from the start, pages measured for the first
// latenessMeasured; or, with no spread, an hour out while new incidents
// open (sparse).
type latenessScenario struct {
	name   string
	spread time.Duration
}

func reportLateness(b *testing.B, late []time.Duration) {
	if len(late) == 0 {
		b.Fatal("no page went out")
	}
	slices.Sort(late)
	q := func(p float64) float64 {
		return float64(late[min(len(late)-1, int(p*float64(len(late))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(late[len(late)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(len(late)), "pages")
}

// latenessRun fills the timers, runs the engines until every page went
// out, and returns each page's lateness.
func latenessRun(b *testing.B, srv *testenv.RedisServer, sc latenessScenario) []time.Duration {
	sparse := sc.spread == 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	setup := srv.Client(b)
	if err := setup.FlushAll(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	cfg := &policies.Config{
		Settings: policies.Settings{ResolvedRetention: time.Hour},
		Users: map[string]*policies.User{
			"alice": {Name: "alice", Contacts: map[string]string{"phone": "+15550001"}, Rules: []policies.NotifyRule{{Via: "sms"}}},
		},
		Escalations: map[string]*policies.Escalation{"ops": {Name: "ops", Steps: []policies.EscalationStep{
			{Targets: []policies.Target{{Kind: "user", Name: "alice"}}},
			{After: time.Hour, Targets: []policies.Target{{Kind: "user", Name: "alice"}}},
		}}},
		Services: []*policies.Service{{Name: "svc", Escalation: "ops"}},
	}
	st := store.New(setup, "lateness")
	if err := st.Load(ctx); err != nil {
		b.Fatal(err)
	}
	batch := make([]store.AlertWrite, 0, 500)
	for i := range latenessTimers {
		batch = append(batch, store.AlertWrite{
			Fingerprint: "fp" + strconv.Itoa(i), Doc: json.RawMessage(`{}`), Service: "svc", Escalation: "ops",
			GroupID: "svc:g" + strconv.Itoa(i), GroupLabels: map[string]string{}, Title: "Down", Retention: time.Hour,
		})
		if len(batch) == cap(batch) || i == latenessTimers-1 {
			if _, err := st.Ingest(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	// Every incident was opened due now; move each first page to its own
	// time in the window, as if a step delay or notification rule had
	// put it there. The engines are not running yet, so nothing fired.
	start, err := st.Now(ctx)
	if err != nil {
		b.Fatal(err)
	}
	sparseN := latenessSparseRate * int(latenessSparseFor/time.Second)
	// Due ms by incident id (ids start at 1); 0 for a page not measured.
	due := make([]atomic.Int64, latenessTimers+sparseN+1)
	pipe := setup.Pipeline()
	want := 0
	for id := 1; id <= latenessTimers; id++ {
		at := start.Add(time.Hour)
		if !sparse {
			after := time.Duration(rand.Int64N(int64(sc.spread)))
			at = start.Add(latenessLead + after)
			if after < latenessMeasured {
				due[id].Store(at.UnixMilli())
				want++
			}
		}
		pipe.ZAddXX(ctx, "{lateness}:timers", redis.Z{Score: float64(at.UnixMilli()), Member: id})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	if sparse {
		want = sparseN
	}

	pager := &latenessPager{due: due, want: int64(want), late: make([]time.Duration, 0, want), done: make(chan struct{})}
	var wg sync.WaitGroup
	for r := range latenessReplicas {
		rdb := srv.Client(b)
		e := &Engine{
			Store: store.New(rdb, "lateness"), Config: func() *policies.Config { return cfg },
			Owner: fmt.Sprintf("r%d", r), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Pagers: func() pagers.Set { return pagers.Set{"sms": pager, "console": pager} },
			Links:  testLinks,
		}
		wg.Go(func() { _ = e.Run(ctx) })
	}
	if sparse {
		// Wall time is what this benchmark measures, so it waits in it: the
		// engines settle into their hour-long sleep, and each incident
		// opened below must wake them through the wake channel.
		time.Sleep(latenessLead)
		for k := 1; k <= sparseN; k++ {
			id := latenessTimers + k // the next incident's id
			due[id].Store(time.Now().UnixMilli())
			if _, err := st.Ingest(ctx, []store.AlertWrite{{
				Fingerprint: "new" + strconv.Itoa(k), Doc: json.RawMessage(`{}`), Service: "svc", Escalation: "ops",
				GroupID: "svc:new" + strconv.Itoa(k), GroupLabels: map[string]string{}, Title: "Down", Retention: time.Hour,
			}}); err != nil {
				b.Fatal(err)
			}
			// Random gaps of real time (the load's pacing), so that openings
			// fall anywhere between polls.
			time.Sleep(time.Duration(rand.Int64N(int64(2 * time.Second / latenessSparseRate))))
		}
	}
	select {
	case <-pager.done:
	case <-time.After(latenessLead + latenessMeasured + 2*time.Minute):
		b.Errorf("only %d of %d pages went out", pager.sent.Load(), want)
	}
	cancel()
	wg.Wait()
	pager.mu.Lock()
	defer pager.mu.Unlock()
	return pager.late
}

// latenessPager records how late each incident's first page was.
type latenessPager struct {
	due  []atomic.Int64 // due ms by incident id, 0: not measured
	want int64
	mu   sync.Mutex
	late []time.Duration
	sent atomic.Int64
	done chan struct{}
}

func (p *latenessPager) Send(_ context.Context, n pagers.Notification) (pagers.Receipt, error) {
	at := time.Now()
	if n.Kind != pagers.KindPage {
		return pagers.Receipt{}, nil
	}
	due := p.due[n.Incident.ID].Load()
	if due == 0 {
		return pagers.Receipt{ProviderID: "x"}, nil
	}
	p.mu.Lock()
	p.late = append(p.late, at.Sub(time.UnixMilli(due)))
	p.mu.Unlock()
	if p.sent.Add(1) == p.want {
		close(p.done)
	}
	return pagers.Receipt{ProviderID: "x"}, nil
}
