package events

import (
	"context"
	"errors"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/metrics"
	"github.com/pagerd/pagerd/router/store"
)

// Timings observes how long incidents took to be acknowledged and
// resolved, from the event stream: every acknowledgement and resolution
// passes through it whoever made it (a person, an alert that cleared, an
// endsAt that passed, a storm), and each event is handled on one replica,
// so the histograms, summed across replicas, count each incident once
// (twice at most for an event a crashing replica was handling).
type Timings struct {
	Store   *store.Store
	Metrics *metrics.Metrics
}

// Group implements Consumer.
func (*Timings) Group() string { return "metrics" }

// Handle implements Consumer.
func (c *Timings) Handle(ctx context.Context, ev incident.Event) error {
	if ev.Incident == 0 || (ev.Kind != incident.KindAcknowledged && ev.Kind != incident.KindResolved) {
		return nil
	}
	inc, err := c.Store.Incident(ctx, ev.Incident)
	if errors.Is(err, store.ErrNotFound) {
		return nil // its retention ran out while the event waited
	}
	if err != nil {
		return err
	}
	if ev.Kind == incident.KindAcknowledged {
		// From the start of the run it acknowledges: an incident paged
		// again after an acknowledgement timed out counts from then.
		c.Metrics.Acknowledged(inc.Service, ev.At.Sub(inc.RunAt))
		return nil
	}
	c.Metrics.Resolved(inc.Service, ev.At.Sub(inc.CreatedAt))
	return nil
}
