package incident

import (
	"strings"
	"time"
)

// After an incident: the post-mortem that records it and the action items
// that come out of it. The postmortem package decides with these words;
// the store keeps them.

// ActionKind says what an action item is for.
type ActionKind string

const (
	ActionFix        ActionKind = "fix"        // repair what broke, for good
	ActionPrevention ActionKind = "prevention" // make it unlikely to happen again
	ActionDetection  ActionKind = "detection"  // notice it sooner: an alert, a dashboard
	ActionProcess    ActionKind = "process"    // how people work: a runbook, a review, training
	// ActionTechDebt is work the incident showed was put off: the
	// tech-debt backlog is the open items of this kind.
	ActionTechDebt ActionKind = "tech-debt"
)

// ActionKinds lists every kind, in the order help texts show them.
var ActionKinds = []ActionKind{ActionFix, ActionPrevention, ActionDetection, ActionProcess, ActionTechDebt}

// ParseActionKind reads a kind's name; "" is a fix, "techdebt" and
// "tech_debt" are tech-debt.
func ParseActionKind(s string) (ActionKind, error) {
	switch k := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-"); k {
	case "":
		return ActionFix, nil
	case "techdebt", "debt":
		return ActionTechDebt, nil
	default:
		for _, known := range ActionKinds {
			if k == string(known) {
				return known, nil
			}
		}
	}
	return "", Invalidf("unknown action item kind %q: use fix, prevention, detection, process or tech-debt", s)
}

// DateLayout is how an action item's due date is written: a day, no time.
const DateLayout = "2006-01-02"

// ActionItem is one piece of work an incident showed is needed. Items
// outlive their incident: its retention does not end them.
type ActionItem struct {
	ID       int64      `json:"id"`
	Incident int64      `json:"incident"`
	Service  string     `json:"service"`
	Title    string     `json:"title"`
	Owner    string     `json:"owner"`
	Kind     ActionKind `json:"kind"`
	// Due is the day it is due ("2027-01-15"), "" for none; the item is
	// overdue once that day is over, in UTC.
	Due       string    `json:"due,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	DoneBy    string    `json:"done_by,omitempty"`
}

// Done reports whether the item is done.
func (a *ActionItem) Done() bool { return !a.DoneAt.IsZero() }

// Status is "done" or "open".
func (a *ActionItem) Status() string {
	if a.Done() {
		return "done"
	}
	return "open"
}

// OverdueAt is when the item becomes overdue: the end of its due day in
// UTC; zero when it has no due date.
func (a *ActionItem) OverdueAt() time.Time {
	d, err := time.Parse(DateLayout, a.Due)
	if err != nil {
		return time.Time{}
	}
	return d.AddDate(0, 0, 1)
}

// Overdue reports whether the item is open past its due day at now.
func (a *ActionItem) Overdue(now time.Time) bool {
	at := a.OverdueAt()
	return !a.Done() && !at.IsZero() && !now.Before(at)
}

// Postmortem is where an incident's post-mortem stands: who owns it,
// whether it is required, and whether it is done.
type Postmortem struct {
	Incident int64 `json:"incident"`
	// Owner writes it; OwnerWhy says why pagerd named them ("the incident
	// manager"). "" until the incident resolves.
	Owner    string `json:"owner,omitempty"`
	OwnerWhy string `json:"owner_why,omitempty"`
	// Required: the incident's severity calls for a post-mortem, and its
	// owner is reminded until it is done; otherwise it is offered.
	Required bool      `json:"required"`
	NamedAt  time.Time `json:"named_at,omitzero"`
	DoneAt   time.Time `json:"done_at,omitzero"`
	DoneBy   string    `json:"done_by,omitempty"`
	// Path is the file the draft was written to, when the config names a
	// directory for them.
	Path string `json:"path,omitempty"`
	// DraftSum is the SHA-256 (hex) of the draft last written there.
	DraftSum string `json:"-"`
}

// Done reports whether the post-mortem was marked done.
func (p Postmortem) Done() bool { return !p.DoneAt.IsZero() }
