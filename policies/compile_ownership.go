package policies

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// lastResorts compiles who is told when an escalation runs out: team
// leads, escalations' and the pagerd block's last_resort. They name
// users, teams and schedules, so they compile once those are known.
func (l *loader) lastResorts(cfg *Config, raw *fileSchema) {
	seen := map[string]bool{}
	for _, b := range raw.Teams {
		team := cfg.Teams[b.Name]
		if seen[b.Name] || team == nil || !present(b.LeadRange) {
			seen[b.Name] = true
			continue
		}
		seen[b.Name] = true
		if cfg.Users[b.Lead] == nil {
			l.errorf(b.LeadRange, "Unknown user", "No user %q is defined.", b.Lead)
			continue
		}
		team.Lead = b.Lead
	}
	seen = map[string]bool{}
	for _, b := range raw.Escalations {
		pol := cfg.Escalations[b.Name]
		if seen[b.Name] || pol == nil {
			continue
		}
		seen[b.Name] = true
		if present(b.LastResortRange) {
			pol.LastResort = l.personTarget(cfg, b.LastResort, b.LastResortRange, "last_resort")
		}
	}
	if p := raw.Pagerd; p != nil && present(p.LastResortRange) {
		cfg.Settings.LastResort = l.personTarget(cfg, p.LastResort, p.LastResortRange, "last_resort")
	}
}

// personTarget parses one "user:NAME", "team:NAME" or "schedule:NAME"
// that must name something defined; nil (with an error) otherwise.
func (l *loader) personTarget(cfg *Config, v string, r hcl.Range, attr string) *Target {
	kind, name, found := strings.Cut(v, ":")
	var known bool
	switch kind {
	case TargetUser:
		known = cfg.Users[name] != nil
	case TargetTeam:
		known = cfg.Teams[name] != nil
	case TargetSchedule:
		known = cfg.Schedules[name] != nil
	default:
		found = false
	}
	if !found || name == "" {
		var forms []string
		for _, k := range personTargets {
			forms = append(forms, fmt.Sprintf("%q", k+":NAME"))
		}
		l.errorf(r, "Invalid target", `%s = %q is not a person target; write %s.`, attr, v, orList(forms))
		return nil
	}
	if !known {
		l.errorf(r, "Unknown "+kind, "No %s %q is defined.", kind, name)
		return nil
	}
	return &Target{Kind: kind, Name: name}
}
