package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// The claim reads each claimed incident as IncidentSnapshot would, so the
// engine starts on it without a read of its own.
func TestClaimReadsTheIncident(t *testing.T) {
	s, _, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{}), write("b", "g1", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ClaimSend(ctx, 1, incident.Triggered, 0, "k1", time.Minute, "me"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishSend(ctx, 1, SendResult{Key: "k1", Receipt: "console:"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ClaimSend(ctx, 1, incident.Triggered, 0, "k2", time.Minute, "me"); err != nil {
		t.Fatal(err) // claimed, not finished: not done
	}
	want, err := s.IncidentSnapshot(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Incident.Firing) != 2 || !reflect.DeepEqual(want.Done, map[string]bool{"k1": true}) {
		t.Fatalf("IncidentSnapshot = %+v, %v; want two alerts firing and k1 done", want.Incident, want.Done)
	}
	claimed, err := s.ClaimNext(ctx, time.Minute, 10)
	if err != nil || len(claimed.Claims) != 1 {
		t.Fatalf("ClaimNext = %+v, %v; want incident 1", claimed, err)
	}
	got := claimed.Claims[0].Snapshot
	if got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("the claim's snapshot = %+v; want %+v", got, want)
	}
}

func TestClaimSnapshotOfAnOddReply(t *testing.T) {
	inc := []any{"id", "7", "status", "triggered", "group_labels", "{}"}
	for _, tc := range []struct {
		name  string
		reply any
		ok    bool
	}{
		{"an incident", []any{inc, []any{}, []any{}, []any{"k", "done:console:"}}, true},
		{"gone", []any{}, false},
		{"not a table", "x", false},
		{"three hashes", []any{inc, []any{}, []any{}}, false},
		{"odd hash", []any{inc, []any{"fp"}, []any{}, []any{}}, false},
		{"a number for a string", []any{inc, []any{"fp", int64(1)}, []any{}, []any{}}, false},
		{"an empty incident", []any{[]any{}, []any{}, []any{}, []any{}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := claimSnapshot(7, tc.reply)
			if (got != nil) != tc.ok {
				t.Fatalf("claimSnapshot = %+v, want one: %v", got, tc.ok)
			}
			if got != nil && (got.Incident.ID != 7 || !got.Done["k"]) {
				t.Errorf("claimSnapshot = %+v, %v; want incident 7 with k done", got.Incident, got.Done)
			}
		})
	}
}
