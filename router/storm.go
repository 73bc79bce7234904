package router

import (
	"context"
	"fmt"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// watchStorm follows an open storm incident: once no incident folded into
// it for its window it has passed — the timeline says so and everyone its
// pages reached is told, once — and it resolves as soon as every incident
// folded into it is resolved. It returns when to look at the storm again.
func (e *Engine) watchStorm(ctx context.Context, cfg *policies.Config, inc *incident.Incident, now time.Time) (time.Time, error) {
	st := inc.Storm
	if st.PassedAt.IsZero() && now.Before(st.PassesAt()) {
		return st.PassesAt(), nil
	}
	if st.PassedAt.IsZero() || st.Open <= 0 {
		passed, resolved, err := e.Store.SettleStorm(ctx, inc.ID, cfg.Settings.ResolvedRetention)
		if err != nil {
			return time.Time{}, err
		}
		if resolved || !passed {
			// Resolved: its notices are next. Not passed: an incident
			// folded in meanwhile; look again with what it changed.
			return now, nil
		}
		e.Log.Info("alert storm passed", "incident", inc.ID, "service", inc.Service, "folded", st.Folded, "open", st.Open)
		if inc, err = e.Store.Incident(ctx, inc.ID); err != nil || !inc.Open() {
			return now, err
		}
		st = inc.Storm
	}
	detail := fmt.Sprintf("no new incident for %s; %s folded, %d still open", pagers.ShortLead(st.Window), pagers.Plural(st.Folded, "incident"), st.Open)
	return e.tell(ctx, cfg, inc, fyi{
		kind: pagers.KindUpdate, status: inc.Status, run: -1, fact: incident.KindStormNotice,
		key: fmt.Sprintf("%d:%s", inc.ID, incident.KindStormPassed),
		event: &incident.Event{Incident: inc.ID, Service: inc.Service,
			Fact: incident.Fact{At: st.PassedAt, Kind: incident.KindStormPassed, Detail: detail}},
	}, now)
}
