package policies

import (
	"crypto/sha256"
	"crypto/subtle"
	"maps"
	"slices"
	"time"

	"github.com/prometheus/common/model"
)

// Route returns the first service whose matchers all match lset, or nil when
// none does. A service without matchers matches every alert.
func (c *Config) Route(lset map[string]string) *Service {
	ls := make(model.LabelSet, len(lset))
	for k, v := range lset {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	for _, s := range c.Services {
		if s.Matches(ls) {
			return s.named(lset)
		}
	}
	return nil
}

// ServiceFor returns the service that owns an alert of integration in
// (nil: any sender) with labels lset: the one in pins, else the first
// whose matchers match; nil when none does.
func (c *Config) ServiceFor(in *Integration, lset map[string]string) *Service {
	if in != nil && in.Service != "" {
		if svc := c.Service(in.Service); svc != nil {
			return svc
		}
	}
	return c.Route(lset)
}

// Integration returns the integration called name, or nil.
func (c *Config) Integration(name string) *Integration {
	for _, in := range c.Integrations {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// Heartbeat returns the heartbeat called name, or nil.
func (c *Config) Heartbeat(name string) *Heartbeat {
	for _, h := range c.Heartbeats {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// IntegrationByToken returns the integration whose token is token, or nil.
// Every token is compared in constant time, so the answer's timing does not
// tell a caller how much of a guess was right, nor which integration matched.
func (c *Config) IntegrationByToken(token string) *Integration {
	if token == "" {
		return nil
	}
	// Comparing digests, not the tokens, keeps their lengths secret too.
	want := sha256.Sum256([]byte(token))
	var found *Integration
	for _, in := range c.Integrations {
		have := sha256.Sum256([]byte(in.Token))
		if subtle.ConstantTimeCompare(have[:], want[:]) == 1 && found == nil {
			found = in
		}
	}
	return found
}

// UsersFor returns who target t reaches at instant at: a user is itself, a
// team is its members, a schedule is whoever is on call at that instant.
// An unknown target, or a schedule with no one on call, yields nil.
func (c *Config) UsersFor(t Target, at time.Time) []string {
	switch t.Kind {
	case "user":
		if _, ok := c.Users[t.Name]; ok {
			return []string{t.Name}
		}
	case "team":
		if team, ok := c.Teams[t.Name]; ok {
			return append([]string(nil), team.Members...)
		}
	case "schedule":
		if s, ok := c.Schedules[t.Name]; ok {
			return s.UsersAt(at)
		}
	}
	return nil
}

// Escalation returns the escalation policy called name, or nil.
func (c *Config) Escalation(name string) *Escalation {
	return c.Escalations[name]
}

// Service returns the service called name, or nil. A name no service
// block and no ownership map lists is the first map's with a default
// owner, if any: that is where an alert of that name went.
func (c *Config) Service(name string) *Service {
	if s := c.declaredService(name); s != nil || name == "" {
		return s
	}
	for _, s := range c.Services {
		if s.NameLabel != "" {
			return s.named(map[string]string{s.NameLabel: name})
		}
	}
	return nil
}

// declaredService is the service a block or a map's table names name,
// or nil: what a config may refer to by name.
func (c *Config) declaredService(name string) *Service {
	for _, s := range c.Services {
		if s.Name == name && s.NameLabel == "" {
			return s
		}
	}
	return nil
}

// OwningTeam returns a team that escalation policy escalation names in
// one of its steps and user is a member of, or "" when there is none:
// the teams that own the incidents the policy pages for, until
// ownership maps say more.
func (c *Config) OwningTeam(escalation, user string) string {
	pol := c.Escalations[escalation]
	if pol == nil {
		return ""
	}
	// A team whose policy it is owns what it pages.
	for _, name := range slices.Sorted(maps.Keys(c.Teams)) {
		if team := c.Teams[name]; team.Escalation == escalation && slices.Contains(team.Members, user) {
			return team.Name
		}
	}
	for _, step := range pol.Steps {
		for _, t := range step.Targets {
			if team := c.Teams[t.Name]; t.Kind == TargetTeam && team != nil && slices.Contains(team.Members, user) {
				return team.Name
			}
		}
	}
	return ""
}

// String renders a target the way it is written in HCL, "kind:name".
func (t Target) String() string { return t.Kind + ":" + t.Name }
