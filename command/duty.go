package command

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router"
	"github.com/pagerd/pagerd/router/store"
)

// Notifier tells one person something about an incident, once per key
// across replicas, leaving a fact of kind that says whom and why
// (router.Engine.Notify).
type Notifier func(ctx context.Context, cfg *policies.Config, id int64, key string, user *policies.User,
	n pagers.Notification, kind incident.Kind, why string) (router.Told, error)

// Duty is incident command's part of the engine's per-incident timer: it
// pages the manager rotation of a severe incident nobody took command of,
// and (cadence) reminds the manager of a status update due and tells the
// communications lead of one overdue. Every notice has a key made of the
// moment it is for, so it goes out once per moment however often the
// engine wakes.
type Duty struct {
	Store  *store.Store
	Notify Notifier
	Log    *slog.Logger
}

var _ router.Duty = (*Duty)(nil)

// onceTTL keeps a once-only fact's key longer than any incident lives.
const onceTTL = 400 * 24 * time.Hour

// Due implements router.Duty.
func (d *Duty) Due(ctx context.Context, cfg *policies.Config, inc *incident.Incident, now time.Time) (time.Time, error) {
	var next time.Time
	for _, duty := range []func(context.Context, *policies.Config, *incident.Incident, time.Time) (time.Time, error){
		d.manager, d.cadence,
	} {
		at, err := duty(ctx, cfg, inc, now)
		if err != nil {
			return time.Time{}, err
		}
		next = earliest(next, at)
	}
	return next, nil
}

// manager pages the manager rotation once an incident that needs a
// manager has had none for ManagerWithin.
func (d *Duty) manager(ctx context.Context, cfg *policies.Config, inc *incident.Incident, now time.Time) (time.Time, error) {
	at := ManagerNeededAt(cfg, inc)
	if at.IsZero() || now.Before(at) {
		return at, nil
	}
	round := at.UnixMilli()
	why := fmt.Sprintf("%s without an incident manager for %s: reply 'ic %d' to take command", inc.Severity,
		pagers.ShortLead(cfg.Command.ManagerWithin), inc.ID)
	target := cfg.ManagersOf(inc.Service)
	var users []string
	if target != nil {
		users = cfg.UsersFor(*target, now)
	}
	if len(users) == 0 {
		detail := why + "; no manager rotation is configured (managers = \"schedule:NAME\"), so nobody was paged"
		if target != nil {
			detail = why + "; nobody is on call in " + target.String() + ", so nobody was paged"
		}
		_, err := d.Store.Append(ctx, inc.ID, incident.KindManagerNeeded, detail, fmt.Sprintf("mgr:%d:%d", inc.ID, round), onceTTL)
		return time.Time{}, err
	}
	n := notice(inc, incident.KindManagerNeeded, why, at)
	var retry time.Time
	for _, name := range users {
		u := cfg.Users[name]
		if u == nil {
			continue
		}
		told, err := d.Notify(ctx, cfg, inc.ID, fmt.Sprintf("mgr:%d:%s", round, name), u, n, incident.KindManagerNeeded,
			"manager rotation "+target.String()+": "+why)
		if err != nil {
			return time.Time{}, err
		}
		retry = earliest(retry, told.Retry)
	}
	return retry, nil
}

// cadence reminds the manager when a status update is due and tells the
// communications lead when it is overdue (cadence.go has the clocks).
func (d *Duty) cadence(ctx context.Context, cfg *policies.Config, inc *incident.Incident, now time.Time) (time.Time, error) {
	return time.Time{}, nil
}

// notice is what a duty tells a person: an update about the incident
// whose event says what is wanted, in every channel's own words.
func notice(inc *incident.Incident, kind incident.Kind, why string, at time.Time) pagers.Notification {
	return pagers.Notification{
		Kind: pagers.KindUpdate, Incident: pagers.IncidentOf(inc),
		Event: &incident.Event{Incident: inc.ID, Service: inc.Service, Fact: incident.Fact{At: at, Kind: kind, Detail: why}},
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
