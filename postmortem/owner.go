package postmortem

import (
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// Owner names who writes inc's post-mortem, and why them: its incident
// manager, who led it; else whoever resolved it, acknowledged it or
// declared it, in that order, when they are people of the config (not an
// integration or the alerts ending); else the first person the first
// step of its service's escalation reaches when it resolved — the team on
// call for it. "" when nobody can be named: then nobody is reminded, and
// the timeline says so.
func Owner(cfg *policies.Config, inc *incident.Incident) (user, why string) {
	if m := inc.Role(incident.RoleManager); m != "" {
		return m, "the incident manager"
	}
	for _, c := range []struct{ who, why string }{
		{inc.ResolvedBy, "who resolved it"},
		{inc.AckedBy, "who acknowledged it"},
		{inc.DeclaredBy, "who declared it"},
	} {
		if cfg.Users[c.who] != nil {
			return c.who, c.why
		}
	}
	if pol := cfg.Escalation(inc.Escalation); pol != nil && len(pol.Steps) > 0 {
		at := inc.ResolvedAt
		if at.IsZero() {
			at = inc.CreatedAt
		}
		for _, t := range pol.Steps[0].Targets {
			if !t.IsPerson() {
				continue
			}
			if users := cfg.UsersFor(t, at); len(users) > 0 {
				return users[0], "on call for " + inc.Service + " (" + t.String() + ")"
			}
		}
	}
	return "", "nobody could be named: no manager, no person resolved or acknowledged it, and its escalation reaches nobody"
}
