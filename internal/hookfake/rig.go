package hookfake

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
	"github.com/pagerd/pagerd/pagers/pagertest"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Rig is a webhook platform's pager, as pagerd builds it from the
// registry, posting to the fake through its api_url, with the real store
// keeping its message log and rate limits on a driven clock: waiting
// moves the clock instead of sleeping. Its one room is "payments".
type Rig struct {
	T     *testing.T
	Fake  *Fake
	Clock *testenv.Clock
	Store *store.Store
	Pager pagers.Pager
	Links links.Builder
	// Incident is the rig's incident as messages show it; Follow moves it.
	Incident pagers.Incident
	platform string
}

// Room is the rig's room.
const Room = "payments"

// NewRig builds platform's pager for a block whose room posts to
// webhookURL (one of this package's).
func NewRig(t *testing.T, platform, webhookURL string) *Rig {
	t.Helper()
	r := &Rig{T: t, platform: platform, Clock: testenv.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))}
	r.Fake = Start(t, r.Clock.Now)
	srv := testenv.StartRedis(t)
	r.Store = store.New(srv.Client(t), platform)
	r.Store.Clock = r.Clock.Now
	ctx := context.Background()
	if err := r.Store.Load(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := r.Store.Ingest(ctx, []store.AlertWrite{{
		Fingerprint: "fp1", Action: incident.AlertTrigger, Doc: json.RawMessage(`{}`), Name: "CheckoutDown fp1",
		Service: "checkout", Escalation: "payments", GroupID: "checkout:g", Title: "CheckoutDown",
		GroupLabels: map[string]string{"alertname": "CheckoutDown"}, Retention: time.Hour,
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.Links = links.Builder{PublicURL: "https://pagerd.example.com", TTL: 24 * time.Hour,
		Signer: links.Signer{Key: []byte("0123456789abcdef0123456789abcdef"), Now: r.Clock.Now}}
	env := pagers.Env{Limits: r.Store, Messages: r.Store, Now: r.Clock.Now, Links: func() links.Builder { return r.Links },
		Sleep: func(ctx context.Context, d time.Duration) error { r.Clock.Advance(d); return ctx.Err() }}
	cfg := &policies.Config{Blocks: map[string]any{platform: chat.Config{
		Settings: hook.Settings{APIURL: r.Fake.URL()},
		Rooms:    map[string]chat.Room{Room: {Name: Room, Settings: hook.RoomSettings{WebhookURL: webhookURL}}},
	}}}
	p, err := pagers.Lookup(platform).Build(cfg, env)
	if err != nil || p == nil {
		t.Fatalf("build %s = %v, %v", platform, p, err)
	}
	r.Pager = p
	r.Incident = pagertest.CheckoutPage().Incident
	r.Incident.ID = res[0].IncidentID
	return r
}

// Page is pagertest's page about the rig's incident, to the room.
func (r *Rig) Page() pagers.Notification {
	n := pagertest.CheckoutPage()
	n.Incident, n.Channel = r.Incident, r.platform
	n.Key = fmt.Sprintf("%d:0:0:step:%s", r.Incident.ID, Room)
	n.Destination, n.User, n.Address, n.AckURL, n.AckToken = Room, "", "", "", ""
	return n
}

// Send sends n through the rig's pager.
func (r *Rig) Send(n pagers.Notification) (pagers.Receipt, error) {
	return r.Pager.Send(context.Background(), n)
}

// Follow moves the rig's incident by an event (acknowledged or resolved
// by actor, a note, an escalation) and hands the event to the pager, as
// the event stream does; inform says to the room as a service's
// subscriber, rather than as the messages pages left.
func (r *Rig) Follow(kind incident.Kind, id, actor string, inform bool) error {
	r.T.Helper()
	now := r.Clock.Now()
	switch kind {
	case incident.KindAcknowledged:
		r.Incident.Status, r.Incident.AckedBy, r.Incident.AckedAt = "acknowledged", actor, now
	case incident.KindResolved:
		r.Incident.Status, r.Incident.ResolvedBy, r.Incident.ResolvedAt = "resolved", actor, now
	}
	ev := incident.Event{ID: id, Incident: r.Incident.ID, Service: "checkout",
		Fact: incident.Fact{At: now, Kind: kind, Actor: actor, Via: "link", Detail: map[bool]string{true: "rolled back"}[kind == incident.KindNote]}}
	n := pagers.Notification{Kind: pagers.KindFollow, Channel: r.platform, Incident: r.Incident, Event: &ev}
	if inform {
		n.Kind, n.Destination, n.Key = pagers.KindUpdate, Room, "event:"+id
	}
	_, err := r.Send(n)
	return err
}
