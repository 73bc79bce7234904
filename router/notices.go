package router

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
	"github.com/pagerd/pagerd/schedules"
)

// notifyFYI tells everyone who was paged for the incident that it was
// acknowledged or resolved — once each, not the person who did it, through
// the channel that reached them (or the one that channel sends notices
// through: a text rather than another call). A destination that subscribes
// to the service's events hears it from those instead, and a page whose
// message follows its incident (chat) is edited to say so. Each notice is
// bounded like a page. It returns when to look again for a notice another
// replica holds (zero: none), so a replica that dies mid-notice does not
// lose it.
func (e *Engine) notifyFYI(ctx context.Context, cfg *policies.Config, inc *incident.Incident, kind pagers.Kind, actor string, now time.Time) (time.Time, error) {
	f := fyi{kind: kind, actor: actor, status: incident.Resolved, run: -1, fact: incident.KindResolvedNotice,
		key: fmt.Sprintf("%d:%s:%d", inc.ID, kind, inc.Run)}
	if kind == pagers.KindAcknowledged {
		f.status, f.run, f.fact = incident.Acknowledged, inc.Run, incident.KindAckNotice
	}
	return e.tell(ctx, cfg, inc, f, now)
}

// fyi is a notice everyone paged for an incident is sent once: nobody is
// asked to act on it.
type fyi struct {
	kind  pagers.Kind
	actor string          // who did what it reports: they are not told
	event *incident.Event // what a KindUpdate reports
	// status and run are what the incident must still be when the notice
	// goes out (run -1: any); else it is stale and not sent.
	status incident.Status
	run    int
	key    string        // the notices' idempotency key, before recipient and channel
	fact   incident.Kind // the timeline fact of a notice sent
}

// tell sends f to everyone the incident's pages reached, as notifyFYI
// says.
func (e *Engine) tell(ctx context.Context, cfg *policies.Config, inc *incident.Incident, f fyi, now time.Time) (time.Time, error) {
	reached, err := e.Store.Notified(ctx, inc.ID)
	if err != nil {
		return time.Time{}, err
	}
	available := e.Pagers()
	subscribed := map[policies.Target]bool{}
	if svc := cfg.Service(inc.Service); svc != nil {
		for _, t := range svc.Subscribers {
			subscribed[t] = true
		}
	}
	var (
		mu    sync.Mutex
		retry time.Time
		g     errgroup.Group
	)
	g.SetLimit(e.Parallel)
	for _, r := range reached {
		if r.User != "" && r.User == f.actor {
			continue
		}
		if r.Destination != "" && subscribed[policies.Target{Kind: r.Channel, Name: r.Destination}] {
			continue
		}
		if ch := pagers.Lookup(r.Channel); ch != nil && ch.Follows {
			continue // the message that paged them says so itself (router/events.Follow)
		}
		r = noticeRoute(cfg, available, r)
		g.Go(func() error {
			key := f.key + ":" + r.Who() + ":" + r.Channel
			state, left, err := e.Store.ClaimSend(ctx, inc.ID, f.status, f.run, key, e.Lease, e.Owner)
			if err != nil {
				return err
			}
			if state == store.SendBusy {
				mu.Lock()
				retry = earliest(retry, now.Add(left))
				mu.Unlock()
			}
			if state != store.SendClaimed {
				return nil
			}
			pager, ok := available[r.Channel]
			if !ok {
				pager = available["console"]
			}
			n := pagers.Notification{
				Key: key, Kind: f.kind, Channel: r.Channel, User: r.User, Destination: r.Destination,
				Address: r.Address, Incident: pagers.IncidentOf(inc), Actor: f.actor, Event: f.event,
			}
			if u := cfg.Users[r.User]; u != nil {
				n.Location = u.Location
			}
			sendCtx, cancel := context.WithTimeout(ctx, e.SendTimeout)
			defer cancel()
			release := e.keepSend(sendCtx, inc.ID, key)
			res := store.SendResult{Key: key, Receipt: "sent", Kind: f.fact, Detail: "told " + r.Who() + " via " + r.Channel}
			_, err = pager.Send(sendCtx, n)
			release()
			if err == nil || ctx.Err() == nil {
				e.Metrics.Notice(r.Channel, provider(r.Channel), err)
			}
			rec, done := recordContext(ctx)
			defer done()
			switch {
			case err != nil && ctx.Err() != nil:
				// Cut short by a stopping replica: another sends it.
				return errors.Join(ctx.Err(), e.Store.ReleaseSend(rec, inc.ID, key, e.Owner))
			case err != nil:
				res.Receipt, res.Kind = "failed", incident.KindNotifyFailed
				what := string(f.kind)
				if f.event != nil {
					what = string(f.event.Kind)
				}
				res.Detail = fmt.Sprintf("%s notice to %s via %s failed: %v", what, r.Who(), r.Channel, err)
			}
			return e.Store.FinishSend(rec, inc.ID, res)
		})
	}
	return retry, g.Wait()
}

// noticeRoute is how a notice reaches someone a page reached: through the
// channel the page's channel sends notices through (a text after a call),
// when that one can send and has an address for them; else the same way.
func noticeRoute(cfg *policies.Config, available pagers.Set, r incident.Reached) incident.Reached {
	ch := pagers.Lookup(r.Channel)
	if ch == nil || ch.NoticeVia == "" || r.User == "" {
		return r
	}
	via := pagers.Lookup(ch.NoticeVia)
	user := cfg.Users[r.User]
	if _, ok := available[ch.NoticeVia]; !ok || via == nil || user == nil || via.AddressOf(user) == "" {
		return r
	}
	r.Channel, r.Address = via.Name, via.AddressOf(user)
	return r
}

// shiftEndHorizon is how far past a shift's start SendShiftNotices looks
// for its end; a shift longer than that is announced without one.
const shiftEndHorizon = 35 * 24 * time.Hour

// SendShiftNotices sends every shift notice that is due now: for each user
// who opted in, a notice Before each shift of theirs starts, in any
// schedule. Every replica may call it at any time; a notice goes out once
// per (schedule, user, shift start, notice) because the first replica to
// claim its key in Redis sends it. A notice whose time passed while no
// replica ran still goes out, as long as the shift has not started.
//
// The claim comes before the send: a replica that dies in between loses
// that notice rather than risking a second one. It is a reminder, not a
// page.
func (e *Engine) SendShiftNotices(ctx context.Context) error {
	cfg := e.Config()
	var lookahead time.Duration
	for _, u := range cfg.Users {
		for _, sn := range u.ShiftNotices {
			lookahead = max(lookahead, sn.Before)
		}
	}
	if lookahead == 0 {
		return nil
	}
	now, err := e.Store.Now(ctx)
	if err != nil {
		return fmt.Errorf("shift notices: %w", err)
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg.Schedules)) {
		sched := cfg.Schedules[name]
		// ShiftStarts is half-open; the extra nanosecond takes in a shift
		// starting exactly lookahead from now.
		for _, sh := range sched.ShiftStarts(now, now.Add(lookahead+time.Nanosecond)) {
			user := cfg.Users[sh.User]
			if user == nil || !sh.Start.After(now) {
				continue
			}
			for _, sn := range user.ShiftNotices {
				if sh.Start.Add(-sn.Before).After(now) {
					continue // not yet
				}
				if err := e.sendShiftNotice(ctx, name, sched, sh, user, sn, now); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// sendShiftNotice claims one notice and, if this replica won it, sends it.
// The key carries the notice's lead as well as its channel, so a user who
// asks for two reminders by SMS (a day and an hour before) gets both.
func (e *Engine) sendShiftNotice(ctx context.Context, name string, sched *schedules.Schedule, sh schedules.Shift, user *policies.User, sn policies.ShiftNotice, now time.Time) error {
	key := fmt.Sprintf("shift:%s:%s:%d:%s:%s", name, user.Name, sh.Start.Unix(), sn.Before, sn.Via)
	won, err := e.Store.Once(ctx, key, sn.Before+24*time.Hour)
	if err != nil {
		return fmt.Errorf("shift notice to %s: %w", user.Name, err)
	}
	if !won {
		return nil
	}
	// In the user's own zone when they set one: a Berlin engineer on a
	// New York schedule reads her shift in Berlin time.
	loc := sched.Location
	if user.Location != nil {
		loc = user.Location
	}
	if loc == nil {
		loc = time.UTC
	}
	n := pagers.Notification{
		Key: key, Kind: pagers.KindShiftNotice, User: user.Name,
		Shift: &pagers.ShiftInfo{
			Schedule: name, Start: sh.Start, End: shiftEnd(sched, sh),
			StartsIn: sh.Start.Sub(now), Location: loc,
		},
	}
	// The channel the user asked for; the console when it has no provider
	// or the user no address for it. A failed send is not retried through
	// other channels: a reminder is not worth a phone call.
	channel := sn.Via
	pager, ok := e.Pagers()[channel]
	address := ""
	if ch := pagers.Lookup(channel); ch != nil {
		address = ch.AddressOf(user)
	}
	if !ok || address == "" {
		e.Log.Warn("shift notice channel unavailable; printing it to the console instead",
			"user", user.Name, "via", sn.Via, "has_provider", ok, "has_address", address != "")
		channel, address = "console", user.Name
		if pager, ok = e.Pagers()[channel]; !ok {
			return fmt.Errorf("shift notice %s: no console pager", key)
		}
	}
	n.Channel, n.Address = channel, address
	receipt, err := pager.Send(ctx, n)
	e.Metrics.Notice(channel, provider(channel), err)
	if err != nil {
		e.Log.Error("shift notice failed", "user", user.Name, "schedule", name, "start", sh.Start, "channel", channel, "err", err)
		return fmt.Errorf("shift notice to %s via %s: %w", user.Name, channel, err)
	}
	e.Log.Info("shift notice sent", "user", user.Name, "schedule", name, "start", sh.Start,
		"before", sn.Before, "via", sn.Via, "channel", channel, "provider_id", receipt.ProviderID)
	return nil
}

// shiftEnd is when the unbroken stretch of sh.User on call that begins at
// sh.Start ends (ShiftStarts clips it to its window); zero when that is
// more than shiftEndHorizon away.
func shiftEnd(sched *schedules.Schedule, sh schedules.Shift) time.Time {
	limit := sh.Start.Add(shiftEndHorizon)
	for _, full := range sched.ShiftStarts(sh.Start, limit) {
		if full.User == sh.User && full.Start.Equal(sh.Start) {
			if full.End.Before(limit) {
				return full.End
			}
			break
		}
	}
	return time.Time{}
}
