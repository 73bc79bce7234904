// Package pagers delivers notifications. Each channel (console, sms, email,
// ...) is one small subpackage behind the Pager interface; this package holds
// the interface, the message text every channel shares, and the retry wrapper.
package pagers

import (
	"context"
	"time"
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
)

// Notification is one message to one person (or chat destination) through
// one channel. Key is the idempotency key: (incident, round, step, target,
// rule, channel) for pages, (schedule, user, shift start, lead, channel) for
// shift notices; a provider that supports idempotency gets it as such.
type Notification struct {
	Key      string
	Kind     Kind
	Channel  string // "console", "sms", "voice", "email", ...
	User     string // pagerd user name, empty for non-person destinations
	Address  string // phone number, email address, URL, chat channel
	Incident Incident
	AckURL   string // signed link that opens the acknowledge page
	AckReply string // what to reply by SMS to acknowledge, e.g. "ack 42"
	// ResolveReply is what to reply by SMS to resolve, e.g. "resolve 42";
	// empty leaves the resolve hint out of the message.
	ResolveReply string
	// Actor is who acknowledged or resolved, for the FYI kinds; empty when
	// unknown (e.g. resolved because the alert cleared).
	Actor string
	// Shift is the shift a KindShiftNotice is about; nil for other kinds.
	Shift *ShiftInfo
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
}

// Receipt is the provider's answer to a successful send.
type Receipt struct {
	Channel    string
	ProviderID string // Twilio message SID, SMTP message id, ...
}
