package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Concurrent requests' alerts leave for Redis together (group commit).
// A request of one alert costs Redis a script call whose fixed part —
// the call, its socket read and write, the shared helpers Lua sets up —
// is most of what the alert costs it; while one pipeline is on its way,
// the requests that arrive queue here and go, all of them, in the next
// one, a script call per 50 alerts whatever request they came in. A
// request alone goes at once, as before: nothing waits for company. Each
// request still costs at most one round trip, and Redis runs fewer,
// fuller script calls, which is what a storm of single-alert senders
// (PagerDuty Events, generic JSON) needs.

// ingestCall is one request's alerts, ready for ingest.lua.
type ingestCall struct {
	keys    []string // two per alert
	args    []any    // ingestPerAlert per alert
	alerts  int
	results []IngestResult
	err     error
	done    chan struct{}
}

// maxInFlight is how many ingest pipelines a replica has on their way at
// once before requests queue for the next. One made a request that
// arrived just after another wait for it: 0.3 ms more at the median at
// 1,000 requests a second; two keep that wait for storms, where queued
// requests fill each pipeline.
const maxInFlight = 2

// coalescer holds the calls that wait for a pipeline.
type coalescer struct {
	mu      sync.Mutex
	queue   []*ingestCall
	sending int // pipelines on their way, up to maxInFlight
	// beforeSend, in tests, runs before each pipeline leaves; queued,
	// with the queue's length, after a call joins it.
	beforeSend func(calls int)
	queued     func(waiting int)
}

// flushTimeout bounds one pipeline of many requests' alerts: it runs on
// a context of its own, since no one request's cancellation may fail the
// others' alerts.
const flushTimeout = 30 * time.Second

// ingest stores call's alerts, in the next pipeline to leave. It returns
// when they are stored, or when ctx ends first (then they may still be:
// storing is idempotent, the sender's retry finds them).
func (s *shard) ingest(ctx context.Context, call *ingestCall) ([]IngestResult, error) {
	c := &s.coalesce
	call.done = make(chan struct{})
	c.mu.Lock()
	c.queue = append(c.queue, call)
	if c.queued != nil {
		c.queued(len(c.queue))
	}
	lead := c.sending < maxInFlight
	if lead {
		c.sending++
	}
	c.mu.Unlock()
	if lead {
		// This request sends what is queued, its own alerts among them
		// unless another pipeline took them, and hands on what queued
		// meanwhile to a goroutine of its own, so that it answers its
		// sender without waiting for others.
		c.sendQueued(s)
		if c.more() {
			go c.sendAll(s)
		}
	}
	select {
	case <-call.done:
		return call.results, call.err
	case <-ctx.Done():
		return nil, fmt.Errorf("store alerts: %w", ctx.Err())
	}
}

// more reports whether calls queued while a pipeline was on its way;
// when none did, that pipeline's turn ends.
func (c *coalescer) more() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		c.sending--
		return false
	}
	return true
}

// sendAll sends the queue until it stays empty.
func (c *coalescer) sendAll(s *shard) {
	for {
		c.sendQueued(s)
		if !c.more() {
			return
		}
	}
}

// sendQueued takes the whole queue and stores it in one pipeline.
func (c *coalescer) sendQueued(s *shard) {
	c.mu.Lock()
	calls := c.queue
	c.queue = nil
	c.mu.Unlock()
	if len(calls) == 0 {
		return
	}
	if c.beforeSend != nil {
		c.beforeSend(len(calls))
	}
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	s.send(ctx, calls)
	for _, call := range calls {
		close(call.done)
	}
}

// send stores calls' alerts, a script call per ingestBatch alerts,
// all pipelined, and gives each call its results, or the error of the
// pipeline or of a script call that held some of its alerts.
func (s *shard) send(ctx context.Context, calls []*ingestCall) {
	total := 0
	for _, call := range calls {
		total += call.alerts
	}
	scripts := (total + ingestBatch - 1) / ingestBatch
	keys := make([][]string, 0, scripts)
	argv := make([][]any, 0, scripts)
	var k []string
	var a []any
	flush := func() {
		keys, argv = append(keys, k), append(argv, a)
		k, a = nil, nil
	}
	inScript := 0
	for _, call := range calls {
		for i := range call.alerts {
			if k == nil {
				n := min(ingestBatch, total)
				k = make([]string, 0, 2*n)
				a = make([]any, 0, 2+ingestPerAlert*n)
				a = append(a, s.prefix, s.nowArg())
			}
			k = append(k, call.keys[2*i:2*i+2]...)
			a = append(a, call.args[ingestPerAlert*i:ingestPerAlert*(i+1)]...)
			total--
			if inScript++; inScript == ingestBatch {
				flush()
				inScript = 0
			}
		}
	}
	if k != nil {
		flush()
	}

	cmds, wait, err := s.pipelineScript(ctx, s.lua.ingest, keys, argv)
	if err == nil {
		err = s.replicated(wait)
	}
	if err != nil {
		for _, call := range calls {
			call.err = fmt.Errorf("store alerts: %w", err)
		}
		return
	}
	// The replies, one pair per alert in the order sent, go back to their
	// calls in the same order.
	script, pair := 0, 0
	var vals []any
	var scriptErr error
	next := func() (IngestResult, error) {
		for vals == nil || pair >= len(vals) {
			if script >= len(cmds) {
				return IngestResult{}, fmt.Errorf("fewer results than alerts")
			}
			vals, scriptErr = cmds[script].Slice()
			if scriptErr == nil && len(vals) != len(keys[script]) {
				scriptErr = fmt.Errorf("unexpected reply %v", vals)
			}
			if scriptErr != nil {
				// Every alert of the failed call shares its error: a
				// pair of nothing for each (two keys an alert).
				vals = make([]any, len(keys[script]))
			}
			script, pair = script+1, 0
		}
		r := ingestPair(vals[pair], vals[pair+1])
		pair += 2
		return r, scriptErr
	}
	for _, call := range calls {
		call.results = make([]IngestResult, 0, call.alerts)
		for range call.alerts {
			r, err := next()
			if err != nil && call.err == nil {
				call.err = fmt.Errorf("store alert %d: %w", len(call.results), err)
			}
			call.results = append(call.results, r)
		}
		if call.err != nil {
			call.results = nil
		}
	}
}
