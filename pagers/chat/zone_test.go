package chat

import (
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// A room reads UTC; a person's direct messages — the page, its edits and
// its replies — read their own time zone, named.
func TestTimesInTheReadersZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	acked := time.Date(2026, 11, 30, 23, 5, 0, 0, time.UTC)
	inc := pagers.Incident{ID: 42, Status: string(incident.Acknowledged), AckedBy: "alice", AckedAt: acked}
	ev := incident.Event{Incident: 42, Fact: incident.Fact{At: acked, Kind: incident.KindAcknowledged, Actor: "alice", Via: "slack"}}
	for _, tc := range []struct {
		name string
		loc  *time.Location
		want string
	}{
		{"a room", nil, "Mon 30 Nov 23:05 UTC"},
		{"a person in Berlin", berlin, "Tue 1 Dec 00:05 CET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := MessageOf(pagers.Notification{Incident: inc, Location: tc.loc}, "k", true)
			if !strings.HasSuffix(m.State, tc.want) || !strings.Contains(m.Text, tc.want) {
				t.Errorf("message state %q, text %q; want the time as %q", m.State, m.Text, tc.want)
			}
			if f := FactMessageIn(inc, ev, "k", tc.loc); !strings.HasSuffix(f.Fact, tc.want) {
				t.Errorf("reply %q, want the time as %q", f.Fact, tc.want)
			}
		})
	}

	// The pager finds a person's zone from their address on the platform,
	// to edit and reply to their direct messages in it later.
	p := &Platform{Name: "slack", Contact: &policies.Contact{Attr: "slack_id"}}
	cfg := &policies.Config{Users: map[string]*policies.User{
		"alice": {Name: "alice", Contacts: map[string]string{"slack_id": "U0ALICE"}, Location: berlin},
		"bob":   {Name: "bob", Contacts: map[string]string{"slack_id": "U0BOB"}}, // no zone: UTC
		"carol": {Name: "carol", Location: berlin},                               // not on Slack
	}}
	zones := zonesOf(p, cfg)
	if len(zones) != 1 || zones["U0ALICE"] != berlin {
		t.Errorf("zones = %v, want only alice's address in Berlin", zones)
	}
}
