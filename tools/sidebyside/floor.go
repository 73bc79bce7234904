package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/testenv"
)

// The floors (-floor) are two servers that do the least a server of
// /api/v2/alerts can do, measured in the same rounds as Alertmanager and
// pagerd: they bound from above what any implementation could reach on
// this machine (issue 13, target 1).
//
//   - floor-http decodes and validates the alerts (labels present, times
//     RFC 3339) and fingerprints them, then answers: what Alertmanager's
//     intake does before its in-memory store, without a store.
//   - floor-redis also stores every alert in Redis before it answers (one
//     HSET an alert, into its group's hash under its fingerprint): the
//     least a daemon that keeps no state and never answers 2xx for an
//     alert it has not stored can do. No deduplication into incidents, no
//     timers, no timeline, no routing. Requests that arrive while a round
//     trip is out share the next one (one script call), so that a round
//     trip's cost is spread over all the senders that wait on it.
//
// Each is this program run again with -serve-floor, so that its CPU is its
// own process's, apart from the senders'.

// floorScript stores each alert of a request: KEYS are the alerts' group
// hashes, ARGV their fingerprints and documents.
const floorScript = `
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], ARGV[2 * i - 1], ARGV[2 * i])
end
return #KEYS
`

// floorAlert is what a floor decodes of an alert: Alertmanager's
// postableAlert.
type floorAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// serveFloor is -serve-floor: it serves /api/v2/alerts on addr until
// killed, storing into redisURL when one is given.
func serveFloor(addr, redisURL string) error {
	var rdb *redis.Client
	var commit *groupCommit
	if redisURL != "" {
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return err
		}
		rdb = redis.NewClient(opt)
		commit = newGroupCommit(rdb)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("POST /api/v2/alerts", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var alerts []floorAlert
		if err := json.Unmarshal(body, &alerts); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		keys := make([]string, 0, len(alerts))
		args := make([]any, 0, 2*len(alerts))
		for i, a := range alerts {
			if len(a.Labels) == 0 {
				http.Error(w, fmt.Sprintf("alert %d: no labels", i), http.StatusBadRequest)
				return
			}
			fp := labelFingerprint(a.Labels)
			if rdb == nil {
				continue
			}
			doc, err := json.Marshal(a)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			keys = append(keys, "{floor}:group:"+a.Labels["alertname"])
			args = append(args, fp, doc)
		}
		if rdb != nil {
			if err := commit.store(keys, args); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
	})
	return http.ListenAndServe(addr, mux)
}

// groupCommit stores the alerts of concurrent requests in one script
// call: one round trip is out at a time, and the requests that arrive
// meanwhile go together in the next.
type groupCommit struct {
	rdb     *redis.Client
	script  *redis.Script
	pending chan commitRequest
}

type commitRequest struct {
	keys []string
	args []any
	done chan error
}

func newGroupCommit(rdb *redis.Client) *groupCommit {
	g := &groupCommit{rdb: rdb, script: redis.NewScript(floorScript), pending: make(chan commitRequest, 1024)}
	go g.run()
	return g
}

func (g *groupCommit) store(keys []string, args []any) error {
	done := make(chan error, 1)
	g.pending <- commitRequest{keys, args, done}
	return <-done
}

func (g *groupCommit) run() {
	for first := range g.pending {
		batch := []commitRequest{first}
	more:
		for {
			select {
			case r := <-g.pending:
				batch = append(batch, r)
			default:
				break more
			}
		}
		var keys []string
		var args []any
		for _, r := range batch {
			keys = append(keys, r.keys...)
			args = append(args, r.args...)
		}
		err := g.script.Run(context.Background(), g.rdb, keys, args...).Err()
		for _, r := range batch {
			r.done <- err
		}
	}
}

// labelFingerprint is the alert's fingerprint as Alertmanager makes it
// (prometheus/common's LabelSet.Fingerprint).
func labelFingerprint(labels map[string]string) string {
	set := make(model.LabelSet, len(labels))
	for n, v := range labels {
		set[model.LabelName(n)] = model.LabelValue(v)
	}
	return set.Fingerprint().String()
}

// startFloor runs this program again as a floor server (with Redis at
// redisURL, or none) and returns it as a target.
func startFloor(r *runner, name, redisURL string, rdb *redis.Client) *target {
	self, err := os.Executable()
	if err != nil {
		r.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(r))
	cmd := exec.Command(self, "-serve-floor", addr, "-floor-redis", redisURL)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		r.Fatal(err)
	}
	r.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := "http://" + addr
	if err := waitReady(url); err != nil {
		r.Fatalf("%s: %v", name, err)
	}
	pid := cmd.Process.Pid
	t := &target{name: name, url: url,
		cpu: func() (float64, error) { return procCPU(pid) },
		mem: func() (memory, error) { return memoryOf(pid, nil) }}
	if rdb != nil {
		t.redisCPU = func() (float64, error) { return redisCPU(rdb) }
	}
	return t
}

// waitReady waits up to 30 s for url's /readyz to answer 200.
func waitReady(url string) error {
	c := &http.Client{Timeout: time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		resp, err := c.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("not ready within 30s")
		case <-time.After(50 * time.Millisecond):
		}
	}
}
