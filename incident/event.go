package incident

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kind is the kind of a fact on an incident's timeline. The store's Lua
// scripts write some of these names themselves; a test holds them to this
// list.
type Kind string

const (
	KindTriggered      Kind = "triggered"           // the incident opened
	KindAlertFiring    Kind = "alert_firing"        // another alert joined it
	KindAlertResolved  Kind = "alert_resolved"      // one of its alerts ended
	KindAlertExpired   Kind = "alert_expired"       // an alert's endsAt passed without a re-send
	KindAcknowledged   Kind = "acknowledged"        // someone took it
	KindEscalated      Kind = "escalated"           // a later escalation step started, or someone escalated
	KindReopened       Kind = "reopened"            // an acknowledgement timed out: paging starts over
	KindResolved       Kind = "resolved"            // it is over
	KindNote           Kind = "note"                // someone wrote down a fact
	KindStepEmpty      Kind = "step_empty"          // an escalation step reached nobody
	KindNotified       Kind = "notified"            // a page went out
	KindNotifyFailed   Kind = "notify_failed"       // a page or notice failed on every channel
	KindAckNotice      Kind = "acknowledged_notice" // someone paged was told of the acknowledgement
	KindResolvedNotice Kind = "resolved_notice"     // someone paged was told of the resolution
	// KindActionRefused: someone tried an action they may not take on
	// this incident (the service's responders rule); the fact says who,
	// through which channel, what and why.
	KindActionRefused Kind = "action_refused"
	// KindAlertSuppressed: one of its alerts is muted (by a silence, a
	// maintenance window or an inhibition rule); the fact says which
	// alert and why.
	KindAlertSuppressed Kind = "alert_suppressed"
	// KindSuppressed: every alert firing in it is muted, so it pages
	// nobody; KindUnsuppressed: one is not any more, so a triggered
	// incident's escalation starts over from its first step.
	KindSuppressed   Kind = "suppressed"
	KindUnsuppressed Kind = "unsuppressed"
	// Incident command (command.go). Published: a severity changed by a
	// person (or a more severe alert), a role given or taken back, a
	// status update (its event carries the update).
	KindSeverity     Kind = "severity_changed"
	KindRoleAssigned Kind = "role_assigned"
	KindStatusUpdate Kind = "status_update"
	// On the timeline only: the manager rotation paged because a severe
	// incident has no manager; the manager reminded that an update is
	// due; the comms lead told that it is overdue.
	KindManagerNeeded Kind = "manager_needed"
	KindUpdateDue     Kind = "update_due"
	KindUpdateOverdue Kind = "update_overdue"
	// Stakeholders told (one fact per event, naming them), a stakeholder
	// channel that failed (paging goes on regardless), and what was
	// handed to the status page.
	KindStakeholders      Kind = "stakeholders_notified"
	KindStakeholderFailed Kind = "stakeholder_failed"
	KindStatusPage        Kind = "status_page"
	// KindPublicUpdate: an update was published on a status page (its
	// tag is the update's number): published, for the page's
	// subscribers. The page's own record keeps it for its history.
	KindPublicUpdate Kind = "public_update"
	// After the incident (postmortem package). Published: the
	// post-mortem marked done, an action item added or done (its event
	// carries the item) — what people do. On the timeline only: who owns
	// the post-mortem (named as every incident resolves: consumers would
	// hear of it for each), the owner reminded, the draft written into the
	// post-mortem directory, an action item's owner reminded that it is
	// overdue.
	KindPostmortemOwner   Kind = "postmortem_owner"
	KindPostmortemDone    Kind = "postmortem_done"
	KindPostmortemDue     Kind = "postmortem_due"
	KindPostmortemWritten Kind = "postmortem_written"
	KindActionAdded       Kind = "action_added"
	KindActionDone        Kind = "action_done"
	KindActionOverdue     Kind = "action_overdue"
	// KindChange is a change event (a deploy, a config push) recorded for
	// a service; it belongs to no incident.
	KindChange Kind = "change"
	// KindRerouted: alerts that matched no service found their service
	// after a config reload; the incident moved to it (and pages as it
	// says), or handed them to the incidents of their services.
	KindRerouted Kind = "rerouted"
	// KindFolded: the incident opened during an alert storm and was folded
	// into the storm incident the detail names; it pages nobody.
	KindFolded Kind = "folded"
	// KindStormPassed: no new incident folded into the storm for its
	// window; the detail says how many were folded and how many are open.
	KindStormPassed Kind = "storm_passed"
	// KindStormNotice: someone paged for the storm was told it passed.
	KindStormNotice Kind = "storm_passed_notice"
	// KindFlapping: one of the incident's alerts changed state too often
	// and is flapping: its flips no longer page.
	KindFlapping Kind = "flapping"
	// KindExhausted: the escalation policy ran its last step of its last
	// round and nobody acknowledged; the incident stays triggered, and its
	// last resort (the policy's, the owner team's lead) is told.
	KindExhausted Kind = "escalation_exhausted"
	// KindExhaustedNotice: a last resort was told that nobody acknowledged.
	KindExhaustedNotice Kind = "escalation_exhausted_notice"
)

// Kinds lists every kind.
var Kinds = []Kind{
	KindTriggered, KindAlertFiring, KindAlertResolved, KindAlertExpired,
	KindAcknowledged, KindEscalated, KindReopened, KindResolved, KindNote,
	KindStepEmpty, KindNotified, KindNotifyFailed, KindAckNotice, KindResolvedNotice,
	KindActionRefused, KindAlertSuppressed, KindSuppressed, KindUnsuppressed, KindChange, KindRerouted,
	KindFolded, KindStormPassed, KindStormNotice, KindFlapping,
	KindSeverity, KindRoleAssigned, KindStatusUpdate, KindManagerNeeded, KindUpdateDue, KindUpdateOverdue,
	KindStakeholders, KindStakeholderFailed, KindStatusPage,
	KindPostmortemOwner, KindPostmortemDone, KindPostmortemDue, KindPostmortemWritten,
	KindActionAdded, KindActionDone, KindActionOverdue,
	KindExhausted, KindExhaustedNotice,
	KindPublicUpdate,
}

// Published reports whether facts of this kind also go out on the event
// stream that consumers (outgoing webhooks, chat updates, the status page)
// read. Per-alert and per-page facts stay on the incident's own timeline:
// an alert storm must not flood every consumer.
func (k Kind) Published() bool {
	switch k {
	case KindTriggered, KindAcknowledged, KindEscalated, KindReopened, KindResolved, KindNote, KindChange, KindRerouted,
		KindStormPassed, KindSeverity, KindRoleAssigned, KindStatusUpdate,
		KindPostmortemDone, KindActionAdded, KindActionDone, KindExhausted, KindPublicUpdate:
		return true
	}
	return false
}

// ParseKind reads a kind's name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown event kind %q", s)
}

// Fact is one entry of an incident's timeline.
type Fact struct {
	// ID is the fact's position in its timeline: a cursor for paging
	// through a long one.
	ID     string    `json:"id,omitempty"`
	At     time.Time `json:"at"`
	Kind   Kind      `json:"event"`
	Actor  string    `json:"actor,omitempty"` // who: a user, an integration, "alerts"
	Via    string    `json:"via,omitempty"`   // through what: "sms", "link", "api", ...
	Detail string    `json:"detail,omitempty"`
	// Tag qualifies the fact in one word: a note's mark (root_cause,
	// resolution), a status update's state.
	Tag string `json:"tag,omitempty"`
}

// Event is a published fact as consumers read it from the event stream.
type Event struct {
	// ID is the event's position in the stream: unique, increasing, and
	// the same every time the event is delivered again.
	ID       string `json:"id"`
	Incident int64  `json:"incident,omitempty"` // 0 for a change event
	Service  string `json:"service,omitempty"`
	Fact
	// Change is the change a KindChange event records; nil for others.
	Change *Change `json:"change,omitempty"`
	// Update is the status update a KindStatusUpdate event posts; nil for
	// others.
	Update *StatusUpdate `json:"update,omitempty"`
	// Thread is, for a note written as a reply in a chat message's thread,
	// that message (Request.Thread): the one place not to post it again.
	Thread string `json:"thread,omitempty"`
	// Item is the action item a KindActionAdded or KindActionDone event
	// is about; nil for others.
	Item *ActionItem `json:"action_item,omitempty"`
}

// Change is something that changed in a system — a deploy, a feature flag,
// a config push — recorded for a service without paging anyone, so that
// responders see what changed before it broke.
type Change struct {
	At          time.Time       `json:"at"`
	Service     string          `json:"service"`
	Summary     string          `json:"summary"`
	Source      string          `json:"source,omitempty"`
	Integration string          `json:"integration"`
	Links       []Link          `json:"links,omitempty"`
	Details     json.RawMessage `json:"custom_details,omitempty"`
}

// Link is a URL a sender attached, with the text to show for it.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}
