package router

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/escalation"
)

// exhaust ends an escalation that ran out with nobody acknowledging: the
// timeline says so, once per run, and the incident's last resort (the
// policy's last_resort, the lead of a team it pages, or the pagerd
// block's last_resort: policies.Config.LastResort) is paged once each,
// saying why. The incident stays triggered: anyone may still take it.
//
// Both are claimed in Redis under keys of the run, so however many
// replicas take the incident, and however often, the fact is written and
// each person paged once; a replica that dies mid-page leaves its claim
// to lapse and the next one pages again, as for any page. It returns when
// to look again (a page another replica holds), or zero.
func (e *Engine) exhaust(ctx context.Context, cfg *policies.Config, inc *incident.Incident, pol *policies.Escalation, now time.Time) (time.Time, bool, error) {
	words := escalation.Exhausted(pol)
	people, why := cfg.LastResort(cfg.Service(inc.Service), pol, now)
	detail := words
	if len(people) == 0 {
		detail += fmt.Sprintf("; no last resort to tell (set last_resort on escalation %q, or a lead on a team it pages)", pol.Name)
	} else {
		detail += fmt.Sprintf("; paging %s, %s", strings.Join(people, ", "), why)
	}
	once := fmt.Sprintf("%d:%d:%s", inc.ID, inc.Run, incident.KindExhausted)
	written, err := e.Store.Append(ctx, inc.ID, incident.KindExhausted, detail, once, factOnceTTL(cfg))
	if err != nil {
		return time.Time{}, false, err
	}
	if written {
		e.Metrics.Exhausted(inc.Service)
		e.Log.Warn("escalation exhausted; nobody acknowledged", "incident", inc.ID, "escalation", pol.Name, "last_resort", people)
	}
	var retry time.Time
	for _, name := range people {
		user := cfg.Users[name]
		if user == nil {
			continue
		}
		rules := user.NotifyRules()
		if len(rules) == 0 {
			continue
		}
		// One page through the channel they are paged through first: a
		// last resort is asked to act once, not escalated through.
		d := escalation.Delivery{Key: fmt.Sprintf("%d:%d:last-resort:%s", inc.ID, inc.Run, name), At: now, User: user, Via: rules[0].Via}
		at, stale, err := e.page(ctx, cfg, inc, d, now, pageAs{fact: incident.KindExhaustedNotice, where: "as last resort (" + why + ")", exhausted: words})
		if err != nil || stale {
			return time.Time{}, stale, err
		}
		retry = earliest(retry, at)
	}
	return retry, false, nil
}
