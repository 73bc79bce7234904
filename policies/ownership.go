package policies

import (
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
)

// Ownership is an `ownership "NAME"` map: which owner each value of a
// label has. It routes as services do, where it stands among them in the
// files: Config.Services holds one service for each value it lists,
// named by the value, and, with a Default, one for every other value.
type Ownership struct {
	Name  string
	Label string
	// Owners are the owner of each value, as written ("team:payments",
	// "escalation:billing"), from its catalog, CSV and owners attribute.
	Owners map[string]string
	// Default owns every other value of the label; "" none: alerts of
	// those go on to the services after the map.
	Default  string
	Matchers labels.Matchers   // an alert must match these too
	MatchAny []labels.Matchers // and one of these, when any
	GroupBy  []string
}

// Matches reports whether an alert with label set ls belongs to s: every
// matcher matches, and, when it has alternatives, every matcher of one.
func (s *Service) Matches(ls model.LabelSet) bool {
	if !s.Matchers.Matches(ls) {
		return false
	}
	if len(s.MatchAny) == 0 {
		return true
	}
	for _, ms := range s.MatchAny {
		if ms.Matches(ls) {
			return true
		}
	}
	return false
}

// CatchAll reports whether s takes every alert.
func (s *Service) CatchAll() bool { return len(s.Matchers) == 0 && len(s.MatchAny) == 0 }

// named is s as the service of an alert with lset: an ownership map's
// default service is called by the value of its label.
func (s *Service) named(lset map[string]string) *Service {
	if s.NameLabel == "" {
		return s
	}
	c := *s
	c.Name = lset[s.NameLabel]
	return &c
}

// OwnerOf is the team that owns service name, or nil.
func (c *Config) OwnerOf(name string) *Team {
	if svc := c.Service(name); svc != nil {
		return c.Teams[svc.Owner]
	}
	return nil
}

// LastResort is who is told when pol ran its last round for an incident
// of svc (nil: none known) and nobody acknowledged, at instant at, and
// why them, in words for a timeline ("last_resort of escalation
// \"payments\""). The first of these that names anyone answers:
//
//  1. the policy's last_resort;
//  2. the lead of the team that owns the service (its owner, or its
//     ownership map's);
//  3. the lead of each team the policy's steps page, in step order;
//  4. the pagerd block's last_resort.
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
	if svc != nil {
		if team := c.Teams[svc.Owner]; team != nil && team.Lead != "" {
			return []string{team.Lead}, fmt.Sprintf("lead of team %q, which owns service %q", team.Name, svc.Name)
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
