package store

import (
	"context"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// A message filed under its place is found from there — its incident and
// the thread it belongs to — for exactly as long as its incident is kept:
// resolving the incident gives the place its retention, and a place filed
// after that gets what is left of it.
func TestMessagePlacesLastAsLongAsTheIncident(t *testing.T) {
	s, _, srv := newTestStore(t)
	ctx := context.Background()
	rdb := srv.Client(t)
	if _, _, ok, err := s.MessageAt(ctx, "slack:C1/1.0"); err != nil || ok {
		t.Fatalf("MessageAt before anything = %v, %v", ok, err)
	}
	if err := s.KeepMessageAt(ctx, 99, "slack:page:x", `{"ref":"C9/9.0"}`, "slack:C9/9.0", "slack:page:x"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.MessageAt(ctx, "slack:C9/9.0"); ok {
		t.Fatal("a place filed for a missing incident")
	}
	res, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].IncidentID
	if err := s.KeepMessageAt(ctx, id, "slack:page:1", `{"ref":"C1/1.0"}`, "slack:C1/1.0", "slack:page:1"); err != nil {
		t.Fatal(err)
	}
	got, thread, ok, err := s.MessageAt(ctx, "slack:C1/1.0")
	if err != nil || !ok || got != id || thread != "slack:page:1" {
		t.Fatalf("MessageAt = %d, %q, %v, %v; want %d, slack:page:1", got, thread, ok, err, id)
	}
	if ref, ok, _ := s.Message(ctx, id, "slack:page:1"); !ok || ref != `{"ref":"C1/1.0"}` {
		t.Errorf("the message itself is not kept: %q", ref)
	}
	place := s.key("msgat", "slack:C1/1.0")
	if ttl := rdb.PTTL(ctx, place).Val(); ttl != -1 {
		t.Fatalf("the place of an open incident's message expires in %s", ttl)
	}
	if _, _, err := transition(ctx, s, id, "resolve", "alice", "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, place).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("the place of a resolved incident's message: TTL %s, want the retention", ttl)
	}
	if err := s.KeepMessageAt(ctx, id, "telegram:reply:1", `{}`, "telegram:-100/7", "telegram:page:1"); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, s.key("msgat", "telegram:-100/7")).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("a place filed after the incident closed: TTL %s, want what is left of the retention", ttl)
	}
}

// A note written in a chat thread carries that thread on its event (for
// the chat layer not to post it back there), never on the timeline.
func TestNoteThreadRidesOnTheEvent(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	res, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].IncidentID
	for _, req := range []incident.Request{
		{Incident: id, Action: incident.Note, By: "alice", Via: "slack", Text: "from the thread", Thread: "slack:room:#a"},
		{Incident: id, Action: incident.Note, By: "bob", Via: "cli", Text: "from the CLI", Tag: incident.TagRootCause},
	} {
		if _, err := s.Act(ctx, req, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.PublishedSince(ctx, time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var notes []incident.Event
	for _, ev := range evs {
		if ev.Kind == incident.KindNote {
			notes = append(notes, ev)
		}
	}
	if len(notes) != 2 || notes[0].Thread != "slack:room:#a" || notes[0].Detail != "from the thread" ||
		notes[1].Thread != "" || notes[1].Tag != string(incident.TagRootCause) {
		t.Errorf("note events = %+v", notes)
	}
}
