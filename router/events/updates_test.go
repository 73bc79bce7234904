package events

import (
	"context"
	"sync"
	"testing"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"

	_ "github.com/pagerd/pagerd/pagers/all" // the webhook channel, by name
)

type sent struct {
	mu sync.Mutex
	ns []pagers.Notification
}

func (s *sent) Send(_ context.Context, n pagers.Notification) (pagers.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ns = append(s.ns, n)
	return pagers.Receipt{}, nil
}

func TestUpdatesGoToSubscribedServicesOnly(t *testing.T) {
	st := newStore(t)
	evs := publish(t, st, 1) // incident 1 of service "svc": triggered, acknowledged
	audit := policies.Target{Kind: "webhook", Name: "audit"}
	off := policies.Target{Kind: "webhook", Name: "off"}
	cfg := &policies.Config{
		Services: []*policies.Service{
			{Name: "svc", Subscribers: []policies.Target{audit, off}},
			{Name: "quiet"},
		},
		Named: map[string]map[string]any{"webhook": {"audit": struct{}{}, "off": nil}},
	}
	out := &sent{}
	set := pagers.Set{"webhook": out}
	subs := Subscriptions(cfg, st, func() *policies.Config { return cfg }, func() pagers.Set { return set })
	if len(subs) != 1 || subs[0].Group() != "updates:webhook:audit" {
		t.Fatalf("subscriptions = %v, want one for webhook:audit (webhook:off is switched off)", subs)
	}
	u := subs[0]
	ctx := context.Background()
	for _, ev := range evs {
		if err := u.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	quiet := evs[0]
	quiet.Service = "quiet"
	if err := u.Handle(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	if len(out.ns) != 2 {
		t.Fatalf("sent %d updates, want the 2 events of the subscribed service", len(out.ns))
	}
	n := out.ns[1]
	if n.Kind != pagers.KindUpdate || n.Destination != "audit" || n.Event.Kind != incident.KindAcknowledged ||
		n.Incident.ID != 1 || n.Incident.Status != "acknowledged" || n.Key != "event:"+evs[1].ID+":webhook:audit" {
		t.Errorf("update = %+v", n)
	}
	// With the channel switched off, the event cannot be sent: refused for
	// good rather than holding the others back.
	delete(set, "webhook")
	if err := u.Handle(ctx, evs[0]); !pagers.IsPermanent(err) {
		t.Errorf("Handle with the channel off = %v, want a permanent error", err)
	}
}
