package incident

import (
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
	}
	return string(a)
}

// Request is one action by someone, through some channel.
type Request struct {
	Incident int64
	Action   Action
	By       string // who acts: a user, an integration, "ack timeout"
	Via      string // through what: "sms", "voice", "link", "api", "slack", ...
	Text     string // the note's text, for Note
}

// Outcome says what an action did.
type Outcome string

const (
	OutcomeAcknowledged Outcome = "acknowledged"
	OutcomeResolved     Outcome = "resolved"
	OutcomeEscalated    Outcome = "escalated"
	OutcomeNoted        Outcome = "noted"
	OutcomeReopened     Outcome = "reopened"
	// OutcomeUnchanged: the incident was already past what the action
	// asks (acknowledging an acknowledged incident, say).
	OutcomeUnchanged Outcome = "unchanged"
)

// Result is an action's outcome and the status the incident had before.
type Result struct {
	Outcome Outcome `json:"outcome"`
	Before  Status  `json:"previous_status"`
}
