package router

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/escalation"
	"github.com/pagerd/pagerd/router/store"
)

// factOnceTTL is how long a once-only fact's key is kept: longer than any
// incident lives.
func factOnceTTL(cfg *policies.Config) time.Duration {
	return cfg.Settings.ResolvedRetention + 30*24*time.Hour
}

// process does what is due for one incident at now and returns when it
// next needs attention (zero: never, unless something changes).
func (e *Engine) process(ctx context.Context, id int64, now time.Time) (time.Time, error) {
	return e.processFrom(ctx, id, now, nil)
}

// processFrom is process starting from the incident as snap has it (nil:
// read it now) — the claim's read, when it made one.
func (e *Engine) processFrom(ctx context.Context, id int64, now time.Time, snap *store.Snapshot) (time.Time, error) {
	e.defaults()
	if snap == nil {
		read, err := e.Store.IncidentSnapshot(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, err
		}
		snap = &read
	}
	inc, done := snap.Incident, snap.Done
	// reread reads the incident again after this step changed it.
	reread := func() error {
		read, err := e.Store.IncidentSnapshot(ctx, id)
		if err == nil {
			inc, done = read.Incident, read.Done
		}
		return err
	}
	cfg := e.Config()

	if inc.Open() {
		if end := inc.NextAlertEnd(); !end.IsZero() && !end.After(now) {
			if _, err := e.Store.ExpireAlerts(ctx, id, cfg.Settings.ResolvedRetention); err != nil {
				return time.Time{}, err
			}
			if err := reread(); err != nil {
				return time.Time{}, err
			}
		}
	}

	if inc.Open() && inc.Service == UnroutedService {
		// A reload may have given its alerts a service: move them, then
		// work on the incident as its new service says.
		moved, err := reroute(ctx, e.Store, cfg, inc, e.Log)
		if err != nil || moved {
			return now, err
		}
	}

	// Why its alerts are muted changed, or may have: look again first.
	if inc.Open() && (inc.NeedsReview || (!inc.ReviewAt.IsZero() && !inc.ReviewAt.After(now))) {
		err := e.Suppress.Review(ctx, cfg, inc, now)
		if errors.Is(err, store.ErrMoved) {
			// A reload on another replica, or this one, rerouted it since
			// it was read: look again as its new service says.
			return now, nil
		}
		if err != nil {
			return time.Time{}, err
		}
		if err := reread(); err != nil {
			return time.Time{}, err
		}
	}

	var (
		next time.Time
		err  error
	)
	switch inc.Status {
	case incident.Resolved:
		if next, err = e.notifyFYI(ctx, cfg, inc, pagers.KindResolved, inc.ResolvedBy, now); err != nil {
			return time.Time{}, err
		}
		return e.runDuties(ctx, cfg, inc, now, next), nil
	case incident.Acknowledged:
		if next, err = e.notifyFYI(ctx, cfg, inc, pagers.KindAcknowledged, inc.AckedBy, now); err != nil {
			return time.Time{}, err
		}
		if t := cfg.Settings.AckTimeout; t > 0 {
			due := inc.AckedAt.Add(t)
			if !due.After(now) {
				// Only the acknowledgement we read times out: a fresh one
				// made meanwhile (on another replica) stands.
				if _, err := e.Store.Reopen(ctx, id, inc.AckedAt, "ack timeout"); err != nil {
					return time.Time{}, err
				}
				return now, nil // escalate again right away
			}
			next = earliest(next, due)
		}
	case incident.Triggered:
		if next, err = e.escalate(ctx, cfg, inc, done, now); err != nil {
			return time.Time{}, err
		}
	}
	next = e.runDuties(ctx, cfg, inc, now, next)
	if inc.Storm != nil {
		at, err := e.watchStorm(ctx, cfg, inc, now)
		if err != nil {
			return time.Time{}, err
		}
		next = earliest(next, at)
	}
	return earliest(earliest(next, inc.NextAlertEnd()), inc.ReviewAt), nil
}

// planState is what the planner needs of an incident.
func planState(inc *incident.Incident) escalation.State {
	return escalation.State{Incident: inc.ID, Run: inc.Run, RunAt: inc.RunAt, Escalations: inc.Escalations,
		Suppressed: inc.Suppressed, FoldedInto: inc.FoldedInto}
}

// escalate sends every notification that is due in the current run,
// several at a time, and returns when the next one (or the next step) is
// due. done is the incident's finished sends, read with it: a send
// finished since is found out when it is claimed (ClaimSend says so).
func (e *Engine) escalate(ctx context.Context, cfg *policies.Config, inc *incident.Incident, done map[string]bool, now time.Time) (time.Time, error) {
	if !planState(inc).Pages() {
		return time.Time{}, nil // folded into a storm, which pages for it
	}
	pol := cfg.Escalation(inc.Escalation)
	if pol == nil || len(pol.Steps) == 0 {
		if inc.Service != UnroutedService {
			e.Log.Warn("incident has no escalation policy in the current config; nobody paged",
				"incident", inc.ID, "escalation", inc.Escalation)
		}
		return time.Time{}, nil
	}
	plan := escalation.Walk(cfg, pol, planState(inc), now)
	if err := e.stepFacts(ctx, cfg, inc, pol, plan, done); err != nil {
		return time.Time{}, err
	}
	due, next := plan.Due(now, done)

	var (
		mu    sync.Mutex
		stale bool
		g     errgroup.Group
	)
	g.SetLimit(e.Parallel)
	for _, d := range due {
		g.Go(func() error {
			retry, isStale, err := e.deliver(ctx, cfg, inc, d, now)
			mu.Lock()
			defer mu.Unlock()
			stale = stale || isStale
			next = earliest(next, retry)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return time.Time{}, err
	}
	if stale {
		return now, nil // acknowledged or resolved meanwhile: look again
	}
	// Every step of every round has paged and nobody acknowledged: say so,
	// and page the last resort (exhausted.go). Not while a page of the
	// policy is still held elsewhere (next is when to look again).
	switch {
	case plan.Exhausted.IsZero():
	case plan.Exhausted.After(now):
		next = earliest(next, plan.Exhausted)
	case next.IsZero():
		at, stale, err := e.exhaust(ctx, cfg, inc, pol, now)
		if stale {
			return now, err
		}
		return at, err
	}
	return next, nil
}

// stepFacts states, once each, that a step reached nobody, or that a later
// step started (an escalation by hand already said so itself).
func (e *Engine) stepFacts(ctx context.Context, cfg *policies.Config, inc *incident.Incident, pol *policies.Escalation, plan escalation.Plan, done map[string]bool) error {
	started := map[int]bool{} // steps some of whose notifications went out before
	for _, d := range plan.Deliveries {
		if done[d.Key] {
			started[d.Step] = true
		}
	}
	for i, st := range plan.Steps {
		var kind incident.Kind
		var detail string
		switch {
		case st.Empty():
			kind = incident.KindStepEmpty
			detail = fmt.Sprintf("step %d reaches nobody at %s; escalating to the next step", st.Index+1, st.Start.Format(time.RFC3339))
		case (st.Round > 0 || st.Index > 0) && !st.Forced && !started[i]:
			kind = incident.KindEscalated
			detail = fmt.Sprintf("step %d of escalation %s", st.Index+1, pol.Name)
			if st.Round > 0 {
				detail += fmt.Sprintf(" (repeat %d)", st.Round)
			}
		default:
			continue
		}
		if _, err := e.Store.Append(ctx, inc.ID, kind, detail, st.Key+":"+string(kind), factOnceTTL(cfg)); err != nil {
			return err
		}
	}
	return nil
}
