package events

import (
	"context"
	"errors"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/router/store"
)

// InhibitMirror keeps every shard's copy of the other shards' inhibition
// sources (store.MirrorInhibitSource): a deployment of several shards
// runs it, so that a rule's source in one shard mutes its targets in
// all. One reader per shard's stream keeps each shard's changes in the
// order they happened, which a copy must follow (a source that fired and
// resolved must not end up firing).
type InhibitMirror struct {
	Store *store.Store
}

// Group implements Consumer.
func (*InhibitMirror) Group() string { return store.InhibitMirrorGroup }

// Handle implements Consumer.
func (m *InhibitMirror) Handle(ctx context.Context, ev incident.Event) error {
	if ev.Kind != store.KindInhibitSource {
		return nil
	}
	err := m.Store.MirrorInhibitSource(ctx, ev)
	if errors.Is(err, store.ErrUnreadableEvent) {
		// Dropped with a log line: retried, it would hold up every later
		// change of its shard for good.
		return pagers.Permanent(err)
	}
	return err // Redis away: tried again, the shard's later changes wait
}
