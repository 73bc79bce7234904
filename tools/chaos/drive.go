package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// tracked is one incident the harness follows: one it opened, or one
// that an alert it sent landed in.
type tracked struct {
	ID   int64
	Name string // the alertname that opened it; "" for one the harness did not open
	// AckAfter is when, after the run started, the harness acknowledges
	// it; 0: never.
	AckAfter time.Duration
	AckTried time.Time // the first acknowledgement request
	AckOK    bool      // an acknowledgement got 200
	AckNote  string    // why it was not acknowledged as planned

	State *incidentDoc // as last read through the API; nil: never read
	Gone  bool         // the API answered 404
	Plan  []planned    // planned from State
}

// sentAlert is an alert pagerd answered 2xx for.
type sentAlert struct {
	Fingerprint string
	Incident    int64
	At          time.Time
}

// track returns the incident id, following it from now on.
func (h *harness) track(id int64, name string, ackAfter time.Duration) *tracked {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.incidents[id]
	if t == nil {
		t = &tracked{ID: id}
		h.incidents[id] = t
	}
	if name != "" && t.Name == "" {
		t.Name, t.AckAfter = name, ackAfter
	}
	return t
}

func (h *harness) reject(why string) {
	h.mu.Lock()
	h.rejected[why]++
	h.mu.Unlock()
}

func (h *harness) stored(results []alertResult) {
	now := time.Now()
	h.mu.Lock()
	for _, r := range results {
		h.alerts = append(h.alerts, sentAlert{Fingerprint: r.Fingerprint, Incident: r.Incident, At: now})
	}
	h.mu.Unlock()
	for _, r := range results {
		if r.Incident != 0 {
			h.track(r.Incident, "", 0)
		}
	}
}

// send posts one webhook and keeps what it says; ok on a 2xx.
func (h *harness) send(ctx context.Context, alerts []amAlert) ([]alertResult, bool) {
	status, results, err := h.api.postAlerts(ctx, alerts)
	switch {
	case err != nil && status/100 == 2:
		h.reject("2xx with an unreadable answer: " + err.Error())
	case err != nil:
		h.reject("not sent or no answer")
	case status/100 != 2:
		h.reject(fmt.Sprintf("HTTP %d", status))
	default:
		h.stored(results)
		return results, true
	}
	return nil, false
}

// maxInflight bounds the alert stream's webhooks waiting for an answer: a
// replica that hangs (on a Redis that went away) slows the stream rather
// than piling requests up.
const maxInflight = 32

// drive opens the incidents, runs the alert stream and injects the faults
// until end; acknowledgements go on in h.acking until hardEnd.
func (h *harness) drive(ctx context.Context, start, end, hardEnd time.Time, plan []scheduled) {
	// Which incidents are acknowledged, and when, is fixed by the seed
	// before anything runs.
	acks := make([]time.Duration, h.opts.Incidents)
	s := h.opts.StepAfter
	for i := range acks {
		if h.rnd.Float64() < h.opts.AckShare {
			// Half way through step 1, or a quarter into step 2 (before
			// its second notification rule, half a step in).
			acks[i] = []time.Duration{s / 2, s + s/4}[h.rnd.IntN(2)]
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { h.runFaults(ctx, start, plan) })
	var opened []*tracked
	var openedMu sync.Mutex
	wg.Go(func() {
		var openers sync.WaitGroup
		defer openers.Wait()
		for i := range h.opts.Incidents {
			at := start.Add(time.Duration(i) * (end.Sub(start)) / time.Duration(h.opts.Incidents))
			if sleep(ctx, time.Until(at)) != nil {
				return
			}
			openers.Go(func() {
				if t := h.open(ctx, i, acks[i], hardEnd); t != nil {
					openedMu.Lock()
					opened = append(opened, t)
					openedMu.Unlock()
				}
			})
		}
	})

	// The alert stream: webhooks at AlertRate to open incidents, each with
	// 1-3 alerts never seen before, so every 2xx is a write to check.
	streamCtx, stopStream := context.WithDeadline(ctx, end)
	defer stopStream()
	wg.Go(func() {
		var seq atomic.Int64
		rnd := rand.New(rand.NewPCG(uint64(h.opts.Seed), 1))
		inflight := make(chan struct{}, maxInflight)
		var sends sync.WaitGroup
		defer sends.Wait()
		tick := time.NewTicker(time.Duration(float64(time.Second) / h.opts.AlertRate))
		defer tick.Stop()
		for {
			select {
			case <-streamCtx.Done():
				return
			case <-tick.C:
			}
			openedMu.Lock()
			if len(opened) == 0 {
				openedMu.Unlock()
				continue
			}
			t := opened[rnd.IntN(len(opened))]
			openedMu.Unlock()
			alerts := make([]amAlert, 1+rnd.IntN(3))
			for i := range alerts {
				alerts[i] = amAlert{Status: "firing", StartsAt: time.Now().UTC(), Labels: map[string]string{
					"alertname": t.Name, "severity": "critical", "instance": fmt.Sprintf("s%d", seq.Add(1))}}
			}
			select {
			case inflight <- struct{}{}:
			default:
				h.reject(fmt.Sprintf("not sent: %d webhooks already waiting for an answer", maxInflight))
				continue
			}
			sends.Go(func() {
				defer func() { <-inflight }()
				h.send(ctx, alerts)
			})
		}
	})
	wg.Wait()
}

// open opens incident i: its first alert, sent until a replica answers
// 2xx (as Alertmanager retries). Then, if it is to be acknowledged, the
// acknowledgement runs in h.acking.
func (h *harness) open(ctx context.Context, i int, ackAfter time.Duration, hardEnd time.Time) *tracked {
	name := fmt.Sprintf("Chaos%03d", i+1)
	alert := amAlert{Status: "firing", StartsAt: time.Now().UTC(),
		Labels: map[string]string{"alertname": name, "severity": "critical", "instance": "first"}}
	for {
		results, ok := h.send(ctx, []amAlert{alert})
		if ok {
			t := h.track(results[0].Incident, name, ackAfter)
			if ackAfter > 0 {
				h.acking.Go(func() { h.acknowledge(ctx, t, hardEnd) })
			}
			return t
		}
		if time.Now().After(hardEnd) || sleep(ctx, 200*time.Millisecond) != nil {
			h.logf("incident %s never opened: no replica answered 2xx", name)
			return nil
		}
	}
}

// acknowledge acknowledges t through the API AckAfter into its run, as
// the person paged would: once every page due by then has arrived, and
// not within a fifth of a step of the next one, so the acknowledgement
// does not race a page. Pages due after the first request are not
// expected; those due before it all arrived.
func (h *harness) acknowledge(ctx context.Context, t *tracked, hardEnd time.Time) {
	var plan []planned
	for {
		doc, err := h.api.incident(ctx, t.ID)
		if err == nil {
			plan = planIncident(h.cfg, &doc.Incident)
			if err := sleep(ctx, time.Until(doc.RunAt.Add(t.AckAfter))); err != nil {
				return
			}
			break
		}
		if errors.Is(err, errNotFound) || time.Now().After(hardEnd) || sleep(ctx, 200*time.Millisecond) != nil {
			h.noteAck(t, time.Time{}, false, "never acknowledged: the incident could not be read: "+err.Error())
			return
		}
	}
	guard := h.opts.StepAfter / 5
	for {
		now := time.Now()
		ready := true
		var next time.Time
		for _, p := range plan {
			switch {
			case !p.Due.After(now):
				if len(h.rec.received(p.Match)) == 0 {
					ready = false
				}
			case next.IsZero() || p.Due.Before(next):
				next = p.Due
			}
		}
		if ready && (next.IsZero() || next.Sub(now) > guard) {
			break
		}
		if now.After(hardEnd) || sleep(ctx, 50*time.Millisecond) != nil {
			h.noteAck(t, time.Time{}, false, "never acknowledged: pages due before the acknowledgement never all arrived")
			return
		}
	}
	tried := time.Now()
	for {
		err := h.api.ack(ctx, t.ID)
		if err == nil {
			h.noteAck(t, tried, true, "")
			return
		}
		if time.Now().After(hardEnd) || sleep(ctx, 200*time.Millisecond) != nil {
			h.noteAck(t, tried, false, "acknowledgement never answered 200: "+err.Error())
			return
		}
	}
}

func (h *harness) noteAck(t *tracked, tried time.Time, ok bool, note string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t.AckTried, t.AckOK, t.AckNote = tried, ok, note
}
