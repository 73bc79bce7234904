package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// replica is one `pagerd serve` process, restarted on the same port.
type replica struct {
	*proc
	port int
}

func (r *replica) url() string { return "http://" + addr(r.port) }

// waitReady waits until /readyz answers 200 (Redis reachable, config
// loaded).
func (r *replica) waitReady(ctx context.Context, timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	err := waitUntil(ctx, timeout, 25*time.Millisecond, func() error {
		if r.pid() == 0 {
			return fmt.Errorf("%s is not running", r.name)
		}
		resp, err := c.Get(r.url() + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", r.name, err, r.tail(20))
	}
	return nil
}

func newReplicas(n int, bin, configDir, redisURL, dir string, poll time.Duration, shards int) ([]*replica, error) {
	ports, err := freePorts(n)
	if err != nil {
		return nil, err
	}
	var out []*replica
	for i, port := range ports {
		name := "r" + strconv.Itoa(i+1)
		args := []string{"serve", "--config", configDir, "--listen", addr(port), "--redis", redisURL,
			"--namespace", "chaos", "--log-level", "info"}
		if poll > 0 {
			args = append(args, "--poll", poll.String())
		}
		if shards > 1 {
			args = append(args, "--redis-shards", strconv.Itoa(shards))
		}
		out = append(out, &replica{port: port, proc: &proc{name: name, bin: bin, args: args, log: filepath.Join(dir, name+".log")}})
	}
	return out, nil
}

// pool is the replicas a load balancer would send requests to: the ones
// running and ready. A replica leaves it before it is stopped.
type pool struct {
	mu  sync.Mutex
	all []*replica
	in  map[*replica]bool
	rnd *rand.Rand
}

func newPool(rs []*replica) *pool {
	return &pool{all: rs, in: map[*replica]bool{}, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
}

func (p *pool) set(r *replica, in bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.in[r] = in
}

// pick is a replica in the pool, at random; nil when none is.
func (p *pool) pick() *replica {
	p.mu.Lock()
	defer p.mu.Unlock()
	var up []*replica
	for _, r := range p.all {
		if p.in[r] {
			up = append(up, r)
		}
	}
	if len(up) == 0 {
		return nil
	}
	return up[p.rnd.IntN(len(up))]
}

// byPID is the replica running as pid, or nil.
func (p *pool) byPID(pid int) *replica {
	for _, r := range p.all {
		if r.pid() == pid {
			return r
		}
	}
	return nil
}

func (p *pool) pids() []int {
	var out []int
	for _, r := range p.all {
		if pid := r.pid(); pid != 0 {
			out = append(out, pid)
		}
	}
	return out
}

// api talks to pagerd's HTTP API through the pool, as monitors and people
// do: each request to a replica picked at random.
type api struct {
	pool              *pool
	amToken, apiToken string
	client            *http.Client
}

// do sends one request to one replica of the pool.
func (a *api) do(ctx context.Context, method, path, token string, body []byte) (int, []byte, error) {
	r := a.pool.pick()
	if r == nil {
		return 0, nil, fmt.Errorf("no replica in the pool")
	}
	req, err := http.NewRequestWithContext(ctx, method, r.url()+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// amAlert is one alert of an Alertmanager webhook (payload version 4).
type amAlert struct {
	Status   string            `json:"status"`
	Labels   map[string]string `json:"labels"`
	StartsAt time.Time         `json:"startsAt"`
}

// alertResult is what pagerd answers about one alert it stored.
type alertResult struct {
	Fingerprint string `json:"fingerprint"`
	Incident    int64  `json:"incident"`
	Outcome     string `json:"outcome"`
}

// postAlerts sends one webhook; results are set only on a 2xx.
func (a *api) postAlerts(ctx context.Context, alerts []amAlert) (int, []alertResult, error) {
	body, _ := json.Marshal(map[string]any{
		"version": "4", "status": "firing", "receiver": "pagerd", "groupKey": "{}:{}",
		"groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"externalURL": "http://alertmanager.chaos.test", "alerts": alerts,
	})
	status, resp, err := a.do(ctx, http.MethodPost, "/v1/webhooks/alertmanager", a.amToken, body)
	if err != nil || status/100 != 2 {
		return status, nil, err
	}
	var out struct {
		Alerts []alertResult `json:"alerts"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return status, nil, fmt.Errorf("answer %q: %w", resp, err)
	}
	if len(out.Alerts) != len(alerts) {
		return status, nil, fmt.Errorf("answer names %d alerts, %d sent: %s", len(out.Alerts), len(alerts), resp)
	}
	return status, out.Alerts, nil
}

// incidentDoc is GET /v1/incidents/{id}.
type incidentDoc struct {
	incident.Incident
	Alerts   []storedAlert   `json:"alerts"`
	Timeline []incident.Fact `json:"timeline"`
}

// storedAlert is the part of a stored alert the harness reads.
type storedAlert struct {
	Fingerprint string `json:"fingerprint"`
}

// errNotFound: the API answered 404 for the incident.
var errNotFound = fmt.Errorf("no such incident")

// incident reads an incident once, from one replica.
func (a *api) incident(ctx context.Context, id int64) (*incidentDoc, error) {
	status, body, err := a.do(ctx, http.MethodGet, "/v1/incidents/"+strconv.FormatInt(id, 10), a.apiToken, nil)
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusNotFound:
		return nil, errNotFound
	case status != http.StatusOK:
		return nil, fmt.Errorf("GET incident %d: %d %s", id, status, body)
	}
	var doc incidentDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("GET incident %d: %w", id, err)
	}
	return &doc, nil
}

// ack acknowledges an incident once, through one replica.
func (a *api) ack(ctx context.Context, id int64) error {
	status, body, err := a.do(ctx, http.MethodPost, "/v1/incidents/"+strconv.FormatInt(id, 10)+"/ack", a.apiToken, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("ack %d: %d %s", id, status, bytes.TrimSpace(body))
	}
	return nil
}
