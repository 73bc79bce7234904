package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/twiliofake"
	"github.com/pagerd/pagerd/policies"
)

// Options are one run's settings; the flags of the command set them.
type Options struct {
	Replicas  int
	Duration  time.Duration // driving: incidents opened, alerts sent, faults injected
	Incidents int
	Faults    []string    // kinds, one phase each (see phases)
	Schedule  []scheduled // explicit faults; replaces Faults
	Sentinel  bool
	// WaitReplicas is pagerd's ?wait_replicas= (with Sentinel): how many
	// Redis replicas must hold a write before pagerd answers 2xx.
	WaitReplicas int
	Seed         uint64

	AlertRate float64       // alert webhooks per second
	StepAfter time.Duration // the escalation's step delay
	AckShare  float64       // share of incidents acknowledged mid-escalation
	FaultEach time.Duration // how often a fault recurs in its phase
	RedisDown time.Duration // how long redis-server stays stopped
	Grace     time.Duration // after driving, how long pages due may take to arrive
	Poll      time.Duration // pagerd serve --poll; 0: pagerd's default
	Shards    int           // pagerd serve --redis-shards; 0 or 1: one

	MaxLate       time.Duration // fail when a page is later; 0: not checked
	MaxDuplicates int           // fail when more keys are sent twice; <0: not checked
	MaxResume     time.Duration // fail when pages resume later after Redis is back; 0: not checked

	Pagerd  string    // a pagerd binary; "": build ./cmd/pagerd
	WorkDir string    // where config, logs and data go; "": a temporary directory
	Keep    bool      // keep a temporary WorkDir
	Log     io.Writer // progress; nil: discarded
}

// DefaultOptions are the command's defaults.
func DefaultOptions() Options {
	return Options{
		Replicas: 3, Duration: 2 * time.Minute, Incidents: 50,
		Faults:    []string{faultRolling, faultKill, faultRedis},
		Seed:      1,
		AlertRate: 10, StepAfter: 5 * time.Second, AckShare: 0.3,
		FaultEach: 30 * time.Second, RedisDown: 3 * time.Second, Grace: 4 * time.Minute,
		MaxDuplicates: -1,
	}
}

func (o Options) check() error {
	switch {
	case o.Replicas < 1:
		return fmt.Errorf("--replicas must be 1 or more")
	case o.Incidents < 1:
		return fmt.Errorf("--incidents must be 1 or more")
	case o.Duration < 5*time.Second:
		return fmt.Errorf("--duration must be at least 5s")
	case o.StepAfter < time.Second:
		return fmt.Errorf("--step-after must be at least 1s")
	case o.AlertRate <= 0 || o.AlertRate > 1000:
		return fmt.Errorf("--alert-rate must be above 0 and at most 1000")
	case o.AckShare < 0 || o.AckShare > 1:
		return fmt.Errorf("--ack-share must be between 0 and 1")
	case o.FaultEach <= 0:
		return fmt.Errorf("--fault-every must be above 0")
	}
	return nil
}

// harness is one run: the processes, the receivers, and what was sent
// and seen.
type harness struct {
	opts     Options
	cfg      *policies.Config
	dir      string
	rnd      *rand.Rand // seeded: fault times and victims, which incidents are acknowledged
	replicas []*replica
	pool     *pool
	api      *api
	redis    redisDeployment
	hooks    *hookReceiver
	rec      *recorder
	fake     *twiliofake.Fake
	smtp     *smtpServer
	acking   sync.WaitGroup

	mu        sync.Mutex
	faults    []FaultEvent
	incidents map[int64]*tracked
	alerts    []sentAlert
	rejected  map[string]int
}

func (h *harness) logf(format string, args ...any) {
	if h.opts.Log != nil {
		fmt.Fprintf(h.opts.Log, "chaos: "+format+"\n", args...)
	}
}

// Run starts everything, drives incidents through escalation while it
// injects faults, waits for the pages due, and reports. An error means
// the harness could not run; a run that found problems returns a Report
// whose Pass is false.
func Run(ctx context.Context, opts Options) (rep *Report, err error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	h := &harness{opts: opts, rnd: rand.New(rand.NewPCG(opts.Seed, 0)),
		incidents: map[int64]*tracked{}, rejected: map[string]int{}}
	h.dir = opts.WorkDir
	if h.dir != "" {
		if err := os.MkdirAll(h.dir, 0o755); err != nil {
			return nil, err
		}
	} else {
		if h.dir, err = os.MkdirTemp("", "pagerd-chaos-"); err != nil {
			return nil, err
		}
		defer func() {
			if opts.Keep || (rep != nil && !rep.Pass) {
				h.logf("kept %s (config, logs, Redis data)", h.dir)
				return
			}
			os.RemoveAll(h.dir)
		}()
	}
	var stops []func()
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}()

	redisBin, err := redisServer()
	if err != nil {
		return nil, err
	}
	bin := opts.Pagerd
	if bin == "" {
		h.logf("building ./cmd/pagerd")
		if bin, err = buildPagerd(ctx, h.dir); err != nil {
			return nil, err
		}
	}

	// The world pagerd talks to: Twilio, SMTP, the webhook receiver.
	h.fake = twiliofake.New()
	stops = append(stops, h.fake.Close)
	if h.smtp, err = startSMTP(ctx, h.dir); err != nil {
		return nil, err
	}
	stops = append(stops, func() { h.smtp.stop(5 * time.Second) })
	h.rec = newRecorder(h.fake, h.smtp.maildir)
	sec := newSecrets()
	if h.hooks, err = startHookReceiver(h.rec, sec.webhook); err != nil {
		return nil, err
	}
	stops = append(stops, h.hooks.close)
	recCtx, stopRec := context.WithCancel(context.Background())
	recDone := make(chan struct{})
	go func() { h.rec.run(recCtx); close(recDone) }()
	stops = append(stops, func() { stopRec(); <-recDone })

	h.logf("starting Redis (sentinel: %v)", opts.Sentinel)
	if opts.Sentinel {
		h.redis, err = startSentinel(ctx, redisBin, h.dir)
	} else {
		h.redis, err = startSingle(ctx, redisBin, h.dir)
	}
	if err != nil {
		return nil, err
	}
	stops = append(stops, h.redis.stop)

	if h.replicas, err = newReplicas(opts.Replicas, bin, filepath.Join(h.dir, "config"), redisURL(h.redis.URL(), opts.WaitReplicas), h.dir, opts.Poll, opts.Shards); err != nil {
		return nil, err
	}
	ep := endpoints{publicURL: h.replicas[0].url(), twilioURL: h.fake.URL(), smtpHost: "127.0.0.1", smtpPort: h.smtp.port, hookURL: h.hooks.URL()}
	if h.cfg, err = writeConfig(filepath.Join(h.dir, "config"), sec, ep, opts.StepAfter); err != nil {
		return nil, err
	}
	h.pool = newPool(h.replicas)
	h.api = &api{pool: h.pool, amToken: sec.alertmanager, apiToken: sec.api, client: &http.Client{Timeout: 10 * time.Second}}
	h.logf("starting %d replicas", len(h.replicas))
	for _, r := range h.replicas {
		if err := r.start(); err != nil {
			return nil, err
		}
	}
	stops = append(stops, func() {
		var wg sync.WaitGroup
		for _, r := range h.replicas {
			wg.Go(func() { r.stop(30 * time.Second) })
		}
		wg.Wait()
	})
	for _, r := range h.replicas {
		if err := r.waitReady(ctx, time.Minute); err != nil {
			return nil, err
		}
		h.pool.set(r, true)
	}

	plan := opts.Schedule
	if plan == nil {
		plan = phases(opts.Faults, opts.Duration, opts.FaultEach, h.rnd)
	}
	plan = slices.DeleteFunc(slices.Clone(plan), func(s scheduled) bool { return s.At >= opts.Duration })
	var names []string
	for _, s := range plan {
		names = append(names, s.String())
	}
	h.logf("driving %d incidents for %s; faults: %s", opts.Incidents, opts.Duration, orNone(strings.Join(names, " ")))

	start := time.Now()
	end := start.Add(opts.Duration)
	hardEnd := end.Add(opts.Grace)
	h.drive(ctx, start, end, hardEnd, plan)
	h.logf("driving done after %s; waiting up to %s for the pages due", time.Since(start).Round(time.Second), time.Until(hardEnd).Round(time.Second))
	pending := h.settle(ctx, hardEnd)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	h.logf("settled after %s (%d pages outstanding)", time.Since(end).Round(time.Second), pending)
	h.rec.poll()
	return h.report(start, end, plan), nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// settle waits until every expected page has arrived and no replica will
// send it again — pagerd recorded it (its provider id is on the
// incident's timeline), or the incident is no longer triggered (a send
// not yet recorded is then refused) — and every acknowledgement is done,
// or until hardEnd. It leaves
// every incident's last state in its tracked, and returns how many pages
// were outstanding.
func (h *harness) settle(ctx context.Context, hardEnd time.Time) int {
	acked := make(chan struct{})
	go func() { h.acking.Wait(); close(acked) }()
	for {
		pending := h.refresh(ctx)
		done := isClosed(acked)
		if (pending == 0 && done) || time.Now().After(hardEnd) || ctx.Err() != nil {
			if !done {
				h.logf("acknowledgements still running at the deadline")
			}
			return pending
		}
		_ = sleep(ctx, time.Second)
	}
}

// refresh reads every tracked incident through the API and counts the
// expected pages not yet received, or received but not yet recorded.
func (h *harness) refresh(ctx context.Context) (pending int) {
	h.rec.poll()
	h.mu.Lock()
	all := make([]*tracked, 0, len(h.incidents))
	for _, t := range h.incidents {
		all = append(all, t)
	}
	h.mu.Unlock()
	for _, t := range all {
		doc, err := h.api.incident(ctx, t.ID)
		h.mu.Lock()
		switch {
		case err == nil:
			t.State, t.Gone = doc, false
			t.Plan = planIncident(h.cfg, &doc.Incident)
		case err == errNotFound:
			t.Gone = true
		}
		state, plan, tried := t.State, t.Plan, t.AckTried
		h.mu.Unlock()
		if state == nil {
			pending++ // not read yet
			continue
		}
		for _, p := range plan {
			if !required(p, state, tried) {
				continue
			}
			rs := h.rec.received(p.Match)
			if len(rs) == 0 || (state.Status == incident.Triggered && !recorded(state, rs)) {
				pending++
			}
		}
	}
	return pending
}

// required reports whether a page must arrive: it was due before the
// incident was acknowledged, and before the harness asked to acknowledge
// it (one due in between races the acknowledgement and may rightly not
// be sent).
func required(p planned, state *incidentDoc, ackTried time.Time) bool {
	if !state.AckedAt.IsZero() && !p.Due.Before(state.AckedAt) {
		return false
	}
	return ackTried.IsZero() || p.Due.Before(ackTried)
}

// recorded reports whether the incident's timeline has the page sent
// ("paged bob via email (<provider id>)"): then its send is finished and
// no replica sends it again.
func recorded(state *incidentDoc, rs []receipt) bool {
	for _, f := range state.Timeline {
		if f.Kind != "notified" {
			continue
		}
		for _, r := range rs {
			if r.ID != "" && strings.Contains(f.Detail, "("+r.ID+")") {
				return true
			}
		}
	}
	return false
}

// redisURL adds ?wait_replicas= to a redis URL when asked.
func redisURL(base string, waitReplicas int) string {
	if waitReplicas <= 0 {
		return base
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%swait_replicas=%d", base, sep, waitReplicas)
}
