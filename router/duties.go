package router

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Duty is work an incident needs from the engine besides its escalation:
// incident command's clocks (a manager to find, a status update due). The
// engine runs every duty on each wake-up of an incident, under the
// incident's claim, so a duty runs on one replica at a time, at the time
// it is due on the store's clock.
type Duty interface {
	// Due does what is due for inc at now and returns when it next needs
	// to run (zero: not until the incident changes, which wakes it).
	Due(ctx context.Context, cfg *policies.Config, inc *incident.Incident, now time.Time) (time.Time, error)
}

// runDuties runs the engine's duties for inc and returns the earliest of
// next and the times they ask to run again. A failing duty is logged and
// retried at the next poll; it never holds the incident's paging back.
func (e *Engine) runDuties(ctx context.Context, cfg *policies.Config, inc *incident.Incident, now, next time.Time) time.Time {
	for _, d := range e.Duties {
		at, err := d.Due(ctx, cfg, inc, now)
		if err != nil {
			e.Log.Error("incident duty failed; trying again at the next poll", "incident", inc.ID, "err", err)
			at = now.Add(e.Poll)
		}
		next = earliest(next, at)
	}
	return next
}

// Told is how a notice from a duty went.
type Told struct {
	// Sent: it went out now (or had before, under the same key); Channel
	// is how, when now.
	Sent    bool
	Channel string
	// Retry, when not zero, is when to try again: another replica holds
	// the same notice.
	Retry time.Time
}

// Notify tells one person something about an incident, once per key
// however often it is called and however many replicas call it: through
// the channel of their first notification rule — a text rather than a
// call for a channel that sends notices elsewhere — falling back through
// their other channels as a page does. n carries the incident and what to
// say (KindUpdate with an Event); its channel and address are filled in.
// It leaves a fact of kind on the incident's timeline saying whom it told
// and why, or KindNotifyFailed when every channel failed.
func (e *Engine) Notify(ctx context.Context, cfg *policies.Config, id int64, key string, user *policies.User, n pagers.Notification, kind incident.Kind, why string) (Told, error) {
	e.defaults()
	now, err := e.Store.Now(ctx)
	if err != nil {
		return Told{}, err
	}
	state, left, err := e.Store.ClaimSend(ctx, id, store.AnyStatus, -1, key, e.Lease, e.Owner)
	switch {
	case err != nil:
		return Told{}, err
	case state == store.SendDone:
		return Told{Sent: true}, nil
	case state == store.SendBusy:
		return Told{Retry: now.Add(left)}, nil
	case state == store.SendStale:
		return Told{}, nil // the incident is gone
	}
	n.Key, n.User = key, user.Name
	via := ""
	if rules := user.NotifyRules(); len(rules) > 0 {
		via = rules[0].Via
	}
	// A notice, not a page: through the channel the first rule's channel
	// sends notices through (a text, not a call), when it can.
	if r := noticeRoute(cfg, e.Pagers(), incident.Reached{User: user.Name, Channel: via}); r.Channel != "" {
		via = r.Channel
	}
	sendCtx, cancel := context.WithTimeout(ctx, e.SendTimeout)
	defer cancel()
	release := e.keepSend(sendCtx, id, key)
	_, reached, failures := e.send(sendCtx, n, user, via)
	release()
	rec, done := recordContext(ctx)
	defer done()
	res := store.SendResult{Key: key, Receipt: "sent", Kind: kind}
	if reached == nil {
		if ctx.Err() != nil {
			return Told{}, e.Store.ReleaseSend(rec, id, key, e.Owner)
		}
		res.Receipt, res.Kind = "failed", incident.KindNotifyFailed
		res.Detail = fmt.Sprintf("could not tell %s (%s): %s", user.Name, why, strings.Join(failures, "; "))
		e.Log.Error("incident notice failed on every channel", "incident", id, "to", user.Name, "why", why, "failures", failures)
		return Told{}, e.Store.FinishSend(rec, id, res)
	}
	res.Detail = fmt.Sprintf("told %s via %s: %s", user.Name, reached.Channel, why)
	e.Log.Info("incident notice sent", "incident", id, "to", user.Name, "channel", reached.Channel, "why", why)
	return Told{Sent: true, Channel: reached.Channel}, e.Store.FinishSend(rec, id, res)
}
