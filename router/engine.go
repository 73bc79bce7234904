package router

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/internal/metrics"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Engine runs escalations. Each incident has one timer in Redis; whichever
// replica claims it first works out, from the incident's state and the
// policy, what is due now, sends it, and sets the next wake-up. Nothing is
// kept in memory between wake-ups, so any replica can take over any incident.
//
// This file is the worker pool; escalate.go decides what one incident
// needs, deliver.go sends one page, notices.go tells people what happened.
type Engine struct {
	Store  *store.Store
	Config func() *policies.Config
	// Pagers returns the pagers of the current config by channel. Channels
	// the config does not configure are absent; "console" is always there.
	Pagers func() pagers.Set
	// Links builds the signed links pages carry, under the current config.
	Links func() links.Builder
	Log   *slog.Logger
	Owner string // this replica's name, recorded on send claims
	// Suppress decides which alerts are muted, shared with the Router
	// (nil: one of its own).
	Suppress *Suppressor

	// Poll is the longest the engine sleeps without looking at the timers
	// (default 1s). It is a safety net: the engine sleeps until the
	// earliest timer it saw, and wakes early when any replica moves the
	// earliest timer earlier (Store.Wakeups); only a wake-up lost with a
	// broken connection waits for the poll.
	Poll time.Duration
	// NoWakeups leaves the wake channel alone: the engine hears of timers
	// other replicas set only at its next poll. For tests inside a
	// synctest bubble, whose clock stands still while a goroutine waits
	// on the network.
	NoWakeups bool
	// Lease is how long a claim — on an incident's timer, or on one send —
	// holds without a heartbeat (default 6s). A replica renews its claims
	// every third of it while the work lives, so a short lease costs
	// nothing while it runs and means a crashed replica's incidents are
	// taken over within one lease.
	Lease time.Duration
	// Grace is how long work in flight may go on once Run's context ends
	// (default 20s, below Kubernetes' 30s): a stopping replica finishes the
	// pages it started and records them, then gives back what it holds.
	Grace time.Duration
	Batch int // timers claimed per poll (default 50)
	// NoticeEvery is how often to look for due shift notices (default 30s).
	NoticeEvery time.Duration
	// Parallel bounds how many incidents, and how many pages of one
	// incident, are worked on at once (default 8).
	Parallel int
	// SendTimeout bounds one page across all its retries and channels
	// (default 60s); its claim is renewed while it runs.
	SendTimeout time.Duration
	// StatusPoll is how often a send in flight checks whether the incident
	// was handled meanwhile (default 1s).
	StatusPoll time.Duration
	// Duties are what incidents need besides paging (incident command's
	// clocks); each runs on every wake-up of an incident (duties.go).
	Duties []Duty
	// Chores are timed work that belongs to no incident (chores.go).
	Chores []Chore
	// Metrics records pages, notices and the engine's lateness (nil: none).
	Metrics *metrics.Metrics

	once sync.Once
	wake chan struct{}
	// sleepUntil is when, on the store's clock (Unix ms), the engine will
	// look at the timers next; 0 while it is awake or busy. A wake-up for
	// a later time is dropped: the engine looks then anyway.
	sleepUntil atomic.Int64

	// busy counts incidents being worked on, so Drain can wait for them.
	mu   sync.Mutex
	idle *sync.Cond
	busy int
	// drainWaits, for tests, is called (under mu) when Drain is about to
	// wait for work in progress.
	drainWaits func()
}

func (e *Engine) defaults() {
	e.once.Do(func() {
		if e.Poll == 0 {
			e.Poll = time.Second
		}
		if e.Lease == 0 {
			e.Lease = 6 * time.Second
		}
		if e.Grace == 0 {
			e.Grace = 20 * time.Second
		}
		if e.Batch == 0 {
			e.Batch = 50
		}
		if e.NoticeEvery == 0 {
			e.NoticeEvery = 30 * time.Second
		}
		if e.Parallel == 0 {
			e.Parallel = 8
		}
		if e.SendTimeout == 0 {
			e.SendTimeout = time.Minute
		}
		if e.StatusPoll == 0 {
			e.StatusPoll = time.Second
		}
		if e.Suppress == nil {
			e.Suppress = &Suppressor{Store: e.Store}
		}
		e.wake = make(chan struct{}, 1)
		e.idle = sync.NewCond(&e.mu)
	})
}

// Wake asks the engine to poll now rather than at its next tick.
func (e *Engine) Wake() {
	e.defaults()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run works on due incidents until ctx ends. A pool of Parallel workers
// takes due timers only as fast as it frees up, so an incident stuck on a
// slow provider holds one worker, never the others' pages, and no timer
// sits claimed in a queue while its lease runs out. Shift notices run on
// their own loop.
//
// When ctx ends Run claims nothing more; work in flight goes on for up to
// Grace on a context of its own, records what it sent, and gives back
// every claim it did not finish, so another replica goes on at once: a
// rolling restart neither drops nor repeats a page. Run returns once every
// worker has stopped.
func (e *Engine) Run(ctx context.Context) error {
	e.defaults()
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	defer func() {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(e.Grace):
			e.Log.Warn("work still in flight after the shutdown grace; cutting it short and handing it over", "grace", e.Grace)
			stopWork()
			<-done
		}
	}()
	wg.Go(func() { e.runShiftNotices(ctx) })
	if !e.NoWakeups {
		wg.Go(func() { e.listen(ctx) })
	}

	slots := make(chan struct{}, e.Parallel) // one token per working worker
	freed := make(chan struct{}, 1)
	// full says the last claim may have left due timers for want of a
	// free worker: only then must a worker that finishes wake the loop.
	// Otherwise the claim saw every due timer, the loop sleeps until the
	// next one, and a worker that sets its incident's timer earlier than
	// that wakes it through the wake channel (reschedule.lua's PUBLISH):
	// a wake-up here too would only claim once more for nothing. Without
	// the wake channel the loop hears of it only this way.
	var full atomic.Bool
	failing := redisTrouble{log: e.Log}
	for {
		e.sleepUntil.Store(0)
		wait := e.Poll
		var now time.Time // the store's, when the claim read it
		free := e.Parallel - len(slots)
		full.Store(true)
		if free > 0 && ctx.Err() == nil {
			// Busy while claiming too: Drain must not find the timers
			// claimed and their workers not started yet.
			e.started()
			// A wake-up already here was sent for a timer written before
			// it arrived, so before this claim reaches Redis: the claim
			// sees that timer. Left in the channel, it would only make
			// the loop claim once more for nothing — as each new incident
			// did, woken both after intake and through the wake channel.
			select {
			case <-e.wake:
			default:
			}
			select {
			case <-freed:
			default:
			}
			claimed, err := e.Store.ClaimNext(ctx, e.Lease, min(free, e.Batch))
			claims := claimed.Claims
			switch {
			case err != nil && ctx.Err() == nil:
				failing.failed(err)
			case err == nil:
				failing.recovered()
				for _, c := range claims {
					slots <- struct{}{}
					e.started()
					wg.Go(func() {
						defer func() {
							e.finished()
							<-slots
							if full.Load() || e.NoWakeups {
								select {
								case freed <- struct{}{}:
								default:
								}
							}
						}()
						e.work(work, c)
					})
				}
				if len(claims) == free {
					e.finished()
					continue // more may be due: claim again as soon as a worker frees up
				}
				if len(claims) < e.Batch {
					full.Store(false)
				}
				// Wake when the next step is due rather than at the next
				// poll, so a page is not up to a Poll late; a timer set
				// earlier meanwhile comes as a wake-up (listen).
				now = claimed.Now
				// Until the next timer exactly: a worker that finishes no
				// longer wakes the loop (full), so a timer due in a few
				// milliseconds must not wait out minWait. Only a timer
				// due already — left for want of workers, or held by
				// another replica — waits minWait, so as not to spin.
				if !claimed.Next.IsZero() {
					if d := claimed.Next.Sub(now); d > 0 {
						wait = min(wait, max(d, time.Millisecond))
					} else {
						wait = min(wait, minWait)
					}
				}
			}
			e.finished()
		}
		if !now.IsZero() {
			e.sleepUntil.Store(now.Add(wait).UnixMilli())
		}
		// While Redis is away the engine retries more often, not less:
		// it resumes as soon as Redis answers, however long the outage
		// (the log, not the retry, backs off).
		if failing.failures > 0 {
			wait = min(wait, retryWhileDown)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-e.wake:
		case <-freed:
		case <-time.After(wait):
		}
	}
}

// listen wakes the engine when another replica, or this one, moved the
// earliest timer earlier than the engine means to look next, and when the
// wake channel was (re)subscribed, since wake-ups may have been lost.
func (e *Engine) listen(ctx context.Context) {
	for at := range e.Store.Wakeups(ctx) {
		if until := e.sleepUntil.Load(); at.IsZero() || until == 0 || at.UnixMilli() < until {
			e.Wake()
		}
	}
}

// minWait is the shortest sleep between claims, so that a timer another
// replica holds due does not spin this one.
const minWait = 10 * time.Millisecond

// retryWhileDown is how often a failing claim is retried. Failed attempts
// cost nothing: go-redis answers them at once while it probes the address.
const retryWhileDown = 100 * time.Millisecond

// redisTrouble logs a failing store without a line per poll: the first
// failure, then one every minute, and the recovery.
type redisTrouble struct {
	log      *slog.Logger
	since    time.Time
	lastLog  time.Time
	failures int
}

func (r *redisTrouble) failed(err error) {
	r.failures++
	now := time.Now()
	if r.failures == 1 {
		r.since = now
	}
	if r.failures == 1 || now.Sub(r.lastLog) >= time.Minute {
		r.lastLog = now
		r.log.Error("claiming due escalations failed; retrying every poll", "err", err, "failures", r.failures, "since", r.since)
	}
}

func (r *redisTrouble) recovered() {
	if r.failures > 0 {
		r.log.Info("claiming due escalations works again", "failures", r.failures, "down_for", time.Since(r.since).Round(time.Millisecond))
		r.failures = 0
	}
}

func (e *Engine) started() {
	e.mu.Lock()
	e.busy++
	e.mu.Unlock()
}

func (e *Engine) finished() {
	e.mu.Lock()
	if e.busy--; e.busy == 0 {
		e.idle.Broadcast()
	}
	e.mu.Unlock()
}

// Drain works on everything due on the store's clock and returns once
// nothing is due and no worker of this engine is busy: what the engine
// would do now, done. Tests step the engine with it (and then know that
// nothing more will happen until the clock moves); it runs alongside Run.
func (e *Engine) Drain(ctx context.Context) error {
	e.defaults()
	for {
		e.mu.Lock()
		if e.busy > 0 && e.drainWaits != nil {
			e.drainWaits()
		}
		for e.busy > 0 {
			e.idle.Wait()
		}
		e.mu.Unlock()
		now, claims, err := e.Store.ClaimDue(ctx, e.Lease, e.Batch)
		if err != nil {
			return err
		}
		if len(claims) > 0 {
			var wg sync.WaitGroup
			for _, c := range claims {
				e.started()
				wg.Go(func() { defer e.finished(); e.work(ctx, c) })
			}
			wg.Wait()
			continue
		}
		next, err := e.Store.NextDue(ctx)
		if err != nil {
			return err
		}
		e.mu.Lock()
		busy := e.busy
		e.mu.Unlock()
		// A worker of Run may have claimed what was due between the wait
		// above and the claim: nothing is left due then, but its work is
		// not done. Wait for it (the loop's top) before answering.
		if busy == 0 && (next.IsZero() || next.After(now)) {
			return nil
		}
	}
}

// work processes one claimed incident at the claim's clock reading and sets
// its next wake-up, renewing the claim while it works. When the work is cut
// short (the shutdown grace ran out, Redis failed) the claim is given back,
// due now, so another replica goes on at once.
func (e *Engine) work(ctx context.Context, c store.Claim) {
	e.Metrics.Busy(1)
	defer e.Metrics.Busy(-1)
	c, stop := e.heartbeat(ctx, c)
	// The claim's clock: it was taken for this worker, which starts at
	// once, and a round trip for a fresher reading cost a tenth of a step.
	now, err := c.At, error(nil)
	if now.IsZero() {
		now, err = e.Store.Now(ctx)
	}
	if err == nil && !c.Due.IsZero() {
		e.Metrics.TimerLate(now.Sub(c.Due))
	}
	var next time.Time
	switch {
	case err != nil:
	case c.Chore != "":
		next, err = e.runChore(ctx, c.Chore, now)
	case c.Heartbeat != "":
		next, err = e.checkHeartbeat(ctx, c.Heartbeat, now)
	default:
		next, err = e.processFrom(ctx, c.IncidentID, now, c.Snapshot)
	}
	c = stop()
	// What is recorded must not be lost with the work's context.
	rec, cancel := recordContext(ctx)
	defer cancel()
	if err == nil {
		err = untilStored(ctx, rec, func() error { return e.Store.Reschedule(rec, c, next) })
	} else if rerr := untilStored(ctx, rec, func() error { return e.Store.ReleaseClaim(rec, c) }); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		e.Log.Error("incident step failed; handed over to the next poll", "incident", c.IncidentID, "heartbeat", c.Heartbeat, "chore", c.Chore, "err", err)
	}
}

// heartbeat renews c until stop is called, and stop returns the claim as
// last renewed (Reschedule needs its lease).
func (e *Engine) heartbeat(ctx context.Context, c store.Claim) (store.Claim, func() store.Claim) {
	stop := e.renewing(ctx, func(ctx context.Context) (bool, error) {
		renewed, ok, err := e.Store.RenewClaim(ctx, c, e.Lease)
		if err == nil && ok {
			c = renewed
		}
		return ok, err // not ok: someone moved the timer, theirs stands
	})
	return c, func() store.Claim { stop(); return c }
}

// renewing calls renew every third of the Lease until the returned stop
// is called (which waits for the last call to end), ctx ends, or renew
// finds the claim is no longer this replica's. A failed renewal is tried
// again at the next tick: the lease has two more ticks to run.
func (e *Engine) renewing(ctx context.Context, renew func(context.Context) (ok bool, err error)) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(e.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if ok, err := renew(ctx); err == nil && !ok {
				return
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// untilStored runs a claim's last write (its reschedule or release),
// again every retryWhileDown while it fails, as long as the engine runs
// and rec lasts. A claim that neither is held until its lease lapses:
// its incident would wait a lease for nothing. Right after Redis comes
// back, go-redis's pool answers with its last dial error until it dialed
// again, so the step that failed there is given back moments later
// rather than a lease later. A stopping engine tries once.
func untilStored(ctx, rec context.Context, write func() error) error {
	for {
		err := write()
		if err == nil || ctx.Err() != nil || rec.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-rec.Done():
			return err
		case <-time.After(retryWhileDown):
		}
	}
}

// recordContext is for writing down what was done: it outlives a cut-short
// work context (a send the provider took must be recorded, or it is sent
// again), but not by long.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}

func (e *Engine) runShiftNotices(ctx context.Context) {
	ticker := time.NewTicker(e.NoticeEvery)
	defer ticker.Stop()
	for {
		if err := e.SendShiftNotices(ctx); err != nil && ctx.Err() == nil {
			e.Log.Error("shift notices failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}
