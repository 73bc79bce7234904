// Command sidebyside measures pagerd's ingest against Prometheus
// Alertmanager on the same machine, with the same load, in the same run
// (issue 13, target 1). It starts Debian's prometheus-alertmanager (no
// clustering, a null receiver, temporary storage) and `pagerd serve` on a
// real redis-server, each on a free loopback port, then posts the same
// alerts to both on /api/v2/alerts — the endpoint Prometheus sends to, which
// both serve — alternating which goes first round by round, so that drift in
// the load of a shared machine hits both alike. It prints alerts/s and
// request latency per round, and the ratio pagerd/Alertmanager of the best
// and of the median rounds.
//
//	go run ./tools/sidebyside                # every case, 5 rounds each
//	go run ./tools/sidebyside -rounds 3 -cases batch
//	go run ./tools/sidebyside -cases firstpage
//	go run ./tools/sidebyside -floor         # also the floors (floor.go)
//	go run ./tools/sidebyside -commands      # Redis's time per command
//
// The firstpage case (firstpage.go) runs pagerd alone: the time from an
// alert sent to its incident's first page, at 1,000 new incidents a
// second (issue 13, target 3).
//
// Every round sends alerts never sent before (a new instance label), in the
// same groups (alertname), so each round measures intake of new alerts into
// existing groups, the common case of an alert storm.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/testenv"
)

const token = "sidebyside-token"

// amConfig routes everything to a receiver with no integrations: the
// measure is intake (validation, storage, grouping), not delivery.
const amConfig = `route:
  receiver: "null"
  group_by: ["alertname"]
receivers:
  - name: "null"
`

func main() {
	rounds := flag.Int("rounds", 5, "rounds per case; each round runs both servers, the first alternating")
	batchAlerts := flag.Int("batch-alerts", 100_000, "distinct alerts per round in the batch case")
	batchSize := flag.Int("batch-size", 100, "alerts per request in the batch case")
	singleAlerts := flag.Int("single-alerts", 20_000, "alerts (= requests) per round in the 1-alert-per-request case")
	groups := flag.Int("groups", 1000, "distinct alertnames the alerts are spread over")
	senders := flag.Int("senders", 4, "concurrent senders")
	cases := flag.String("cases", "batch,single,firstpage", "cases to run, comma-separated: batch, single (both against Alertmanager), firstpage (pagerd alone)")
	firstPageRate := flag.Int("firstpage-rate", 1000, "new incidents a second in the firstpage case")
	firstPageSeconds := flag.Int("firstpage-seconds", 10, "seconds a round of the firstpage case lasts")
	pagerdBin := flag.String("pagerd", "", "pagerd binary; empty: go build ./cmd/pagerd into a temporary directory")
	floor := flag.Bool("floor", false, "also run two floor servers (floor.go) in the batch and single cases: what any server could reach here")
	serveFloorAt := flag.String("serve-floor", "", "internal: serve as a floor server on this address")
	floorRedis := flag.String("floor-redis", "", "internal: the floor server's Redis URL")
	flag.BoolVar(&showCommands, "commands", false, "after each pagerd round, print what Redis spent per alert in each command")
	flag.IntVar(&redisShards, "redis-shards", 1, "shards pagerd spreads its keys over (--redis-shards), all on its one redis-server")
	flag.Parse()
	if *serveFloorAt != "" {
		if err := serveFloor(*serveFloorAt, *floorRedis); err != nil {
			fmt.Fprintln(os.Stderr, "sidebyside floor:", err)
			os.Exit(1)
		}
		return
	}

	r := &runner{}
	code := 0
	func() {
		defer r.cleanup()
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(fatal); !ok {
					panic(p)
				}
				code = 1
			}
		}()
		bin := buildPagerd(r, *pagerdBin)
		fmt.Printf("machine: %d CPUs (%s)\n", numCPU(), cpuModel())
		var servers *env // started for the first case comparing with Alertmanager
		sideBySide := func() *env {
			if servers == nil {
				servers = start(r, bin, *floor)
				fmt.Printf("alertmanager %s; pagerd on redis-server %s\n", servers.amVersion, servers.redisAddr)
				fmt.Printf("load: %d concurrent senders on /api/v2/alerts, %d groups; %d rounds per case, alternating which server goes first\n\n",
					*senders, *groups, *rounds)
			}
			return servers
		}
		for _, c := range strings.Split(*cases, ",") {
			switch strings.TrimSpace(c) {
			case "batch":
				runCase(sideBySide(), "batch", *rounds, *batchAlerts, *batchSize, *groups, *senders)
			case "single":
				runCase(sideBySide(), "single", *rounds, *singleAlerts, 1, *groups, *senders)
			case "firstpage":
				runFirstPage(r, bin, *rounds, *firstPageRate, *firstPageSeconds)
			default:
				r.Fatalf("unknown case %q (want batch, single or firstpage)", c)
			}
		}
	}()
	os.Exit(code)
}

type env struct {
	am, pagerd *target
	floors     []*target // -floor
	amVersion  string
	redisAddr  string
}

// target is one server under load. cpu reads the CPU seconds it has
// used so far, and redisCPU its redis-server's (nil for Alertmanager), so
// a round can say what an alert costs each, whatever the senders take.
type target struct {
	name, url, token string
	cpu, redisCPU    func() (float64, error)
	mem              func() (memory, error) // see memory.go
	rdb              *redis.Client          // pagerd's Redis, for -commands
}

// cpuNow is the CPU seconds t and its Redis have used so far.
func (t *target) cpuNow() (own, redis float64, err error) {
	if own, err = t.cpu(); err != nil || t.redisCPU == nil {
		return own, 0, err
	}
	redis, err = t.redisCPU()
	return own, redis, err
}

// buildPagerd is bin, or when empty a pagerd built into a temporary
// directory.
func buildPagerd(r *runner, bin string) string {
	if bin != "" {
		return bin
	}
	bin = filepath.Join(r.TempDir(), "pagerd")
	build := exec.Command("go", "build", "-o", bin, "./cmd/pagerd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		r.Fatalf("go build ./cmd/pagerd (run from the repository root): %v", err)
	}
	return bin
}

func start(r *runner, pagerdBin string, floors bool) *env {
	redisSrv := testenv.StartRedis(r)
	// Its default log level, as in production: at debug it logs each alert.
	am := testenv.StartAlertmanagerLogging(r, amConfig, "info")
	// The escalation poll far out, so escalation work does not share the
	// CPU with intake.
	url, pagerdPID := startPagerd(r, pagerdBin, redisSrv.URL(), testenv.IntakeConfig, nil, "--poll", "1h")
	rdb := redisSrv.Client(r)
	v, _ := exec.Command(testenv.AlertmanagerBinary, "--version").CombinedOutput()
	version, _, _ := strings.Cut(string(v), "\n")
	e := &env{
		am: &target{name: "alertmanager", url: am.URL, cpu: func() (float64, error) { return metricsCPU(am.URL) },
			mem: func() (memory, error) { return memoryOf(am.PID(), nil) }},
		pagerd: &target{name: "pagerd", url: url, token: token,
			cpu:      func() (float64, error) { return procCPU(pagerdPID) },
			redisCPU: func() (float64, error) { return redisCPU(rdb) },
			mem:      func() (memory, error) { return memoryOf(pagerdPID, rdb) },
			rdb:      rdb},
		amVersion: strings.TrimSpace(strings.TrimPrefix(version, "alertmanager, version ")),
		redisAddr: redisSrv.Addr,
	}
	if floors {
		e.floors = []*target{startFloor(r, "floor-http", "", nil), startFloor(r, "floor-redis", redisSrv.URL(), rdb)}
	}
	return e
}

// redisShards is -redis-shards: pagerd's --redis-shards.
var redisShards int

// startPagerd runs `pagerd serve` on config with args on a free port until /readyz
// answers, and returns its URL and process id. Its stdout (the console
// pager) goes to stdout, or with its log when nil.
func startPagerd(r *runner, bin, redisURL, config string, stdout io.Writer, args ...string) (string, int) {
	dir := r.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pagerd.hcl"), []byte(config), 0o644); err != nil {
		r.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "am.token"), []byte(token), 0o600); err != nil {
		r.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(r))
	logPath := filepath.Join(dir, "pagerd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		r.Fatal(err)
	}
	if redisShards > 1 {
		args = append(args, "--redis-shards", strconv.Itoa(redisShards))
	}
	cmd := exec.Command(bin, append([]string{"serve", "--config", dir, "--listen", addr, "--redis", redisURL,
		"--log-level", "warn"}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Start(); err != nil {
		r.Fatal(err)
	}
	r.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	url := "http://" + addr
	if err := waitReady(url); err != nil {
		log, _ := os.ReadFile(logPath)
		r.Fatalf("pagerd on %s %v:\n%s", addr, err, log)
	}
	return url, cmd.Process.Pid
}

// result is one server's run of one round.
type result struct {
	alerts  int
	elapsed time.Duration
	cpu     float64 // seconds the server used
	redis   float64 // seconds its Redis used (pagerd)
	p50     time.Duration
	p99     time.Duration
	memNote string // what it holds after the round (memory.go)
}

func (r result) rate() float64 { return float64(r.alerts) / r.elapsed.Seconds() }

func runCase(e *env, name string, rounds, alerts, size, groups, senders int) {
	fmt.Printf("case %s: %d alerts per round in requests of %d\n", name, alerts, size)
	targets := append([]*target{e.am, e.pagerd}, e.floors...)
	results := map[*target][]result{}
	for round := range rounds {
		// Every server gets the same bodies; a new instance range per round
		// and per case keeps every alert new.
		bodies := makeBodies(name, round, alerts, size, groups)
		// Which goes first turns round by round.
		order := append(slices.Clone(targets[round%len(targets):]), targets[:round%len(targets)]...)
		for _, t := range order {
			var stats0 map[string]testenv.CommandStat
			if showCommands && t.rdb != nil {
				stats0, _ = commandStats(t.rdb)
			}
			res := load(t, bodies, size, senders)
			cpu := fmt.Sprintf("CPU %5.1f µs/alert", res.cpu/float64(res.alerts)*1e6)
			if t.redisCPU != nil {
				cpu += fmt.Sprintf(" + redis-server %5.1f", res.redis/float64(res.alerts)*1e6)
			}
			fmt.Printf("  round %d %-12s %8.0f alerts/s  %7.0f req/s  p50 %-8s p99 %-8s  %s  %s\n", round+1, t.name,
				res.rate(), float64(len(bodies))/res.elapsed.Seconds(), res.p50, res.p99, cpu, res.memNote)
			if stats0 != nil {
				if stats1, err := commandStats(t.rdb); err == nil {
					printCommands(stats0, stats1, res.alerts)
				}
			}
			results[t] = append(results[t], res)
		}
	}
	amBest, amMed := summary(results[e.am])
	for _, t := range targets[1:] {
		best, med := summary(results[t])
		fmt.Printf("  best   alertmanager %8.0f alerts/s  %-11s %8.0f alerts/s  ratio %.2f×\n", amBest.rate(), t.name, best.rate(), best.rate()/amBest.rate())
		fmt.Printf("  median alertmanager %8.0f alerts/s  %-11s %8.0f alerts/s  ratio %.2f×  (p99 %s vs %s)\n",
			amMed.rate(), t.name, med.rate(), med.rate()/amMed.rate(), amMed.p99, med.p99)
	}
	fmt.Println()
}

// summary is the best round and the median round by throughput.
func summary(rs []result) (best, median result) {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int {
		switch {
		case a.rate() > b.rate():
			return -1
		case a.rate() < b.rate():
			return 1
		}
		return 0
	})
	return s[0], s[len(s)/2]
}

// makeBodies builds the /api/v2/alerts bodies of a round: alerts alerts,
// size to a request, spread round-robin over groups alertnames. Without
// endsAt, both servers keep them firing for their resolve timeout (5m).
func makeBodies(caseName string, round, alerts, size, groups int) [][]byte {
	type alert struct {
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		StartsAt     string            `json:"startsAt"`
		GeneratorURL string            `json:"generatorURL"`
	}
	startsAt := time.Now().UTC().Format(time.RFC3339Nano)
	var bodies [][]byte
	for first := 0; first < alerts; first += size {
		n := min(size, alerts-first)
		as := make([]alert, n)
		for j := range as {
			i := first + j
			as[j] = alert{
				Labels: map[string]string{
					"alertname": fmt.Sprintf("Load%d", i%groups),
					"instance":  fmt.Sprintf("%s-r%d-host-%d:9100", caseName, round, i),
					"job":       "node", "service": "checkout", "severity": "critical",
				},
				Annotations:  map[string]string{"summary": "synthetic load", "description": "side-by-side benchmark"},
				StartsAt:     startsAt,
				GeneratorURL: "http://prometheus.example:9090/graph?g0.expr=up",
			}
		}
		b, err := json.Marshal(as)
		if err != nil {
			panic(err)
		}
		bodies = append(bodies, b)
	}
	return bodies
}

// load posts bodies to t's /api/v2/alerts from senders goroutines and
// measures the whole run and each request. Any answer but 200 stops the
// program: a server that refuses alerts is not faster.
func load(t *target, bodies [][]byte, size, senders int) result {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	defer client.CloseIdleConnections()
	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, len(bodies))
		failure   error
		wg        sync.WaitGroup
	)
	// CPU is a side figure: one unread leaves it NaN rather than end the run.
	cpu0, redis0, err := t.cpuNow()
	if err != nil {
		fmt.Fprintf(os.Stderr, "sidebyside: %s CPU: %v\n", t.name, err)
		cpu0, redis0 = math.NaN(), math.NaN()
	}
	mem0, err := t.mem()
	if err != nil {
		fmt.Fprintf(os.Stderr, "sidebyside: %s memory: %v\n", t.name, err)
	}
	begin := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				t0 := time.Now()
				err := post(client, t, bodies[i])
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				if err != nil && failure == nil {
					failure = err
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	cpu1, redis1, err := t.cpuNow()
	if err != nil {
		fmt.Fprintf(os.Stderr, "sidebyside: %s CPU: %v\n", t.name, err)
		cpu1, redis1 = math.NaN(), math.NaN()
	}
	if failure != nil {
		fmt.Fprintf(os.Stderr, "sidebyside: %s: %v\n", t.name, failure)
		os.Exit(1)
	}
	slices.Sort(latencies)
	alerts := 0
	for _, b := range bodies {
		alerts += bytes.Count(b, []byte(`"labels"`))
	}
	mem1, err := t.mem()
	if err != nil {
		fmt.Fprintf(os.Stderr, "sidebyside: %s memory: %v\n", t.name, err)
	}
	return result{alerts: alerts, elapsed: elapsed, cpu: cpu1 - cpu0, redis: redis1 - redis0, p50: pct(latencies, 50), p99: pct(latencies, 99),
		memNote: memoryNote(mem0, mem1, alerts)}
}

func post(c *http.Client, t *target, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, t.url+"/api/v2/alerts", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, answer)
	}
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100].Round(10 * time.Microsecond)
}
