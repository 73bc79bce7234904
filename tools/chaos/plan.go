package main

import (
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/webhook"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/escalation"
)

// planned is one page the planner says an incident makes: its
// idempotency key, when it is due, and what a receiver will see of it.
type planned struct {
	Key      string
	Incident int64
	Channel  string // sms, email, webhook
	Who      string // a user, or "webhook:pager"
	Due      time.Time
	// Match is what ties a receipt to it: the webhook-id the webhook
	// channel derives from the key; the key itself for email, which sends
	// it as X-Pagerd-Key; for SMS, whose text names only the incident,
	// (incident, phone number) — one step texts each person.
	Match string
}

// planIncident is every page of an incident's escalation as the engine
// plans it: router/escalation.Walk over the config the replicas serve,
// from the run start pagerd stored (Redis's clock), to the end of the
// policy. What is expected of the incident is the part of it due before
// it was acknowledged.
func planIncident(cfg *policies.Config, inc *incident.Incident) []planned {
	pol := cfg.Escalation(inc.Escalation)
	if pol == nil || inc.RunAt.IsZero() {
		return nil
	}
	st := escalation.State{Incident: inc.ID, Run: inc.Run, RunAt: inc.RunAt, Escalations: inc.Escalations}
	plan := escalation.Walk(cfg, pol, st, inc.RunAt.Add(24*time.Hour))
	var out []planned
	for _, d := range plan.Deliveries {
		p := planned{Key: d.Key, Incident: inc.ID, Channel: d.Via, Due: d.At}
		switch {
		case d.User == nil:
			p.Who = d.Via + ":" + d.Destination
			p.Match = webhook.MessageID(d.Key, d.Destination)
		case d.Via == "sms":
			p.Who = d.User.Name
			if ch := pagers.Lookup("sms"); ch != nil {
				p.Match = smsMatch(inc.ID, ch.AddressOf(d.User))
			}
		default:
			p.Who = d.User.Name
			p.Match = d.Key
		}
		out = append(out, p)
	}
	return out
}
