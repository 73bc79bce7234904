package router

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
)

// The engine, taking an unrouted incident under a config that now routes
// its alerts, moves each to its service and group (alerts that still
// match nothing stay), and the incidents that took them page.
func TestEngineReroutesAnUnroutedIncident(t *testing.T) {
	ctx := context.Background()
	sms := &kindRecorder{}
	w := newEngineWorld(t, sms, &kindRecorder{})
	match := func(s string) labels.Matchers {
		m, err := labels.ParseMatcher(s)
		if err != nil {
			t.Fatal(err)
		}
		return labels.Matchers{m}
	}
	w.cfg.Services = []*policies.Service{{Name: "svc", Escalation: "ops", Matchers: match("service=checkout")}}
	in := &policies.Integration{Name: "am", Type: "alertmanager"}
	batch := &ingest.Batch{}
	for _, ls := range []map[string]string{
		{"alertname": "A", "service": "search", "cluster": "eu"},
		{"alertname": "A", "service": "search", "cluster": "us"},
		{"alertname": "A", "service": "mail"},
	} {
		a, err := ingest.LabeledAlert(len(batch.Alerts), incident.AlertTrigger, ls, nil, w.clock.Now(), time.Time{}, "")
		if err != nil {
			t.Fatal(err)
		}
		batch.Alerts = append(batch.Alerts, a)
	}
	results, err := w.rt.Ingest(ctx, in, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.IncidentID != 1 || r.Outcome != incident.AlertUnrouted {
			t.Errorf("alert %d: %+v, want unrouted in incident 1", i, r)
		}
	}
	w.due(t)
	if n := len(sms.sent); n != 0 {
		t.Fatalf("the unrouted incident paged %d times", n)
	}

	// A reload adds a service for search, grouping by cluster.
	w.cfg = &policies.Config{Settings: w.cfg.Settings, Users: w.cfg.Users, Escalations: w.cfg.Escalations,
		Services: append([]*policies.Service{{Name: "search", Escalation: "ops", Matchers: match("service=search"),
			GroupBy: []string{"alertname", "cluster"}}}, w.cfg.Services...)}
	w.due(t)
	var where []string
	for id := int64(1); id <= 3; id++ {
		inc, err := w.store.Incident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		where = append(where, fmt.Sprintf("#%d %s %s %d", id, inc.Service, inc.Title, inc.FiringCount))
		if _, err := w.eng.process(ctx, id, w.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fmt.Sprint(where), "[#1 unrouted A 1 #2 search A cluster=eu 1 #3 search A cluster=us 1]"; got != want {
		t.Errorf("incidents %s, want %s", got, want)
	}
	if n := sms.count("alice", pagers.KindPage); n != 2 {
		t.Errorf("alice paged %d times, want once for each search incident", n)
	}
}
