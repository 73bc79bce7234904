package store

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

func heartbeatWrite(action incident.AlertAction) AlertWrite {
	return AlertWrite{
		Fingerprint: "hbfp", Action: action, Doc: json.RawMessage(`{"status":"firing"}`), Name: "HeartbeatMissed",
		Sender: "heartbeat:backup", Service: "storage", Escalation: "ops", GroupID: "storage:hb",
		GroupLabels: map[string]string{}, Title: "HeartbeatMissed", Retention: time.Hour,
	}
}

// A heartbeat's deadline is a timer like an incident's: registered at
// sync, claimed when due, moved by a beat.
func TestHeartbeatDeadlines(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	start := clk.Now()
	if err := s.SyncHeartbeats(ctx, map[string]time.Duration{"backup": 25 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Heartbeat(ctx, "backup")
	if err != nil || !st.Known || !st.First.Equal(start) || !st.Last.IsZero() || !st.Missed.IsZero() {
		t.Fatalf("after sync: %+v %v, want known since %s, never beaten", st, err, start)
	}
	// Syncing makes every registered heartbeat due now, for the engine to
	// check against the config.
	_, claims, err := s.ClaimDue(ctx, time.Minute, 10)
	if err != nil || len(claims) != 1 || claims[0].Heartbeat != "backup" || claims[0].IncidentID != 0 {
		t.Fatalf("claims after sync = %+v %v, want the heartbeat's", claims, err)
	}
	if err := s.Reschedule(ctx, claims[0], st.Since().Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if next, _ := s.NextDue(ctx); !next.Equal(start.Add(25 * time.Hour)) {
		t.Fatalf("deadline = %s, want %s", next, start.Add(25*time.Hour))
	}

	clk.Advance(2 * time.Hour)
	res, err := s.Beat(ctx, "backup", 25*time.Hour, heartbeatWrite(incident.AlertResolve))
	if err != nil {
		t.Fatal(err)
	}
	if res.WasMissed || res.Resolved.Outcome != incident.AlertIgnored || !res.Deadline.Equal(clk.Now().Add(25*time.Hour)) {
		t.Fatalf("beat = %+v, want not missed, nothing resolved, due 25h from now", res)
	}
	if next, _ := s.NextDue(ctx); !next.Equal(res.Deadline) {
		t.Errorf("deadline after the beat = %s, want %s", next, res.Deadline)
	}
	// A second sync registers nothing new and keeps what it knows.
	if err := s.SyncHeartbeats(ctx, map[string]time.Duration{"backup": 25 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Heartbeat(ctx, "backup"); !st.First.Equal(start) || !st.Last.Equal(res.At) {
		t.Errorf("after a second sync: %+v, want first %s, last %s", st, start, res.At)
	}
}

// However many replicas find the same miss, its alert fires once; a beat
// then resolves it.
func TestHeartbeatMissFiresOnceAndTheBeatResolves(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if err := s.SyncHeartbeats(ctx, map[string]time.Duration{"backup": time.Hour}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	st, err := s.Heartbeat(ctx, "backup")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 4)
	outcomes := make([]IngestResult, 4)
	for i := range results {
		wg.Go(func() {
			outcomes[i], results[i] = s.MissHeartbeat(ctx, st, clk.Now(), heartbeatWrite(incident.AlertTrigger), nil)
		})
	}
	wg.Wait()
	fired := 0
	for i, err := range results {
		switch {
		case err == nil:
			fired++
			if outcomes[i].Outcome != incident.AlertTriggered || outcomes[i].IncidentID != 1 {
				t.Errorf("the miss fired %+v, want incident 1 triggered", outcomes[i])
			}
		case !errors.Is(err, ErrBeatMeanwhile):
			t.Fatal(err)
		}
	}
	if fired != 1 {
		t.Fatalf("the miss fired %d times, want once", fired)
	}
	if st, _ := s.Heartbeat(ctx, "backup"); st.Missed.IsZero() || st.Fingerprint != "hbfp" {
		t.Fatalf("after the miss: %+v, want missed with its fingerprint", st)
	}

	res, err := s.Beat(ctx, "backup", time.Hour, heartbeatWrite(incident.AlertResolve))
	if err != nil {
		t.Fatal(err)
	}
	if !res.WasMissed || res.Resolved != (IngestResult{IncidentID: 1, Outcome: incident.AlertClosed}) {
		t.Fatalf("beat after the miss = %+v, want incident 1 resolved", res)
	}
	inc, err := s.Incident(ctx, 1)
	if err != nil || inc.Status != incident.Resolved {
		t.Fatalf("incident = %+v %v, want resolved", inc, err)
	}
	// The state read before the beat is stale: it fires nothing.
	if _, err := s.MissHeartbeat(ctx, st, clk.Now(), heartbeatWrite(incident.AlertTrigger), nil); !errors.Is(err, ErrBeatMeanwhile) {
		t.Errorf("a miss found from a state older than the beat = %v, want ErrBeatMeanwhile", err)
	}
}

// A heartbeat the config no longer has is forgotten, and the alert its
// miss fired resolves.
func TestHeartbeatForgotten(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if err := s.SyncHeartbeats(ctx, map[string]time.Duration{"backup": time.Hour}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	st, _ := s.Heartbeat(ctx, "backup")
	if _, err := s.MissHeartbeat(ctx, st, clk.Now(), heartbeatWrite(incident.AlertTrigger), nil); err != nil {
		t.Fatal(err)
	}
	resolve := heartbeatWrite(incident.AlertResolve)
	resolve.Doc = nil
	if err := s.ForgetHeartbeat(ctx, "backup", &resolve); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Heartbeat(ctx, "backup"); st.Known {
		t.Errorf("forgotten heartbeat still known: %+v", st)
	}
	if inc, _ := s.Incident(ctx, 1); inc.Status != incident.Resolved {
		t.Errorf("its incident is %s, want resolved", inc.Status)
	}
	// A sync without it registers nothing.
	if err := s.SyncHeartbeats(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, claims, _ := s.ClaimDue(ctx, time.Minute, 10); len(claims) != 1 || claims[0].Heartbeat != "" {
		t.Errorf("claims = %+v, want only incident 1's closing work", claims)
	}
}
