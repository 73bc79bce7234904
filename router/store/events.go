package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// The event stream holds every published fact of every incident (see
// incident.Kind.Published), in the order they happened, for consumers that
// read it as Redis consumer groups: each group reads every event, and
// remembers how far it got and what it has not acknowledged yet.

func (s *shard) eventsKey() string { return s.key("events") }

// EnsureGroup creates consumer group on the event stream, starting with the
// events published from now on; a group that exists keeps its position.
func (s *shard) EnsureGroup(ctx context.Context, group string) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.eventsKey(), group, "$").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s: %w", group, err)
	}
	return nil
}

// ReadEvents hands consumer the group's next events that no consumer of the
// group has read yet, waiting up to block for one to arrive (block <= 0:
// not at all). They stay pending for the group until AckEvents.
func (s *shard) ReadEvents(ctx context.Context, group, consumer string, count int, block time.Duration) ([]incident.Event, error) {
	if block <= 0 {
		block = -1 // go-redis sends BLOCK 0, "forever", for a zero Block
	}
	streams, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: consumer, Streams: []string{s.eventsKey(), ">"},
		Count: int64(count), Block: block,
	}).Result()
	return s.readEvents(group, streams, err)
}

// AckAndReadEvents acknowledges events for group and reads the group's
// next ones for consumer without waiting, in one round trip: a reader
// under load finds events there at once, and pays one call a batch for
// both. An empty answer means none were waiting (ReadEvents waits).
func (s *shard) AckAndReadEvents(ctx context.Context, group, consumer string, ack []string, count int) ([]incident.Event, error) {
	pipe := s.rdb.Pipeline()
	acked := pipe.XAck(ctx, s.eventsKey(), group, s.untag(ack)...)
	read := pipe.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: consumer, Streams: []string{s.eventsKey(), ">"},
		Count: int64(count), Block: -1, // go-redis leaves BLOCK out: no wait
	})
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("acknowledge and read events of %s: %w", group, err)
	}
	if err := acked.Err(); err != nil {
		return nil, fmt.Errorf("acknowledge events of %s: %w", group, err)
	}
	streams, err := read.Result()
	return s.readEvents(group, streams, err)
}

// readEvents decodes a group's XREADGROUP answer; redis.Nil, no event
// within the wait, is none.
func (s *shard) readEvents(group string, streams []redis.XStream, err error) ([]incident.Event, error) {
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read events for %s: %w", group, err)
	}
	var out []incident.Event
	for _, st := range streams {
		for _, m := range st.Messages {
			out = append(out, s.decodeEvent(m))
		}
	}
	return out, nil
}

// ClaimPendingEvents makes consumer the owner of every event of the group
// that was read but not acknowledged — by a consumer that stopped, or by
// consumer itself before a restart — and returns them oldest first.
func (s *shard) ClaimPendingEvents(ctx context.Context, group, consumer string) ([]incident.Event, error) {
	var out []incident.Event
	start := "0-0"
	for {
		msgs, next, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: s.eventsKey(), Group: group, Consumer: consumer, MinIdle: 0, Start: start, Count: 100,
		}).Result()
		if err != nil {
			return nil, fmt.Errorf("claim pending events of %s: %w", group, err)
		}
		for _, m := range msgs {
			out = append(out, s.decodeEvent(m))
		}
		if next == "0-0" || len(msgs) == 0 {
			return out, nil
		}
		start = next
	}
}

// AckEvents marks events as done for group.
func (s *shard) AckEvents(ctx context.Context, group string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.XAck(ctx, s.eventsKey(), group, s.untag(ids)...).Err(); err != nil {
		return fmt.Errorf("acknowledge events of %s: %w", group, err)
	}
	return nil
}

// TrimEvents drops events published before before (on Redis's clock, which
// stamps them): the stream keeps a window, not history (each incident
// keeps its own timeline).
func (s *shard) TrimEvents(ctx context.Context, before time.Time) error {
	minID := strconv.FormatInt(max(before.UnixMilli(), 0), 10)
	if err := s.rdb.XTrimMinID(ctx, s.eventsKey(), minID).Err(); err != nil {
		return fmt.Errorf("trim events: %w", err)
	}
	return nil
}

// PublishedSince returns the events published at or after since, oldest
// first, at most limit: for tests and for tools that read the stream
// without a group.
func (s *shard) PublishedSince(ctx context.Context, since time.Time, limit int64) ([]incident.Event, error) {
	msgs, err := s.rdb.XRangeN(ctx, s.eventsKey(), strconv.FormatInt(max(since.UnixMilli(), 0), 10), "+", limit).Result()
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	out := make([]incident.Event, len(msgs))
	for i, m := range msgs {
		out[i] = s.decodeEvent(m)
	}
	return out, nil
}

// decodeEvent is an event as consumers see it. Its ID is the stream
// entry's, tagged with the shard in a store of several (shard.tag), so
// that it names one event of the deployment.
func (s *shard) decodeEvent(m redis.XMessage) incident.Event {
	id, _ := strconv.ParseInt(fmt.Sprint(m.Values["incident"]), 10, 64)
	service, _ := m.Values["service"].(string)
	ev := incident.Event{ID: s.tag(m.ID), Incident: id, Service: service, Fact: decodeFact("", m.Values)}
	if doc, ok := m.Values["doc"].(string); ok {
		switch ev.Kind {
		case incident.KindChange:
			var c incident.Change
			if json.Unmarshal([]byte(doc), &c) == nil {
				ev.Change = &c
			}
		case incident.KindStatusUpdate:
			var u incident.StatusUpdate
			if json.Unmarshal([]byte(doc), &u) == nil {
				ev.Update = &u
			}
		case incident.KindNote:
			var d noteDoc
			if json.Unmarshal([]byte(doc), &d) == nil {
				ev.Thread = d.Thread
			}
		case incident.KindActionAdded, incident.KindActionDone:
			ev.Item, _ = decodeItem(doc)
		}
	}
	return ev
}

// Lease takes, or keeps, the lease called name for owner until ttl from
// now; it reports whether owner holds it. One replica at a time does the
// job a lease guards; when its holder dies the lease lapses and another
// takes over.
func (s *shard) Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	n, err := s.run(ctx, s.lua.lease, s.anchor(), name, owner, max(ttl.Milliseconds(), 1)).Int()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease gives the lease up, if owner holds it.
func (s *shard) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := s.run(ctx, s.lua.lease, s.anchor(), name, owner, 0).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
