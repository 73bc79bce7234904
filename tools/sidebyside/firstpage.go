package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
)

// The firstpage case (issue 13, target 3): how long from an alert leaving
// the sender to its incident's first page, at a steady rate of new
// incidents. Each alert has an alertname of its own, so each is its own
// group and opens an incident whose page goes to the console — pagerd's
// stdout, which this program reads. The page's "incident:" line carries
// the incident's title, the alertname: the latency is from just before
// the POST to the moment the line is read. pagerd runs with its default
// poll on a redis-server of its own, so the figure is what a deployment
// sees, engine wake-up included.

// pageLine is the console's incident line of a page (pagers/console).
var pageLine = regexp.MustCompile(`^incident: #\d+ (FirstPage-\d+-\d+)`)

// firstPageRound is one round of the firstpage case.
type firstPageRound struct {
	sent, paged int
	lat         []time.Duration // sorted
	elapsed     time.Duration
}

// runFirstPage starts its own redis-server and `pagerd serve`, then runs
// rounds of perSecond new incidents a second for seconds each.
func runFirstPage(r *runner, bin string, rounds, perSecond, seconds int) {
	redisSrv := testenv.StartRedis(r)
	out, in := io.Pipe()
	url, pid := startPagerd(r, bin, redisSrv.URL(), testenv.FirstPageConfig, in)
	rdb := redisSrv.Client(r)
	r.Cleanup(func() { in.Close() })
	pt := &pageTimes{sent: map[string]time.Time{}}
	go pt.read(out)

	fmt.Printf("case firstpage: %d new incidents a second for %ds a round (one alert a request, each its own group), pages to the console\n",
		perSecond, seconds)
	var all []firstPageRound
	for round := range rounds {
		t := &target{name: "pagerd", url: url, token: token,
			cpu:      func() (float64, error) { return procCPU(pid) },
			redisCPU: func() (float64, error) { return redisCPU(rdb) }}
		cpu0, redis0, _ := t.cpuNow()
		res := firstPage(r, pt, t, round, perSecond, seconds)
		cpu1, redis1, _ := t.cpuNow()
		fmt.Printf("  round %d  %6d sent  %6d paged  %6.0f incidents/s  first page p50 %-8s p99 %-8s max %-8s  CPU %4.0f µs/incident + redis-server %4.0f\n",
			round+1, res.sent, res.paged, float64(res.sent)/res.elapsed.Seconds(),
			pct(res.lat, 50), pct(res.lat, 99), maxOf(res.lat),
			(cpu1-cpu0)/float64(res.sent)*1e6, (redis1-redis0)/float64(res.sent)*1e6)
		all = append(all, res)
	}
	slices.SortFunc(all, func(a, b firstPageRound) int { return int(pct(a.lat, 99) - pct(b.lat, 99)) })
	best, median := all[0], all[len(all)/2]
	fmt.Printf("  best   p50 %s p99 %s max %s\n", pct(best.lat, 50), pct(best.lat, 99), maxOf(best.lat))
	fmt.Printf("  median p50 %s p99 %s max %s  (rounds ordered by p99)\n\n", pct(median.lat, 50), pct(median.lat, 99), maxOf(median.lat))
}

// firstPage sends one round at the rate asked, a request started every
// 1/perSecond whatever the answers take (up to 256 in flight), and waits
// for every page.
func firstPage(r *runner, pt *pageTimes, t *target, round, perSecond, seconds int) firstPageRound {
	n := perSecond * seconds
	pt.reset(n)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	defer client.CloseIdleConnections()
	startsAt := time.Now().UTC().Format(time.RFC3339Nano)
	inFlight := make(chan struct{}, 256)
	var (
		wg      sync.WaitGroup
		failure atomic.Pointer[error]
	)
	interval := time.Second / time.Duration(perSecond)
	begin := time.Now()
	for i := range n {
		if d := time.Until(begin.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		name := fmt.Sprintf("FirstPage-%d-%d", round, i)
		body := fmt.Appendf(nil, `[{"labels":{"alertname":%q,"service":"checkout","severity":"critical"},"annotations":{"summary":"first page"},"startsAt":%q}]`, name, startsAt)
		inFlight <- struct{}{}
		wg.Go(func() {
			defer func() { <-inFlight }()
			pt.sending(name)
			if err := post(client, t, body); err != nil {
				failure.CompareAndSwap(nil, &err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	if err := failure.Load(); err != nil {
		r.Fatalf("firstpage: %v", *err)
	}
	select {
	case <-pt.all:
	case <-time.After(30 * time.Second):
		fmt.Fprintf(os.Stderr, "sidebyside: firstpage: %d of %d pages within 30s of the last alert\n", pt.count(), n)
	}
	lat := pt.latencies()
	slices.Sort(lat)
	return firstPageRound{sent: n, paged: len(lat), lat: lat, elapsed: elapsed}
}

// pageTimes matches console pages to when their alerts were sent.
type pageTimes struct {
	mu   sync.Mutex
	sent map[string]time.Time
	lat  []time.Duration
	want int
	all  chan struct{} // closed when want pages were read
}

func (p *pageTimes) reset(want int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.sent)
	p.lat, p.want, p.all = make([]time.Duration, 0, want), want, make(chan struct{})
}

func (p *pageTimes) sending(name string) {
	p.mu.Lock()
	p.sent[name] = time.Now()
	p.mu.Unlock()
}

// read reads pagerd's stdout until it closes; a page of an alert of no
// round (or a repeat) is ignored.
func (p *pageTimes) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		m := pageLine.FindSubmatch(sc.Bytes())
		if m == nil {
			continue
		}
		at := time.Now()
		p.mu.Lock()
		if sent, ok := p.sent[string(m[1])]; ok {
			delete(p.sent, string(m[1]))
			p.lat = append(p.lat, at.Sub(sent))
			if len(p.lat) == p.want {
				close(p.all)
			}
		}
		p.mu.Unlock()
	}
}

func (p *pageTimes) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lat)
}

func (p *pageTimes) latencies() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.lat)
}

func maxOf(sorted []time.Duration) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[len(sorted)-1].Round(10 * time.Microsecond)
}
