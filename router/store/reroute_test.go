package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// unroutedWrite is an alert stored in the incident no service owns.
func unroutedWrite(fp string) AlertWrite {
	w := write(fp, "unrouted:x", false, time.Time{})
	w.Service, w.Escalation = "unrouted", ""
	return w
}

func target(service, group string, fps ...string) RerouteTarget {
	t := RerouteTarget{Service: service, Escalation: service + "-esc", GroupID: group,
		GroupLabels: map[string]string{"alertname": "CheckoutDown"}, Title: "CheckoutDown " + group,
		Links: []incident.Link{{Text: "Dashboard", Href: "https://g/" + group}}}
	for _, fp := range fps {
		t.Alerts = append(t.Alerts, RerouteAlert{Fingerprint: fp, Name: "CheckoutDown " + fp})
	}
	return t
}

// firingIn is where each fingerprint fires now, "fp:#id" sorted.
func firingIn(t *testing.T, s *Store, ids ...int64) string {
	t.Helper()
	var out []string
	for _, id := range ids {
		inc, err := s.Incident(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for fp := range inc.Firing {
			out = append(out, fmt.Sprintf("%s:#%d", fp, id))
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestReroute(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		before  []AlertWrite // the unrouted incident is #1
		targets []RerouteTarget
		stay    bool
		moved   []int64
		firing  string // where each alert fires afterwards, over incidents #1..#3
		status1 incident.Status
		service string // of #1 afterwards
	}{
		{"the incident moves to its alerts' service",
			[]AlertWrite{unroutedWrite("a"), unroutedWrite("b")},
			[]RerouteTarget{target("checkout", "checkout:g1", "a", "b")}, false,
			[]int64{1}, "a:#1 b:#1", incident.Triggered, "checkout"},
		{"alerts of two groups: the incident takes the first, a new one the second",
			[]AlertWrite{unroutedWrite("a"), unroutedWrite("b")},
			[]RerouteTarget{target("checkout", "checkout:g1", "a"), target("search", "search:g2", "b")}, false,
			[]int64{1, 2}, "a:#1 b:#2", incident.Triggered, "checkout"},
		{"an alert that still matches nothing keeps the incident unrouted",
			[]AlertWrite{unroutedWrite("a"), unroutedWrite("c")},
			[]RerouteTarget{target("checkout", "checkout:g1", "a")}, true,
			[]int64{2}, "a:#2 c:#1", incident.Triggered, "unrouted"},
		{"alerts join the open incident of their group; the emptied one resolves",
			[]AlertWrite{unroutedWrite("a"), write("z", "checkout:g1", false, time.Time{})},
			[]RerouteTarget{target("checkout", "checkout:g1", "a")}, false,
			[]int64{2}, "a:#2 z:#2", incident.Resolved, "unrouted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newTestStore(t)
			if _, err := s.Ingest(ctx, tc.before); err != nil {
				t.Fatal(err)
			}
			moved, err := s.Reroute(ctx, 1, "unrouted", tc.targets, tc.stay, "config reload", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(moved, tc.moved) {
				t.Errorf("moved to %v, want %v", moved, tc.moved)
			}
			ids := []int64{1}
			for id := int64(2); id <= 3; id++ {
				if _, err := s.Incident(ctx, id); err == nil {
					ids = append(ids, id)
				}
			}
			if got := firingIn(t, s, ids...); got != tc.firing {
				t.Errorf("alerts fire in %q, want %q", got, tc.firing)
			}
			inc, err := s.Incident(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if inc.Status != tc.status1 || inc.Service != tc.service {
				t.Errorf("#1 is %s of %s, want %s of %s", inc.Status, inc.Service, tc.status1, tc.service)
			}
			// Every moved alert's fingerprint points at its new incident:
			// sent again it is deduplicated there.
			for _, tg := range tc.targets {
				for _, a := range tg.Alerts {
					w := write(a.Fingerprint, tg.GroupID, false, time.Time{})
					w.Service = tg.Service
					res, err := s.Ingest(ctx, []AlertWrite{w})
					if err != nil {
						t.Fatal(err)
					}
					if res[0].Outcome != incident.AlertDeduplicated {
						t.Errorf("alert %s sent again: %+v, want deduplicated", a.Fingerprint, res[0])
					}
				}
			}
			// Done again (another replica's reload): nothing more moves.
			again, err := s.Reroute(ctx, 1, "unrouted", tc.targets, tc.stay, "config reload", time.Hour)
			if err != nil || len(again) != 0 {
				t.Errorf("second reroute moved to %v (%v), want nothing", again, err)
			}
			if got := firingIn(t, s, ids...); got != tc.firing {
				t.Errorf("after a second reroute alerts fire in %q, want %q", got, tc.firing)
			}
		})
	}
}

// The incident that moves becomes its service's: a new escalation run from
// now, its group, title and links, a timer due now, and a rerouted fact
// that subscribers of the new service hear of.
func TestRerouteMovesTheIncident(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newTestStore(t)
	if _, err := s.Ingest(ctx, []AlertWrite{unroutedWrite("a")}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if _, err := s.Reroute(ctx, 1, "unrouted", []RerouteTarget{target("checkout", "checkout:g1", "a")}, false, "config reload", time.Hour); err != nil {
		t.Fatal(err)
	}
	inc, err := s.Incident(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Service != "checkout" || inc.Escalation != "checkout-esc" || inc.Title != "CheckoutDown checkout:g1" ||
		!inc.RunAt.Equal(clk.Now()) || len(inc.Links) != 1 {
		t.Errorf("moved incident = %+v", inc)
	}
	due, claims, err := s.ClaimDue(ctx, time.Minute, 10)
	if err != nil || len(claims) != 1 || claims[0].IncidentID != 1 {
		t.Errorf("ClaimDue = %v, %+v, %v; want incident 1 due", due, claims, err)
	}
	facts, err := s.Timeline(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	last := facts[len(facts)-1]
	if last.Kind != incident.KindRerouted || last.Detail != "to service checkout" || last.Actor != "config reload" {
		t.Errorf("last fact = %+v, want rerouted to service checkout", last)
	}
	// Its group is checkout's now: an alert of the group joins it.
	w := write("b", "checkout:g1", false, time.Time{})
	if res, err := s.Ingest(ctx, []AlertWrite{w}); err != nil || res[0] != (IngestResult{1, incident.AlertGrouped}) {
		t.Errorf("a new alert of the group = %+v, %v; want grouped into #1", res, err)
	}
}
