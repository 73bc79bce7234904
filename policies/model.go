// Package policies turns a directory of HCL files into the compiled model the
// router reads: users, teams, schedules, escalation policies, services,
// integrations and provider settings. Loading is staged (parse every file,
// merge, decode, then validate references) so every problem is reported with
// its source range.
package policies

import (
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
	Twilio       *Twilio // nil when not configured or its credentials are unset
	SMTP         *SMTP   // nil when not configured
}

// Settings are daemon-wide knobs from the `pagerd { ... }` block.
type Settings struct {
	PublicURL         string        // base of ack links and the Twilio webhook URL
	LinkSecret        []byte        // HMAC key for ack links and feed tokens; nil: pagerd keeps one in Redis
	LinkTTL           time.Duration // how long an ack link is valid (default 24h)
	AckTimeout        time.Duration // re-page an acknowledged incident after this; 0 = never
	ResolvedRetention time.Duration // keep resolved incidents this long (default 168h)
	ResolveTimeout    time.Duration // endsAt for API alerts that carry none (default 5m, as Alertmanager)
}

// User is a person who can be paged.
type User struct {
	Name  string
	Email string
	Phone string // E.164
	Rules []NotifyRule

	// ShiftNotices are opt-in reminders sent Before each of the user's
	// on-call shifts starts.
	ShiftNotices []ShiftNotice
}

// ShiftNotice tells a user, Before their shift starts, that it is coming.
type ShiftNotice struct {
	Before time.Duration
	Via    string // "sms", "voice", "email", "console"
}

// NotifyRule is a user's personal rule: when they are paged, contact them via
// Via after After (relative to the moment the escalation step reaches them).
type NotifyRule struct {
	After time.Duration
	Via   string // "sms", "voice", "email", "console"
}

type Team struct {
	Name    string
	Members []string
}

// Escalation is an ordered list of steps, run until someone acknowledges.
type Escalation struct {
	Name        string
	Steps       []EscalationStep
	Repeat      int           // how many times the whole list runs again after the last step
	RepeatAfter time.Duration // wait after the last step before repeating
}

// EscalationStep runs After the previous step started (the first step's
// After counts from the incident opening) and notifies Targets.
type EscalationStep struct {
	After   time.Duration
	Targets []Target
}

// Target is one "kind:name" entry of a step's notify list.
type Target struct {
	Kind string // "user", "team", "schedule"
	Name string
}

// Service owns the alerts its matchers select and pages through Escalation.
type Service struct {
	Name       string
	Escalation string
	Matchers   labels.Matchers // empty: matches every alert (catch-all)
	GroupBy    []string        // labels that split alerts into incidents; empty: one incident per service
}

// Integration is a named inbound source with its own secret token.
type Integration struct {
	Name  string
	Type  string // "alertmanager" (webhook and /api/v2/alerts), "api" (REST API and CLI)
	Token string
}

// Twilio holds SMS/voice provider settings.
type Twilio struct {
	AccountSID string
	AuthToken  string
	From       string // E.164 sender number
}

// SMTP holds email provider settings.
type SMTP struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	From     string
	TLS      string // "none", "opportunistic" (default), "mandatory"
}
