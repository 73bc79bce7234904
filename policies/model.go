// Package policies turns a directory of HCL files into the compiled model the
// router reads: users, teams, schedules, escalation policies, services,
// integrations, and the blocks the channels registered (see extend.go).
// Loading is staged (parse every file, merge, decode, then validate
// references) so every problem is reported with its source range.
package policies

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/pagerd/pagerd/schedules"
)

// Config is one loaded, validated configuration. It is immutable once
// returned: a reload builds a new one and swaps it in.
type Config struct {
	Dir          string
	Settings     Settings
	Users        map[string]*User
	Teams        map[string]*Team
	Schedules    map[string]*schedules.Schedule
	Escalations  map[string]*Escalation
	Services     []*Service // in file order; the first whose matchers match wins
	Integrations []*Integration
	// Heartbeats are the beats pagerd expects, in file order.
	Heartbeats []*Heartbeat
	// Maintenance windows and inhibition rules, in file order: alerts
	// they cover are stored but page nobody (see suppress.go).
	Maintenance []*Maintenance
	Inhibits    []*InhibitRule
	// Ownerships are the ownership maps, in file order; their services are
	// in Services, where each map stood.
	Ownerships []*Ownership
	// Blocks holds the compiled settings of the unlabeled extension blocks
	// by type (`twilio`, `smtp`); a block that is absent or switched off
	// has no entry.
	Blocks map[string]any
	// Named holds the labeled extension blocks by type and label
	// (`webhook "audit"`). A block switched off maps to nil: it is defined,
	// so references to it are valid, but nothing is sent through it.
	Named map[string]map[string]any
	// Command holds the incident command settings (command.go).
	Command Command
	// Stakeholders are the stakeholder matrices, in file order.
	Stakeholders []*Stakeholders
	// Components and StatusPages are what status pages show, in file
	// order (statuspage.go).
	Components  []*Component
	StatusPages []*StatusPage
	// Postmortem and Console hold what happens after an incident and the
	// web console's sign-in settings (postmortem.go).
	Postmortem Postmortem
	Console    Console
}

// Settings are daemon-wide knobs from the `pagerd { ... }` block.
type Settings struct {
	PublicURL         string        // base of ack links and the Twilio webhook URL
	LinkSecret        []byte        // HMAC key for ack links and feed tokens; nil: pagerd keeps one in Redis
	LinkTTL           time.Duration // how long an ack link is valid (default 24h)
	AckTimeout        time.Duration // re-page an acknowledged incident after this; 0 = never
	ResolvedRetention time.Duration // keep resolved incidents this long (default 168h)
	ResolveTimeout    time.Duration // endsAt for API alerts that carry none (default 5m, as Alertmanager)
	// EventRetention is how long incident events stay on the event stream
	// for consumers (outgoing webhooks) that are behind (default 24h).
	EventRetention time.Duration
	// RecordUnrouted is the explicit policy for alerts that match no
	// service (unrouted = "record"): kept as "unrouted" incidents that
	// page nobody. Without it a config needs a catch-all service.
	RecordUnrouted bool
	// Storm and Flapping are the folding every service has unless its own
	// blocks say otherwise.
	Storm    Storm
	Flapping Flapping
	// LastResort is who is told when an escalation that names none, and
	// whose owner team has no lead, ran out; nil: nobody.
	LastResort *Target
}

// UnroutedRecord is the value of the pagerd block's unrouted attribute that
// keeps alerts no service matches as incidents that page nobody.
const UnroutedRecord = "record"

// User is a person who can be paged.
type User struct {
	Name string
	// Contacts are the user's addresses by attribute ("phone", "email",
	// ...): the attributes the registered channels read.
	Contacts map[string]string
	Rules    []NotifyRule

	// ShiftNotices are opt-in reminders sent Before each of the user's
	// on-call shifts starts.
	ShiftNotices []ShiftNotice
	// Location is the user's time zone: times in what is sent to them
	// (pages, notices, shift reminders) and in the CLI's answers about
	// them are shown in it. nil: not set (UTC, or the schedule's zone).
	Location *time.Location
}

// ShiftNotice tells a user, Before their shift starts, that it is coming.
type ShiftNotice struct {
	Before time.Duration
	Via    string // a channel that reaches people
}

// NotifyRule is a user's personal rule: when they are paged, contact them via
// Via after After (relative to the moment the escalation step reaches them).
type NotifyRule struct {
	After time.Duration
	Via   string // a channel that reaches people
}

type Team struct {
	Name    string
	Members []string
	// Lead is the team's lead: told, when an escalation the team owns
	// ran out and nobody acknowledged, unless the policy names a
	// last resort of its own (ownership.go). "" when none.
	Lead string
	// Escalation is the policy that pages for the services the team
	// owns, unless a service names its own; "" when none.
	Escalation string
	// Chat is the team's room, told of every incident of the services it
	// owns (a subscriber of each); nil when none.
	Chat *Target
}

// Escalation is an ordered list of steps, run until someone acknowledges.
type Escalation struct {
	Name        string
	Steps       []EscalationStep
	Repeat      int           // how many times the whole list runs again after the last step
	RepeatAfter time.Duration // wait after the last step before repeating
	// LastResort is who is told when the last round ran out and nobody
	// acknowledged; nil: the owner team's lead (see Config.LastResort).
	LastResort *Target
}

// EscalationStep runs After the previous step started (the first step's
// After counts from the incident opening) and notifies Targets.
type EscalationStep struct {
	After   time.Duration
	Targets []Target
}

// Target is one "kind:name" entry of a step's notify list: people
// ("user", "team", "schedule") or a channel's own destination
// ("webhook:audit").
type Target struct {
	Kind string
	Name string
}

// Person kinds of Target; any other Kind is a channel name.
const (
	TargetUser     = "user"
	TargetTeam     = "team"
	TargetSchedule = "schedule"
)

// personTargets are the kinds of targets that stand for people.
var personTargets = []string{TargetUser, TargetTeam, TargetSchedule}

// IsPerson reports whether the target stands for people rather than a
// channel's destination.
func (t Target) IsPerson() bool {
	return t.Kind == TargetUser || t.Kind == TargetTeam || t.Kind == TargetSchedule
}

// Service owns the alerts its matchers select and pages through Escalation.
type Service struct {
	Name       string
	Escalation string
	Matchers   labels.Matchers // empty: matches every alert (catch-all)
	GroupBy    []string        // labels that split alerts into incidents; empty: one incident per service
	// Subscribers are channel destinations told of every event of the
	// service's incidents, without being paged.
	Subscribers []Target
	// Responders says which people may act on its incidents by SMS,
	// keypress, chat or link; never empty once compiled.
	Responders Responders
	// Severity maps its alerts' labels to a severity; a zero Map: the
	// incident_command block's.
	Severity SeverityRules
	// Managers is its manager rotation; nil: the incident_command block's.
	Managers *Target
	// Storm and Flapping fold its alert storms and flapping alerts (see
	// folding.go): the pagerd block's, unless the service sets its own.
	Storm    Storm
	Flapping Flapping
	// MatchAny are alternatives: besides Matchers, an alert must match
	// every matcher of at least one of them. Empty: no alternatives.
	MatchAny []labels.Matchers
	// Owner is the team that owns the service ("" none): its policy pages
	// unless the service names one, its room is told, its lead is the
	// last resort, its members may act.
	Owner string
	// Ownership names the ownership map the service comes from; "" for
	// a service block.
	Ownership string
	// NameLabel, when set, makes this a service for every value of that
	// label (an ownership map's default owner): the alert's service is
	// called by the label's value. Route and Service return it named so.
	NameLabel string
}

// Responders is a service's rule for who may act on its incidents as a
// person — acknowledge, resolve, escalate or add a note by SMS reply,
// keypress, chat button or link. Integrations' tokens (the API, the
// CLI) are not held to it, and a signed link passes by construction: it
// was sent to one person about one incident.
type Responders string

const (
	// RespondersPaged: only people paged or notified about the incident.
	RespondersPaged Responders = "paged"
	// RespondersTeam: those, and the members of every team the
	// incident's escalation policy names in a step — the teams that own
	// it. The default.
	RespondersTeam Responders = "team"
	// RespondersAnyone: any configured user.
	RespondersAnyone Responders = "anyone"
)

// DefaultResponders is the rule of a service that sets none, and of
// incidents whose service is gone from the config.
const DefaultResponders = RespondersTeam

// ResponderRules lists every rule, narrowest first.
var ResponderRules = []Responders{RespondersPaged, RespondersTeam, RespondersAnyone}

// Integration is a named inbound source with its own secret token.
type Integration struct {
	Name  string
	Type  string // a registered IntegrationType
	Token string
	// Service, when set, owns every alert of this integration whatever its
	// labels (as a PagerDuty routing key belongs to one service).
	Service string
	// RateLimit bounds how fast it may send alerts, across all replicas
	// (the count is kept in Redis); zero: no limit.
	RateLimit Rate
	// Settings are what its type's IntegrationType.Decode compiled from
	// the type's own attributes and blocks; nil for a type that has none.
	Settings any
}

// Heartbeat is a beat pagerd expects from something that runs
// unattended (a nightly backup, the monitoring pipeline itself): when no
// beat comes within Every plus Grace of the last one (or of the config
// first having the heartbeat), an incident opens on Service; the next
// beat resolves it.
type Heartbeat struct {
	Name  string
	Every time.Duration
	Grace time.Duration
	// Service owns the incident a missed beat opens.
	Service string
	// Integrations may beat it, by name; empty: any integration of type
	// "heartbeat".
	Integrations []string
	// Labels are added to the alert a missed beat fires, besides
	// alertname="HeartbeatMissed" (which they may replace) and
	// heartbeat=NAME.
	Labels  map[string]string
	Summary string // the alert's summary; "" for pagerd's own
}

// HeartbeatIntegration is the built-in integration type whose tokens beat
// every heartbeat that names no integrations of its own.
const HeartbeatIntegration = "heartbeat"

// Window is how long the heartbeat lives on one beat: Every plus Grace.
func (h *Heartbeat) Window() time.Duration { return h.Every + h.Grace }

// MayBeat reports whether integration in may beat the heartbeat: one it
// names, or, when it names none, any of type "heartbeat".
func (h *Heartbeat) MayBeat(in *Integration) bool {
	if len(h.Integrations) == 0 {
		return in.Type == HeartbeatIntegration
	}
	return slices.Contains(h.Integrations, in.Name)
}

// Rate is a number of events per period, written "120/m".
type Rate struct {
	Events int
	Per    time.Duration
}

func (r Rate) String() string {
	if r.Events == 0 {
		return "unlimited"
	}
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	return fmt.Sprintf("%d/%s", r.Events, unit)
}

// ParseRate reads "120/m": a positive number of events per second (s),
// minute (m) or hour (h).
func ParseRate(s string) (Rate, error) {
	n, unit, ok := strings.Cut(s, "/")
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	events, err := strconv.Atoi(n)
	if !ok || per == 0 || err != nil || events < 1 {
		return Rate{}, fmt.Errorf("%q is not a rate; write it like \"120/m\" (events per s, m or h)", s)
	}
	return Rate{Events: events, Per: per}, nil
}

// Contact returns the user's address in attribute attr ("phone"), or "".
func (u *User) Contact(attr string) string { return u.Contacts[attr] }

// Block returns the compiled settings of the unlabeled extension block of
// type t, or nil when it is absent or switched off.
func (c *Config) Block(t string) any { return c.Blocks[t] }
