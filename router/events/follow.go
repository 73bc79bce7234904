package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Follow hands every event of an incident to a channel whose messages
// follow their incident (pagers.Channel's Follows: chat platforms), which
// brings every message it sent about the incident up to date — edited in
// place, a reply in its thread. In order, at least once, across replicas,
// as every consumer; the channel tells repeats apart by the event's ID.
type Follow struct {
	Channel string
	Store   *store.Store
	Pagers  func() pagers.Set
}

var _ Consumer = (*Follow)(nil)

// Group implements Consumer.
func (f *Follow) Group() string { return "follow:" + f.Channel }

// Handle implements Consumer.
func (f *Follow) Handle(ctx context.Context, ev incident.Event) error {
	if ev.Incident == 0 {
		return nil // a change event: no incident, no messages
	}
	p, ok := f.Pagers()[f.Channel]
	if !ok {
		return nil // switched off: there is no way to reach its messages
	}
	inc, err := f.Store.Incident(ctx, ev.Incident)
	switch {
	case errors.Is(err, incident.ErrNotFound):
		return nil // its retention ran out, and its messages' references with it
	case err != nil:
		return err
	}
	_, err = p.Send(ctx, pagers.Notification{
		Key:  "event:" + ev.ID + ":" + f.Channel,
		Kind: pagers.KindFollow, Channel: f.Channel, Incident: pagers.IncidentOf(inc), Event: &ev,
	})
	return recordFailure(ctx, f.Store, ev, f.Channel+" messages", err)
}

// recordFailure puts an update that will never go out on the incident's
// timeline (once per event and destination), and returns err for the
// runner to drop it; a transient err is returned as it is, to be retried.
func recordFailure(ctx context.Context, st *store.Store, ev incident.Event, to string, err error) error {
	if err == nil || !pagers.IsPermanent(err) || ev.Incident == 0 {
		return err
	}
	detail := fmt.Sprintf("could not tell %s of %s: %v", to, ev.Kind, err)
	if _, aerr := st.Append(ctx, ev.Incident, incident.KindNotifyFailed, detail, "failed:"+ev.ID+":"+to, 48*time.Hour); aerr != nil {
		return aerr // try again: the failure must not go unrecorded
	}
	return err
}

// Followers are the Follow consumers cfg asks for: one for every channel
// that follows its messages and that cfg switches on.
func Followers(cfg *policies.Config, st *store.Store, set func() pagers.Set) []Consumer {
	var out []Consumer
	for _, ch := range pagers.All() {
		if ch.Follows && (ch.Block == "" || cfg.Block(ch.Block) != nil) {
			out = append(out, &Follow{Channel: ch.Name, Store: st, Pagers: set})
		}
	}
	return out
}
