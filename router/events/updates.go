package events

import (
	"context"
	"errors"
	"slices"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Updates keeps one channel destination (`webhook "audit"`, later a chat
// room) told of every event of the services that list it in
// `subscribers`: the first consumer of the stream.
type Updates struct {
	Target policies.Target // the destination, "webhook:audit"
	Config func() *policies.Config
	Store  *store.Store
	Pagers func() pagers.Set
}

var _ Consumer = (*Updates)(nil)

// Group implements Consumer.
func (u *Updates) Group() string { return "updates:" + u.Target.String() }

// Handle implements Consumer: it sends the event, with the incident as it
// stands now, to the destination when the event's service subscribes it.
func (u *Updates) Handle(ctx context.Context, ev incident.Event) error {
	svc := u.Config().Service(ev.Service)
	if svc == nil || !slices.Contains(svc.Subscribers, u.Target) {
		return nil
	}
	p, ok := u.Pagers()[u.Target.Kind]
	if !ok {
		// The channel is switched off (its secret unset, say): there is
		// nothing to send through, and waiting would hold every later
		// event back. The block's warning says why.
		return pagers.Permanent(errors.New(u.Target.Kind + " is not configured"))
	}
	n := pagers.Notification{
		// The same key on every attempt and replica: the destination can
		// tell a repeat from a new event.
		Key:  "event:" + ev.ID + ":" + u.Target.String(),
		Kind: pagers.KindUpdate, Channel: u.Target.Kind, Destination: u.Target.Name, Event: &ev,
	}
	if ev.Incident != 0 {
		inc, err := u.Store.Incident(ctx, ev.Incident)
		switch {
		case errors.Is(err, incident.ErrNotFound):
			n.Incident = pagers.Incident{ID: ev.Incident, Service: ev.Service} // retention ran out
		case err != nil:
			return err
		default:
			n.Incident = pagers.IncidentOf(inc)
		}
	}
	_, err := p.Send(ctx, n)
	return recordFailure(ctx, u.Store, ev, u.Target.String(), err)
}

// Subscriptions are the Updates consumers cfg asks for: one for every
// destination some service lists in `subscribers`, unless the config
// switched it off (its secret unset): that one hears nothing until it is
// switched on, and then starts from that moment.
func Subscriptions(cfg *policies.Config, st *store.Store, current func() *policies.Config, set func() pagers.Set) []Consumer {
	seen := map[policies.Target]bool{}
	var out []Consumer
	for _, svc := range cfg.Services {
		for _, t := range svc.Subscribers {
			if spec := policies.Channel(t.Kind); spec != nil && spec.Block != "" && cfg.Named[spec.Block][t.Name] == nil {
				continue
			}
			if !seen[t] {
				seen[t] = true
				out = append(out, &Updates{Target: t, Config: current, Store: st, Pagers: set})
			}
		}
	}
	return out
}
