package router

import (
	"context"
	"fmt"
	"slices"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// Who may act on an incident is decided here, once, for every front end:
// SMS replies, keypresses, chat buttons, signed links and the API all come
// through Act. A person known only by an address (an SMS's number) is held
// to the service's responders rule (policies.Responders); a signed link
// was sent to one person about one incident, and passes; an integration's
// token acts for anyone.

// authorize returns nil when req may be applied, a *incident.Refusal when
// it may not (recorded on the incident's timeline), or the store's error.
func (r *Router) authorize(ctx context.Context, cfg *policies.Config, req incident.Request) error {
	switch req.Credential {
	case incident.CredentialToken, incident.CredentialLink:
		return nil
	case incident.CredentialAddress:
	default:
		return fmt.Errorf("unknown credential %q", req.Credential)
	}
	inc, err := r.Store.Incident(ctx, req.Incident)
	if err != nil {
		return err
	}
	rule := policies.DefaultResponders
	if svc := cfg.Service(inc.Service); svc != nil {
		rule = svc.Responders
	}
	if cfg.Users[req.By] != nil {
		// Whoever the service's manager rotation names may take command
		// of its incidents (`ic 42`): paging them for it is what the
		// rotation is for, and they need not have been paged yet.
		if req.Action == incident.Assign && req.Role == incident.RoleManager && req.Assignee == req.By {
			if t := cfg.ManagersOf(inc.Service); t != nil && cfg.InRotation(*t, req.By) {
				return nil
			}
		}
		switch rule {
		case policies.RespondersAnyone:
			return nil
		case policies.RespondersTeam:
			// The policy that pages the incident names the teams that own it.
			if cfg.OwningTeam(inc.Escalation, req.By) != "" {
				return nil
			}
		}
		reached, err := r.Store.Notified(ctx, req.Incident)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(reached, func(n incident.Reached) bool { return n.User == req.By }) {
			return nil
		}
	}
	return r.refuse(ctx, req, inc, rule, cfg.Users[req.By] != nil)
}

// refuse records a refused request on the incident's timeline and returns
// the refusal, which says who may take the action.
func (r *Router) refuse(ctx context.Context, req incident.Request, inc *incident.Incident, rule policies.Responders, known bool) error {
	id := fmt.Sprintf("incident #%d", req.Incident)
	var who, why string
	switch {
	case !known:
		who = "pagerd's users"
		why = fmt.Sprintf("%q is not a configured user", req.By)
	case rule == policies.RespondersPaged:
		who = "people paged or notified about " + id
		why = "not paged or notified about it"
	default:
		who = "people paged or notified about " + id + ", or on a team its escalation policy names,"
		why = fmt.Sprintf("not paged or notified about it, and on no team escalation %q names", inc.Escalation)
	}
	refusal := &incident.Refusal{Request: req, Reason: fmt.Sprintf("Only %s may %s.", who, req.Action.Object())}
	if !known {
		refusal.Reason = fmt.Sprintf("Only %s may act on %s.", who, id)
	}
	detail := fmt.Sprintf("%s refused: %s (service %q: responders = %q)", req.Action, why, inc.Service, rule)
	r.Log.Warn("action refused", "incident", req.Incident, "action", req.Action, "by", req.By, "via", req.Via, "why", why)
	if err := r.Store.Refused(ctx, req, detail); err != nil {
		// The person is told all the same; only the record is lost.
		r.Log.Error("recording a refused action", "incident", req.Incident, "err", err)
	}
	return refusal
}
