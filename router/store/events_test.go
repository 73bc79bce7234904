package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// The Lua scripts write fact kinds by name; every name they write must be
// one incident.Kind knows, and the scripts' published set must be the one
// Kind.Published says.
func TestLuaFactKindsAreKnown(t *testing.T) {
	files, err := filepath.Glob("lua/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatal("no Lua scripts", err)
	}
	written := regexp.MustCompile(`fact\(P, [^,]+, [^,]+, '([a-z_]+)'`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range written.FindAllStringSubmatch(string(src), -1) {
			if _, err := incident.ParseKind(m[1]); err != nil {
				t.Errorf("%s writes fact kind %q: %v", f, m[1], err)
			}
		}
	}
	common, _ := os.ReadFile("lua/common.lua")
	body := regexp.MustCompile(`(?s)local function published\(kind\)(.*?)\nend`).FindStringSubmatch(string(common))
	if body == nil {
		t.Fatal("common.lua has no published function")
	}
	var lua []string
	for _, m := range regexp.MustCompile(`kind == '([a-z_]+)'`).FindAllStringSubmatch(body[1], -1) {
		lua = append(lua, m[1])
	}
	var go_ []string
	for _, k := range incident.Kinds {
		// Change events are published from Go (RecordChange), not by a script.
		if k.Published() && k != incident.KindChange {
			go_ = append(go_, string(k))
		}
	}
	slices.Sort(lua)
	slices.Sort(go_)
	if !slices.Equal(lua, go_) {
		t.Errorf("Lua publishes %v, incident.Kind.Published says %v", lua, go_)
	}
}

func kinds(evs []incident.Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Kind))
	}
	return strings.Join(out, " ")
}

func TestEventStreamPublishesIncidentFacts(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	start := clk.Now()
	if err := s.EnsureGroup(ctx, "hooks"); err != nil {
		t.Fatal(err)
	}
	// A group created again keeps its place.
	if err := s.EnsureGroup(ctx, "hooks"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{}), write("b", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := transition(ctx, s, 1, "ack", "alice", "sms", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, incident.Request{Incident: 1, Action: incident.Note, By: "bob", Via: "api", Text: "found it"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", true, time.Time{}), write("b", "g", true, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	// alert_firing and alert_resolved stay on the incident's timeline only.
	all, err := s.PublishedSince(ctx, start, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(all), "triggered acknowledged note resolved"; got != want {
		t.Errorf("published %q, want %q", got, want)
	}
	if n := all[2]; n.Incident != 1 || n.Service != "checkout" || n.Actor != "bob" || n.Via != "api" || n.Detail != "found it" {
		t.Errorf("note event = %+v", n)
	}

	// The group reads each event once; unacknowledged ones stay pending
	// and another consumer claims them in order.
	first, err := s.ReadEvents(ctx, "hooks", "r1", 2, 0)
	if err != nil || kinds(first) != "triggered acknowledged" {
		t.Fatalf("first read = %q, %v", kinds(first), err)
	}
	if err := s.AckEvents(ctx, "hooks", first[0].ID); err != nil {
		t.Fatal(err)
	}
	pending, err := s.ClaimPendingEvents(ctx, "hooks", "r2")
	if err != nil || kinds(pending) != "acknowledged" || pending[0].ID != first[1].ID {
		t.Fatalf("claimed %q, %v; want the unacknowledged acknowledged event", kinds(pending), err)
	}
	rest, err := s.ReadEvents(ctx, "hooks", "r2", 10, 0)
	if err != nil || kinds(rest) != "note resolved" {
		t.Fatalf("rest = %q, %v", kinds(rest), err)
	}
	if more, err := s.ReadEvents(ctx, "hooks", "r2", 10, 0); err != nil || len(more) != 0 {
		t.Fatalf("read past the end = %q, %v; want nothing", kinds(more), err)
	}

	// Trimming drops what was published before the window; events are
	// stamped by Redis's own clock.
	if err := s.TrimEvents(ctx, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.PublishedSince(ctx, time.Time{}, 100); len(left) != len(all) {
		t.Errorf("trimming an hour back left %q, want all %d events", kinds(left), len(all))
	}
	if err := s.TrimEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.PublishedSince(ctx, time.Time{}, 100); len(left) != 0 {
		t.Errorf("trimming an hour ahead left %q, want none", kinds(left))
	}
}

func TestAckAndResolveByKey(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	w := write("k1", "svc:key:k1", false, time.Time{})
	ack := w
	ack.Action, ack.Sender = incident.AlertAcknowledge, "pd"
	for _, tc := range []struct {
		name string
		w    AlertWrite
		want IngestResult
	}{
		{"acknowledging an unknown key is dropped", ack, IngestResult{0, incident.AlertIgnored}},
		{"trigger", w, IngestResult{1, incident.AlertTriggered}},
		{"acknowledge", ack, IngestResult{1, incident.AlertAcknowledged}},
		{"acknowledge again changes nothing", ack, IngestResult{1, incident.AlertIgnored}},
		{"a trigger while acknowledged pages nobody", w, IngestResult{1, incident.AlertDeduplicated}},
	} {
		got, err := s.Ingest(ctx, []AlertWrite{tc.w})
		if err != nil || got[0] != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	inc, _ := s.Incident(ctx, 1)
	if inc.Status != incident.Acknowledged || inc.AckedBy != "pd" {
		t.Errorf("incident = %s by %q, want acknowledged by the integration", inc.Status, inc.AckedBy)
	}
	// Resolved by key alone, without a payload: the alert keeps what it
	// fired with.
	bare := w
	bare.Action, bare.Doc = incident.AlertResolve, nil
	if res, err := s.Ingest(ctx, []AlertWrite{bare}); err != nil || res[0].Outcome != incident.AlertClosed {
		t.Fatalf("resolve by key = %+v, %v", res, err)
	}
	docs, _ := s.Alerts(ctx, 1)
	if len(docs) != 1 || string(docs[0]) != `{"fingerprint":"k1","status":"resolved"}` {
		t.Errorf("alert after a bare resolve = %s, want the fired document marked resolved", docs)
	}
	tl, _ := s.Timeline(ctx, 1)
	if !slices.ContainsFunc(tl, func(f incident.Fact) bool {
		return f.Kind == incident.KindAcknowledged && f.Actor == "pd" && f.Via == "integration"
	}) {
		t.Errorf("timeline = %+v, want an acknowledgement by pd via integration", tl)
	}
}

func TestAppendOnce(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if ok, err := s.Append(ctx, 1, incident.KindStepEmpty, "x", "", 0); err != nil || ok {
		t.Errorf("Append to a missing incident = %v, %v; want nothing written", ok, err)
	}
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, false} {
		if ok, err := s.Append(ctx, 1, incident.KindEscalated, "step 2", "1:0:0:abc:escalated", time.Hour); err != nil || ok != want {
			t.Errorf("Append #%d = %v, %v; want %v", i+1, ok, err, want)
		}
	}
	evs, _ := s.PublishedSince(ctx, time.Time{}, 10)
	if kinds(evs) != "triggered escalated" {
		t.Errorf("published %q, want the escalation once", kinds(evs))
	}
}

func TestLease(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	steps := []struct {
		owner string
		ttl   time.Duration
		want  bool
	}{
		{"A", time.Minute, true},
		{"B", time.Minute, false},
		{"A", time.Minute, true}, // the holder renews
	}
	for _, st := range steps {
		if got, err := s.Lease(ctx, "job", st.owner, st.ttl); err != nil || got != st.want {
			t.Errorf("Lease(%s) = %v, %v; want %v", st.owner, got, err, st.want)
		}
	}
	if err := s.ReleaseLease(ctx, "job", "B"); err != nil { // not B's to release
		t.Fatal(err)
	}
	if got, _ := s.Lease(ctx, "job", "B", time.Minute); got {
		t.Error("B took a lease A still holds")
	}
	if err := s.ReleaseLease(ctx, "job", "A"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Lease(ctx, "job", "B", time.Minute); !got {
		t.Error("B could not take a released lease")
	}
}

func TestChanges(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	for i, summary := range []string{"deploy 1", "deploy 2"} {
		c := incident.Change{At: clk.Now().Add(time.Duration(i) * time.Minute), Service: "checkout", Summary: summary,
			Source: "ci", Integration: "pd", Links: []incident.Link{{Href: "https://ci/1", Text: "build"}}}
		if _, err := s.RecordChange(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Changes(ctx, "checkout", 10)
	if err != nil || len(got) != 2 || got[0].Summary != "deploy 2" || got[1].Links[0].Text != "build" {
		t.Fatalf("Changes = %+v, %v; want both, newest first, links kept", got, err)
	}
	evs, _ := s.PublishedSince(ctx, time.Time{}, 10)
	if len(evs) != 2 || evs[0].Kind != incident.KindChange || evs[0].Change == nil || evs[0].Change.Summary != "deploy 1" || evs[0].Incident != 0 {
		t.Errorf("published = %+v, want two change events carrying their change", evs)
	}
	if other, _ := s.Changes(ctx, "search", 10); len(other) != 0 {
		t.Errorf("another service's changes = %+v", other)
	}
}

// A refused action leaves the incident as it was, and a fact on its
// timeline saying who tried what through which channel — which stays off
// the event stream: consumers hear what happened, not what was refused.
func TestRefusedIsOnTheTimelineOnly(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	start := clk.Now()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	req := incident.Request{Incident: 1, Action: incident.Resolve, By: "mallory", Via: "sms"}
	if err := s.Refused(ctx, req, "resolve refused: not paged"); err != nil {
		t.Fatal(err)
	}
	if inc, err := s.Incident(ctx, 1); err != nil || inc.Status != incident.Triggered {
		t.Errorf("incident after a refusal = %+v, %v; want it still triggered", inc, err)
	}
	tl, err := s.Timeline(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	last := tl[len(tl)-1]
	if last.Kind != incident.KindActionRefused || last.Actor != "mallory" || last.Via != "sms" || last.Detail != "resolve refused: not paged" {
		t.Errorf("last fact = %+v, want mallory's refused resolve by sms", last)
	}
	if all, err := s.PublishedSince(ctx, start, 100); err != nil || kinds(all) != "triggered" {
		t.Errorf("published %q, %v; want only triggered", kinds(all), err)
	}
	if err := s.Refused(ctx, incident.Request{Incident: 99, Action: incident.Ack, By: "mallory"}, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("refusal on a missing incident: err = %v, want ErrNotFound", err)
	}
}

// Acknowledging with the next read: the acknowledged events are no longer
// pending, the read hands over what was waiting, and nothing waiting is
// an empty answer, not an error.
func TestAckAndReadEvents(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if err := s.EnsureGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"g1", "g2", "g3"} {
		if _, err := s.Ingest(ctx, []AlertWrite{write("fp-"+g, g, false, time.Time{})}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.ReadEvents(ctx, "g", "r1", 1, 0)
	if err != nil || len(first) != 1 {
		t.Fatalf("ReadEvents = %v, %v; want one event", first, err)
	}
	var ack []string
	for _, tc := range []struct {
		name string
		want int // events read
	}{
		{"the rest", 2},
		{"none left", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ack == nil {
				ack = []string{first[0].ID}
			}
			got, err := s.AckAndReadEvents(ctx, "g", "r1", ack, 16)
			if err != nil || len(got) != tc.want {
				t.Fatalf("AckAndReadEvents = %v, %v; want %d events", got, err, tc.want)
			}
			ack = nil
			for _, ev := range got {
				ack = append(ack, ev.ID)
			}
		})
	}
	// Every event read was acknowledged by the read after it.
	if pending, err := s.ClaimPendingEvents(ctx, "g", "r2"); err != nil || len(pending) != 0 {
		t.Errorf("pending after AckAndReadEvents = %v, %v; want none", pending, err)
	}
}
