package chat

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

func TestDefuse(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"@channel look", "@\u2060channel look"},
		{"@HERE @everyone @all @room", "@\u2060HERE @\u2060everyone @\u2060all @\u2060room"},
		{"alice@example.com @channels", "alice@example.com @channels"},
		{"see https://evil.example/x", "see https:\u2060//evil.example/x"},
		{"www.evil.example", "www\u2060.evil.example"},
		{"mailto:x tel://1", "mailto:x tel:\u2060//1"},
		{"cluster=eu1 5:00", "cluster=eu1 5:00"},
	} {
		if got := Defuse(c.in); got != c.want {
			t.Errorf("Defuse(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Fit escapes, then cuts what was written so that the escaped text fits:
// never half an entity, and the pointer to the rest kept whole.
func TestFit(t *testing.T) {
	d := Dialect{Escape: strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace}
	for _, c := range []struct {
		in    string
		limit int
		more  string
		want  string
	}{
		{"a < b", 0, "", "a &lt; b"},
		{"a < b", 8, "", "a &lt; b"},
		{"a < b", 7, "", "a &lt;…"},
		{"a < b", 6, "", "a …"},
		{"<<<<<<", 12, "", "&lt;&lt;…"},
		{"abcdefghij", 9, "(more)", "a… (more)"},
		{"abcdefghij", 4, "(more)", "abc…"},
	} {
		got := d.Fit(c.in, c.limit, c.more)
		if got != c.want || (c.limit > 0 && utf8.RuneCountInString(got) > c.limit) {
			t.Errorf("Fit(%q, %d, %q) = %q, want %q", c.in, c.limit, c.more, got, c.want)
		}
	}
}

func TestFactText(t *testing.T) {
	for _, c := range []struct {
		ev   incident.Fact
		want string
	}{
		{incident.Fact{Kind: incident.KindAcknowledged, Actor: "alice", Via: "slack"}, "Acknowledged by alice (slack)"},
		{incident.Fact{Kind: incident.KindNote, Actor: "bob", Via: "api", Detail: "rolled\nback"}, "Note by bob (api): rolled back"},
		{incident.Fact{Kind: incident.KindEscalated, Detail: "step 2 of escalation payments"}, "Escalated: step 2 of escalation payments"},
		{incident.Fact{Kind: incident.KindResolved, Actor: "alerts"}, "Resolved by alerts"},
	} {
		if got := FactText(incident.Event{Fact: c.ev}); got != c.want {
			t.Errorf("FactText(%+v) = %q, want %q", c.ev, got, c.want)
		}
	}
}

// A message offers what can still be done, and says who did what.
func TestMessageOf(t *testing.T) {
	n := pagers.Notification{Incident: pagers.Incident{ID: 7, Title: "DiskFull", Service: "db", Status: "acknowledged", AckedBy: "alice",
		Labels: map[string]string{"severity": "warning"}, AlertCount: 2}}
	m := MessageOf(n, "k", true)
	if m.Headline != "WARNING DiskFull (db)" || m.State != "Acknowledged by alice" || fmt.Sprint(m.Actions) != "[resolve assign]" {
		t.Errorf("MessageOf = %+v", m)
	}
	if m := MessageOf(n, "k", false); m.Actions != nil {
		t.Errorf("a platform without buttons got %v", m.Actions)
	}
	// Once someone has command, the message says who, and nobody else is
	// offered to take it; once resolved, nothing is offered.
	n.Incident.Manager = "carol"
	m = MessageOf(n, "k", true)
	if fmt.Sprint(m.Actions) != "[resolve]" || fmt.Sprint(m.Fields[len(m.Fields)-1]) != "{Manager carol}" {
		t.Errorf("with a manager: actions %v, fields %v", m.Actions, m.Fields)
	}
	n.Incident.Manager, n.Incident.Status = "", "resolved"
	if m := MessageOf(n, "k", true); m.Actions != nil {
		t.Errorf("a resolved incident offers %v", m.Actions)
	}
	for name, want := range map[string]bool{"ack": true, "resolve": true, "escalate": true, "assign": true, "note": false, "source": false, "": false} {
		if _, ok := ButtonAction(name); ok != want {
			t.Errorf("ButtonAction(%q) ok = %v, want %v", name, ok, want)
		}
	}
	if got := ButtonText(incident.Assign); got != "Take command" {
		t.Errorf("ButtonText(assign) = %q", got)
	}
}

// A person is mapped by the platform's id first, else by email, in any
// case.
func TestUserOf(t *testing.T) {
	cfg := &policies.Config{Users: map[string]*policies.User{
		"alice": {Name: "alice", Contacts: map[string]string{"slack_id": "U1", "email": "a@example.com"}},
		"bob":   {Name: "bob", Contacts: map[string]string{"email": "Bob@Example.com"}},
	}}
	for _, c := range []struct {
		p    Person
		want string
	}{
		{Person{ID: "U1"}, "alice"},
		{Person{ID: "U2", Email: "bob@example.COM"}, "bob"},
		{Person{ID: "U2"}, ""},
		{Person{Email: "nobody@example.com"}, ""},
	} {
		got := ""
		if u := UserOf(cfg, "slack_id", c.p); u != nil {
			got = u.Name
		}
		if got != c.want {
			t.Errorf("UserOf(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}
