package incident

import (
	"time"
)

// Status pages: what an incident looks like to the people outside. An
// incident published on a page becomes a PageIncident, with a public
// title and public updates only — what its responders write for each
// other never reaches it. It outlives the incident: a page shows 90 days
// of history.

// PageIncident is an incident as status pages show it.
type PageIncident struct {
	ID int64 `json:"id"` // the incident's own number; never shown on a page
	// Code is its public identifier (in URLs, the JSON API and feeds): it
	// says nothing of how many incidents pagerd had.
	Code  string   `json:"code"`
	Pages []string `json:"pages"`
	Title string   `json:"title"`
	// Service is the incident's service, for views inside only.
	Service string      `json:"service"`
	Status  UpdateState `json:"status"`
	// Components are the components it affects and the state it gives
	// each (policies.ComponentStates), by name.
	Components   map[string]string `json:"components"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	MonitoringAt time.Time         `json:"monitoring_at,omitzero"`
	ResolvedAt   time.Time         `json:"resolved_at,omitzero"`
	Updates      []PageUpdate      `json:"updates"` // oldest first
}

// Active reports whether it still affects its components.
func (p *PageIncident) Active() bool { return p.Status != StateResolved }

// OnPage reports whether it is published on the page called name.
func (p *PageIncident) OnPage(name string) bool {
	for _, n := range p.Pages {
		if n == name {
			return true
		}
	}
	return false
}

// PageUpdate is one public update: where things stand, in words for
// customers, and the state of each component it affects from then on.
type PageUpdate struct {
	N          int               `json:"n"` // 1 for the first
	At         time.Time         `json:"at"`
	Status     UpdateState       `json:"status"`
	Body       string            `json:"body"`
	Components map[string]string `json:"components"`
	By         string            `json:"by,omitempty"`
	Via        string            `json:"via,omitempty"`
}

// MaxPublicText bounds a public update's text and a report's: both are
// read on a phone, and both come from people typing.
const MaxPublicText = 4000

// MaxPublicTitle bounds a public incident's title.
const MaxPublicTitle = 200

// Subscriber is someone told of a page's public updates: an email
// address, a phone number or a webhook URL. What identifies them stays in
// Redis, and is shown only to them and to the team.
type Subscriber struct {
	ID      string `json:"id"`
	Page    string `json:"page"`
	Kind    string `json:"kind"`    // email, sms, webhook
	Address string `json:"address"` // the address, the number or the URL
	// Components are the component names they chose; none: every one.
	Components []string `json:"components,omitempty"`
	// Confirmed is zero while the subscription waits for its double
	// opt-in (a link in an email, YES by text).
	Confirmed time.Time `json:"confirmed_at,omitzero"`
	Created   time.Time `json:"created_at"`
	// Secret signs what a webhook subscriber is sent ("whsec_...").
	Secret string `json:"secret,omitempty"`
	// Delivered and Failed count the messages sent to them; LastError says
	// why the latest failed.
	Delivered int    `json:"delivered"`
	Failed    int    `json:"failed"`
	LastError string `json:"last_error,omitempty"`
}

// Wants reports whether the subscriber hears of an update touching the
// given components (none touched: everyone hears).
func (s *Subscriber) Wants(components map[string]string) bool {
	if len(s.Components) == 0 || len(components) == 0 {
		return true
	}
	for _, c := range s.Components {
		if _, ok := components[c]; ok {
			return true
		}
	}
	return false
}

// Delivery is how far one public update has got to a page's subscribers.
type Delivery struct {
	Total   int `json:"total"`
	Sent    int `json:"sent"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
	// Done is when the last subscriber was reached (or given up on).
	Done time.Time `json:"done_at,omitzero"`
}

// Report is a problem a customer reported through a page's form: a
// triage item for the team, with a reference the customer keeps.
type Report struct {
	Ref       string    `json:"ref"` // e.g. "R-7K3F9Q"
	Page      string    `json:"page"`
	At        time.Time `json:"at"`
	Component string    `json:"component,omitempty"`
	Text      string    `json:"text"`
	Email     string    `json:"email,omitempty"` // to reply to, when given
	// Incident is the incident it was promoted to or linked with; 0 while
	// it waits for triage.
	Incident int64  `json:"incident,omitempty"`
	By       string `json:"by,omitempty"` // who promoted or linked it
}
