package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
)

// Version is the version of the delivery document's schema, sent as its
// "version". Adding a field or a type keeps it; renaming or removing a
// field, or changing what one means, makes it "2".
const Version = "1"

// The types of a delivery.
const (
	TypePage         = "incident.page"         // the webhook is an escalation target and the step reached it
	TypeAcknowledged = "incident.acknowledged" // someone took the incident
	TypeResolved     = "incident.resolved"     // the incident is over
	TypeChange       = "service.change"        // a change (deploy, config push) was recorded for a service
	// An update about an incident event of kind K is "incident.K":
	// incident.triggered, incident.acknowledged, incident.escalated,
	// incident.reopened, incident.resolved, incident.note,
	// incident.rerouted, incident.storm_passed, incident.severity_changed,
	// incident.role_assigned, incident.status_update,
	// incident.postmortem_done,
	// incident.action_added, incident.action_done,
	// incident.escalation_exhausted.
	typeIncidentPrefix = "incident."
)

// Document is the JSON body of every delivery (schema Version "1").
// Receivers should ignore fields and types they do not know: later
// versions of pagerd may add some without changing Version.
//
//	{
//	  "version": "1",
//	  "id": "msg_8c0d…",
//	  "type": "incident.acknowledged",
//	  "timestamp": "2026-11-02T09:04:12Z",
//	  "actor": "alice",
//	  "incident": {
//	    "id": 42, "title": "CheckoutDown", "summary": "checkout is down",
//	    "service": "checkout", "status": "acknowledged", "severity": "critical",
//	    "labels": {"alertname": "CheckoutDown", "severity": "critical"},
//	    "alerts_firing": 3, "started_at": "2026-11-02T09:00:00Z",
//	    "source_url": "http://prometheus.example.com/graph?g0.expr=up",
//	    "links": [{"href": "https://grafana.example.com/d/checkout", "text": "Dashboard"}],
//	    "suppressed": "", "sev": "SEV2", "manager": "alice"
//	  },
//	  "event": {"kind": "acknowledged", "actor": "alice", "via": "sms", "detail": "", "tag": ""}
//	}
//
// A webhook hears of an incident in two ways. As an escalation target
// (`notify = ["webhook:NAME"]`) it gets incident.page when its step runs,
// then incident.acknowledged and incident.resolved when that happens.
// As a service's subscriber (`subscribers = ["webhook:NAME"]`) it gets an
// update for every event of the kinds its `events` lists, in order per
// incident, with "event" set; a subscriber hears of acknowledgement and
// resolution through those updates only, so it never gets both. The same
// type means the same thing either way.
type Document struct {
	// Version is the schema version: "1".
	Version string `json:"version"`
	// ID is the delivery's id, the same as the webhook-id header: equal
	// on every retry of the same delivery, so a receiver that got it
	// already can drop it.
	ID string `json:"id"`
	// Type says what happened: one of the Type constants or
	// "incident.<event kind>".
	Type string `json:"type"`
	// Timestamp is when it happened (RFC 3339, UTC): the event's time for
	// an update; for a page or a notice, when pagerd sent it.
	Timestamp time.Time `json:"timestamp"`
	// Actor is who acted — acknowledged, resolved, escalated, wrote the
	// note — when someone did; absent when nobody did (the alert
	// cleared, an escalation timer ran) or for a page.
	Actor string `json:"actor,omitempty"`
	// Incident is the incident as pagerd knew it when it sent the
	// delivery; absent for service.change.
	Incident *Incident `json:"incident,omitempty"`
	// Event is the timeline entry an update reports; absent for pages and
	// for acknowledged/resolved notices to an escalation target.
	Event *Event `json:"event,omitempty"`
	// Change is the change a service.change reports; absent otherwise.
	Change *Change `json:"change,omitempty"`
}

// Incident is what a delivery says about the incident. Every field is
// present; an unknown string is "", except started_at, absent when
// unknown, and flapping and folded, present only when they say something.
type Incident struct {
	ID      int64  `json:"id"`      // pagerd's incident number, as in `pagerd ack 42`
	Title   string `json:"title"`   // e.g. the alert name and group labels
	Summary string `json:"summary"` // the alert's summary or description
	Service string `json:"service"` // the pagerd service that owns it
	// Status is "triggered", "acknowledged" or "resolved".
	Status string `json:"status"`
	// Severity is the value of the "severity" label, as the monitor sent
	// it ("critical", "warning", ...); "" when it has none.
	Severity string `json:"severity"`
	// Labels are the labels that group the incident's alerts; {} when
	// none.
	Labels       map[string]string `json:"labels"`
	AlertsFiring int               `json:"alerts_firing"` // how many of its alerts fire now
	StartedAt    time.Time         `json:"started_at,omitzero"`
	// SourceURL links to the monitor's view of the first alert
	// (Prometheus' generatorURL); "" when the monitor sent none.
	SourceURL string `json:"source_url"`
	// Links are what the monitor attached to the first alert (Grafana's
	// dashboard, panel, silence and image URLs); [] when none.
	Links []Link `json:"links"`
	// Suppressed says why the incident pages nobody: every alert firing
	// in it is muted by a silence ("silence:ID"), a maintenance window
	// ("maintenance:NAME") or an inhibition rule ("inhibited:RULE"); ""
	// while it pages.
	Suppressed string `json:"suppressed"`
	// Sev is its incident command severity ("SEV2", as the config names
	// them) and Manager its incident manager; "" when it has none.
	Sev     string `json:"sev"`
	Manager string `json:"manager"`
	// Flapping is true, and present, only when one of its alerts flaps:
	// pagerd pages once for it, not on each flip.
	Flapping bool `json:"flapping,omitempty"`
	// Folded is present only on a storm incident: how many new incidents
	// of its service were folded into it (its summary names them).
	Folded int `json:"folded,omitempty"`
}

// Event is the incident's timeline entry an update reports. Every field
// is present, "" when empty, except update.
type Event struct {
	Kind   string `json:"kind"`   // the event kind: "triggered", "note", ...; the type is "incident." + kind
	Actor  string `json:"actor"`  // who: a user, an integration, "alerts"
	Via    string `json:"via"`    // through what: "sms", "link", "api", "cli", ...
	Detail string `json:"detail"` // free text: the note, why it escalated, ...
	// Tag qualifies it: a note's mark ("root_cause", "resolution"), the
	// role given ("manager"), the new severity, an update's state.
	Tag string `json:"tag"`
	// Update is the status update an incident.status_update posts; absent
	// for other kinds.
	Update *Update `json:"update,omitempty"`
	// ActionItem is the action item an incident.action_added or
	// incident.action_done reports; absent for other kinds.
	ActionItem *ActionItem `json:"action_item,omitempty"`
}

// ActionItem is an action item an incident left: work to do, for a
// tracker. due is a day ("2027-01-15", "" for none); status is "open" or
// "done".
type ActionItem struct {
	ID       int64  `json:"id"`
	Incident int64  `json:"incident"`
	Title    string `json:"title"`
	Owner    string `json:"owner"`
	Kind     string `json:"kind"`
	Due      string `json:"due"`
	Status   string `json:"status"`
	DoneBy   string `json:"done_by"`
}

// Update is a status update: where the work stands ("investigating",
// "identified", "monitoring", "resolved"), in the words for people inside
// (text) and for customers (public_text, the same unless the manager
// gave others).
type Update struct {
	N          int    `json:"n"`
	Status     string `json:"status"`
	Text       string `json:"text"`
	PublicText string `json:"public_text"`
}

// Change is a change event: something that changed in a system, recorded
// for a service without paging anyone.
type Change struct {
	// At is when the change happened, as its sender said (RFC 3339, UTC).
	At          time.Time `json:"at"`
	Service     string    `json:"service"`     // the pagerd service it is recorded for
	Summary     string    `json:"summary"`     // what changed
	Source      string    `json:"source"`      // where: a host, a pipeline; "" when not said
	Integration string    `json:"integration"` // the pagerd integration that received it
	Links       []Link    `json:"links"`       // [] when none
	// Details are the sender's custom_details, as it sent them (any JSON
	// value); absent when it sent none.
	Details json.RawMessage `json:"details,omitempty"`
}

// Link is a URL a sender attached to an alert or a change, with the text
// to show.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// NewDocument is the delivery of n under id; now is the time of sending.
func NewDocument(n pagers.Notification, id string, now time.Time) (Document, error) {
	d := Document{Version: Version, ID: id, Timestamp: now.UTC()}
	switch n.Kind {
	case pagers.KindPage:
		d.Type = TypePage
	case pagers.KindAcknowledged:
		d.Type, d.Actor = TypeAcknowledged, n.Actor
	case pagers.KindResolved:
		d.Type, d.Actor = TypeResolved, n.Actor
	case pagers.KindUpdate:
		if n.Event == nil {
			return Document{}, fmt.Errorf("an update without its event")
		}
		return updateDocument(d, n), nil
	default:
		return Document{}, fmt.Errorf("a webhook receives no %s notification", n.Kind)
	}
	d.Incident = incidentOf(n.Incident)
	return d, nil
}

func updateDocument(d Document, n pagers.Notification) Document {
	ev := n.Event
	if !ev.At.IsZero() {
		d.Timestamp = ev.At.UTC()
	}
	d.Actor = ev.Actor
	if ev.Kind == incident.KindChange {
		d.Type = TypeChange
		d.Change = changeOf(ev)
		return d
	}
	d.Type = typeIncidentPrefix + string(ev.Kind)
	d.Event = &Event{Kind: string(ev.Kind), Actor: ev.Actor, Via: ev.Via, Detail: ev.Detail, Tag: ev.Tag}
	if u := ev.Update; u != nil {
		d.Event.Update = &Update{N: u.N, Status: string(u.State), Text: u.Text, PublicText: u.Public()}
	}
	if a := ev.Item; a != nil {
		d.Event.ActionItem = &ActionItem{ID: a.ID, Incident: a.Incident, Title: a.Title, Owner: a.Owner, Kind: string(a.Kind),
			Due: a.Due, Status: a.Status(), DoneBy: a.DoneBy}
	}
	d.Incident = incidentOf(n.Incident)
	// The event names its incident even when the sender could not load it
	// (its retention ran out, say).
	if d.Incident.ID == 0 {
		d.Incident.ID = ev.Incident
	}
	if d.Incident.Service == "" {
		d.Incident.Service = ev.Service
	}
	return d
}

func incidentOf(in pagers.Incident) *Incident {
	labels := in.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	out := &Incident{
		ID: in.ID, Title: in.Title, Summary: in.Summary, Service: in.Service,
		Status: in.Status, Severity: in.Labels["severity"], Labels: labels,
		AlertsFiring: in.AlertCount, StartedAt: in.StartedAt.UTC(), SourceURL: in.SourceURL,
		Links: []Link{}, Suppressed: in.Suppressed, Sev: in.Severity, Manager: in.Manager,
		Flapping: in.Flapping, Folded: in.Folded,
	}
	for _, l := range in.Links {
		out.Links = append(out.Links, Link{Href: l.Href, Text: l.Text})
	}
	return out
}

// changeOf is the change an event records; an event without one (which
// the stream should not carry) still says what it can.
func changeOf(ev *incident.Event) *Change {
	c := &Change{At: ev.At.UTC(), Service: ev.Service, Summary: ev.Detail, Links: []Link{}}
	if ch := ev.Change; ch != nil {
		c.At, c.Service, c.Summary, c.Source, c.Integration = ch.At.UTC(), ch.Service, ch.Summary, ch.Source, ch.Integration
		for _, l := range ch.Links {
			c.Links = append(c.Links, Link{Href: l.Href, Text: l.Text})
		}
		if len(ch.Details) > 0 && json.Valid(ch.Details) {
			c.Details = ch.Details
		}
	}
	if c.Service == "" {
		c.Service = ev.Service
	}
	return c
}

// Marshal is the document's body as sent: compact JSON, without HTML
// escaping (a receiver reads URLs with & as written).
func (d Document) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encoding the delivery: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
