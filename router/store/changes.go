package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// changesKept bounds each service's list of recent changes.
const changesKept = 1000

func (s *shard) changesKey(service string) string { return s.key("svc", service, "changes") }

// RecordChange keeps a change event with its service's recent changes and
// publishes it on the event stream, in one round trip. It pages nobody.
func (s *shard) RecordChange(ctx context.Context, c incident.Change) (string, error) {
	doc, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode change: %w", err)
	}
	at := c.At.UnixMilli()
	pipe := s.rdb.TxPipeline()
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.changesKey(c.Service), MaxLen: changesKept, Approx: true,
		Values: []any{"at", at, "doc", string(doc)}})
	ev := pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.eventsKey(), Values: []any{
		"incident", 0, "service", c.Service, "at", at, "event", string(incident.KindChange),
		"detail", c.Summary, "actor", c.Integration, "via", "integration", "doc", string(doc)}})
	if _, err := pipe.Exec(ctx); err != nil {
		return "", fmt.Errorf("record change for %s: %w", c.Service, err)
	}
	return ev.Val(), nil
}

// Changes returns a service's most recent changes, newest first.
func (s *shard) Changes(ctx context.Context, service string, limit int64) ([]incident.Change, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.changesKey(service), "+", "-", limit).Result()
	if err != nil {
		return nil, fmt.Errorf("load changes of %s: %w", service, err)
	}
	out := make([]incident.Change, 0, len(msgs))
	for _, m := range msgs {
		var c incident.Change
		doc, _ := m.Values["doc"].(string)
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			return nil, fmt.Errorf("change %s of %s: %w", m.ID, service, err)
		}
		out = append(out, c)
	}
	return out, nil
}
