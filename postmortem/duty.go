package postmortem

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

// Duty is the post-mortem's part of the engine's per-incident timer: once
// an incident resolves it names the post-mortem's owner (Owner), a fact
// on the timeline; when its severity requires one, it reminds them
// RemindEvery after the resolution and every RemindEvery after that,
// until it is marked done, or until the incident's retention ends. The
// owner is not told at once: the incident's resolution was just announced
// to everyone paged, and a post-mortem is tomorrow's work. Each notice has a key of its own, so it goes out once however
// often the engine wakes, on whichever replica.
type Duty struct {
	Store  *store.Store
	Notify router.Notifier
	Log    *slog.Logger
}

var _ router.Duty = (*Duty)(nil)

// Due implements router.Duty.
func (d *Duty) Due(ctx context.Context, cfg *policies.Config, inc *incident.Incident, now time.Time) (time.Time, error) {
	if inc.Open() || inc.ResolvedAt.IsZero() {
		return time.Time{}, nil
	}
	pm, err := d.Store.Postmortem(ctx, inc.ID)
	if err != nil || pm.Done() {
		return time.Time{}, err
	}
	if pm.NamedAt.IsZero() {
		if pm, err = d.name(ctx, cfg, inc); err != nil {
			return time.Time{}, err
		}
	}
	user := cfg.Users[pm.Owner]
	if user == nil {
		return time.Time{}, nil // nobody to tell: the fact says so
	}
	if !pm.Required {
		return time.Time{}, nil // offered: named on the timeline, never chased
	}
	var retry time.Time
	every := cfg.Postmortem.RemindEvery
	round := int(now.Sub(inc.ResolvedAt) / every)
	if round >= 1 {
		why := fmt.Sprintf("you own the post-mortem of this %s incident (%s) and it is not done yet (reminder %d): "+
			"write it from the draft, 'pagerd postmortem %d', then mark it done with 'pagerd postmortem %d --done'",
			orDash(inc.Severity), pm.OwnerWhy, round, inc.ID, inc.ID)
		told, err := d.tell(ctx, cfg, inc, user, fmt.Sprintf("remind:%d", round), why, incident.KindPostmortemDue)
		if err != nil {
			return time.Time{}, err
		}
		retry = earliest(retry, told.Retry)
	}
	return earliest(retry, inc.ResolvedAt.Add(time.Duration(round+1)*every)), nil
}

// name picks and records the owner, once across replicas.
func (d *Duty) name(ctx context.Context, cfg *policies.Config, inc *incident.Incident) (incident.Postmortem, error) {
	owner, why := Owner(cfg, inc)
	required := cfg.PostmortemRequired(inc.Severity)
	need := "offered"
	if required {
		need = "required for " + inc.Severity
	}
	detail := fmt.Sprintf("%s owns the post-mortem (%s); %s", owner, why, need)
	if owner == "" {
		detail = "no post-mortem owner: " + why
	}
	if _, err := d.Store.NamePostmortemOwner(ctx, inc.ID, owner, why, required, detail); err != nil {
		return incident.Postmortem{}, err
	}
	d.Log.Info("post-mortem owner named", "incident", inc.ID, "owner", owner, "why", why, "required", required)
	return d.Store.Postmortem(ctx, inc.ID)
}

func (d *Duty) tell(ctx context.Context, cfg *policies.Config, inc *incident.Incident, user *policies.User, what, why string, kind incident.Kind) (router.Told, error) {
	n := pagers.Notification{
		Kind: pagers.KindUpdate, Incident: pagers.IncidentOf(inc),
		Event: &incident.Event{Incident: inc.ID, Service: inc.Service, Fact: incident.Fact{At: inc.ResolvedAt, Kind: kind, Detail: why}},
	}
	// The fact is postmortem_due either way: postmortem_owner is
	// published once, when the owner is named, not again per notice.
	return d.Notify(ctx, cfg, inc.ID, fmt.Sprintf("pm:%d:%s:%s", inc.ID, what, user.Name), user, n,
		incident.KindPostmortemDue, "post-mortem: "+why)
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
