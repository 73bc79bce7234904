package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Fault kinds.
const (
	faultNone      = "none"
	faultRolling   = "rolling"    // SIGTERM and restart every replica in turn, the first while it sends a page
	faultKill      = "kill"       // SIGKILL a replica while it sends a page, restart it
	faultRedis     = "redis"      // stop redis-server (SIGTERM) and start it again; with --sentinel, fail over
	faultRedisKill = "redis-kill" // SIGKILL redis-server and start it again; with --sentinel, as redis
)

var faultKinds = []string{faultRolling, faultKill, faultRedis, faultRedisKill}

// scheduled is a fault to inject At after driving starts.
type scheduled struct {
	At   time.Duration
	Kind string
}

func (s scheduled) String() string { return fmt.Sprintf("%s:%s", s.At, s.Kind) }

// parseKinds reads --faults: "rolling,kill,redis", or "none".
func parseKinds(s string) ([]string, error) {
	var out []string
	for k := range strings.SplitSeq(s, ",") {
		k = strings.TrimSpace(k)
		switch {
		case k == faultNone || k == "":
		case slices.Contains(faultKinds, k):
			out = append(out, k)
		default:
			return nil, fmt.Errorf("unknown fault %q: want %s or none", k, strings.Join(faultKinds, ", "))
		}
	}
	return out, nil
}

// parseSchedule reads --schedule: "5s:rolling,20s:kill".
func parseSchedule(s string) ([]scheduled, error) {
	var out []scheduled
	for item := range strings.SplitSeq(s, ",") {
		at, kind, ok := strings.Cut(strings.TrimSpace(item), ":")
		d, err := time.ParseDuration(at)
		if !ok || err != nil || d < 0 {
			return nil, fmt.Errorf("schedule item %q: want OFFSET:KIND, e.g. 5s:rolling", item)
		}
		if !slices.Contains(faultKinds, kind) {
			return nil, fmt.Errorf("schedule item %q: unknown fault %q: want %s", item, kind, strings.Join(faultKinds, ", "))
		}
		out = append(out, scheduled{At: d, Kind: kind})
	}
	slices.SortStableFunc(out, func(a, b scheduled) int { return int(a.At - b.At) })
	return out, nil
}

// phases spreads kinds over the run: one phase each, in order, of equal
// length; in its phase a kind recurs every `every`, first at a seeded
// random moment in the phase's first fifth. Pages are counted under the
// fault that last started before they were due, so a phase's row in the
// report is what that kind of fault did.
func phases(kinds []string, duration, every time.Duration, rnd *rand.Rand) []scheduled {
	if len(kinds) == 0 {
		return nil
	}
	phase := duration / time.Duration(len(kinds))
	var out []scheduled
	for i, k := range kinds {
		start := time.Duration(i) * phase
		first := start + phase/20 + time.Duration(rnd.Int64N(int64(phase/5)+1))
		for at := first; at < start+phase*9/10; at += every {
			out = append(out, scheduled{At: at.Round(100 * time.Millisecond), Kind: k})
		}
	}
	return out
}

// FaultEvent is a fault as it happened.
type FaultEvent struct {
	Kind   string    `json:"kind"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"` // everything back: replicas ready, Redis serving
	Target string    `json:"target"`
	// Down and Up bound a Redis outage: from the signal to the first
	// answer of the restarted (or promoted) primary.
	Down   time.Time `json:"redis_down,omitzero"`
	Up     time.Time `json:"redis_up,omitzero"`
	Detail string    `json:"detail"`
	Err    string    `json:"error,omitempty"`
	// Caught is the webhook-id of the page the fault caught in flight:
	// it counts under this fault even when it fell due a moment before.
	Caught string `json:"caught,omitempty"`
}

// runFaults injects the schedule, one fault at a time, until the list or
// ctx ends; a fault that is due while another runs starts after it.
func (h *harness) runFaults(ctx context.Context, start time.Time, plan []scheduled) {
	for _, s := range plan {
		if err := sleep(ctx, time.Until(start.Add(s.At))); err != nil {
			return
		}
		ev := FaultEvent{Kind: s.Kind, Start: time.Now()}
		var err error
		switch s.Kind {
		case faultRolling:
			err = h.rolling(ctx, &ev)
		case faultKill:
			err = h.kill(ctx, &ev)
		case faultRedis, faultRedisKill:
			ev.Target = "redis"
			ev.Down, ev.Up, ev.Detail, err = h.redis.outage(ctx, s.Kind, h.opts.RedisDown)
		}
		ev.End = time.Now()
		if err != nil {
			ev.Err = err.Error()
		}
		h.logf("fault %s +%s: %s %s", ev.Kind, ev.Start.Sub(start).Round(100*time.Millisecond), ev.Detail, ev.Err)
		h.mu.Lock()
		h.faults = append(h.faults, ev)
		h.mu.Unlock()
	}
}

// caughtReplica holds the next page a replica sends and finds which
// replica that is; the page's answer is held until release is called.
// Without one within 10s (or on a system without /proc) it picks a
// replica at random and says so.
func (h *harness) caughtReplica(ctx context.Context, ev *FaultEvent) (r *replica, how string, release func()) {
	release = func() {}
	if c, ok := h.hooks.catch(ctx, 10*time.Second); ok {
		release = sync.OnceFunc(func() { close(c.release) })
		pid, err := senderPID(c.remote, h.hooks.port, h.pool.pids())
		if r := h.pool.byPID(pid); err == nil && r != nil {
			ev.Caught = c.id
			return r, "sending page " + c.id, release
		}
		h.logf("caught page %s in flight but not its sender: %v", c.id, err)
	}
	r = h.pool.pick()
	if r == nil {
		r = h.replicas[h.rnd.IntN(len(h.replicas))]
	}
	return r, "picked at random: no page in flight to catch", release
}

// rolling restarts every replica in turn, as a deployment does: out of
// the pool, SIGTERM, wait for the exit (SIGKILL after 30s), start, wait
// until ready, back in the pool. The first is the replica caught sending
// a page; its page is answered 200ms after the SIGTERM, so a graceful
// shutdown has a send in flight to finish.
func (h *harness) rolling(ctx context.Context, ev *FaultEvent) error {
	first, how, release := h.caughtReplica(ctx, ev)
	defer release()
	order := []*replica{first}
	for _, r := range h.replicas {
		if r != first {
			order = append(order, r)
		}
	}
	var parts, names []string
	for i, r := range order {
		names = append(names, r.name)
		h.pool.set(r, false)
		t0 := time.Now()
		r.signal(syscall.SIGTERM)
		if i == 0 {
			time.AfterFunc(200*time.Millisecond, release)
		}
		exit, ok := r.wait(30 * time.Second)
		if !ok {
			r.signal(syscall.SIGKILL)
			exit, _ = r.wait(10 * time.Second)
			exit += " (SIGKILL: no exit 30s after SIGTERM)"
		}
		stopped := time.Since(t0)
		if err := r.start(); err != nil {
			return err
		}
		err := r.waitReady(ctx, 2*time.Minute)
		part := fmt.Sprintf("%s %s after %s, ready %s later", r.name, exit, stopped.Round(time.Millisecond), (time.Since(t0) - stopped).Round(time.Millisecond))
		if i == 0 {
			part = fmt.Sprintf("%s (%s) %s", r.name, how, part[len(r.name)+1:])
		}
		parts = append(parts, part)
		if err != nil {
			ev.Detail = strings.Join(parts, "; ")
			return err
		}
		h.pool.set(r, true)
	}
	ev.Target = strings.Join(names, ",")
	ev.Detail = "SIGTERM " + strings.Join(parts, "; ")
	return nil
}

// kill SIGKILLs the replica caught sending a page — mid-escalation, with
// that incident's timer and the page's send claimed — and starts it
// again a second later, as a supervisor would.
func (h *harness) kill(ctx context.Context, ev *FaultEvent) error {
	r, how, release := h.caughtReplica(ctx, ev)
	h.pool.set(r, false)
	r.signal(syscall.SIGKILL)
	exit, _ := r.wait(10 * time.Second)
	release()
	ev.Target = r.name
	if err := sleep(ctx, time.Second); err != nil {
		return err
	}
	t0 := time.Now()
	if err := r.start(); err != nil {
		return err
	}
	err := r.waitReady(ctx, 2*time.Minute)
	ev.Detail = fmt.Sprintf("SIGKILL %s (%s): %s; restarted 1s later, ready after %s", r.name, how, exit, time.Since(t0).Round(time.Millisecond))
	if err == nil {
		h.pool.set(r, true)
	}
	return err
}
