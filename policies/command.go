package policies

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Incident command settings: the severities incidents carry, who manages
// them, and how often their status is updated. The `incident_command`
// block sets them (every attribute optional; compile_command.go), services
// add their own severity rules and manager rotation. See
// docs/incident-command.md.

// Command is the compiled `incident_command` block, defaults filled in.
type Command struct {
	// Severities are the severity names, most severe first.
	Severities []string
	// Severity maps an alert's severity label value (lower case) to a
	// severity, for services that set no map of their own.
	Severity map[string]string
	// Managers is the default manager rotation (a user, team or
	// schedule); nil: none.
	Managers *Target
	// ManagerNeeded are the severities an incident must have a manager
	// for within ManagerWithin, or the manager rotation is paged.
	ManagerNeeded []string
	ManagerWithin time.Duration
	// Cadence is how often a status update is due, by severity; a
	// severity without an entry has no cadence.
	Cadence map[string]time.Duration
	// OverdueAfter is how long past due an update is before the
	// communications lead is told.
	OverdueAfter time.Duration
}

// Defaults of the incident_command block.
var (
	DefaultSeverities    = []string{"SEV1", "SEV2", "SEV3", "SEV4"}
	DefaultSeverityMap   = map[string]string{"critical": "SEV2", "error": "SEV3", "warning": "SEV3", "info": "SEV4"}
	DefaultManagerNeeded = []string{"SEV1", "SEV2"}
	DefaultCadence       = map[string]time.Duration{"SEV1": 30 * time.Minute, "SEV2": time.Hour, "SEV3": 4 * time.Hour}
)

const (
	DefaultManagerWithin = 5 * time.Minute
	DefaultOverdueAfter  = 10 * time.Minute
	// DefaultSeverityLabel is the alert label services map to a severity.
	DefaultSeverityLabel = "severity"
)

// minCadence keeps a cadence from reminding in a tight loop.
const minCadence = 5 * time.Minute

// SeverityRules are how a service's alerts get their severity: the value
// of label Label, looked up (lower case) in Map.
type SeverityRules struct {
	Label string
	Map   map[string]string
}

// SeverityRank is name's place among the severities: 1 for the most
// severe; 0 when name is not one.
func (c *Config) SeverityRank(name string) int {
	return slices.Index(c.Command.Severities, name) + 1
}

// ParseSeverity reads a severity as people type it — its name in any
// case ("sev1"), or its number ("1" is the most severe) — and returns its
// name; ok is false when it is not one of the config's.
func (c *Config) ParseSeverity(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, name := range c.Command.Severities {
		if strings.EqualFold(name, s) {
			return name, true
		}
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(s), "SEV")); err == nil && n >= 1 && n <= len(c.Command.Severities) {
		return c.Command.Severities[n-1], true
	}
	return "", false
}

// SeverityOf is the severity an alert with labels has in service svc
// (nil: the defaults): its severity label's value mapped by the service's
// rules, "" when they map it to none.
func (c *Config) SeverityOf(svc *Service, labels map[string]string) string {
	rules := SeverityRules{Label: DefaultSeverityLabel, Map: c.Command.Severity}
	if svc != nil && svc.Severity.Map != nil {
		rules = svc.Severity
	}
	v := labels[rules.Label]
	if v == "" {
		return ""
	}
	return rules.Map[strings.ToLower(v)]
}

// ManagersOf is the manager rotation of a service: its own, else the
// incident_command block's; nil when there is none.
func (c *Config) ManagersOf(service string) *Target {
	if svc := c.Service(service); svc != nil && svc.Managers != nil {
		return svc.Managers
	}
	return c.Command.Managers
}

// NeedsManager reports whether an incident of severity sev must have a
// manager within ManagerWithin.
func (c *Config) NeedsManager(sev string) bool {
	return sev != "" && slices.Contains(c.Command.ManagerNeeded, sev)
}

// InRotation reports whether user is one of the people target t names at
// any time: the user, a member of the team, anyone in one of the
// schedule's rotations or overrides.
func (c *Config) InRotation(t Target, user string) bool {
	switch t.Kind {
	case TargetUser:
		return t.Name == user
	case TargetTeam:
		return c.Teams[t.Name] != nil && slices.Contains(c.Teams[t.Name].Members, user)
	case TargetSchedule:
		s := c.Schedules[t.Name]
		if s == nil {
			return false
		}
		for _, l := range s.Layers {
			if slices.Contains(l.Users, user) {
				return true
			}
		}
		for _, o := range s.Overrides {
			if o.User == user {
				return true
			}
		}
	}
	return false
}

// Stakeholders is a `stakeholders "NAME"` block: who hears about the
// incidents of its services, sorted into the four quadrants of the
// stakeholder matrix, and what each quadrant receives, when.
type Stakeholders struct {
	Name string
	// Services are the services (a product group) it covers; empty: every
	// service no other block names.
	Services []string
	// Severities are the severities of incidents that engage them.
	Severities []string
	// Quadrants, in the order of the Quadrants list.
	Quadrants []*Quadrant
}

// QuadrantKind is one quadrant of the stakeholder matrix: how much power
// over and interest in the service a group has.
type QuadrantKind string

const (
	// ManageClosely: much power, much interest — management, product. A
	// direct message on declaration, every status update and resolution.
	ManageClosely QuadrantKind = "manage_closely"
	// KeepSatisfied: much power, less interest — customers. The public
	// status page and its subscriptions.
	KeepSatisfied QuadrantKind = "keep_satisfied"
	// KeepInformed: less power, much interest — developers, support. Room
	// messages and an email digest on each change of state.
	KeepInformed QuadrantKind = "keep_informed"
	// Monitor: everyone else. The status page and its feed.
	Monitor QuadrantKind = "monitor"
)

// QuadrantKinds lists the quadrants, most engaged first.
var QuadrantKinds = []QuadrantKind{ManageClosely, KeepInformed, KeepSatisfied, Monitor}

// Title is the quadrant as people say it: "manage closely".
func (k QuadrantKind) Title() string { return strings.ReplaceAll(string(k), "_", " ") }

// Public reports whether the quadrant gets the public wording of updates
// (through the status page) rather than the internal one.
func (k QuadrantKind) Public() bool { return k == KeepSatisfied || k == Monitor }

// Moment is when stakeholders may be told something.
type Moment string

const (
	// MomentDeclared: the incident reached a severity that engages them
	// (it opened at it, was declared at it, or was raised to it).
	MomentDeclared Moment = "declared"
	// MomentUpdate: a status update was posted.
	MomentUpdate Moment = "update"
	// MomentStateChange: a status update moved to another state
	// (investigating → identified → monitoring → resolved).
	MomentStateChange Moment = "state_change"
	// MomentResolved: the incident was resolved.
	MomentResolved Moment = "resolved"
)

// Moments lists every moment.
var Moments = []Moment{MomentDeclared, MomentUpdate, MomentStateChange, MomentResolved}

// DefaultMoments are when each quadrant hears, unless its block says.
var DefaultMoments = map[QuadrantKind][]Moment{
	ManageClosely: {MomentDeclared, MomentUpdate, MomentResolved},
	KeepInformed:  {MomentStateChange, MomentResolved},
	KeepSatisfied: {MomentUpdate, MomentResolved},
	Monitor:       {MomentUpdate, MomentResolved},
}

// Quadrant is one quadrant of a stakeholders block.
type Quadrant struct {
	Kind QuadrantKind
	// People are users, teams and schedules (whoever is on call then).
	People []Target
	// Rooms are channel destinations that take updates (a chat room, a
	// webhook).
	Rooms []Target
	// Emails are mailing lists (or any address) told by email.
	Emails []string
	// On are the moments it hears of.
	On []Moment
}

// Hears reports whether the quadrant is told at moment m.
func (q *Quadrant) Hears(m Moment) bool { return slices.Contains(q.On, m) }

// StakeholdersFor returns the stakeholders block covering service: the
// one that names it, else the one that names no services; nil when none.
func (c *Config) StakeholdersFor(service string) *Stakeholders {
	var fallback *Stakeholders
	for _, s := range c.Stakeholders {
		switch {
		case slices.Contains(s.Services, service):
			return s
		case len(s.Services) == 0:
			fallback = s
		}
	}
	return fallback
}

// Engages reports whether an incident of severity sev engages them.
func (s *Stakeholders) Engages(sev string) bool {
	return sev != "" && slices.Contains(s.Severities, sev)
}
