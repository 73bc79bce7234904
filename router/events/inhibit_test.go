package events

import (
	"context"
	"testing"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/router/store"
)

// The mirror passes other events by, drops a source change it cannot
// read (retried, it would hold up its shard's later changes for good),
// and copies a readable one.
func TestInhibitMirrorHandle(t *testing.T) {
	rdb := testenv.StartRedis(t).Client(t)
	st := store.New(rdb, "events", store.WithShards(3))
	if err := st.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := &InhibitMirror{Store: st}
	source := func(tag, detail, actor string) incident.Event {
		return incident.Event{ID: "1/1-0", Fact: incident.Fact{Kind: store.KindInhibitSource, Tag: tag, Detail: detail, Actor: actor}}
	}
	for _, tc := range []struct {
		name      string
		ev        incident.Event
		permanent bool
		fails     bool
	}{
		{"another kind", incident.Event{ID: "1-0", Incident: 7, Fact: incident.Fact{Kind: incident.KindTriggered}}, false, false},
		{"a source change", source("+", "o:cluster-down:x", "fp1"), false, false},
		{"no rule key", source("+", "o", "fp1"), true, true},
		{"no fingerprint", source("-", "o:cluster-down:x", ""), true, true},
		{"no change", source("?", "o:cluster-down:x", "fp1"), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Handle(context.Background(), tc.ev)
			if (err != nil) != tc.fails || pagers.IsPermanent(err) != tc.permanent {
				t.Errorf("Handle = %v (permanent %v); want failing %v, permanent %v", err, pagers.IsPermanent(err), tc.fails, tc.permanent)
			}
		})
	}
	// The readable change is copied into the two shards it did not come
	// from.
	copies, err := rdb.Keys(context.Background(), "*:inh:cluster-down:x:O").Result()
	if err != nil || len(copies) != 2 {
		t.Errorf("copies of the source = %v, %v; want one in each of the 2 other shards", copies, err)
	}
	for _, k := range copies {
		if ok, _ := rdb.SIsMember(context.Background(), k, "1/fp1").Result(); !ok {
			t.Errorf("%s lacks 1/fp1", k)
		}
	}
}
