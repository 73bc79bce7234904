package command

import (
	"slices"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router"
)

// The stakeholder matrix: who hears of an incident, through what, at
// which moment. Plan is a pure function of the config; `pagerd
// stakeholders` prints it before anything happens, and the Stakeholders
// consumer sends what it says.

// Delivery is one message to one stakeholder, or the hand-off of public
// wording to the status page.
type Delivery struct {
	Quadrant policies.QuadrantKind
	// To is the recipient; zero for the status page.
	To router.Recipient
	// Who names the recipient as people read it: "carol",
	// "slack:#checkout", "eng@example.com", "status page".
	Who string
	// Via is how it goes: a channel's name, or "status page".
	Via string
	// Public: the update's public wording; else the internal one.
	Public bool
	// Digest: an email with every status update so far.
	Digest bool
	// StatusPage: handed to the status page, which tells its
	// subscribers (Subscribers) and shows it.
	StatusPage  bool
	Subscribers []string
}

// statusPageVia names the status page as a way of delivery.
const statusPageVia = "status page"

// Plan is who hears of an incident covered by sh at one of moments, at
// now (schedules say who is on call): each person, room and address once,
// in the most engaged quadrant that hears then. The public quadrants'
// people and addresses are the status page's subscribers: it tells them.
func Plan(cfg *policies.Config, sh *policies.Stakeholders, moments []policies.Moment, now time.Time) []Delivery {
	var out []Delivery
	seen := map[string]bool{}
	add := func(d Delivery) {
		if !seen[d.Who] {
			seen[d.Who] = true
			out = append(out, d)
		}
	}
	mail := emailChannel()
	for _, q := range sh.Quadrants {
		if !slices.ContainsFunc(moments, q.Hears) {
			continue
		}
		public := q.Kind.Public()
		if public {
			page := Delivery{Quadrant: q.Kind, Who: statusPageVia + " (" + q.Kind.Title() + ")", Via: statusPageVia, Public: true, StatusPage: true}
			for _, t := range q.People {
				for _, name := range cfg.UsersFor(t, now) {
					if u := cfg.Users[name]; u != nil && mail != nil && mail.AddressOf(u) != "" {
						page.Subscribers = append(page.Subscribers, mail.AddressOf(u))
					}
				}
			}
			page.Subscribers = append(page.Subscribers, q.Emails...)
			add(page)
		}
		for _, t := range q.Rooms {
			add(Delivery{Quadrant: q.Kind, To: router.Recipient{Channel: t.Kind, Destination: t.Name}, Who: t.String(), Via: t.Kind, Public: public})
		}
		if public {
			continue // its people and lists hear through the status page
		}
		for _, t := range q.People {
			for _, name := range cfg.UsersFor(t, now) {
				u := cfg.Users[name]
				if u == nil {
					continue
				}
				d := Delivery{Quadrant: q.Kind, To: router.Recipient{User: u}, Who: u.Name, Via: personChannel(u)}
				if q.Kind == policies.KeepInformed && mail != nil && mail.AddressOf(u) != "" {
					// Kept informed by the digest, at their address, not
					// through the rules that page them.
					d.To = router.Recipient{Channel: mail.Name, Address: mail.AddressOf(u)}
					d.Via, d.Digest = mail.Name, true
				}
				add(d)
			}
		}
		if mail != nil {
			for _, e := range q.Emails {
				add(Delivery{Quadrant: q.Kind, To: router.Recipient{Channel: mail.Name, Address: e}, Who: e, Via: mail.Name,
					Digest: q.Kind == policies.KeepInformed})
			}
		}
	}
	return out
}

// emailChannel is the channel that sends to email addresses: the one
// whose contact attribute is a user's "email"; nil when none is linked in.
func emailChannel() *pagers.Channel {
	for _, c := range pagers.All() {
		if c.Contact != nil && c.Contact.Attr == "email" {
			return c
		}
	}
	return nil
}

// personChannel is the channel a person is told through: their first
// notification rule's, or the one it sends notices through (a text, not a
// call) when they have an address there — what router.Engine.Tell picks
// when every provider is up.
func personChannel(u *policies.User) string {
	rules := u.NotifyRules()
	if len(rules) == 0 {
		return "console"
	}
	via := rules[0].Via
	if ch := pagers.Lookup(via); ch != nil && ch.NoticeVia != "" {
		if n := pagers.Lookup(ch.NoticeVia); n != nil && n.AddressOf(u) != "" {
			return n.Name
		}
	}
	return via
}
