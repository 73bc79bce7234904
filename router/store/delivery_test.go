package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// A note its sender delivers again (Slack did not hear 200 within 3 s)
// is one note: the mark of its delivery is stored with it, so the second
// delivery is "repeated" and writes nothing, while a delivery that never
// reached Redis leaves no mark and is taken when it comes again. Other
// deliveries, and notes without one, are noted as usual. On one shard and
// on three, where the mark lives in the incident's shard.
func TestNoteDeliveredAgainIsNotedOnce(t *testing.T) {
	for _, shards := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d shards", shards), func(t *testing.T) {
			s := New(testenv.StartRedis(t).Client(t), "test", WithShards(shards))
			s.Clock = testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)).Now
			ctx := context.Background()
			if err := s.Load(ctx); err != nil {
				t.Fatal(err)
			}
			res, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})})
			if err != nil {
				t.Fatal(err)
			}
			id := res[0].IncidentID
			note := func(delivery, text string) incident.Outcome {
				t.Helper()
				r, err := s.Act(ctx, incident.Request{Incident: id, Action: incident.Note, By: "alice", Via: "slack",
					Text: text, Delivery: delivery}, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				return r.Outcome
			}
			for _, c := range []struct {
				delivery, text string
				want           incident.Outcome
			}{
				{"slack:event:Ev1", "rolled back", incident.OutcomeNoted},
				{"slack:event:Ev1", "rolled back", incident.OutcomeRepeated},
				{"slack:event:Ev2", "rolled back", incident.OutcomeNoted},
				{"", "by SMS", incident.OutcomeNoted},
				{"", "by SMS", incident.OutcomeNoted},
			} {
				if got := note(c.delivery, c.text); got != c.want {
					t.Errorf("note %q delivered as %q = %s, want %s", c.text, c.delivery, got, c.want)
				}
			}
			tl, err := s.Timeline(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			notes := 0
			for _, f := range tl {
				if f.Kind == incident.KindNote {
					notes++
				}
			}
			if notes != 4 {
				t.Errorf("%d notes on the timeline, want 4 (Ev1 once, Ev2, two by SMS)", notes)
			}
		})
	}
}
