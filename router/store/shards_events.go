package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// EventStream is one shard's event stream as a consumer group reads it.
// Events of one incident are all in its shard's stream, in order; a
// reader per stream (router/events) keeps that order without waiting on
// the other shards.
type EventStream interface {
	EnsureGroup(ctx context.Context, group string) error
	ReadEvents(ctx context.Context, group, consumer string, count int, block time.Duration) ([]incident.Event, error)
	AckAndReadEvents(ctx context.Context, group, consumer string, ack []string, count int) ([]incident.Event, error)
	ClaimPendingEvents(ctx context.Context, group, consumer string) ([]incident.Event, error)
	AckEvents(ctx context.Context, group string, ids ...string) error
}

// EventStreams are the shards' event streams, the home shard's first.
func (s *Store) EventStreams() []EventStream {
	out := make([]EventStream, len(s.shards))
	for i, sh := range s.shards {
		out[i] = sh
	}
	return out
}

// The Store's own event methods read every shard's stream, for tests and
// tools; the event runner reads each through EventStreams.

// EnsureGroup creates the consumer group on every shard's stream.
func (s *Store) EnsureGroup(ctx context.Context, group string) error {
	return s.eachShard(func(sh *shard) error { return sh.EnsureGroup(ctx, group) })
}

// ReadEvents reads the group's next events from every shard, waiting up
// to block in each at once.
func (s *Store) ReadEvents(ctx context.Context, group, consumer string, count int, block time.Duration) ([]incident.Event, error) {
	if len(s.shards) == 1 {
		return s.shard.ReadEvents(ctx, group, consumer, count, block)
	}
	return s.gather(func(sh *shard) ([]incident.Event, error) {
		return sh.ReadEvents(ctx, group, consumer, count, block)
	})
}

// AckAndReadEvents acknowledges events in their shards and reads the next
// ones of every shard without waiting.
func (s *Store) AckAndReadEvents(ctx context.Context, group, consumer string, ack []string, count int) ([]incident.Event, error) {
	if len(s.shards) == 1 {
		return s.shard.AckAndReadEvents(ctx, group, consumer, ack, count)
	}
	if err := s.AckEvents(ctx, group, ack...); err != nil {
		return nil, err
	}
	return s.gather(func(sh *shard) ([]incident.Event, error) {
		return sh.ReadEvents(ctx, group, consumer, count, 0)
	})
}

// ClaimPendingEvents claims the group's pending events of every shard.
func (s *Store) ClaimPendingEvents(ctx context.Context, group, consumer string) ([]incident.Event, error) {
	if len(s.shards) == 1 {
		return s.shard.ClaimPendingEvents(ctx, group, consumer)
	}
	return s.gather(func(sh *shard) ([]incident.Event, error) {
		return sh.ClaimPendingEvents(ctx, group, consumer)
	})
}

// AckEvents acknowledges each event in the shard its id names.
func (s *Store) AckEvents(ctx context.Context, group string, ids ...string) error {
	if len(s.shards) == 1 {
		return s.shard.AckEvents(ctx, group, ids...)
	}
	byShard := make([][]string, len(s.shards))
	for _, id := range ids {
		k, _ := tagged(id)
		if _, err := s.at(k); err != nil {
			return err
		}
		byShard[k] = append(byShard[k], id)
	}
	return s.eachShard(func(sh *shard) error { return sh.AckEvents(ctx, group, byShard[sh.index]...) })
}

// TrimEvents trims every shard's stream.
func (s *Store) TrimEvents(ctx context.Context, before time.Time) error {
	return s.eachShard(func(sh *shard) error { return sh.TrimEvents(ctx, before) })
}

// PublishedSince merges the shards' events published since since, oldest
// first, at most limit.
func (s *Store) PublishedSince(ctx context.Context, since time.Time, limit int64) ([]incident.Event, error) {
	if len(s.shards) == 1 {
		return s.shard.PublishedSince(ctx, since, limit)
	}
	all, err := s.gather(func(sh *shard) ([]incident.Event, error) { return sh.PublishedSince(ctx, since, limit) })
	return upTo(all, limit), err
}

// gather runs read on every shard at once and merges the events, oldest
// first (by the time the fact happened, then by shard: an incident's are
// in one shard, in their order).
func (s *Store) gather(read func(*shard) ([]incident.Event, error)) ([]incident.Event, error) {
	got, err := fromEvery(s, read)
	all := slices.Concat(got...)
	slices.SortStableFunc(all, func(a, b incident.Event) int { return cmp.Compare(a.At.UnixMilli(), b.At.UnixMilli()) })
	return all, err
}
