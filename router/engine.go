package router

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Engine runs escalations. Each incident has one timer in Redis; whichever
// replica claims it first works out, from the incident's state and the
// policy, what is due now, sends it, and sets the next wake-up. Nothing is
// kept in memory between wake-ups, so any replica can take over any incident.
type Engine struct {
	Store  *store.Store
	Config func() *policies.Config
	// Pagers returns the pagers by channel ("sms", "email", "console", ...)
	// for the current config. Channels without a configured provider are
	// absent; "console" is always present.
	Pagers func() map[string]pagers.Pager
	// Link returns a signed URL that lets user act on an incident.
	Link  func(id int64, action, user string) string
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

	busy := make(chan struct{}, e.Parallel) // one token per working worker
	freed := make(chan struct{}, 1)
	failures := 0
	for {
		wait := e.Poll
		if free := e.Parallel - len(busy); free > 0 {
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
					busy <- struct{}{}
					wg.Go(func() {
						defer func() {
							<-busy
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

// process does what is due for one incident at now and returns when it
// next needs attention (zero: never, unless something changes).
func (e *Engine) process(ctx context.Context, id int64, now time.Time) (time.Time, error) {
	e.defaults()
	inc, err := e.Store.Incident(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	cfg := e.Config()

	if inc.Status != store.StatusResolved {
		if end := inc.NextAlertEnd(); !end.IsZero() && !end.After(now) {
			_, err := e.Store.ExpireAlerts(ctx, id, cfg.Settings.ResolvedRetention)
			if err != nil {
				return time.Time{}, err
			}
			if inc, err = e.Store.Incident(ctx, id); err != nil {
				return time.Time{}, err
			}
		}
	}

	var next time.Time
	switch inc.Status {
	case store.StatusResolved:
		return e.notifyFYI(ctx, inc, pagers.KindResolved, inc.ResolvedBy, now)
	case store.StatusAcknowledged:
		if next, err = e.notifyFYI(ctx, inc, pagers.KindAcknowledged, inc.AckedBy, now); err != nil {
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
	case store.StatusTriggered:
		if next, err = e.escalate(ctx, cfg, inc, now); err != nil {
			return time.Time{}, err
		}
	}
	return earliest(next, inc.NextAlertEnd()), nil
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

// reachedStep is one escalation step that has started in the current run.
type reachedStep struct {
	round, index int
	start        time.Time
	users        []string
}

// plan walks the policy from the run's start: every step that has begun by
// now, with the people it reaches, and when the next step begins (zero:
// the policy is exhausted). A step whose targets reach nobody (a schedule
// gap) is passed through at once rather than paging nobody.
func plan(cfg *policies.Config, pol *policies.Escalation, runStart, now time.Time) ([]reachedStep, time.Time) {
	var reached []reachedStep
	start := runStart
	for round := 0; round <= pol.Repeat; round++ {
		for i, step := range pol.Steps {
			switch {
			case round > 0 && i == 0:
				start = start.Add(max(pol.RepeatAfter, time.Minute))
			case !(round == 0 && i == 0) && len(reached) > 0 && len(reached[len(reached)-1].users) == 0:
				// fall through: the previous step reached nobody
			default:
				start = start.Add(step.After)
			}
			if start.After(now) {
				return reached, start
			}
			reached = append(reached, reachedStep{round: round, index: i, start: start, users: stepUsers(cfg, step, start)})
		}
	}
	return reached, time.Time{}
}

func stepUsers(cfg *policies.Config, step policies.EscalationStep, at time.Time) []string {
	seen := map[string]bool{}
	var users []string
	for _, t := range step.Targets {
		for _, u := range cfg.UsersFor(t, at) {
			if !seen[u] {
				seen[u] = true
				users = append(users, u)
			}
		}
	}
	return users
}

// delivery is one personal notification that is due.
type delivery struct {
	key  string
	user *policies.User
	via  string
}

// escalate sends every personal notification that is due in the current
// run, several at a time, and returns when the next one (or the next step)
// is due.
func (e *Engine) escalate(ctx context.Context, cfg *policies.Config, inc *store.Incident, now time.Time) (time.Time, error) {
	pol := cfg.Escalation(inc.Escalation)
	if pol == nil || len(pol.Steps) == 0 {
		if inc.Service != UnroutedService {
			e.Log.Warn("incident has no escalation policy in the current config; nobody paged",
				"incident", inc.ID, "escalation", inc.Escalation)
		}
		return time.Time{}, nil
	}
	done, err := e.Store.SendsDone(ctx, inc.ID)
	if err != nil {
		return time.Time{}, err
	}
	stepIDs := stepIdentities(pol)
	reached, next := plan(cfg, pol, inc.RunAt, now)
	var due []delivery
	for _, st := range reached {
		// Keys name steps and rules by what they are, not where they stand,
		// so editing a policy mid-incident does not page again for steps
		// that already ran.
		stepKey := fmt.Sprintf("%d:%d:%d:%s", inc.ID, inc.Run, st.round, stepIDs[st.index])
		if len(st.users) == 0 {
			if ok, err := e.Store.Once(ctx, stepKey+":empty", cfg.Settings.ResolvedRetention+30*24*time.Hour); err == nil && ok {
				_ = e.Store.Append(ctx, inc.ID, "step_empty",
					fmt.Sprintf("step %d reaches nobody at %s; escalating to the next step", st.index+1, st.start.Format(time.RFC3339)))
			}
		}
		for _, name := range st.users {
			user := cfg.Users[name]
			if user == nil {
				continue
			}
			for _, rule := range rulesOf(user) {
				at := st.start.Add(rule.After)
				if at.After(now) {
					next = earliest(next, at)
					continue
				}
				key := fmt.Sprintf("%s:%s:%s@%s", stepKey, name, rule.Via, rule.After)
				if !done[key] {
					due = append(due, delivery{key: key, user: user, via: rule.Via})
				}
			}
		}
	}

	var (
		mu    sync.Mutex
		stale bool
		g     errgroup.Group
	)
	g.SetLimit(e.Parallel)
	for _, d := range due {
		g.Go(func() error {
			retry, isStale, err := e.deliver(ctx, inc, d, now)
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
	return next, nil
}

// stepIdentities names each step of a policy by its content (delay and
// targets); identical steps are told apart by their occurrence.
func stepIdentities(pol *policies.Escalation) []string {
	ids := make([]string, len(pol.Steps))
	seen := map[string]int{}
	for i, step := range pol.Steps {
		h := fnv.New32a()
		fmt.Fprint(h, step.After)
		for _, t := range step.Targets {
			fmt.Fprint(h, "|", t.String())
		}
		id := fmt.Sprintf("%08x", h.Sum32())
		if n := seen[id]; n > 0 {
			ids[i] = fmt.Sprintf("%s.%d", id, n)
		} else {
			ids[i] = id
		}
		seen[id]++
	}
	return ids
}

// rulesOf returns a user's notification rules, or the obvious one when
// they have none: SMS if they have a phone, else email, else the console.
func rulesOf(u *policies.User) []policies.NotifyRule {
	if len(u.Rules) > 0 {
		return u.Rules
	}
	switch {
	case u.Phone != "":
		return []policies.NotifyRule{{Via: "sms"}}
	case u.Email != "":
		return []policies.NotifyRule{{Via: "email"}}
	}
	return []policies.NotifyRule{{Via: "console"}}
}

// deliver sends one page under its idempotency key: through the channel
// the rule names, then — when that provider keeps failing or is not
// configured — through the user's other channels, console last. It returns
// when to look again if another replica holds the send, and stale when the
// incident is no longer in the state that wanted this page.
//
// The send is bounded by SendTimeout, shorter than the claim's lease, so a
// slow provider cannot outlive the claim and be sent again by another
// replica; and it is cancelled as soon as someone acknowledges.
func (e *Engine) deliver(ctx context.Context, inc *store.Incident, d delivery, now time.Time) (retry time.Time, stale bool, err error) {
	state, left, err := e.Store.ClaimSend(ctx, inc.ID, store.StatusTriggered, inc.Run, d.key, e.Lease, e.Owner)
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
	n := pagers.Notification{
		Key: d.key, Kind: pagers.KindPage, User: d.user.Name,
		Incident:     e.summary(inc),
		AckURL:       e.Link(inc.ID, "ack", d.user.Name),
		AckReply:     "ack " + strconv.FormatInt(inc.ID, 10),
		ResolveReply: "resolve " + strconv.FormatInt(inc.ID, 10),
	}
	sendCtx, cancel := context.WithTimeout(ctx, e.SendTimeout)
	defer cancel()
	stopped := e.cancelWhenHandled(sendCtx, cancel, inc)
	receipt, channel, address, failures := e.send(sendCtx, n, d.user, d.via)
	if channel == "" {
		detail := fmt.Sprintf("could not reach %s: %s", d.user.Name, strings.Join(failures, "; "))
		if stopped.Load() {
			detail = fmt.Sprintf("stopped paging %s: the incident was handled meanwhile", d.user.Name)
		} else {
			e.Log.Error("page failed on every channel", "incident", inc.ID, "user", d.user.Name, "failures", failures)
		}
		return time.Time{}, stopped.Load(), e.Store.FinishSend(ctx, inc.ID, d.key, "failed", "notify_failed", detail, "")
	}
	detail := fmt.Sprintf("paged %s via %s", d.user.Name, channel)
	if receipt.ProviderID != "" {
		detail += " (" + receipt.ProviderID + ")"
	}
	if len(failures) > 0 {
		detail += " after " + strings.Join(failures, "; ")
	}
	e.Log.Info("paged", "incident", inc.ID, "user", d.user.Name, "channel", channel, "provider_id", receipt.ProviderID)
	return time.Time{}, false, e.Store.FinishSend(ctx, inc.ID, d.key, channel+":"+receipt.ProviderID,
		"notified", detail, d.user.Name+"|"+channel+"|"+address)
}

// cancelWhenHandled watches the incident while a page is being sent and
// cancels the send when it is acknowledged, resolved or re-run: retries and
// fallback channels must not ring someone whose page was already answered.
func (e *Engine) cancelWhenHandled(ctx context.Context, cancel context.CancelFunc, inc *store.Incident) *atomic.Bool {
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
			if err == nil && (status != store.StatusTriggered || run != inc.Run) {
				stopped.Store(true)
				cancel()
				return
			}
		}
	}()
	return &stopped
}

// send tries via, then the user's other channels. Each channel gets a fair
// share of the time left (ctx carries the page's deadline), so a provider
// that hangs uses up its share, not the whole page: the next channel still
// gets its turn. It returns the channel that worked (empty: none) and what
// failed on the way.
func (e *Engine) send(ctx context.Context, n pagers.Notification, user *policies.User, via string) (pagers.Receipt, string, string, []string) {
	var failures []string
	available := e.Pagers()
	var usable []string
	for _, ch := range channelOrder(via) {
		if _, ok := available[ch]; ok && addressOf(user, ch) != "" {
			usable = append(usable, ch)
		}
	}
	for i, ch := range usable {
		if ctx.Err() != nil {
			failures = append(failures, "stopped: "+context.Cause(ctx).Error())
			break
		}
		address := addressOf(user, ch)
		n.Channel, n.Address = ch, address
		chCtx, cancel := ctx, context.CancelFunc(func() {})
		if deadline, ok := ctx.Deadline(); ok {
			share := time.Until(deadline) / time.Duration(len(usable)-i)
			chCtx, cancel = context.WithTimeout(ctx, share)
		}
		receipt, err := available[ch].Send(chCtx, n)
		cancel()
		if err == nil {
			if ch != via {
				failures = append(failures, via+" unavailable")
			}
			return receipt, ch, address, failures
		}
		failures = append(failures, fmt.Sprintf("%s failed: %v", ch, err))
		e.Log.Warn("notification failed; trying the next channel", "user", user.Name, "channel", ch, "err", err)
	}
	return pagers.Receipt{}, "", "", failures
}

func channelOrder(via string) []string {
	order := []string{via}
	for _, ch := range []string{"sms", "voice", "email", "console"} {
		if ch != via {
			order = append(order, ch)
		}
	}
	return order
}

func addressOf(u *policies.User, channel string) string {
	switch channel {
	case "sms", "voice":
		return u.Phone
	case "email":
		return u.Email
	case "console":
		return u.Name
	}
	return ""
}

func (e *Engine) summary(inc *store.Incident) pagers.Incident {
	return pagers.Incident{
		ID: inc.ID, Title: inc.Title, Summary: inc.Summary, Service: inc.Service,
		Status: inc.Status, Labels: inc.GroupLabels, AlertCount: inc.FiringCount,
		StartedAt: inc.CreatedAt, SourceURL: inc.SourceURL,
	}
}

// notifyFYI tells everyone who was paged for the incident that it was
// acknowledged or resolved — once each, not the person who did it, through
// the channel that reached them (a text rather than another call). Each
// notice is bounded like a page. It returns when to look again for a
// notice another replica holds (zero: none), so a replica that dies
// mid-notice does not lose it.
func (e *Engine) notifyFYI(ctx context.Context, inc *store.Incident, kind pagers.Kind, actor string, now time.Time) (time.Time, error) {
	reached, err := e.Store.Notified(ctx, inc.ID)
	if err != nil {
		return time.Time{}, err
	}
	available := e.Pagers()
	status, run := store.StatusResolved, -1
	if kind == pagers.KindAcknowledged {
		status, run = store.StatusAcknowledged, inc.Run
	}
	var (
		mu    sync.Mutex
		retry time.Time
		g     errgroup.Group
	)
	g.SetLimit(e.Parallel)
	for _, who := range reached {
		parts := strings.SplitN(who, "|", 3)
		if len(parts) != 3 || parts[0] == actor {
			continue
		}
		name, channel, address := parts[0], parts[1], parts[2]
		if channel == "voice" {
			if _, ok := available["sms"]; ok {
				channel = "sms"
			}
		}
		g.Go(func() error {
			key := fmt.Sprintf("%d:%s:%d:%s:%s", inc.ID, kind, inc.Run, name, channel)
			state, left, err := e.Store.ClaimSend(ctx, inc.ID, status, run, key, e.Lease, e.Owner)
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
			pager, ok := available[channel]
			if !ok {
				pager = available["console"]
			}
			n := pagers.Notification{
				Key: key, Kind: kind, Channel: channel, User: name, Address: address,
				Incident: e.summary(inc), Actor: actor,
			}
			sendCtx, cancel := context.WithTimeout(ctx, e.SendTimeout)
			defer cancel()
			result, event, detail := "sent", string(kind)+"_notice", "told "+name+" via "+channel
			if _, err := pager.Send(sendCtx, n); err != nil {
				result, event, detail = "failed", "notify_failed", fmt.Sprintf("%s notice to %s via %s failed: %v", kind, name, channel, err)
			}
			return e.Store.FinishSend(ctx, inc.ID, key, result, event, detail, "")
		})
	}
	return retry, g.Wait()
}
