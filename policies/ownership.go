package policies

import (
	"fmt"
	"slices"
	"time"
)

// LastResort is who is told when pol ran its last round for an incident
// of svc (nil: none known) and nobody acknowledged, at instant at, and
// why them, in words for a timeline ("last_resort of escalation
// \"payments\""). The first of these that names anyone answers:
//
//  1. the policy's last_resort;
//  2. the lead of each team the policy's steps page (the teams that own
//     its incidents), in step order;
//  3. the pagerd block's last_resort.
//
// A team target reaches its lead, or every member when it has none; a
// schedule whoever is on call at. Nobody (nil) when none is set: the
// escalation ends with a fact on the timeline alone.
func (c *Config) LastResort(svc *Service, pol *Escalation, at time.Time) (people []string, why string) {
	if pol != nil && pol.LastResort != nil {
		if people = c.lastResortUsers(*pol.LastResort, at); len(people) > 0 {
			return people, fmt.Sprintf("last_resort of escalation %q", pol.Name)
		}
	}
	if pol != nil {
		var teams []string
		for _, step := range pol.Steps {
			for _, t := range step.Targets {
				team := c.Teams[t.Name]
				if t.Kind != TargetTeam || team == nil || team.Lead == "" || slices.Contains(people, team.Lead) {
					continue
				}
				people = append(people, team.Lead)
				teams = append(teams, fmt.Sprintf("%q", team.Name))
			}
		}
		if len(people) > 0 {
			return people, "lead of team " + orList(teams)
		}
	}
	if t := c.Settings.LastResort; t != nil {
		if people = c.lastResortUsers(*t, at); len(people) > 0 {
			return people, "last_resort of the pagerd block"
		}
	}
	return nil, ""
}

// lastResortUsers is whom a last_resort target reaches: a team its lead
// (all its members without one), anything else as a step would.
func (c *Config) lastResortUsers(t Target, at time.Time) []string {
	if team := c.Teams[t.Name]; t.Kind == TargetTeam && team != nil && team.Lead != "" {
		return []string{team.Lead}
	}
	return c.UsersFor(t, at)
}
