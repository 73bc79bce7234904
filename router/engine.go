package router

import (
	"context"
	"log/slog"
	"sync"
	"time"

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

	Poll  time.Duration // how often to look for due timers (default 1s)
	Lease time.Duration // how long a claim holds before another replica may take over (default 2m)
	Batch int           // timers claimed per poll (default 50)
	// NoticeEvery is how often to look for due shift notices (default 30s).
	NoticeEvery time.Duration
	// Parallel bounds how many incidents, and how many pages of one
	// incident, are worked on at once (default 8).
	Parallel int
	// SendTimeout bounds one page across all its retries and channels
	// (default half the Lease, so a send never outlives its claim).
	SendTimeout time.Duration
	// StatusPoll is how often a send in flight checks whether the incident
	// was handled meanwhile (default 1s).
	StatusPoll time.Duration

	once sync.Once
	wake chan struct{}

	// busy counts incidents being worked on, so Drain can wait for them.
	mu   sync.Mutex
	idle *sync.Cond
	busy int
}

func (e *Engine) defaults() {
	e.once.Do(func() {
		if e.Poll == 0 {
			e.Poll = time.Second
		}
		if e.Lease == 0 {
			e.Lease = 2 * time.Minute
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
		if e.SendTimeout == 0 || e.SendTimeout > e.Lease/2 {
			e.SendTimeout = e.Lease / 2
		}
		if e.StatusPoll == 0 {
			e.StatusPoll = time.Second
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
// their own loop. Run returns once every worker has stopped.
func (e *Engine) Run(ctx context.Context) error {
	e.defaults()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { e.runShiftNotices(ctx) })

	slots := make(chan struct{}, e.Parallel) // one token per working worker
	freed := make(chan struct{}, 1)
	failures := 0
	for {
		wait := e.Poll
		if free := e.Parallel - len(slots); free > 0 {
			// Busy while claiming too: Drain must not find the timers
			// claimed and their workers not started yet.
			e.started()
			_, claims, err := e.Store.ClaimDue(ctx, e.Lease, min(free, e.Batch))
			switch {
			case err != nil && ctx.Err() == nil:
				// Redis away: back off (up to 30s) instead of logging every poll.
				failures++
				wait = min(e.Poll<<min(failures, 5), 30*time.Second)
				e.Log.Error("claiming due escalations failed; retrying", "err", err, "retry_in", wait)
			case err == nil:
				failures = 0
				for _, c := range claims {
					slots <- struct{}{}
					e.started()
					wg.Go(func() {
						defer func() {
							e.finished()
							<-slots
							select {
							case freed <- struct{}{}:
							default:
							}
						}()
						e.work(ctx, c)
					})
				}
				if len(claims) == free {
					wait = 0 // more may be due: claim again as soon as a worker frees up
				}
			}
			e.finished()
		}
		var timeout <-chan time.Time
		if wait > 0 {
			timeout = time.After(wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-e.wake:
		case <-freed:
		case <-timeout:
		}
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
		if next.IsZero() || next.After(now) {
			return nil
		}
	}
}

// work processes one claimed incident with a fresh clock reading and sets
// its next wake-up. A failure keeps the lease: the timer comes due again
// when it lapses, here or on another replica.
func (e *Engine) work(ctx context.Context, c store.Claim) {
	now, err := e.Store.Now(ctx)
	var next time.Time
	if err == nil {
		next, err = e.process(ctx, c.IncidentID, now)
	}
	if err == nil {
		err = e.Store.Reschedule(ctx, c, next)
	}
	if err != nil && ctx.Err() == nil {
		e.Log.Error("incident step failed; retrying when its lease lapses", "incident", c.IncidentID, "err", err)
	}
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
