package incident

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Incident command: once paging has found someone, an incident still needs
// an owner, a rhythm of updates and a record. These are its words; the
// command package decides with them, the store keeps them.

// Role is a part someone plays in handling an incident.
type Role string

const (
	// RoleManager owns the incident: decides, delegates and posts the
	// status updates (the incident commander elsewhere).
	RoleManager Role = "manager"
	// RoleComms owns the communication: an overdue update is escalated
	// to them.
	RoleComms Role = "comms"
	// RoleScribe keeps the timeline: notes, findings, decisions.
	RoleScribe Role = "scribe"
)

// Roles lists every role, in the order views show them.
var Roles = []Role{RoleManager, RoleComms, RoleScribe}

// ParseRole reads a role's name; "ic", "commander" and "incident-manager"
// are the manager, "communications" the comms lead.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "manager", "ic", "commander", "incident-manager", "incident_manager":
		return RoleManager, nil
	case "comms", "communications", "comms-lead", "comms_lead":
		return RoleComms, nil
	case "scribe":
		return RoleScribe, nil
	}
	return "", Invalidf("unknown role %q: use manager, comms or scribe", s)
}

// Title is the role as a sentence names it: "incident manager".
func (r Role) Title() string {
	switch r {
	case RoleManager:
		return "incident manager"
	case RoleComms:
		return "communications lead"
	}
	return string(r)
}

// UpdateState is where a status update says the work stands, in the order
// incidents usually move through them.
type UpdateState string

const (
	StateInvestigating UpdateState = "investigating" // looking for the cause
	StateIdentified    UpdateState = "identified"    // the cause is known, a fix is under way
	StateMonitoring    UpdateState = "monitoring"    // fixed; watching that it holds
	StateResolved      UpdateState = "resolved"      // over: posting it resolves the incident
)

// UpdateStates lists the states in order.
var UpdateStates = []UpdateState{StateInvestigating, StateIdentified, StateMonitoring, StateResolved}

// ParseUpdateState reads a state's name.
func ParseUpdateState(s string) (UpdateState, error) {
	for _, st := range UpdateStates {
		if strings.EqualFold(strings.TrimSpace(s), string(st)) {
			return st, nil
		}
	}
	return "", Invalidf("unknown update status %q: use investigating, identified, monitoring or resolved", s)
}

// StatusUpdate is one update the manager posts: where things stand, in
// the words for people inside (Text) and, when they differ, for customers
// (PublicText).
type StatusUpdate struct {
	N          int         `json:"n"` // 1 for the first update of the incident
	At         time.Time   `json:"at"`
	By         string      `json:"by"`
	Via        string      `json:"via,omitempty"`
	State      UpdateState `json:"status"`
	Text       string      `json:"text"`
	PublicText string      `json:"public_text,omitempty"`
}

// Public is the update's wording for people outside: PublicText, or Text
// when the manager gave no other.
func (u *StatusUpdate) Public() string {
	if u.PublicText != "" {
		return u.PublicText
	}
	return u.Text
}

// NoteTag marks a note for the post-mortem.
type NoteTag string

const (
	TagRootCause  NoteTag = "root_cause" // a candidate root cause
	TagResolution NoteTag = "resolution" // what resolved it, or may
)

// ParseNoteTag reads a note's mark; "" is no mark.
func ParseNoteTag(s string) (NoteTag, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_") {
	case "":
		return "", nil
	case "root_cause", "cause", "rootcause":
		return TagRootCause, nil
	case "resolution", "fix":
		return TagResolution, nil
	}
	return "", Invalidf("unknown note tag %q: use root-cause or resolution", s)
}

// MaxNote bounds a note's text, and a status update's: a timeline is read
// by people, and every replica holds it in Redis.
const MaxNote = 4 << 10

// ErrInvalid is the error an *Invalid wraps.
var ErrInvalid = errors.New("invalid request")

// Invalid is a request that names something that does not exist or is
// not allowed (an unknown user, role or severity): nothing was changed.
// Its text is safe to show in any channel, and names the problem.
type Invalid struct{ Reason string }

func (e *Invalid) Error() string { return e.Reason }

func (e *Invalid) Unwrap() error { return ErrInvalid }

// Invalidf builds an *Invalid.
func Invalidf(format string, args ...any) error {
	return &Invalid{Reason: fmt.Sprintf(format, args...)}
}

// ErrClosed is the error for an action a resolved incident no longer
// takes (a status update, a role): nothing was changed.
var ErrClosed = errors.New("incident is resolved")
