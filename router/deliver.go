package router

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/metrics"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/escalation"
	"github.com/pagerd/pagerd/router/store"
)

// deliver sends one notification under its idempotency key: to a person
// through the channel their rule names, then — when that provider keeps
// failing or is not configured — through their other channels, console
// last; to a destination through its channel. It returns when to look
// again if another replica holds the send, and stale when the incident is
// no longer in the state that wanted this page.
//
// The send is bounded by SendTimeout, shorter than the claim's lease, so a
// slow provider cannot outlive the claim and be sent again by another
// replica; and it is cancelled as soon as someone acknowledges.
func (e *Engine) deliver(ctx context.Context, cfg *policies.Config, inc *incident.Incident, d escalation.Delivery, now time.Time) (retry time.Time, stale bool, err error) {
	rounds := 1
	if pol := cfg.Escalation(inc.Escalation); pol != nil {
		rounds = pol.Repeat + 1
	}
	return e.page(ctx, cfg, inc, d, now, pageAs{fact: incident.KindNotified,
		where: fmt.Sprintf("at step %d, round %d of %d", d.Index+1, d.Round+1, rounds)})
}

// pageAs says what a page is, for its message and its timeline fact.
type pageAs struct {
	fact  incident.Kind // of a page that reached someone
	where string        // why them: "at step 2, round 1 of 2"
	// exhausted, when set, says the escalation ran out: the page goes to
	// a last resort.
	exhausted string
}

// page is deliver for any page made under an idempotency key while the
// incident pages: a step's, or a last resort's (exhausted.go).
func (e *Engine) page(ctx context.Context, cfg *policies.Config, inc *incident.Incident, d escalation.Delivery, now time.Time, as pageAs) (retry time.Time, stale bool, err error) {
	state, left, err := e.Store.ClaimSend(ctx, inc.ID, incident.Triggered, inc.Run, d.Key, e.Lease, e.Owner)
	if err != nil {
		return time.Time{}, false, err
	}
	switch state {
	case store.SendDone:
		return time.Time{}, false, nil
	case store.SendBusy:
		return now.Add(left), false, nil
	case store.SendStale:
		return time.Time{}, true, nil
	}
	n := pagers.Notification{Key: d.Key, Kind: pagers.KindPage, Incident: pagers.IncidentOf(inc)}
	n.Incident.Exhausted = as.exhausted
	who := d.Via + ":" + d.Destination
	if d.User != nil {
		who = d.User.Name
		lb := e.Links()
		n.User = d.User.Name
		n.Location = d.User.Location
		n.AckToken = lb.ActionToken(inc.ID, incident.Ack, d.User.Name)
		n.AckURL = lb.URL(links.ActionPath(n.AckToken))
		n.AckReply = "ack " + strconv.FormatInt(inc.ID, 10)
		n.ResolveReply = "resolve " + strconv.FormatInt(inc.ID, 10)
	} else {
		n.Destination = d.Destination
	}
	sendCtx, cancel := context.WithTimeout(ctx, e.SendTimeout)
	defer cancel()
	stopped := e.cancelWhenHandled(sendCtx, cancel, inc)
	release := e.keepSend(sendCtx, inc.ID, d.Key)
	var (
		receipt  pagers.Receipt
		reached  *incident.Reached
		failures []string
	)
	var later time.Duration
	if d.User != nil {
		receipt, reached, failures = e.send(sendCtx, n, d.User, d.Via)
	} else {
		receipt, reached, failures, later = e.sendTo(sendCtx, cfg, n, d.Via)
	}
	release()
	rec, done := recordContext(ctx)
	defer done()
	if reached == nil && later > 0 && ctx.Err() == nil && !stopped.Load() {
		// The destination's rate limit is spent (a room taking one message
		// a second): not a failure. Give the send back and come back when
		// the limit allows, rather than hold a worker others' pages need.
		e.Log.Info("destination rate-limited; sending later", "incident", inc.ID, "to", who, "in", later)
		return now.Add(later), false, e.Store.ReleaseSend(rec, inc.ID, d.Key, e.Owner)
	}
	if reached == nil && ctx.Err() != nil {
		// Cut short by a stopping replica, not failed: give the page back
		// for another replica to send at once.
		return time.Time{}, false, errors.Join(ctx.Err(), e.Store.ReleaseSend(rec, inc.ID, d.Key, e.Owner))
	}
	if reached == nil {
		detail := fmt.Sprintf("could not reach %s %s: %s", who, as.where, strings.Join(failures, "; "))
		if stopped.Load() {
			detail = fmt.Sprintf("stopped paging %s: the incident was handled meanwhile", who)
		} else {
			e.Metrics.Page(d.Via, provider(d.Via), metrics.PageUnreached)
			e.Log.Error("page failed on every channel", "incident", inc.ID, "to", who, "failures", failures)
		}
		return time.Time{}, stopped.Load(), e.Store.FinishSend(rec, inc.ID, store.SendResult{
			Key: d.Key, Receipt: "failed", Kind: incident.KindNotifyFailed, Detail: detail})
	}
	detail := fmt.Sprintf("paged %s via %s", who, reached.Channel)
	if receipt.ProviderID != "" {
		detail += " (" + receipt.ProviderID + ")"
	}
	detail += " " + as.where
	if len(failures) > 0 {
		detail += " after " + strings.Join(failures, "; ")
	}
	e.Log.Info("paged", "incident", inc.ID, "to", who, "channel", reached.Channel, "provider_id", receipt.ProviderID)
	return time.Time{}, false, e.Store.FinishSend(rec, inc.ID, store.SendResult{
		Key: d.Key, Receipt: reached.Channel + ":" + receipt.ProviderID, Kind: as.fact,
		Detail: detail, Reached: reached})
}

// keepSend renews the claim on the send under key until the returned func
// is called: a send may take longer than a lease, and must not be taken
// over while it lives.
func (e *Engine) keepSend(ctx context.Context, id int64, key string) func() {
	return e.renewing(ctx, func(ctx context.Context) (bool, error) {
		return e.Store.RenewSend(ctx, id, key, e.Owner, e.Lease)
	})
}

// cancelWhenHandled watches the incident while a page is being sent and
// cancels the send when it is acknowledged, resolved or re-run: retries and
// fallback channels must not ring someone whose page was already answered.
func (e *Engine) cancelWhenHandled(ctx context.Context, cancel context.CancelFunc, inc *incident.Incident) *atomic.Bool {
	var stopped atomic.Bool
	go func() {
		ticker := time.NewTicker(e.StatusPoll)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			status, run, err := e.Store.Status(ctx, inc.ID)
			if err == nil && (status != incident.Triggered || run != inc.Run) {
				stopped.Store(true)
				cancel()
				return
			}
		}
	}()
	return &stopped
}

// channelOrder is the channels to try for a person whose rule says via:
// via first, then every other channel that reaches people, by rank, that
// has a pager and an address for user.
func channelOrder(available pagers.Set, user *policies.User, via string) []*pagers.Channel {
	var order []*pagers.Channel
	if c := pagers.Lookup(via); c != nil {
		order = append(order, c)
	}
	for _, c := range pagers.All() {
		if c.Name != via {
			order = append(order, c)
		}
	}
	usable := order[:0]
	for _, c := range order {
		if _, ok := available[c.Name]; ok && c.ReachesPeople() && c.AddressOf(user) != "" {
			usable = append(usable, c)
		}
	}
	return usable
}

// send tries via, then the user's other channels. Each channel gets a fair
// share of the time left (ctx carries the page's deadline), so a provider
// that hangs uses up its share, not the whole page: the next channel still
// gets its turn. It returns who was reached (nil: nobody) and what failed
// on the way.
func (e *Engine) send(ctx context.Context, n pagers.Notification, user *policies.User, via string) (pagers.Receipt, *incident.Reached, []string) {
	var failures []string
	available := e.Pagers()
	usable := channelOrder(available, user, via)
	if len(usable) == 0 || usable[0].Name != via {
		e.countSend(n, via, metrics.PageFallback) // it cannot send: no provider, or no address
	}
	for i, ch := range usable {
		if ctx.Err() != nil {
			failures = append(failures, "stopped: "+context.Cause(ctx).Error())
			break
		}
		n.Channel, n.Address = ch.Name, ch.AddressOf(user)
		chCtx, cancel := ctx, context.CancelFunc(func() {})
		if deadline, ok := ctx.Deadline(); ok {
			share := time.Until(deadline) / time.Duration(len(usable)-i)
			chCtx, cancel = context.WithTimeout(ctx, share)
		}
		receipt, err := available[ch.Name].Send(chCtx, n)
		cancel()
		if err == nil {
			e.countSend(n, ch.Name, metrics.PageSent)
			if ch.Name != via {
				failures = append(failures, via+" unavailable")
			}
			return receipt, &incident.Reached{User: user.Name, Channel: ch.Name, Address: n.Address}, failures
		}
		if ctx.Err() == nil {
			// A page cut short (acknowledged meanwhile, a replica
			// stopping) did not fail on this channel.
			e.countSend(n, ch.Name, metrics.PageFailed)
			if i+1 < len(usable) {
				e.countSend(n, ch.Name, metrics.PageFallback)
			}
		}
		failures = append(failures, fmt.Sprintf("%s failed: %v", ch.Name, err))
		e.Log.Warn("notification failed; trying the next channel", "user", user.Name, "channel", ch.Name, "err", err)
	}
	return pagers.Receipt{}, nil, failures
}

// sendTo sends n to a channel's own destination. A destination the config
// switched off (its secret unset, say) prints to the console instead, so
// the page is seen somewhere. later, when not zero, is how long until the
// destination's rate limit lets the page through (pagers.Later).
func (e *Engine) sendTo(ctx context.Context, cfg *policies.Config, n pagers.Notification, channel string) (_ pagers.Receipt, _ *incident.Reached, _ []string, later time.Duration) {
	available := e.Pagers()
	n.Channel = channel
	p, ok := available[channel]
	if ch := pagers.Lookup(channel); ch != nil && ch.Block != "" && cfg.Named[ch.Block][n.Destination] == nil {
		ok = false
	}
	var failures []string
	sentVia := channel
	if !ok {
		failures = append(failures, channel+" unavailable")
		e.countSend(n, channel, metrics.PageFallback)
		p, sentVia = available["console"], "console"
	}
	receipt, err := p.Send(ctx, n)
	if wait, ok := pagers.LaterOf(err); ok {
		return pagers.Receipt{}, nil, append(failures, fmt.Sprintf("%s: %v", channel, err)), max(wait, time.Millisecond)
	}
	if err != nil {
		if ctx.Err() == nil {
			e.countSend(n, sentVia, metrics.PageFailed)
		}
		return pagers.Receipt{}, nil, append(failures, fmt.Sprintf("%s failed: %v", channel, err)), 0
	}
	e.countSend(n, sentVia, metrics.PageSent)
	return receipt, &incident.Reached{Destination: n.Destination, Channel: channel}, failures, 0
}

// countSend counts one outcome of n on channel: a page's, or a notice's
// (incident command's notices go through the same channels and fallback).
func (e *Engine) countSend(n pagers.Notification, channel, outcome string) {
	if n.Kind == pagers.KindPage {
		e.Metrics.Page(channel, provider(channel), outcome)
	} else {
		e.Metrics.NoticeOutcome(channel, provider(channel), outcome)
	}
}

// provider names who carries a channel's messages, for metrics: the
// config block that configures it ("twilio" for sms and voice, "smtp" for
// email), or the channel itself when it needs none (the console).
func provider(channel string) string {
	if ch := pagers.Lookup(channel); ch != nil && ch.Block != "" {
		return ch.Block
	}
	return channel
}
