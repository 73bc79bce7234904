package chat

import (
	"fmt"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
)

// Message is one chat message about an incident, in words: what the
// platform renders in its own markup (Block Kit, an Adaptive Card, HTML).
// Every text field is as pagerd or a sender wrote it, unescaped: the
// platform passes it through its Dialect. Links are pagerd's own and go
// out as links.
type Message struct {
	// Key is pagerd's key of the message, unique across incidents; the
	// platform stores it with the message where it can (Slack's message
	// metadata), so that Find finds it.
	Key      string
	Incident pagers.Incident
	// Headline names the problem: "CRITICAL CheckoutDown cluster=eu1
	// (checkout)"; Summary says more ("" when it says nothing new).
	Headline string
	Summary  string
	// State says where the incident stands and who moved it, when:
	// "Acknowledged by alice at 10:05 UTC".
	State  string
	Fields []Field
	// Actions are the buttons to offer; none once it is resolved.
	Actions []incident.Action
	// AckURL is the signed link to the confirm page, for a message to one
	// person (platforms whose buttons open links use it); "" for a room.
	AckURL string
	// SourceURL is where the alert came from (the generator's URL).
	SourceURL string
	// Fact is what a reply says happened ("Acknowledged by alice via
	// slack"); "" for a message of the incident itself.
	Fact string
	// Text is the whole message on one plain line, for notifications and
	// clients that show no markup.
	Text string
}

// Field is one labelled value of a message: Service, Severity, Alerts.
type Field struct{ Name, Value string }

// Link is a URL with the text to show for it.
type Link struct{ Text, URL string }

// MessageOf is the message of notification n: a page (with its actions
// while the incident is open), or the incident as it stands now for an
// update. interactive platforms get buttons.
func MessageOf(n pagers.Notification, key string, interactive bool) Message {
	inc := n.Incident
	m := Message{
		Key: key, Incident: inc, Headline: headline(n), Summary: pagers.Summary(n),
		State: StateIn(inc, n.Location), AckURL: n.AckURL, SourceURL: inc.SourceURL,
	}
	if svc := pagers.OneLine(inc.Service); svc != "" {
		m.Fields = append(m.Fields, Field{"Service", svc})
	}
	if sev := pagers.OneLine(inc.Labels["severity"]); sev != "" {
		m.Fields = append(m.Fields, Field{"Severity", sev})
	}
	if inc.AlertCount > 0 {
		m.Fields = append(m.Fields, Field{"Firing", pagers.Plural(inc.AlertCount, "alert")})
	}
	if interactive {
		m.Actions = Actions(incident.Status(inc.Status))
	}
	m.Text = fmt.Sprintf("[pagerd] #%d %s — %s", inc.ID, m.Headline, m.State)
	return m
}

// FactMessage is a reply about one event of the incident, its time in UTC.
func FactMessage(inc pagers.Incident, ev incident.Event, key string) Message {
	return FactMessageIn(inc, ev, key, nil)
}

// FactMessageIn is FactMessage with its time in loc (nil: UTC): a reply
// in a person's direct messages is in their time zone.
func FactMessageIn(inc pagers.Incident, ev incident.Event, key string, loc *time.Location) Message {
	m := Message{Key: key, Incident: inc, Fact: FactTextIn(ev, loc)}
	m.Text = fmt.Sprintf("[pagerd] #%d %s", inc.ID, m.Fact)
	return m
}

// headline is "#42 CRITICAL Title (service)"'s part after the number.
func headline(n pagers.Notification) string {
	h := pagers.Headline(n)
	if sev := pagers.Severity(n); sev != "" {
		h = sev + " " + h
	}
	return h
}

// Actions are the buttons a message offers while the incident stands at
// status: all three while it pages, resolving once someone took it,
// none once it is over.
func Actions(status incident.Status) []incident.Action {
	switch status {
	case incident.Triggered:
		return []incident.Action{incident.Ack, incident.Resolve, incident.Escalate}
	case incident.Acknowledged:
		return []incident.Action{incident.Resolve}
	}
	return nil
}

// ButtonText is how a button says action: "Escalate now" rather than
// "Escalate", which could read as a status.
func ButtonText(a incident.Action) string {
	if a == incident.Escalate {
		return "Escalate now"
	}
	return a.Verb()
}

// TimeFormat is how messages show a time, with its zone's name: UTC in a
// room, which every reader can place; a person's own zone (their user
// block's timezone) in their direct messages.
const TimeFormat = "Mon 2 Jan 15:04 MST"

// State says where inc stands and who moved it there, when (in UTC).
func State(inc pagers.Incident) string { return StateIn(inc, nil) }

// StateIn is State with times in loc (nil: UTC).
func StateIn(inc pagers.Incident, loc *time.Location) string {
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return " at " + inZone(t, loc).Format(TimeFormat)
	}
	by := func(who string) string {
		if who = pagers.OneLine(who); who != "" {
			return " by " + who
		}
		return ""
	}
	switch incident.Status(inc.Status) {
	case incident.Acknowledged:
		return "Acknowledged" + by(inc.AckedBy) + at(inc.AckedAt)
	case incident.Resolved:
		return "Resolved" + by(inc.ResolvedBy) + at(inc.ResolvedAt)
	}
	return "Triggered" + at(inc.StartedAt)
}

// inZone is t in loc, or in UTC when loc is nil.
func inZone(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		return t.UTC()
	}
	return t.In(loc)
}

// FactText says what an event did, in a sentence: "Acknowledged by alice
// (slack).", "Note by alice: rolled back.", "Escalated: step 2 of
// escalation payments."; its time in UTC.
func FactText(ev incident.Event) string { return FactTextIn(ev, nil) }

// FactTextIn is FactText with its time in loc (nil: UTC).
func FactTextIn(ev incident.Event, loc *time.Location) string {
	who := pagers.OneLine(ev.Actor)
	detail := pagers.OneLine(ev.Detail)
	var b strings.Builder
	switch ev.Kind {
	case incident.KindNote:
		b.WriteString("Note")
	default:
		k := strings.ReplaceAll(string(ev.Kind), "_", " ")
		b.WriteString(strings.ToUpper(k[:1]) + k[1:])
	}
	if who != "" {
		b.WriteString(" by " + who)
	}
	if via := pagers.OneLine(ev.Via); via != "" && who != "" {
		b.WriteString(" (" + via + ")")
	}
	if tag := pagers.OneLine(ev.Tag); ev.Kind == incident.KindStatusUpdate && tag != "" && !strings.HasPrefix(detail, tag) {
		detail = tag + ": " + detail // where the work stands
	}
	if detail != "" {
		b.WriteString(": " + detail)
	}
	if !ev.At.IsZero() {
		b.WriteString(" — " + inZone(ev.At, loc).Format(TimeFormat))
	}
	return b.String()
}

// Follows reports whether an event changes what the messages about an
// incident say, or adds a fact worth a reply: not the incident opening
// (its messages are that), nor a change event (no incident).
func Follows(ev incident.Event) bool {
	return ev.Incident != 0 && ev.Kind != incident.KindTriggered && ev.Kind != incident.KindChange
}
