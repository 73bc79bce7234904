package postmortem

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router"
	"github.com/pagerd/pagerd/router/store"
)

// Teller tells one person something once per key within ttl
// (router.Engine.NotifyPerson).
type Teller func(ctx context.Context, cfg *policies.Config, key string, ttl time.Duration, user *policies.User,
	n pagers.Notification) (router.Told, error)

// Reminders is the backlog's chore: it reminds the owner of each overdue
// action item when it becomes overdue and every ActionRemindEvery after
// (weekly by default), until it is done — long after its incident is
// gone. Its timer wakes it when the earliest reminder is due; adding an
// item with a due date brings that forward.
type Reminders struct {
	Store *store.Store
	Tell  Teller
	Log   *slog.Logger
}

var _ router.Chore = (*Reminders)(nil)

// remindBatch bounds the reminders of one run; the chore runs again at
// once when there are more.
const remindBatch = 100

// Name implements router.Chore.
func (r *Reminders) Name() string { return store.ChoreActions }

// Run implements router.Chore.
func (r *Reminders) Run(ctx context.Context, cfg *policies.Config, now time.Time) (time.Time, error) {
	items, next, err := r.Store.DueReminders(ctx, now, remindBatch)
	if err != nil {
		return time.Time{}, err
	}
	every := cfg.Postmortem.ActionRemindEvery
	var errs []error
	for _, a := range items {
		overdue := a.OverdueAt()
		if a.Done() || overdue.IsZero() {
			continue
		}
		round := int(now.Sub(overdue) / every) // 0: the day it became overdue
		if err := r.remind(ctx, cfg, a, round, now); err != nil {
			errs = append(errs, err)
			next = earliest(next, now.Add(time.Minute)) // try again soon, not in a week
			continue
		}
		at := overdue.Add(time.Duration(round+1) * every)
		if err := r.Store.ActionReminded(ctx, a.ID, at); err != nil {
			return time.Time{}, err
		}
		next = earliest(next, at)
	}
	if len(items) == remindBatch {
		next = now
	}
	return next, errors.Join(errs...)
}

// remind tells an item's owner it is overdue, once per round, and notes
// it on the incident's timeline while the incident is kept.
func (r *Reminders) remind(ctx context.Context, cfg *policies.Config, a incident.ActionItem, round int, now time.Time) error {
	user := cfg.Users[a.Owner]
	if user == nil {
		r.Log.Warn("overdue action item's owner is not in the config any more; nobody reminded", "item", a.ID, "owner", a.Owner)
		return nil
	}
	why := fmt.Sprintf("%s is overdue since %s; when it is done: 'pagerd action done %d'", Summary(a), a.Due, a.ID)
	n := pagers.Notification{Kind: pagers.KindUpdate, Incident: pagers.Incident{ID: a.Incident, Service: a.Service},
		Event: &incident.Event{Incident: a.Incident, Service: a.Service, Fact: incident.Fact{At: now, Kind: incident.KindActionOverdue, Detail: why}}}
	inc, err := r.Store.Incident(ctx, a.Incident)
	switch {
	case err == nil:
		n.Incident = pagers.IncidentOf(inc)
	case !errors.Is(err, incident.ErrNotFound):
		return err
	}
	key := fmt.Sprintf("action:%d:%d", a.ID, round)
	ttl := cfg.Postmortem.ActionRemindEvery + 24*time.Hour
	told, err := r.Tell(ctx, cfg, key, ttl, user, n)
	if err != nil {
		return err
	}
	if told.Channel != "" {
		if _, err := r.Store.Append(ctx, a.Incident, incident.KindActionOverdue,
			fmt.Sprintf("reminded %s via %s: %s", user.Name, told.Channel, why), key, ttl); err != nil {
			return err
		}
	}
	return nil
}
