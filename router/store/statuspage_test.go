package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

func TestPostPageKeepsPublicUpdatesAndHistory(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g1", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	last, err := s.LastPageChange(ctx)
	if err != nil || last != "0" {
		t.Fatalf("LastPageChange = %q, %v; want 0", last, err)
	}
	post := func(p PagePost) PagePosted {
		t.Helper()
		p.Incident, p.Service, p.Keep, p.Code = 1, "checkout", 90*24*time.Hour, "abc123"
		out, err := s.PostPage(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	steps := []struct {
		name string
		post PagePost
		want PagePosted
	}{
		{"first publication", PagePost{Pages: []string{"public"}, Title: "Checkout is down", Status: incident.StateInvestigating,
			Body: "We are looking into it.", Components: map[string]string{"Checkout API": "major_outage"}, By: "alice", Via: "cli"},
			PagePosted{"published", 1, "abc123"}},
		{"a mirrored status update", PagePost{Status: incident.StateIdentified, Body: "Found it.", Source: "su:1"},
			PagePosted{"updated", 2, "abc123"}},
		{"the same again is a duplicate", PagePost{Status: incident.StateIdentified, Body: "Found it.", Source: "su:1"},
			PagePosted{"duplicate", 2, "abc123"}},
		{"on a second page", PagePost{Pages: []string{"internal", "public"}, Status: incident.StateMonitoring, Body: "Fixed; watching.",
			Components: map[string]string{"Checkout API": "degraded_performance"}}, PagePosted{"published", 3, "abc123"}},
		{"resolved", PagePost{Status: incident.StateResolved, Body: "All good.", Components: map[string]string{"Checkout API": "operational"}},
			PagePosted{"updated", 4, "abc123"}},
	}
	for i, st := range steps {
		clk.Set(start.Add(time.Duration(i) * time.Minute))
		if got := post(st.post); got != st.want {
			t.Errorf("%s: %+v, want %+v", st.name, got, st.want)
		}
	}
	p, err := s.PageIncident(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Checkout is down" || p.Status != incident.StateResolved || !slices.Equal(p.Pages, []string{"public", "internal"}) ||
		p.Code != "abc123" || p.Service != "checkout" {
		t.Errorf("page incident %+v", p)
	}
	if !p.CreatedAt.Equal(start) || !p.MonitoringAt.Equal(start.Add(3*time.Minute)) || !p.ResolvedAt.Equal(start.Add(4*time.Minute)) {
		t.Errorf("times: created %v monitoring %v resolved %v", p.CreatedAt, p.MonitoringAt, p.ResolvedAt)
	}
	var got []string
	for _, u := range p.Updates {
		got = append(got, fmt.Sprintf("%d %s %q %v", u.N, u.Status, u.Body, u.Components))
	}
	want := []string{
		`1 investigating "We are looking into it." map[Checkout API:major_outage]`,
		`2 identified "Found it." map[Checkout API:major_outage]`,
		`3 monitoring "Fixed; watching." map[Checkout API:degraded_performance]`,
		`4 resolved "All good." map[Checkout API:operational]`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("updates:\n%s\nwant:\n%s", got, want)
	}
	// Every update but the duplicate is a published fact, numbered.
	evs, err := s.PublishedSince(ctx, start.Add(-time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, ev := range evs {
		if ev.Kind == incident.KindPublicUpdate {
			tags = append(tags, ev.Tag)
		}
	}
	if !slices.Equal(tags, []string{"1", "2", "3", "4"}) {
		t.Errorf("public_update events tagged %q", tags)
	}
	// The pages see the changes: five stored, one duplicate that was not.
	if last, err := s.PageChanges(ctx, "0", time.Millisecond); err != nil || last == "" {
		t.Errorf("PageChanges = %q, %v", last, err)
	}
	all, err := s.PageIncidents(ctx, start.Add(-24*time.Hour))
	if err != nil || len(all) != 1 {
		t.Fatalf("PageIncidents = %v, %v", all, err)
	}
	if later, err := s.PageIncidents(ctx, start.Add(time.Hour)); err != nil || len(later) != 0 {
		t.Errorf("PageIncidents after it was published and resolved = %v, %v; want none", later, err)
	}
}

func TestSubscribersDoubleOptInAndOutboxes(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	add := func(id, addr string, confirmed bool, comps ...string) (string, string, bool) {
		t.Helper()
		got, state, added, err := s.AddSubscriber(ctx, NewSubscription{
			Subscriber: incident.Subscriber{ID: id, Page: "public", Kind: "email", Address: addr, Components: comps},
			Confirmed:  confirmed, Nonce: "n-" + id, Pending: time.Hour,
			First: &OutItem{Key: "confirm:" + id, Type: "confirm", Nonce: "n-" + id},
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, state, added
	}
	if id, state, added := add("s1", "a@example.com", false); id != "s1" || state != "pending" || !added {
		t.Fatalf("add = %q %q %v", id, state, added)
	}
	if id, state, added := add("s9", "a@example.com", false); id != "s1" || state != "pending" || added {
		t.Errorf("adding the same address again = %q %q %v, want s1 pending, not added", id, state, added)
	}
	add("s2", "b@example.com", true, "Search")
	// The confirmation is the first thing s1's outbox sends; s2 has none.
	claimed, err := s.ClaimOutboxes(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	if again, _ := s.ClaimOutboxes(ctx, 10, time.Minute); len(again) != 0 {
		t.Errorf("claimed again within the lease: %v", again)
	}
	for _, c := range claimed {
		if _, err := s.OutboxDone(ctx, c, Sent, "", false); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct{ nonce, want string }{{"wrong", "used"}, {"n-s1", "confirmed"}, {"n-s1", "already"}}
	for _, st := range steps {
		if got, err := s.ConfirmSubscriber(ctx, "s1", st.nonce); err != nil || got != st.want {
			t.Errorf("confirm with %q = %q, %v; want %q", st.nonce, got, err, st.want)
		}
	}
	if got, _ := s.ConfirmSubscriber(ctx, "nobody", "x"); got != "gone" {
		t.Errorf("confirm of nobody = %q", got)
	}
	ids, chose, err := s.Audience(ctx, "public")
	if err != nil || !slices.Equal(ids, []string{"s1", "s2"}) || !slices.Equal(chose["s2"], []string{"Search"}) || chose["s1"] != nil {
		t.Fatalf("audience %v %v %v", ids, chose, err)
	}
	// Fanning an update out twice queues it once per subscriber.
	item := OutItem{Key: "u:1:1", Type: "update", Incident: 1, N: 1}
	for range 2 {
		if _, err := s.FanOut(ctx, item, time.Hour, append(ids, "cfg:public:mastodon")); err != nil {
			t.Fatal(err)
		}
	}
	if complete, err := s.FannedOut(ctx, 1, 1); err != nil || complete {
		t.Fatalf("FannedOut = %v, %v", complete, err)
	}
	d, _ := s.Delivery(ctx, 1, 1)
	if d.Total != 3 || d.Pending != 3 {
		t.Errorf("delivery %+v, want 3 pending", d)
	}
	claimed, _ = s.ClaimOutboxes(ctx, 10, time.Minute)
	if len(claimed) != 3 {
		t.Fatalf("claimed %v", claimed)
	}
	// One fails for now, and is tried again after its backoff, alone.
	var failing Claimed
	for _, c := range claimed {
		if c.Subscriber == "s2" {
			failing = c
			if n, err := s.OutboxRetry(ctx, c, time.Minute, time.Hour, 0, "421 try later"); err != nil || n != 1 {
				t.Fatalf("retry = %d, %v", n, err)
			}
			continue
		}
		if complete, err := s.OutboxDone(ctx, c, Sent, "", false); err != nil || complete {
			t.Fatalf("done = %v, %v", complete, err)
		}
	}
	if now, _ := s.ClaimOutboxes(ctx, 10, time.Minute); len(now) != 0 {
		t.Errorf("claimed %v before the retry is due", now)
	}
	clk.Advance(time.Minute)
	if again, _ := s.ClaimOutboxes(ctx, 10, time.Minute); len(again) != 1 || again[0] != failing {
		t.Fatalf("claimed %v, want %v", again, failing)
	}
	if complete, err := s.OutboxDone(ctx, failing, Failed, "550 no such user", false); err != nil || !complete {
		t.Errorf("the last one done: complete %v, %v", complete, err)
	}
	d, _ = s.Delivery(ctx, 1, 1)
	if d.Sent != 2 || d.Failed != 1 || d.Pending != 0 || d.Done.IsZero() {
		t.Errorf("delivery %+v", d)
	}
	sub, err := s.Subscriber(ctx, "s2")
	if err != nil || sub.Failed != 1 || sub.LastError != "550 no such user" || sub.Components[0] != "Search" {
		t.Errorf("s2 = %+v, %v", sub, err)
	}
	// A stale done (another replica took it over meanwhile) changes nothing.
	if _, err := s.OutboxDone(ctx, failing, Sent, "", false); err != nil {
		t.Fatal(err)
	}
	if d2, _ := s.Delivery(ctx, 1, 1); d2 != d {
		t.Errorf("a stale done changed the progress: %+v", d2)
	}
	if ok, err := s.DeleteSubscriber(ctx, "s1"); err != nil || !ok {
		t.Errorf("delete = %v, %v", ok, err)
	}
	if _, err := s.SubscriberByAddress(ctx, "public", "email", "a@example.com"); err == nil {
		t.Error("the deleted subscriber's address still finds it")
	}
	if ids, _, _ := s.Audience(ctx, "public"); !slices.Equal(ids, []string{"s2"}) {
		t.Errorf("audience after delete %v", ids)
	}
}
