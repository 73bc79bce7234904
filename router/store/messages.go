package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Channels that edit the messages they post (chat) keep each message's
// provider reference beside the incident's send records, under fields of
// their own ("msg:" and the channel's key), which SendsDone passes over.
// They expire with the incident.

const messageField = "msg:"

// Message returns the reference kept under key for incident id.
func (s *shard) Message(ctx context.Context, id int64, key string) (string, bool, error) {
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
func (s *shard) KeepMessage(ctx context.Context, id int64, key, ref string) error {
	if err := s.run(ctx, s.lua.keepMessage, []string{s.incidentKey(id)}, messageField+key, ref).Err(); err != nil {
		return fmt.Errorf("keep message %s of incident %d: %w", key, id, err)
	}
	return nil
}

// Messages returns the references kept for incident id whose keys start
// with prefix, by key.
func (s *shard) Messages(ctx context.Context, id int64, prefix string) (map[string]string, error) {
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

// A message a reply can come back to (a chat message people answer in
// its thread) is also filed under its place — where it is on its
// platform, as the reply names it ("slack:C0123/1732412345.000100") —
// with its incident and the key of the thread's first message, for as
// long as the incident is kept. One key per place, so that finding it is
// one read; the incident lists its places, and closing it expires them.

// KeepMessageAt is KeepMessage, filing the message under place as well:
// a message of the thread whose first message pagerd keeps under thread.
func (s *shard) KeepMessageAt(ctx context.Context, id int64, key, ref, place, thread string) error {
	err := s.run(ctx, s.lua.keepMessage, []string{s.incidentKey(id)}, messageField+key, ref,
		place, strconv.FormatInt(id, 10)+" "+thread).Err()
	if err != nil {
		return fmt.Errorf("keep message %s of incident %d at %s: %w", key, id, place, err)
	}
	return nil
}

// MessageAt returns the incident and the thread of the message filed
// under place; ok is false when none is (not pagerd's, or its incident's
// retention ran out).
func (s *shard) MessageAt(ctx context.Context, place string) (id int64, thread string, ok bool, err error) {
	v, err := s.rdb.Get(ctx, s.key("msgat", place)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("look up the message at %s: %w", place, err)
	}
	n, thread, _ := strings.Cut(v, " ")
	id, err = strconv.ParseInt(n, 10, 64)
	if err != nil {
		return 0, "", false, nil // not ours
	}
	return id, thread, true, nil
}
