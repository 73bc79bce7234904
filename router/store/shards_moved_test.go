package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// groupIn is a group id that s places in shard k.
func groupIn(s *Store, k int, name string) string {
	for i := 0; ; i++ {
		g := fmt.Sprintf("%s-%d", name, i)
		w := write("probe", g, false, time.Time{})
		if s.ingestShard(&w).index == k {
			return g
		}
	}
}

// A reload that moves a firing alert's group to another shard (a
// group_by change, another service, storm folding turned on or off)
// keeps the alert in its incident, as with one shard: its re-sends
// refresh it there, a new alert of its new group opens the new group's
// incident, and its resolve and acknowledgement reach it where it fires.
// On the 3-master cluster, so that every step stays in one slot.
func TestShardsKeepAMovedAlertInItsIncident(t *testing.T) {
	cluster := testenv.StartRedisCluster(t, 3)
	s, _ := shardedOnCluster(t, cluster)
	ctx := context.Background()
	before, after, other := groupIn(s, 0, "before"), groupIn(s, 1, "after"), groupIn(s, 2, "other")
	moved := func(fp string, resolved bool) AlertWrite { return write(fp, after, resolved, time.Time{}) }
	ack := func(w AlertWrite) AlertWrite { w.Action = incident.AlertAcknowledge; return w }

	first, err := s.Ingest(ctx, []AlertWrite{write("x", before, false, time.Time{}), write("acked", before, false, time.Time{})})
	if err != nil || len(first) != 2 || first[0].Outcome != incident.AlertTriggered {
		t.Fatalf("Ingest = %v, %v; want x to open an incident", first, err)
	}
	old := first[0].IncidentID
	if got := s.idShard(old).index; got != 0 {
		t.Fatalf("incident %d opened in shard %d; want 0", old, got)
	}

	steps := []struct {
		name   string
		writes []AlertWrite
		want   []IngestResult
	}{
		{"a re-send after the move refreshes it where it fires",
			[]AlertWrite{moved("x", false)}, []IngestResult{{old, incident.AlertDeduplicated}}},
		{"a new alert of the new group opens the new group's incident; two in one request share it",
			[]AlertWrite{moved("y", false), moved("y2", false)}, []IngestResult{{0, incident.AlertTriggered}, {0, incident.AlertGrouped}}},
		{"a sender's acknowledgement reaches it where it fires",
			[]AlertWrite{ack(moved("acked", false))}, []IngestResult{{old, incident.AlertAcknowledged}}},
		{"its resolve reaches it where it fires",
			[]AlertWrite{moved("x", true)}, []IngestResult{{old, incident.AlertEnded}}},
		{"a resolve of an alert firing nowhere is ignored",
			[]AlertWrite{moved("never", true)}, []IngestResult{{0, incident.AlertIgnored}}},
		{"an alert of a third group opens there, as ever",
			[]AlertWrite{write("z", other, false, time.Time{})}, []IngestResult{{0, incident.AlertTriggered}}},
	}
	var opened []int64
	for _, step := range steps {
		got, err := s.Ingest(ctx, step.writes)
		if err != nil || len(got) != len(step.want) {
			t.Fatalf("%s: Ingest = %v, %v; want %v", step.name, got, err, step.want)
		}
		for i, w := range step.want {
			if got[i].Outcome != w.Outcome || w.IncidentID != 0 && got[i].IncidentID != w.IncidentID ||
				w.Outcome == incident.AlertTriggered && got[i].IncidentID == old {
				t.Errorf("%s: alert %d: %+v; want %+v", step.name, i, got[i], w)
			}
			if w.Outcome == incident.AlertTriggered {
				opened = append(opened, got[i].IncidentID)
			}
		}
	}
	if len(opened) != 2 || s.idShard(opened[0]).index != 1 || s.idShard(opened[1]).index != 2 {
		t.Errorf("new incidents %v; want one in shard 1 (the new group's) and one in shard 2", opened)
	}
	inc, err := s.Incident(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if _, firing := inc.Firing["x"]; firing || inc.Status != incident.Acknowledged {
		t.Errorf("old incident: status %s, firing %v; want acknowledged, x resolved", inc.Status, inc.Firing)
	}
}
