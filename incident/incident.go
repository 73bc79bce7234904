// Package incident is pagerd's domain vocabulary: what an incident is, the
// statuses it moves through, the actions people take on it, and the facts
// its timeline records. It holds types and rules only — no I/O: the store
// persists them, the router changes them, the HTTP API, the CLI and the
// channels show them.
package incident

import (
	"errors"
	"time"
)

// ErrNotFound is the error for an incident that does not exist, or whose
// retention ran out.
var ErrNotFound = errors.New("incident not found")

// Status is where an incident stands.
type Status string

const (
	Triggered    Status = "triggered"    // paging until someone acknowledges
	Acknowledged Status = "acknowledged" // someone took it; paging stopped
	Resolved     Status = "resolved"     // over
)

// Incident is one incident: a group of alerts one service owns, and the
// state of its escalation.
type Incident struct {
	ID          int64             `json:"id"`
	Service     string            `json:"service"`
	Escalation  string            `json:"escalation"`
	Title       string            `json:"title"`
	Summary     string            `json:"summary,omitempty"`
	SourceURL   string            `json:"source_url,omitempty"`
	GroupLabels map[string]string `json:"group_labels"`
	Status      Status            `json:"status"`
	CreatedAt   time.Time         `json:"created_at"`
	AckedAt     time.Time         `json:"acknowledged_at,omitzero"`
	AckedBy     string            `json:"acknowledged_by,omitempty"`
	ResolvedAt  time.Time         `json:"resolved_at,omitzero"`
	ResolvedBy  string            `json:"resolved_by,omitempty"`
	// Run counts escalation runs: it grows when an acknowledgement times out
	// and paging starts over; RunAt is when the current run began.
	Run   int       `json:"run"`
	RunAt time.Time `json:"run_started_at"`
	// Escalations are the times someone asked, during the current run, to
	// escalate now: each moves the escalation one step ahead.
	Escalations []time.Time          `json:"escalations,omitempty"`
	AlertsTotal int                  `json:"alerts_total"`
	Firing      map[string]time.Time `json:"-"` // fingerprint → endsAt (zero: none)
	FiringCount int                  `json:"alerts_firing"`
	// Links are what the sender attached to the alert that opened it (a
	// dashboard, a panel, a silence form, an image).
	Links []Link `json:"links,omitempty"`
	// Suppressed says why the incident pages nobody — every alert firing
	// in it is muted ("silence:<id>", "maintenance:<name>",
	// "inhibited:<rule>", the first reason found); "" while it pages as
	// usual. SuppressedAlerts holds why each muted firing alert is, by
	// fingerprint.
	Suppressed       string            `json:"suppressed,omitempty"`
	SuppressedAlerts map[string]string `json:"suppressed_alerts,omitempty"`
	// ReviewAt is when why its alerts are muted may change with time (a
	// silence or maintenance window ends or begins); zero: not by time.
	// NeedsReview: something else changed it (silences, an inhibiting
	// alert): the engine looks again at once.
	ReviewAt    time.Time `json:"-"`
	NeedsReview bool      `json:"-"`

	// Incident command. Severity is a name of the config's severities
	// ("SEV2"), from its alerts' labels by the service's rules or set by a
	// person (SeverityBy: then labels no longer change it); SeverityRank
	// is its place among them (1 = most severe, 0 = none); SeverityAt is
	// when it took that severity, which starts its manager and update
	// clocks.
	Severity     string    `json:"severity,omitempty"`
	SeverityRank int       `json:"-"`
	SeverityAt   time.Time `json:"severity_at,omitzero"`
	SeverityBy   string    `json:"severity_by,omitempty"`
	// DeclaredBy is who opened it by hand (pagerd declare); "" when
	// alerts opened it.
	DeclaredBy string `json:"declared_by,omitempty"`
	// Roles says who plays each role (absent: nobody).
	Roles map[Role]string `json:"roles,omitempty"`
	// UpdateState and LastUpdateAt are those of its latest status update
	// (zero before the first); Updates counts them.
	UpdateState  UpdateState `json:"update_state,omitempty"`
	LastUpdateAt time.Time   `json:"last_update_at,omitzero"`
	Updates      int         `json:"updates,omitempty"`
	// FoldedInto is the storm incident this one was folded into: it pages
	// nobody, the storm pages for it. 0: not folded.
	FoldedInto int64 `json:"folded_into,omitempty"`
	// Flapping: one of its alerts flaps. The incident paged once, saying
	// so; the alert's flips stay on it without paging, and a flapping
	// alert counts as firing until it stayed resolved for the service's
	// hold time.
	Flapping bool `json:"flapping,omitempty"`
	// Storm is set on a storm incident: the one incident that pages for
	// an alert storm, the new incidents of its service folded into it.
	Storm *Storm `json:"storm,omitempty"`
}

// Role returns who plays role, or "".
func (inc *Incident) Role(role Role) string { return inc.Roles[role] }

// Storm is what a storm incident keeps of the incidents folded into it.
// Its Title and Summary say the same in words, kept current as incidents
// fold in: how many, and the most frequent alert names.
type Storm struct {
	Folded int `json:"folded"`      // incidents folded into it so far
	Open   int `json:"folded_open"` // of those, not resolved yet
	// LastFoldedAt is when the last incident folded in; the storm passes
	// when none has come for Window after it.
	LastFoldedAt time.Time     `json:"last_folded_at"`
	Window       time.Duration `json:"-"`
	// PassedAt is when pagerd found the storm passed; zero while it lasts.
	// A passed storm takes no new incidents, and resolves once every
	// incident folded into it is resolved.
	PassedAt time.Time `json:"passed_at,omitzero"`
}

// PassesAt is when the storm passes unless another incident folds in.
func (s *Storm) PassesAt() time.Time { return s.LastFoldedAt.Add(s.Window) }

// NextAlertEnd is the earliest endsAt among firing alerts, or zero.
func (inc *Incident) NextAlertEnd() time.Time {
	var next time.Time
	for _, ends := range inc.Firing {
		if !ends.IsZero() && (next.IsZero() || ends.Before(next)) {
			next = ends
		}
	}
	return next
}

// Open reports whether the incident still needs attention.
func (inc *Incident) Open() bool { return inc.Status != Resolved }

// AlertAction is what a monitor says about one of its alerts.
type AlertAction string

const (
	// AlertTrigger: the alert fires (again). A new alert opens or joins an
	// incident; a firing one is deduplicated.
	AlertTrigger AlertAction = "trigger"
	// AlertAcknowledge: the sender acknowledges the incident its alert
	// fires in (PagerDuty-style senders do).
	AlertAcknowledge AlertAction = "acknowledge"
	// AlertResolve: the alert ended; its incident resolves with its last
	// alert.
	AlertResolve AlertAction = "resolve"
)

// AlertOutcome says what storing one alert did.
type AlertOutcome string

const (
	AlertTriggered    AlertOutcome = "triggered"      // opened a new incident
	AlertGrouped      AlertOutcome = "grouped"        // joined an open incident
	AlertDeduplicated AlertOutcome = "deduplicated"   // already firing there: no new page
	AlertAcknowledged AlertOutcome = "acknowledged"   // acknowledged its incident
	AlertEnded        AlertOutcome = "alert_resolved" // one alert ended, others still fire
	AlertClosed       AlertOutcome = "resolved"       // its last alert ended: incident closed
	AlertIgnored      AlertOutcome = "ignored"        // nothing to do: unknown, or already in that state
	// AlertRejected: refused for what it holds, nothing of it stored; the
	// intake's answer says why. The rest of its batch is stored.
	AlertRejected AlertOutcome = "rejected"
	// AlertUnrouted: stored in an incident no service owns (it matches
	// none): nobody is paged until a reload gives it a service.
	AlertUnrouted AlertOutcome = "unrouted"
	// AlertSuppressed: firing, stored and shown, but muted — by a
	// silence, a maintenance window or an inhibition rule — so it pages
	// nobody; it pages once nothing mutes it any more, if it still fires.
	AlertSuppressed AlertOutcome = "suppressed"
	// AlertFolded: it opened an incident during an alert storm, which was
	// folded into the storm incident: the storm pages, not this one.
	AlertFolded AlertOutcome = "folded"
	// AlertFlapping: a flip of a flapping alert, absorbed by its incident:
	// no new incident, no page; a resolve only starts the hold time.
	AlertFlapping AlertOutcome = "flapping"
)

// Reached is one recipient a page went out to, remembered so that they
// hear when the incident is acknowledged or resolved: a person through a
// channel at an address, or a destination of a channel (a webhook, a
// room) by name.
type Reached struct {
	User        string `json:"user,omitempty"`
	Destination string `json:"destination,omitempty"`
	Channel     string `json:"channel"`
	Address     string `json:"address,omitempty"`
}

// Who names the recipient for timelines and logs: the user, or
// "channel:destination".
func (r Reached) Who() string {
	if r.User != "" {
		return r.User
	}
	return r.Channel + ":" + r.Destination
}
