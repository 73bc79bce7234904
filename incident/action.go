package incident

import (
	"errors"
	"fmt"
	"strings"
)

// Action is something a person does to an incident. Every front end — SMS
// replies, keypresses, signed links, the API, the CLI, chat buttons —
// speaks these, so an action means the same wherever it comes from.
type Action string

const (
	Ack      Action = "ack"      // take it: paging stops
	Resolve  Action = "resolve"  // it is over
	Escalate Action = "escalate" // page the next escalation step now
	Note     Action = "note"     // add a fact to the timeline

	// Incident command (see command.go): the command package applies
	// these, after the same check of who may act.
	Assign      Action = "assign"   // give a role to someone (Role, Assignee)
	SetSeverity Action = "severity" // change the severity (Severity)
	Update      Action = "update"   // post a status update (Update)
)

// Actions lists every action, in the order help texts show them.
var Actions = []Action{Ack, Resolve, Escalate, Note}

// ParseAction reads an action's name; "acknowledge" is accepted for ack.
func ParseAction(s string) (Action, error) {
	switch a := Action(strings.ToLower(strings.TrimSpace(s))); a {
	case Ack, Resolve, Escalate, Note:
		return a, nil
	case "acknowledge":
		return Ack, nil
	}
	return "", fmt.Errorf("unknown action %q: use ack, resolve, escalate or note", s)
}

// Verb is the action as a button or a prompt says it: "Acknowledge".
func (a Action) Verb() string {
	switch a {
	case Ack:
		return "Acknowledge"
	case Resolve:
		return "Resolve"
	case Escalate:
		return "Escalate"
	case Note:
		return "Add note"
	case Assign:
		return "Assign"
	case SetSeverity:
		return "Change severity"
	case Update:
		return "Post update"
	}
	return string(a)
}

// Object is the action as a sentence says it of an incident already
// named: "acknowledge it", "add a note to it".
func (a Action) Object() string {
	switch a {
	case Note:
		return "add a note to it"
	case Assign:
		return "give its roles"
	case SetSeverity:
		return "change its severity"
	case Update:
		return "post its status updates"
	}
	return strings.ToLower(a.Verb()) + " it"
}

// IsCommand reports whether the action is one of incident command's
// (assign, severity, update), which the command package applies.
func (a Action) IsCommand() bool { return a == Assign || a == SetSeverity || a == Update }

// Request is one action by someone, through some channel.
type Request struct {
	Incident int64
	Action   Action
	By       string  // who acts: a user, an integration, "ack timeout"
	Via      string  // through what: "sms", "voice", "link", "api", "slack", ...
	Text     string  // the note's text, for Note
	Tag      NoteTag // the note's mark for the post-mortem, for Note
	// Thread, for Note: the chat message it was written under, as a
	// reply in its thread (the chat layer's key of that message), which
	// is then not told of it again; "" elsewhere.
	Thread string
	// Delivery, for Note: the sender's id of the delivery that asked for
	// it (a Slack event's event_id), for senders that deliver again what
	// they think failed. The note and the delivery's mark are stored
	// together, so a delivery that failed is taken when it comes again,
	// and one that was taken is not taken twice. "" elsewhere.
	Delivery string

	// Role and Assignee, for Assign: Assignee "" takes the role back.
	Role     Role
	Assignee string
	// Severity, for SetSeverity: a name of the config's severities, or
	// its number ("1" for the first).
	Severity string
	// Update, for Update: the state and its wording (At, By, Via and N are
	// filled in when it is stored).
	Update *StatusUpdate
	// Credential is what vouches for By; it decides what is checked
	// before the action applies. The zero value is the most checked.
	Credential Credential
}

// Credential is what vouches for the person a Request says acts. Every
// front end states it; the router holds people to their service's
// responders rule accordingly.
type Credential string

const (
	// CredentialAddress (the zero value): the front end knows By only by
	// an address of theirs — the number an SMS came from, a chat account.
	// By may act only as the service's responders rule allows: on an
	// incident they were paged or notified about, say.
	CredentialAddress Credential = ""
	// CredentialLink: the request carries a link pagerd signed for By
	// about this very incident and action (an ack link, a call's keypress
	// URL). It was sent to them about it, so it passes the rule by
	// construction.
	CredentialLink Credential = "link"
	// CredentialToken: an integration's secret token (the API, the CLI).
	// Machines act for anyone, unrestricted.
	CredentialToken Credential = "token"
)

// ErrRefused is the error a *Refusal wraps: someone may not take that
// action on that incident.
var ErrRefused = errors.New("action refused")

// Refusal is an action refused because the person may not take it on
// that incident. Error() is one sentence, safe to show them in any
// channel: who may.
type Refusal struct {
	Request Request
	// Reason says who may take the action, as the person is told:
	// "Only people paged or notified about incident #42 may resolve it."
	Reason string
}

func (e *Refusal) Error() string { return e.Reason }

func (e *Refusal) Unwrap() error { return ErrRefused }

// Outcome says what an action did.
type Outcome string

const (
	OutcomeAcknowledged Outcome = "acknowledged"
	OutcomeResolved     Outcome = "resolved"
	OutcomeEscalated    Outcome = "escalated"
	OutcomeNoted        Outcome = "noted"
	OutcomeReopened     Outcome = "reopened"
	OutcomeAssigned     Outcome = "assigned"
	OutcomeSeverity     Outcome = "severity_changed"
	OutcomeUpdated      Outcome = "updated"
	// OutcomeUnchanged: the incident was already past what the action
	// asks (acknowledging an acknowledged incident, say).
	OutcomeUnchanged Outcome = "unchanged"
	// OutcomeRepeated: the request's Delivery was taken before; nothing
	// was done again.
	OutcomeRepeated Outcome = "repeated"
)

// Result is an action's outcome and the status the incident had before.
type Result struct {
	Outcome Outcome `json:"outcome"`
	Before  Status  `json:"previous_status"`
}
