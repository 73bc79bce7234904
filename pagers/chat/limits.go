package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// Rate limits: every call to a platform first takes a slot of the room's
// (or person's chat's) limit and of the workspace's, both counted in Redis
// so that every replica shares them; a 429 holds the room's limit for
// every replica for as long as its Retry-After says, and the call is made
// again once it passes. Nothing here sleeps longer than the caller's
// budget: past it a page is given back (pagers.Later) and an update
// handed back to its consumer (pagers.RetryAfter).

// limitName is the shared name of a rate limit of the platform.
func (pg *Pager) limitName(scope string) string { return "chat:" + pg.p.Name + ":" + scope }

// call makes fn — one API call for to — within the platform's limits,
// waiting at most budget in all for them.
func (pg *Pager) call(ctx context.Context, to Recipient, budget time.Duration, fn func(context.Context) error) error {
	var waited time.Duration
	for limited := 1; ; limited++ {
		if err := pg.take(ctx, to, budget, &waited); err != nil {
			return err
		}
		err := fn(ctx)
		asked, is429 := pagers.RetryAfterOf(err)
		if !is429 || pagers.IsPermanent(err) {
			return err
		}
		// The platform said to wait: so does every replica, for this room.
		if pg.limits != nil && pg.p.RoomRate.Events > 0 {
			if herr := pg.limits.Hold(ctx, pg.limitName(to.Name()), pg.p.RoomRate.Events, pg.p.RoomRate.Per, asked); herr != nil {
				return herr
			}
		} else if serr := pg.wait(ctx, asked, budget, &waited); serr != nil {
			return serr
		}
		if limited >= maxRateLimited {
			return fmt.Errorf("rate limited %d times in a row: %w", limited, err)
		}
	}
}

// take takes a slot of the room's limit, then of the workspace's, waiting
// for each as long as budget allows.
func (pg *Pager) take(ctx context.Context, to Recipient, budget time.Duration, waited *time.Duration) error {
	if pg.limits == nil {
		return nil
	}
	for _, l := range []struct {
		scope string
		rate  policies.Rate
	}{{to.Name(), pg.p.RoomRate}, {"workspace", pg.p.WorkspaceRate}} {
		if l.rate.Events <= 0 {
			continue
		}
		for {
			ok, wait, err := pg.limits.Allow(ctx, pg.limitName(l.scope), l.rate.Events, l.rate.Per, 1)
			if err != nil {
				return err
			}
			if ok {
				break
			}
			if err := pg.wait(ctx, wait, budget, waited); err != nil {
				return err
			}
		}
	}
	return nil
}

// wait sleeps d when the budget allows it, and otherwise says when to come
// back: pagers.Later for a page (the engine gives the send back), which
// the event consumers also read as a Retry-After.
func (pg *Pager) wait(ctx context.Context, d, budget time.Duration, waited *time.Duration) error {
	if *waited+d > budget {
		return pagers.Later(fmt.Errorf("%s rate limit: next message in %s", pg.p.Name, d.Round(time.Millisecond)), d)
	}
	*waited += d
	return pg.sleep(ctx, d)
}
