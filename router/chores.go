package router

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// Chore is timed work that belongs to no incident — reminding the owners
// of overdue action items, whose incidents may be long gone. It has a
// timer of its own among the incidents' (named by Name), claimed like
// theirs, so one replica at a time runs it, when it is due on the
// store's clock; nothing polls for it.
type Chore interface {
	// Name names the chore's timer: the same on every replica.
	Name() string
	// Run does what is due at now and returns when it next needs to run
	// (zero: not until something schedules it, Store.ScheduleChore).
	Run(ctx context.Context, cfg *policies.Config, now time.Time) (time.Time, error)
}

// SyncChores gives every chore of this engine a timer, due now, unless it
// has one: a chore added to the daemon looks at once for work left from
// before.
func (e *Engine) SyncChores(ctx context.Context) error {
	now, err := e.Store.Now(ctx)
	if err != nil {
		return err
	}
	for _, c := range e.Chores {
		if err := e.Store.ScheduleChore(ctx, c.Name(), now); err != nil {
			return err
		}
	}
	return nil
}

// runChore runs the chore named name; one this daemon does not know
// (another version's) is left to the replicas that do, an hour later.
func (e *Engine) runChore(ctx context.Context, name string, now time.Time) (time.Time, error) {
	for _, c := range e.Chores {
		if c.Name() == name {
			return c.Run(ctx, e.Config(), now)
		}
	}
	return now.Add(time.Hour), nil
}

// NotifyPerson tells one person something that is not a page, once per key
// within ttl however many replicas try: through the channel of their
// first notification rule (a text rather than a call), falling back
// through their other channels. Unlike Notify and Tell it needs no incident, and
// leaves no fact: the caller records what it wants where it belongs. A
// replica that dies between the claim and the send loses that notice
// rather than risking a second one: a reminder, not a page.
func (e *Engine) NotifyPerson(ctx context.Context, cfg *policies.Config, key string, ttl time.Duration, user *policies.User, n pagers.Notification) (Told, error) {
	e.defaults()
	won, err := e.Store.Once(ctx, "tell:"+key, ttl)
	if err != nil || !won {
		return Told{Sent: !won}, err
	}
	n.Key, n.User = key, user.Name
	via := ""
	if rules := user.NotifyRules(); len(rules) > 0 {
		via = rules[0].Via
	}
	if n.Channel != "" {
		via = n.Channel // the caller's choice, when the person has it
	}
	if r := noticeRoute(cfg, e.Pagers(), incident.Reached{User: user.Name, Channel: via}); r.Channel != "" {
		via = r.Channel
	}
	sendCtx, cancel := context.WithTimeout(ctx, e.SendTimeout)
	defer cancel()
	_, reached, failures := e.send(sendCtx, n, user, via)
	if reached == nil {
		e.Log.Error("notice failed on every channel", "to", user.Name, "key", key, "failures", failures)
		return Told{}, fmt.Errorf("could not tell %s: %s", user.Name, strings.Join(failures, "; "))
	}
	e.Log.Info("notice sent", "to", user.Name, "channel", reached.Channel, "key", key)
	return Told{Sent: true, Channel: reached.Channel}, nil
}
