package policies

import (
	"slices"
	"strings"
	"time"
	"unicode"
)

// Status pages: what customers (and employees) read about incidents. A
// `component "NAME"` block is a part of the product as customers know it
// ("Checkout API"), tied to the services whose incidents affect it; a
// `status_page "NAME"` block lists components and says how incidents reach
// the page (compile_statuspage.go). The statuspage package serves them.
// See docs/status-page.md.

// Component is a part of the product a status page shows.
type Component struct {
	Name string
	// ID is the component's stable identifier in URLs and the JSON API:
	// its name in lower case, words joined by '-' ("checkout-api").
	ID          string
	Group       string // "" when it stands alone
	Description string
	// Services are the services whose incidents affect it.
	Services []string
}

// Component states, as Atlassian Statuspage names them (customers' tools
// read these words), from best to worst.
const (
	StateOperational = "operational"
	StateMaintenance = "under_maintenance"
	StateDegraded    = "degraded_performance"
	StatePartial     = "partial_outage"
	StateMajor       = "major_outage"
)

// ComponentStates lists the states an incident may give a component,
// least severe first.
var ComponentStates = []string{StateOperational, StateDegraded, StatePartial, StateMajor}

// StatusPage is one page: `status_page "NAME"`, served at /status/NAME.
type StatusPage struct {
	Name  string
	Title string
	// Components are the names of the page's components, in the order it
	// shows them (a group where its first component is).
	Components []string
	// Public pages are for anyone; an internal page (false) answers only
	// requests that carry its token (pagerd status-url NAME).
	Public bool
	// PublicURL is where readers reach the page, behind a reverse proxy at
	// a domain of its own: every link the page, its feeds and its emails
	// hand out starts with it. Default: pagerd's public_url + /status/NAME.
	PublicURL string
	// AutoPublish: incidents at this severity or a more severe one publish
	// themselves on the page, with a first update of pagerd's wording;
	// "" never.
	AutoPublish string
	// Prompt: incidents at this severity or a more severe one that are not
	// published ask their manager whether to publish them; "" never.
	Prompt string
	// ComponentState is the state an incident of a severity gives the
	// components it affects, when whoever publishes it says none.
	ComponentState map[string]string
	// Subscriptions are the kinds of subscription readers may make:
	// "email", "webhook", "sms".
	Subscriptions []string
	// SMSFrom is the Twilio number subscriber texts come from, whose
	// replies (STOP) reach the page: not the paging number, whose replies
	// are responders'.
	SMSFrom string
	// Rooms are chat rooms (channel destinations that take updates) told
	// of every public update.
	Rooms []Target
	// Mastodon, when set, posts every public update to an account.
	Mastodon *Mastodon
	// Reports, when set, offers a "report a problem" form.
	Reports *Reports
	// Location is the zone days of the history are counted in (UTC).
	Location *time.Location
}

// Subscription kinds of StatusPage.Subscriptions.
const (
	SubscribeEmail   = "email"
	SubscribeWebhook = "webhook"
	SubscribeSMS     = "sms"
)

// SubscriptionKinds lists every kind a page may offer.
var SubscriptionKinds = []string{SubscribeEmail, SubscribeWebhook, SubscribeSMS}

// Mastodon is an account public updates are posted to.
type Mastodon struct {
	Server     string // https://mastodon.example
	Token      string // an access token with write:statuses
	Visibility string // public, unlisted, private
}

// Reports is a page's "report a problem" form.
type Reports struct {
	// Service, when set, opens an incident of that service for every
	// report (it pages as its escalation says); "": reports wait in the
	// triage list.
	Service string
	// RateLimit bounds the reports one client address may send.
	RateLimit Rate
}

// DefaultReportRate is how many reports one address may send.
var DefaultReportRate = Rate{Events: 5, Per: time.Hour}

// Page returns the status page called name, or nil.
func (c *Config) Page(name string) *StatusPage {
	for _, p := range c.StatusPages {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Component returns the component called name, or nil.
func (c *Config) Component(name string) *Component {
	for _, comp := range c.Components {
		if comp.Name == name {
			return comp
		}
	}
	return nil
}

// ComponentsOf are the page's components that an incident of service
// affects, in the page's order.
func (c *Config) ComponentsOf(p *StatusPage, service string) []*Component {
	var out []*Component
	for _, name := range p.Components {
		if comp := c.Component(name); comp != nil && slices.Contains(comp.Services, service) {
			out = append(out, comp)
		}
	}
	return out
}

// PagesOf are the status pages that show a component an incident of
// service affects, in file order.
func (c *Config) PagesOf(service string) []*StatusPage {
	var out []*StatusPage
	for _, p := range c.StatusPages {
		if len(c.ComponentsOf(p, service)) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// StateFor is the state an incident of severity sev gives the page's
// components: the page's map, degraded performance when it maps none.
func (p *StatusPage) StateFor(sev string) string {
	if s := p.ComponentState[sev]; s != "" {
		return s
	}
	return StateDegraded
}

// Offers reports whether the page takes subscriptions of kind.
func (p *StatusPage) Offers(kind string) bool { return slices.Contains(p.Subscriptions, kind) }

// AtLeast reports whether severity sev is threshold or more severe in
// cfg; false when either is none.
func (c *Config) AtLeast(sev, threshold string) bool {
	r, t := c.SeverityRank(sev), c.SeverityRank(threshold)
	return r > 0 && t > 0 && r <= t
}

// ComponentID is the identifier of a component called name: lower case,
// runs of anything but letters and digits made one '-' (letters of any
// script stay: a German page's "Käufe" is "käufe").
func ComponentID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
