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

// Duty is incident command's part of the engine's per-incident timer: it
// pages the manager rotation of a severe incident nobody took command of,
// and (cadence) reminds the manager of a status update due and tells the
// communications lead of one overdue. Every notice has a key made of the
// moment it is for, so it goes out once per moment however often the
// engine wakes.
type Duty struct {
	Store  *store.Store
	Notify router.Notifier
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

// cadence reminds the manager when a status update is due and, when it is
// overdue, tells the communications lead (else whoever the manager
// rotation has on call): once each per due time, which the next update
// moves on (cadence.go has the clocks).
func (d *Duty) cadence(ctx context.Context, cfg *policies.Config, inc *incident.Incident, now time.Time) (time.Time, error) {
	due := NextUpdateAt(cfg, inc)
	if due.IsZero() || now.Before(due) {
		return due, nil
	}
	round := due.UnixMilli()
	every := pagers.ShortLead(cfg.Command.Cadence[inc.Severity])
	var retry time.Time
	manager := cfg.Users[inc.Role(incident.RoleManager)]
	why := fmt.Sprintf("a status update is due (%s: every %s): pagerd update %d --status STATE TEXT", inc.Severity, every, inc.ID)
	if manager != nil {
		told, err := d.Notify(ctx, cfg, inc.ID, fmt.Sprintf("due:%d", round), manager, notice(inc, incident.KindUpdateDue, why, due),
			incident.KindUpdateDue, why)
		if err != nil {
			return time.Time{}, err
		}
		retry = told.Retry
	} else if _, err := d.Store.Append(ctx, inc.ID, incident.KindUpdateDue, why+"; it has no manager to remind",
		fmt.Sprintf("due:%d:%d", inc.ID, round), onceTTL); err != nil {
		return time.Time{}, err
	}

	overdue := OverdueAt(cfg, inc)
	if now.Before(overdue) {
		return earliest(retry, overdue), nil
	}
	late := fmt.Sprintf("the status update due at %s (%s: every %s) is %s late", due.UTC().Format("15:04 UTC"), inc.Severity, every,
		pagers.ShortLead(now.Sub(due)))
	if manager != nil {
		late += "; the manager is " + manager.Name
	}
	var tell []*policies.User
	why = late + ": as communications lead, post it or get it posted"
	if comms := cfg.Users[inc.Role(incident.RoleComms)]; comms != nil {
		tell = append(tell, comms)
	} else if t := cfg.ManagersOf(inc.Service); t != nil {
		why = late + ", and it has no communications lead: post it or get it posted"
		for _, name := range cfg.UsersFor(*t, now) {
			if u := cfg.Users[name]; u != nil {
				tell = append(tell, u)
			}
		}
	}
	if len(tell) == 0 {
		_, err := d.Store.Append(ctx, inc.ID, incident.KindUpdateOverdue, late+"; there is no communications lead or manager rotation to tell",
			fmt.Sprintf("overdue:%d:%d", inc.ID, round), onceTTL)
		return retry, err
	}
	for _, u := range tell {
		told, err := d.Notify(ctx, cfg, inc.ID, fmt.Sprintf("overdue:%d:%s", round, u.Name), u,
			notice(inc, incident.KindUpdateOverdue, why, overdue), incident.KindUpdateOverdue, why)
		if err != nil {
			return time.Time{}, err
		}
		retry = earliest(retry, told.Retry)
	}
	return retry, nil
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
