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

// Told is how a notice went.
type Told struct {
	// Sent: it went out now (or had before, under the same key); Channel
	// is how, when now.
	Sent    bool
	Channel string
	// Failure says why it did not go out (every channel failed, or the
	// channel cannot send); "" when it did.
	Failure string
	// Retry, when not zero, is when to try again: another replica holds
	// the same notice, or the destination's rate limit is spent.
	Retry time.Time
}

// Recipient is whom a notice is for: a person, or a channel's own
// destination (a room, a webhook), or an address on a channel (a mailing
// list).
type Recipient struct {
	User        *policies.User
	Channel     string
	Destination string
	Address     string
}

// String names the recipient for facts and logs.
func (r Recipient) String() string {
	switch {
	case r.User != nil:
		return r.User.Name
	case r.Destination != "":
		return r.Channel + ":" + r.Destination
	}
	return r.Address
}

// Facts are the kinds of fact a notice leaves: OK when it went out ("":
// none, the caller sums up), Failed when it could not.
type Facts struct{ OK, Failed incident.Kind }

// Notifier tells one person something about an incident, once per key
// across replicas, leaving a fact of kind that says whom and why: what
// duties (incident command, post-mortems) are given, Engine.Notify in
// production.
type Notifier func(ctx context.Context, cfg *policies.Config, id int64, key string, user *policies.User,
	n pagers.Notification, kind incident.Kind, why string) (Told, error)

// Notify tells one person something about an incident (Tell), leaving a
// fact of kind, or of KindNotifyFailed when every channel failed.
func (e *Engine) Notify(ctx context.Context, cfg *policies.Config, id int64, key string, user *policies.User, n pagers.Notification, kind incident.Kind, why string) (Told, error) {
	return e.Tell(ctx, cfg, id, key, Recipient{User: user}, n, Facts{OK: kind, Failed: incident.KindNotifyFailed}, why)
}

// Tell sends n about incident id to a recipient once per key, however
// often it is called and however many replicas call it. A person is told
// through the channel of their first notification rule — a text rather
// than a call for a channel that sends notices elsewhere — falling back
// through their other channels as a page does; a destination or an
// address through its channel, without fallback. n carries the incident
// and what to say; its key, channel and address are filled in. A failure
// is recorded (facts.Failed) and reported in Told, not returned: the
// caller goes on with its other recipients. Only the store's errors are
// errors.
func (e *Engine) Tell(ctx context.Context, cfg *policies.Config, id int64, key string, to Recipient, n pagers.Notification, facts Facts, why string) (Told, error) {
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
	n.Key = key
	if n.Event != nil && n.Event.ID == "" {
		// A notice's own event (a manager wanted) is not on the stream:
		// its key names it, for channels that reply per event.
		ev := *n.Event
		ev.ID = key
		n.Event = &ev
	}
	sendCtx, cancel := context.WithTimeout(ctx, e.SendTimeout)
	defer cancel()
	release := e.keepSend(sendCtx, id, key)
	var (
		channel  string
		failures []string
		later    time.Duration
	)
	switch {
	case to.User != nil:
		n.User = to.User.Name
		via := ""
		if rules := to.User.NotifyRules(); len(rules) > 0 {
			via = rules[0].Via
		}
		// A notice, not a page: through the channel the first rule's
		// channel sends notices through (a text, not a call), when it can.
		if r := noticeRoute(cfg, e.Pagers(), incident.Reached{User: to.User.Name, Channel: via}); r.Channel != "" {
			via = r.Channel
		}
		var reached *incident.Reached
		_, reached, failures = e.send(sendCtx, n, to.User, via)
		if reached != nil {
			channel = reached.Channel
		}
	case to.Destination != "":
		n.Destination = to.Destination
		var reached *incident.Reached
		_, reached, failures, later = e.sendTo(sendCtx, cfg, n, to.Channel)
		if reached != nil {
			channel = reached.Channel
		}
	default:
		n.Channel, n.Address = to.Channel, to.Address
		p, ok := e.Pagers()[to.Channel]
		if !ok {
			// An address of a channel with no provider set (a mailing
			// list, and no SMTP server): the console prints it, the last
			// resort people have too, so a local setup shows who would
			// hear what instead of an error.
			if p, ok = e.Pagers()["console"]; ok {
				n.Channel = "console"
			}
		}
		if !ok {
			failures = append(failures, to.Channel+" is not configured")
		} else if _, err := p.Send(sendCtx, n); err != nil {
			failures = append(failures, fmt.Sprintf("%s failed: %v", to.Channel, err))
		} else {
			channel = n.Channel
		}
	}
	release()
	rec, done := recordContext(ctx)
	defer done()
	if channel == "" && (ctx.Err() != nil || later > 0) {
		// Cut short by a stopping replica, or held by a rate limit: give
		// it back, to be sent later.
		told := Told{}
		if later > 0 {
			told.Retry = now.Add(later)
		}
		return told, e.Store.ReleaseSend(rec, id, key, e.Owner)
	}
	res := store.SendResult{Key: key, Receipt: "sent", Kind: facts.OK}
	if channel == "" {
		failure := strings.Join(failures, "; ")
		res.Receipt, res.Kind = "failed", facts.Failed
		res.Detail = fmt.Sprintf("could not tell %s (%s): %s", to, why, failure)
		e.Log.Error("incident notice failed", "incident", id, "to", to.String(), "why", why, "failures", failures)
		return Told{Failure: failure}, e.Store.FinishSend(rec, id, res)
	}
	res.Detail = fmt.Sprintf("told %s via %s: %s", to, channel, why)
	e.Log.Info("incident notice sent", "incident", id, "to", to.String(), "channel", channel, "why", why)
	return Told{Sent: true, Channel: channel}, e.Store.FinishSend(rec, id, res)
}
