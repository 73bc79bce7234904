package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// Gauges counts open incidents by service and status and the timers due
// that nobody claimed, as the store holds them after opening, claiming,
// acknowledging and resolving.
func TestGauges(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	render := func() string {
		t.Helper()
		open, due, err := s.Gauges(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, o := range open {
			parts = append(parts, fmt.Sprintf("%s/%s=%d", o.Service, o.Status, o.Count))
		}
		slices.Sort(parts)
		return fmt.Sprintf("%v due=%d", parts, due)
	}
	if got, want := render(), "[] due=0"; got != want {
		t.Errorf("empty store: %s, want %s", got, want)
	}
	other := write("c", "g3", false, time.Time{})
	other.Service = "search"
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{}), write("b", "g2", false, time.Time{}), other}); err != nil {
		t.Fatal(err)
	}
	if got, want := render(), "[checkout/triggered=2 search/triggered=1] due=3"; got != want {
		t.Errorf("three incidents opened: %s, want %s", got, want)
	}
	// A claimed timer is the engine's, not its queue's.
	if _, claims, err := s.ClaimDue(ctx, time.Minute, 1); err != nil || len(claims) != 1 {
		t.Fatalf("claim: %v %v", claims, err)
	}
	if _, err := s.Act(ctx, incident.Request{Incident: 2, Action: incident.Ack, By: "alice", Via: "api"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, incident.Request{Incident: 3, Action: incident.Resolve, By: "alice", Via: "api"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if got, want := render(), "[checkout/acknowledged=1 checkout/triggered=1] due=2"; got != want {
		t.Errorf("after a claim, an ack and a resolve: %s, want %s", got, want)
	}
}

// Counts are shared for their max age: a scrape within it reads the
// counts of the one before, a later one counts again.
func TestGaugesShared(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	count := func() int {
		t.Helper()
		open, _, err := s.Gauges(ctx, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range open {
			n += o.Count
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("empty store: %d open", n)
	}
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("within 5s of the last count: %d open, want the shared 0", n)
	}
	clk.Advance(5 * time.Second)
	if n := count(); n != 1 {
		t.Errorf("5s later: %d open, want 1", n)
	}
}

// BenchmarkGauges10k is one scrape's read of the shared state with 10,000
// open incidents over 50 services.
func BenchmarkGauges10k(b *testing.B) {
	s, _, _ := newTestStoreTB(b)
	ctx := context.Background()
	for batch := range 100 {
		var ws []AlertWrite
		for i := range 100 {
			n := batch*100 + i
			w := write(fmt.Sprintf("fp%d", n), fmt.Sprintf("g%d", n), false, time.Time{})
			w.Service = fmt.Sprintf("svc%d", n%50)
			ws = append(ws, w)
		}
		if _, err := s.Ingest(ctx, ws); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		open, _, err := s.Gauges(ctx, 0) // counting afresh: the worst case
		if err != nil || len(open) != 50 {
			b.Fatalf("%d series, %v", len(open), err)
		}
	}
}
