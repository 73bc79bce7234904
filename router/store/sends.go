package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"time"
)

// SendState is the answer to "may I send this notification now?".
type SendState string

const (
	SendClaimed SendState = "claimed" // yours: send it, then FinishSend
	SendDone    SendState = "sent"    // sent before: skip
	SendBusy    SendState = "busy"    // another replica is sending it right now
	SendStale   SendState = "stale"   // the incident moved on (acked, resolved, re-run)
)

// ClaimSend takes the idempotency key of one notification for lease, while
// incident id still has status (and, with run >= 0, that escalation run).
// A replica that dies mid-send lets the lease lapse; the next one re-sends:
// delivery is at-least-once, and a duplicate needs a crash inside one send.
func (s *Store) ClaimSend(ctx context.Context, id int64, status string, run int, key string, lease time.Duration, owner string) (SendState, time.Duration, error) {
	vals, err := s.run(ctx, s.claimSend, []string{s.key("send", key)}, id, status, run, lease.Milliseconds(), owner).StringSlice()
	if err != nil {
		return "", 0, fmt.Errorf("claim send %s: %w", key, err)
	}
	var left time.Duration
	if vals[0] == string(SendBusy) {
		ms, _ := strconv.ParseInt(vals[1], 10, 64)
		left = time.Duration(ms) * time.Millisecond
	}
	return SendState(vals[0]), left, nil
}

// FinishSend records that the notification under key is done (sent, or
// given up after every channel failed), with a timeline fact, and — when
// notified is set — remembers who was reached for the resolved notice.
func (s *Store) FinishSend(ctx context.Context, id int64, key, result string, keep time.Duration, event, detail, notified string) error {
	err := s.run(ctx, s.finishSend, []string{s.key("send", key)}, id, s.nowArg(), "done:"+result, keep.Milliseconds(), event, detail, notified).Err()
	if err != nil {
		return fmt.Errorf("finish send %s: %w", key, err)
	}
	return nil
}

// Notified lists who was paged for an incident ("user|channel|address").
func (s *Store) Notified(ctx context.Context, id int64) ([]string, error) {
	m, err := s.rdb.SMembers(ctx, s.key("inc", strconv.FormatInt(id, 10), "notified")).Result()
	if err != nil {
		return nil, fmt.Errorf("load notified of incident %d: %w", id, err)
	}
	return m, nil
}

// Once returns true to exactly one caller per key within ttl, across
// replicas — for notices that must go out once (shift handoffs).
func (s *Store) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.key("once", key), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	return ok, nil
}

// LinkSecret returns the deployment's shared HMAC key for ack links, made
// once by whichever replica asks first. Used when the config sets none.
func (s *Store) LinkSecret(ctx context.Context) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate link secret: %w", err)
	}
	k := s.key("link-secret")
	if err := s.rdb.SetNX(ctx, k, b, 0).Err(); err != nil {
		return nil, fmt.Errorf("store link secret: %w", err)
	}
	v, err := s.rdb.Get(ctx, k).Bytes()
	if err != nil {
		return nil, fmt.Errorf("load link secret: %w", err)
	}
	return v, nil
}
