package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Channels that edit the messages they post (chat) keep each message's
// provider reference beside the incident's send records, under fields of
// their own ("msg:" and the channel's key), which SendsDone passes over.
// They expire with the incident.

const messageField = "msg:"

// Message returns the reference kept under key for incident id.
func (s *Store) Message(ctx context.Context, id int64, key string) (string, bool, error) {
	ref, err := s.rdb.HGet(ctx, s.incidentKey(id)+":sends", messageField+key).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("load message %s of incident %d: %w", key, id, err)
	}
	return ref, true, nil
}

// KeepMessage keeps ref under key for incident id; nothing when the
// incident is gone.
func (s *Store) KeepMessage(ctx context.Context, id int64, key, ref string) error {
	if err := s.run(ctx, s.lua.keepMessage, []string{s.incidentKey(id)}, messageField+key, ref).Err(); err != nil {
		return fmt.Errorf("keep message %s of incident %d: %w", key, id, err)
	}
	return nil
}

// Messages returns the references kept for incident id whose keys start
// with prefix, by key.
func (s *Store) Messages(ctx context.Context, id int64, prefix string) (map[string]string, error) {
	all, err := s.rdb.HGetAll(ctx, s.incidentKey(id)+":sends").Result()
	if err != nil {
		return nil, fmt.Errorf("load messages of incident %d: %w", id, err)
	}
	out := map[string]string{}
	for f, v := range all {
		if key, ok := strings.CutPrefix(f, messageField); ok && strings.HasPrefix(key, prefix) {
			out[key] = v
		}
	}
	return out, nil
}
