// Package pagers delivers notifications. Each channel (console, sms, voice,
// email, webhook, ...) lives in one subpackage that registers itself (see
// channel.go) and renders its own messages; this package holds the Pager
// interface, the message model, the registry, the wording every channel
// shares, and the retry wrapper.
package pagers

import (
	"context"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// Pager sends one notification through one channel.
type Pager interface {
	Send(ctx context.Context, n Notification) (Receipt, error)
}

// Kind says why a notification is sent.
type Kind string

const (
	KindPage         Kind = "page"         // someone must act
	KindAcknowledged Kind = "acknowledged" // FYI: someone took it
	KindResolved     Kind = "resolved"     // FYI: it is over
	// KindShiftNotice tells a user their on-call shift starts soon; it is
	// about Shift, not an incident.
	KindShiftNotice Kind = "shift_notice"
	// KindUpdate tells a subscriber what just happened to an incident (or
	// a service, for a change event): Event says what.
	KindUpdate Kind = "update"
	// KindFollow asks a channel that edits its messages (Channel's
	// EditsMessages) to bring every message it sent about the incident up
	// to date with Event: it has no recipient of its own.
	KindFollow Kind = "follow"
	// KindSignIn carries a web console sign-in link to the person who
	// asked for it (SignIn); it is about no incident.
	KindSignIn Kind = "sign_in"
)

// IsFYI reports whether the notification only informs: nobody is asked to
// act on it.
func (k Kind) IsFYI() bool { return k != KindPage }

// Notification is one message to one person, or to one of a channel's own
// destinations, through one channel. Key is the idempotency key: (incident,
// round, step, target, rule, channel) for pages, (schedule, user, shift
// start, lead, channel) for shift notices, the event's stream position for
// updates; a provider that supports idempotency gets it as such.
type Notification struct {
	Key     string
	Kind    Kind
	Channel string // the registered channel's name
	User    string // pagerd user name; empty for a destination
	// Destination names the channel's own destination (the label of its
	// block, `webhook "audit"` → "audit"); empty for a person.
	Destination string
	Address     string // the person's phone number, email address, ...
	Incident    Incident
	AckURL      string // signed link that opens the acknowledge page
	// AckToken is the signed token of that link, for channels whose
	// provider calls back with an action (a keypress, a button).
	AckToken string
	AckReply string // what to reply by SMS to acknowledge, e.g. "ack 42"
	// ResolveReply is what to reply by SMS to resolve, e.g. "resolve 42";
	// empty leaves the resolve hint out of the message.
	ResolveReply string
	// Actor is who acknowledged or resolved, for the FYI kinds; empty when
	// unknown (e.g. resolved because the alert cleared).
	Actor string
	// Shift is the shift a KindShiftNotice is about; nil for other kinds.
	Shift *ShiftInfo
	// Event is what a KindUpdate reports; nil for other kinds.
	Event *incident.Event
	// Digest, when set, is where the incident stands, a line each — its
	// status updates so far, oldest first — for channels with room for it
	// (an email digest to stakeholders).
	Digest []string
	// Location is the recipient's time zone (a user's timezone): times in
	// the message are shown in it. nil: UTC.
	Location *time.Location
	// SignIn is the link a KindSignIn carries; nil for other kinds.
	SignIn *SignInInfo
}

// In is t in the recipient's time zone (UTC when they have none).
func (n Notification) In(t time.Time) time.Time {
	if n.Location == nil {
		return t.UTC()
	}
	return t.In(n.Location)
}

// SignInInfo is a console sign-in link: single use, valid until Expires.
type SignInInfo struct {
	URL     string
	Expires time.Time
}

// SignInText is what every channel says of a sign-in link, in one line.
func SignInText(s *SignInInfo) string {
	if s == nil {
		return "[pagerd] Sign-in link: none was made."
	}
	return "[pagerd] Your console sign-in link, valid once until " + s.Expires.UTC().Format("15:04 MST") + ": " + s.URL +
		" — if you did not ask for it, ignore it."
}

// ShiftInfo is what a shift notice says about the coming shift.
type ShiftInfo struct {
	Schedule string
	Start    time.Time
	End      time.Time // zero when the shift's end is too far ahead to tell
	// StartsIn is how long before Start the notice goes out, for "(in 1h)";
	// 0 leaves it out.
	StartsIn time.Duration
	// Location is the schedule's zone, in which the message shows Start and
	// End (nil: UTC).
	Location *time.Location
}

// Incident is what a message says about the incident.
type Incident struct {
	ID         int64
	Title      string // e.g. the alertname and group labels
	Summary    string // e.g. the summary/description annotation
	Service    string
	Status     string // triggered, acknowledged, resolved
	Labels     map[string]string
	AlertCount int
	StartedAt  time.Time
	SourceURL  string // generatorURL of the first alert, if any
	// Links are what the sender attached to the first alert: a
	// dashboard, a silence form... Channels with room show them.
	Links []incident.Link
	// Who acknowledged and resolved it, and when; zero while it has not
	// been.
	AckedBy    string
	AckedAt    time.Time
	ResolvedBy string
	ResolvedAt time.Time
	// Suppressed says why it pages nobody (every alert firing in it is
	// muted: "silence:ID", "maintenance:NAME", "inhibited:RULE"); "".
	Suppressed string
	// Flapping: one of its alerts flaps; this is the one page for it.
	Flapping bool
	// Folded is, for a storm incident, how many incidents were folded
	// into it (its summary names them); 0 for any other.
	Folded int
	// Severity is its incident command severity ("SEV2"); "" when it has
	// none.
	Severity string
	// Manager is its incident manager; "" when it has none yet.
	Manager string
	// Exhausted, on the page to a last resort, says that the escalation
	// ran out with nobody acknowledging ("escalation payments exhausted
	// after 2 rounds; nobody acknowledged"); "" on any other.
	Exhausted string
}

// IncidentOf is the message model of an incident.
func IncidentOf(inc *incident.Incident) Incident {
	out := Incident{
		ID: inc.ID, Title: inc.Title, Summary: inc.Summary, Service: inc.Service,
		Status: string(inc.Status), Labels: inc.GroupLabels, AlertCount: inc.FiringCount,
		StartedAt: inc.CreatedAt, SourceURL: inc.SourceURL, Links: inc.Links,
		AckedBy: inc.AckedBy, AckedAt: inc.AckedAt, ResolvedBy: inc.ResolvedBy, ResolvedAt: inc.ResolvedAt,
		Suppressed: inc.Suppressed, Flapping: inc.Flapping,
		Severity: inc.Severity, Manager: inc.Role(incident.RoleManager),
	}
	if inc.Storm != nil {
		out.Folded = inc.Storm.Folded
	}
	return out
}

// Receipt is the provider's answer to a successful send.
type Receipt struct {
	Channel    string
	ProviderID string // Twilio message SID, SMTP message id, ...
}
