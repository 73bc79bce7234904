// Package events reads the incident event stream — every published fact,
// in the order it happened — for consumers, each a Redis consumer group:
// outgoing webhooks and chat updates now; the status page, stakeholder
// updates and post-mortem drafts next. One replica at a time reads a group
// (it holds the group's lease), one event at a time, so a consumer sees
// events in order. A store of several shards has a stream per shard, an
// incident's events all in one: each (group, stream) pair is read as
// above, with a lease of its own, so a group's events are in order per
// incident, and the shards' streams are read at once, on any replicas.
// An event is acknowledged only once its consumer handled
// it: a consumer that fails is retried, with backoff, holding the group's
// later events back; a replica that dies mid-event leaves it pending, and
// whoever takes the lease next handles it again (at least once — consumers
// tell repeats apart by the event's ID).
package events

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/router/store"
)

// Consumer does something with every event, as one consumer group.
type Consumer interface {
	// Group names the consumer's group; it must stay the same across
	// restarts and replicas, or the consumer starts over from "now".
	Group() string
	// Handle does what the consumer does with one event. nil acknowledges
	// it. A permanent error (pagers.Permanent) drops it, with a log line.
	// Any other error retries it after a backoff (at least what
	// pagers.RetryAfter asks), keeping the group's later events waiting.
	Handle(ctx context.Context, ev incident.Event) error
}

// Defaults of Runner.
const (
	DefaultRetention = 24 * time.Hour
	DefaultLease     = 15 * time.Second
	DefaultPoll      = time.Second
)

// Runner runs the consumers on this replica: it starts a reader for every
// group Consumers names and every event stream of the store (one per
// shard), stops the ones of groups it no longer names, and keeps the
// streams to their retention window.
type Runner struct {
	Store *store.Store
	Owner string // this replica's name: the lease holder and consumer name
	Log   *slog.Logger
	// Consumers returns the consumers the current config wants; it is
	// asked again every Poll, so a reload adds and removes groups.
	Consumers func() []Consumer
	// Retention is how long events stay in the stream, and so how long a
	// failing event is retried before it is dropped (nil: 24h). It is
	// asked on every use, so a reload changes it.
	Retention func() time.Duration
	Lease     time.Duration // how long a group's lease holds (default 15s)
	Poll      time.Duration // how often to look at the groups and leases (default 1s)
	// Grace is how long a stopping runner lets the events being handled
	// finish (default 20s): a subscriber is not sent the same event twice
	// because a replica was restarted.
	Grace time.Duration
	// Backoff is the wait after failed attempt number attempt (default
	// exponential from 1s to 5m, with jitter).
	Backoff func(attempt int) time.Duration
	// Now and Sleep are the clock retries run on; tests pass a fake one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	once    sync.Once
	mu      sync.Mutex
	current map[string]Consumer // by group: the latest consumer for it
}

func (r *Runner) defaults() {
	r.once.Do(func() {
		if r.Retention == nil {
			r.Retention = func() time.Duration { return DefaultRetention }
		}
		if r.Lease == 0 {
			r.Lease = DefaultLease
		}
		if r.Poll == 0 {
			r.Poll = DefaultPoll
		}
		if r.Grace == 0 {
			r.Grace = 20 * time.Second
		}
		if r.Backoff == nil {
			r.Backoff = pagers.ExponentialBackoff(time.Second, 5*time.Minute)
		}
		if r.Now == nil {
			r.Now = time.Now
		}
		if r.Sleep == nil {
			r.Sleep = pagers.SleepContext
		}
		r.current = map[string]Consumer{}
	})
}

// EnsureGroups creates the group of every consumer the config wants, so
// that a consumer added by a config hears every event from the moment the
// config is in force. The daemon calls it before it serves, and on every
// reload before the new config takes effect; a group that exists keeps
// its place.
func (r *Runner) EnsureGroups(ctx context.Context) error {
	for _, c := range r.Consumers() {
		if err := r.Store.EnsureGroup(ctx, c.Group()); err != nil {
			return err
		}
	}
	return nil
}

// Run reads every wanted group until ctx ends, and returns when all its
// readers have stopped. When ctx ends the readers take no more events;
// the ones being handled finish (for up to Grace) and are acknowledged,
// and each group is handed to another replica at once.
func (r *Runner) Run(ctx context.Context) error {
	r.defaults()
	work, cut := context.WithCancel(context.WithoutCancel(ctx))
	defer cut()
	var wg sync.WaitGroup
	defer func() {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(r.Grace):
			r.Log.Warn("events still being handled after the shutdown grace; cutting them short", "grace", r.Grace)
			cut()
			<-done
		}
	}()
	streams := r.Store.EventStreams()
	running := map[reader]context.CancelFunc{}
	defer func() {
		for _, stop := range running {
			stop()
		}
	}()
	lastTrim := time.Time{}
	ticker := time.NewTicker(r.Poll)
	defer ticker.Stop()
	for {
		wanted := map[string]bool{}
		for _, c := range r.Consumers() {
			g := c.Group()
			wanted[g] = true
			r.mu.Lock()
			r.current[g] = c
			r.mu.Unlock()
			for k, stream := range streams {
				rd := reader{group: g, stream: k}
				if running[rd] == nil {
					gctx, stop := context.WithCancel(ctx)
					running[rd] = stop
					wg.Go(func() { r.read(gctx, work, rd, stream) })
				}
			}
		}
		for rd, stop := range running {
			if !wanted[rd.group] {
				stop()
				delete(running, rd)
				r.mu.Lock()
				delete(r.current, rd.group)
				r.mu.Unlock()
			}
		}
		if time.Since(lastTrim) > time.Minute {
			// Any replica may trim; trimming twice is harmless.
			if err := r.Store.TrimEvents(ctx, time.Now().Add(-r.Retention())); err != nil && ctx.Err() == nil {
				r.Log.Warn("trimming the event stream failed", "err", err)
			}
			lastTrim = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

func (r *Runner) consumer(group string) Consumer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current[group]
}

// reader is what one reader reads: a group's events in one shard's
// stream (0: the home shard's, the only one of a store of one shard).
type reader struct {
	group  string
	stream int
}

// lease is the name of the reader's lease: "events:<group>" for the home
// shard's stream, as before shards, "events:<group>#<k>" for shard k's.
func (rd reader) lease() string {
	if rd.stream == 0 {
		return "events:" + rd.group
	}
	return "events:" + rd.group + "#" + strconv.Itoa(rd.stream)
}

// read is one reader: it waits for its lease, then handles what the
// previous holder left pending in its stream and every new event, in
// order, for as long as it holds the lease and ctx lasts. An event being
// handled when ctx ends goes on under work.
func (r *Runner) read(ctx, work context.Context, rd reader, stream store.EventStream) {
	log := r.Log.With("group", rd.group)
	if rd.stream > 0 {
		log = log.With("stream", rd.stream)
	}
	defer func() {
		// Let another replica take over at once rather than after the
		// lease lapses (a graceful stop, or the group left the config).
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = r.Store.ReleaseLease(stop, rd.lease(), r.Owner)
	}()
	for ctx.Err() == nil {
		if err := r.hold(ctx, work, rd, stream, log); err != nil && ctx.Err() == nil {
			log.Warn("reading events failed; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(r.Poll):
		}
	}
}

// hold takes the reader's lease and reads its stream while it holds it;
// it returns when the lease is lost, or on an error.
//
// Handled events are acknowledged together, once per batch, with the
// next read (and before any wait for a retry, and on the way out), rather
// than one XACK each: delivery is at least once either way, and under
// load a batch costs one call.
func (r *Runner) hold(ctx, work context.Context, rd reader, stream store.EventStream, log *slog.Logger) (err error) {
	group := rd.group
	renewed := time.Now() // before the call: the lease runs from no later
	if ok, err := r.Store.Lease(ctx, rd.lease(), r.Owner, r.Lease); err != nil || !ok {
		return err
	}
	if err := stream.EnsureGroup(ctx, group); err != nil {
		return err
	}
	pending, err := stream.ClaimPendingEvents(ctx, group, r.Owner)
	if err != nil {
		return err
	}
	log.Info("reading events", "pending", len(pending))
	acks := &handled{stream: stream, work: work, group: group}
	defer func() { err = errors.Join(err, acks.flush()) }()
	for {
		for _, ev := range pending {
			if ctx.Err() != nil {
				return nil // stopping: the rest stay pending for the next holder
			}
			if held, err := r.handle(ctx, work, rd, ev, acks, log); err != nil || !held {
				return err
			}
		}
		// Wait a little for new events rather than polling a busy loop;
		// well inside the lease, so the holder renews it in time.
		block := min(r.Poll, r.Lease/3)
		// Renew only when the lease would be more than a third gone by
		// the time the read returns, not before every read: a busy
		// stream is read once per few events, and a renewal each time
		// was a script call per new incident. The events read start
		// being handled with at least two thirds of the lease left, as
		// before; nobody can have taken a lease with that much left.
		if time.Since(renewed)+block >= r.Lease/3 {
			renewed = time.Now()
			if ok, err := r.Store.Lease(ctx, rd.lease(), r.Owner, r.Lease); err != nil || !ok {
				return err
			}
		}
		if len(acks.ids) > 0 {
			// The acknowledgement goes with a read that does not wait:
			// under load it finds the next events, one call for both.
			if pending, err = stream.AckAndReadEvents(ctx, group, r.Owner, acks.ids, 16); err != nil {
				return err // acks still holds them: acknowledged on the way out
			}
			acks.ids = acks.ids[:0]
			if len(pending) > 0 {
				continue
			}
		}
		if pending, err = stream.ReadEvents(ctx, group, r.Owner, 16, block); err != nil {
			return err
		}
	}
}

// handled collects the ids of the events a reader handled until they are
// acknowledged together.
type handled struct {
	stream store.EventStream
	work   context.Context
	group  string
	ids    []string
}

// flush acknowledges the events handled so far. It runs under work, so
// that what was done is recorded even while the reader stops.
func (h *handled) flush() error {
	if len(h.ids) == 0 {
		return nil
	}
	rec, cancel := context.WithTimeout(context.WithoutCancel(h.work), 5*time.Second)
	defer cancel()
	err := h.stream.AckEvents(rec, h.group, h.ids...)
	h.ids = h.ids[:0]
	return err
}

// handle gives one event to the group's consumer until it is handled,
// dropped, or the lease is lost (held false: someone else goes on). An
// attempt runs under work, so that stopping does not abort it; what it
// did is acknowledged even then (in acks, with the batch's others).
func (r *Runner) handle(ctx, work context.Context, rd reader, ev incident.Event, acks *handled, log *slog.Logger) (held bool, err error) {
	ack := func() error { acks.ids = append(acks.ids, ev.ID); return nil }
	first := r.Now()
	for attempt := 1; ; attempt++ {
		c := r.consumer(rd.group)
		if c == nil {
			return false, nil // the group left the config meanwhile
		}
		herr := c.Handle(work, ev)
		switch {
		case herr == nil:
			return true, ack()
		case pagers.IsPermanent(herr):
			log.Error("event refused; dropping it", "event", ev.ID, "kind", ev.Kind, "incident", ev.Incident, "err", herr)
			return true, ack()
		case r.Now().Sub(first) >= r.Retention():
			log.Error("event failed for the whole retention window; dropping it", "event", ev.ID, "kind", ev.Kind,
				"incident", ev.Incident, "attempts", attempt, "err", herr)
			return true, ack()
		case ctx.Err() != nil:
			return false, nil // stopping: the next holder retries it
		}
		// The events handled before this one must not wait for its
		// retries to be acknowledged.
		if err := acks.flush(); err != nil {
			return false, err
		}
		wait := r.Backoff(attempt)
		if asked, ok := pagers.RetryAfterOf(herr); ok {
			wait = max(wait, asked)
		}
		log.Warn("event not handled; retrying", "event", ev.ID, "kind", ev.Kind, "incident", ev.Incident,
			"attempt", attempt, "retry_in", wait, "err", herr)
		if held, err := r.wait(ctx, rd, wait); err != nil || !held {
			return held, err
		}
	}
}

// wait sleeps d, renewing the reader's lease as it goes so that a long
// backoff does not hand its stream to another replica.
func (r *Runner) wait(ctx context.Context, rd reader, d time.Duration) (bool, error) {
	for d > 0 {
		step := min(d, r.Lease/3)
		if err := r.Sleep(ctx, step); err != nil {
			return false, err
		}
		d -= step
		if ok, err := r.Store.Lease(ctx, rd.lease(), r.Owner, r.Lease); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}
