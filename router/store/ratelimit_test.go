package store

import (
	"context"
	"testing"
	"time"
)

// A rate limit is one GCRA in Redis that every replica shares: two stores
// on one Redis (two replicas) together allow the rate, not twice it, and a
// refusal says how long until the next event would pass.
func TestAllowIsSharedAndSaysHowLongToWait(t *testing.T) {
	a, clk, srv := newTestStore(t)
	b := New(srv.Client(t), "test") // a second replica
	b.Clock = clk.Now
	ctx := context.Background()
	type step struct {
		name    string
		s       *Store
		advance time.Duration
		n       int
		ok      bool
		wait    time.Duration
	}
	// 4 per minute: bursts of 4, one more every 15s.
	for _, st := range []step{
		{"replica a takes 2", a, 0, 2, true, 0},
		{"replica b takes the other 2", b, 0, 2, true, 0},
		{"the burst is spent for both", a, 0, 1, false, 15 * time.Second},
		{"and for b", b, 0, 1, false, 15 * time.Second},
		{"a refusal is not counted", b, 0, 1, false, 15 * time.Second},
		{"one refills after 15s", a, 15 * time.Second, 1, true, 0},
		{"two do not", b, 0, 2, false, 30 * time.Second},
		{"halfway to the next", a, 7500 * time.Millisecond, 1, false, 7500 * time.Millisecond},
		{"a long pause refills the whole burst, no more", b, time.Hour, 4, true, 0},
		{"then waits again", a, 0, 1, false, 15 * time.Second},
		{"more than a whole burst counts as a burst", b, time.Hour, 100, true, 0},
	} {
		clk.Advance(st.advance)
		ok, wait, err := st.s.Allow(ctx, "integration:am", 4, time.Minute, st.n)
		if err != nil || ok != st.ok || wait != st.wait {
			t.Fatalf("%s: Allow = %v, %s, %v; want %v, %s", st.name, ok, wait, err, st.ok, st.wait)
		}
	}
	// Each limit is its own.
	if ok, _, err := a.Allow(ctx, "integration:other", 4, time.Minute, 4); err != nil || !ok {
		t.Errorf("another integration's limit = %v, %v; want it untouched", ok, err)
	}
	// A rate whose interval is not a whole millisecond: 7 per second.
	for i := range 7 {
		if ok, _, err := a.Allow(ctx, "integration:fast", 7, time.Second, 1); err != nil || !ok {
			t.Fatalf("event %d of 7/s = %v, %v", i+1, ok, err)
		}
	}
	if ok, wait, err := a.Allow(ctx, "integration:fast", 7, time.Second, 1); err != nil || ok || wait != 143*time.Millisecond {
		t.Errorf("eighth event of 7/s = %v, %s, %v; want a wait of 143ms (1s/7, rounded up)", ok, wait, err)
	}
}

// A provider's Retry-After holds the limit for every replica for that
// long, then lets one event through; a hold shorter than the wait already
// due changes nothing.
func TestHoldWaitsOutARetryAfter(t *testing.T) {
	a, clk, srv := newTestStore(t)
	b := New(srv.Client(t), "test")
	b.Clock = clk.Now
	ctx := context.Background()
	if err := a.Hold(ctx, "room", 1, time.Second, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if ok, wait, err := b.Allow(ctx, "room", 1, time.Second, 1); err != nil || ok || wait != 5*time.Second {
		t.Fatalf("Allow on the other replica during the hold = %v, %s, %v; want a wait of 5s", ok, wait, err)
	}
	clk.Advance(5 * time.Second)
	if ok, _, err := b.Allow(ctx, "room", 1, time.Second, 1); err != nil || !ok {
		t.Fatalf("Allow once the hold is over = %v, %v", ok, err)
	}
	if ok, wait, err := a.Allow(ctx, "room", 1, time.Second, 1); err != nil || ok || wait != time.Second {
		t.Fatalf("the next one = %v, %s, %v; want the rate's 1s", ok, wait, err)
	}
	if err := a.Hold(ctx, "room", 1, time.Second, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ok, wait, err := a.Allow(ctx, "room", 1, time.Second, 1); err != nil || ok || wait != time.Second {
		t.Errorf("after a shorter hold = %v, %s, %v; want the 1s already due", ok, wait, err)
	}
}

// A message's reference is kept beside the incident's sends, found by key
// or prefix, and never taken for a finished send.
func TestMessageReferences(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if err := s.KeepMessage(ctx, 99, "slack:x", "C1/1.0"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Message(ctx, 99, "slack:x"); err != nil || ok {
		t.Fatalf("a reference kept for a missing incident = %v, %v; want none", ok, err)
	}
	res, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].IncidentID
	for k, v := range map[string]string{"slack:page:1": "C1/1.0", "slack:room:#a": "C2/2.0", "other:x": "y"} {
		if err := s.KeepMessage(ctx, id, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if ref, ok, err := s.Message(ctx, id, "slack:room:#a"); err != nil || !ok || ref != "C2/2.0" {
		t.Errorf("Message = %q, %v, %v", ref, ok, err)
	}
	got, err := s.Messages(ctx, id, "slack:")
	if err != nil || len(got) != 2 || got["slack:page:1"] != "C1/1.0" {
		t.Errorf("Messages(slack:) = %v, %v", got, err)
	}
	if done, err := s.SendsDone(ctx, id); err != nil || len(done) != 0 {
		t.Errorf("SendsDone = %v, %v; want no sends", done, err)
	}
}
