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

// Matrix is a service's stakeholder matrix resolved for an incident of
// one severity, as `pagerd stakeholders` and the API show it.
type Matrix struct {
	Service string `json:"service"`
	// Block names the stakeholders block covering the service; "" when
	// none does (then nothing else is set).
	Block      string   `json:"stakeholders"`
	Severities []string `json:"severities"`
	// Severity is the incident's; Engaged whether it engages them.
	Severity   string                    `json:"severity"`
	Engaged    bool                      `json:"engaged"`
	Deliveries []MatrixDelivery          `json:"deliveries"`
	Quadrants  map[string]MatrixQuadrant `json:"quadrants"`
}

// MatrixDelivery is who hears at one moment, through what.
type MatrixDelivery struct {
	Moment      string   `json:"moment"`
	Quadrant    string   `json:"quadrant"`
	Who         string   `json:"who"`
	Via         string   `json:"via"`
	Wording     string   `json:"wording"` // "internal" or "public"
	Digest      bool     `json:"digest"`
	Subscribers []string `json:"subscribers"`
}

// MatrixQuadrant is a quadrant as written.
type MatrixQuadrant struct {
	On     []string `json:"on"`
	People []string `json:"people"`
	Rooms  []string `json:"rooms"`
	Emails []string `json:"emails"`
}

// MatrixOf resolves service's matrix at now for an incident of severity
// sev ("": the most severe its block engages).
func MatrixOf(cfg *policies.Config, service, sev string, now time.Time) Matrix {
	out := Matrix{Service: service, Severities: []string{}, Deliveries: []MatrixDelivery{}, Quadrants: map[string]MatrixQuadrant{}}
	sh := cfg.StakeholdersFor(service)
	if sh == nil {
		return out
	}
	out.Block, out.Severities, out.Severity = sh.Name, sh.Severities, sev
	if sev == "" && len(sh.Severities) > 0 {
		out.Severity = sh.Severities[0]
	}
	out.Engaged = sh.Engages(out.Severity)
	for _, q := range sh.Quadrants {
		mq := MatrixQuadrant{On: []string{}, People: []string{}, Rooms: []string{}, Emails: append([]string{}, q.Emails...)}
		for _, m := range q.On {
			mq.On = append(mq.On, string(m))
		}
		for _, t := range q.People {
			mq.People = append(mq.People, t.String())
		}
		for _, t := range q.Rooms {
			mq.Rooms = append(mq.Rooms, t.String())
		}
		out.Quadrants[string(q.Kind)] = mq
	}
	if !out.Engaged {
		return out
	}
	for _, m := range policies.Moments {
		for _, d := range Plan(cfg, sh, []policies.Moment{m}, now) {
			md := MatrixDelivery{Moment: string(m), Quadrant: string(d.Quadrant), Who: d.Who, Via: d.Via,
				Wording: "internal", Digest: d.Digest, Subscribers: append([]string{}, d.Subscribers...)}
			if d.Public {
				md.Wording = "public"
			}
			out.Deliveries = append(out.Deliveries, md)
		}
	}
	return out
}
