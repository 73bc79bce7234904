package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/redis/go-redis/v9"
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

// afterLook runs once, after the first pipeline of nothing but HGETs and
// GETs (the look of homeElsewhere) came back.
type afterLook struct {
	mu sync.Mutex
	do func()
}

func (h *afterLook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *afterLook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *afterLook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			if c.Name() != "hget" && c.Name() != "get" {
				return err
			}
		}
		h.mu.Lock()
		do := h.do
		h.do = nil
		h.mu.Unlock()
		if do != nil {
			do()
		}
		return err
	}
}

// A moved alert that stops firing where it fired between the look and
// its store opens its new incident in its own shard, not where it fired:
// there, its group would have two incidents.
func TestShardsMovedAlertThatStoppedFiringGoesHome(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := srv.Client(t)
	hook := &afterLook{}
	rdb.AddHook(hook)
	s := New(rdb, "test", WithShards(3))
	other := New(srv.Client(t), "test", WithShards(3))
	ctx := context.Background()
	for _, st := range []*Store{s, other} {
		if err := st.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before, after := groupIn(s, 0, "before"), groupIn(s, 1, "after")
	if res, err := s.Ingest(ctx, []AlertWrite{write("x", before, false, time.Time{})}); err != nil || res[0].Outcome != incident.AlertTriggered {
		t.Fatalf("Ingest = %v, %v", res, err)
	}
	hook.mu.Lock()
	hook.do = func() {
		// Another replica, not reloaded yet, resolves it where it fires.
		if res, err := other.Ingest(ctx, []AlertWrite{write("x", before, true, time.Time{})}); err != nil || res[0].Outcome != incident.AlertClosed {
			t.Errorf("resolve between the look and the store = %v, %v", res, err)
		}
	}
	hook.mu.Unlock()
	res, err := s.Ingest(ctx, []AlertWrite{write("x", after, false, time.Time{})})
	if err != nil || len(res) != 1 || res[0].Outcome != incident.AlertTriggered {
		t.Fatalf("Ingest after the move = %v, %v; want a new incident", res, err)
	}
	if k := s.idShard(res[0].IncidentID).index; k != 1 {
		t.Errorf("incident %d opened in shard %d; want 1, its group's", res[0].IncidentID, k)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	if hook.do != nil {
		t.Error("the look never ran")
	}
}

// A reload that gives an unrouted incident's alerts a service opens their
// group in that incident's shard, which may not be the group's own: a new
// alert of the group joins it there, as with one shard, and pages nobody.
func TestShardsNewAlertJoinsItsGroupOpenInAnotherShard(t *testing.T) {
	srv := testenv.StartRedis(t)
	s := New(srv.Client(t), "test", WithShards(3))
	ctx := context.Background()
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	unrouted := unroutedWrite("a")
	unrouted.GroupID = groupIn(s, 0, "unrouted")
	res, err := s.Ingest(ctx, []AlertWrite{unrouted})
	if err != nil || res[0].Outcome != incident.AlertTriggered {
		t.Fatalf("unrouted alert = %v, %v", res, err)
	}
	id := res[0].IncidentID
	group := groupIn(s, 1, "checkout")
	if moved, err := s.Reroute(ctx, id, "unrouted", []RerouteTarget{target("checkout", group, "a")}, false, "config reload", time.Hour); err != nil || len(moved) != 1 {
		t.Fatalf("Reroute = %v, %v", moved, err)
	}
	res, err = s.Ingest(ctx, []AlertWrite{write("b", group, false, time.Time{})})
	if err != nil || len(res) != 1 || res[0].Outcome != incident.AlertGrouped || s.idShard(res[0].IncidentID).index != 0 {
		t.Fatalf("a new alert of the rerouted group = %v, %v; want it grouped in the rerouted incident, in shard 0", res, err)
	}
	if got := firingIn(t, s, res[0].IncidentID); got != "a:#"+strconv.FormatInt(res[0].IncidentID, 10)+" b:#"+strconv.FormatInt(res[0].IncidentID, 10) {
		t.Errorf("firing: %s; want a and b in one incident", got)
	}
}
