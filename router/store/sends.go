package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// SendState is the answer to "may I send this notification now?".
type SendState string

const (
	SendClaimed SendState = "claimed" // yours: send it, then FinishSend
	SendDone    SendState = "sent"    // sent before: skip
	SendBusy    SendState = "busy"    // another replica is sending it right now
	SendStale   SendState = "stale"   // the incident moved on (acked, resolved, re-run)
)

// AnyStatus, as ClaimSend's status, claims a notification whatever the
// incident's status, as long as it exists.
const AnyStatus incident.Status = "*"

// ClaimSend takes the idempotency key of one notification for lease, while
// incident id still has status (AnyStatus: any) and, with run >= 0, that
// escalation run.
// A replica that dies mid-send lets the lease lapse; the next one re-sends:
// delivery is at-least-once, and a duplicate needs a crash (or a lost
// Redis) between the provider's answer and FinishSend.
func (s *shard) ClaimSend(ctx context.Context, id int64, status incident.Status, run int, key string, lease time.Duration, owner string) (SendState, time.Duration, error) {
	vals, err := s.run(ctx, s.lua.claimSend, []string{s.incidentKey(id)}, id, string(status), run, lease.Milliseconds(), owner, key, s.nowArg()).StringSlice()
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

// RenewSend keeps owner's claim on a notification for lease from now while
// it is being sent; ok is false when the claim is no longer owner's.
func (s *shard) RenewSend(ctx context.Context, id int64, key, owner string, lease time.Duration) (bool, error) {
	n, err := s.run(ctx, s.lua.renew, []string{s.incidentKey(id)}, s.nowArg(), "send", id, key, owner, max(lease.Milliseconds(), 1)).Int()
	if err != nil {
		return false, fmt.Errorf("renew send %s: %w", key, err)
	}
	return n == 1, nil
}

// ReleaseSend gives owner's claim on a notification back, unsent, so that
// any replica may send it at once.
func (s *shard) ReleaseSend(ctx context.Context, id int64, key, owner string) error {
	if err := s.run(ctx, s.lua.renew, []string{s.incidentKey(id)}, s.nowArg(), "send", id, key, owner, 0).Err(); err != nil {
		return fmt.Errorf("release send %s: %w", key, err)
	}
	return nil
}

// SendResult is how one claimed notification ended.
type SendResult struct {
	Key     string        // its idempotency key
	Receipt string        // "channel:provider id", or "failed"
	Kind    incident.Kind // the timeline fact it leaves
	Detail  string
	// Reached, when set, is remembered so that the recipient hears later
	// when the incident is acknowledged or resolved.
	Reached *incident.Reached
}

// FinishSend records that a claimed notification is done (sent, or given
// up after every channel failed), with its timeline fact.
func (s *shard) FinishSend(ctx context.Context, id int64, r SendResult) error {
	reached := ""
	if r.Reached != nil {
		b, err := json.Marshal(r.Reached)
		if err != nil {
			return fmt.Errorf("finish send %s: %w", r.Key, err)
		}
		reached = string(b)
	}
	err := s.run(ctx, s.lua.finishSend, []string{s.incidentKey(id)}, id, s.nowArg(), "done:"+r.Receipt, r.Key, string(r.Kind), r.Detail, reached).Err()
	if err != nil {
		return fmt.Errorf("finish send %s: %w", r.Key, err)
	}
	return nil
}

// SendsDone returns the idempotency keys of an incident's finished sends, so
// the engine skips them without a round trip each.
func (s *shard) SendsDone(ctx context.Context, id int64) (map[string]bool, error) {
	all, err := s.rdb.HGetAll(ctx, s.incidentKey(id)+":sends").Result()
	if err != nil {
		return nil, fmt.Errorf("load sends of incident %d: %w", id, err)
	}
	return doneOf(all), nil
}

// Status reads an incident's status and escalation run: a cheap check for
// a send in flight that should stop when someone acknowledges.
func (s *shard) Status(ctx context.Context, id int64) (status incident.Status, run int, err error) {
	vals, err := s.rdb.HMGet(ctx, s.incidentKey(id), "status", "run").Result()
	if err != nil {
		return "", 0, fmt.Errorf("read status of incident %d: %w", id, err)
	}
	st, _ := vals[0].(string)
	r, _ := vals[1].(string)
	run, _ = strconv.Atoi(r)
	return incident.Status(st), run, nil
}

// Notified lists who was paged for an incident.
func (s *shard) Notified(ctx context.Context, id int64) ([]incident.Reached, error) {
	members, err := s.rdb.SMembers(ctx, s.incidentKey(id)+":notified").Result()
	if err != nil {
		return nil, fmt.Errorf("load notified of incident %d: %w", id, err)
	}
	out := make([]incident.Reached, 0, len(members))
	for _, m := range members {
		var r incident.Reached
		if err := json.Unmarshal([]byte(m), &r); err == nil {
			out = append(out, r)
			continue
		}
		// Written by pagerd before send records were typed: "user|channel|address".
		if parts := strings.SplitN(m, "|", 3); len(parts) == 3 {
			out = append(out, incident.Reached{User: parts[0], Channel: parts[1], Address: parts[2]})
		}
	}
	return out, nil
}

// Once returns true to exactly one caller per key within ttl, across
// replicas — for notices that must go out once (shift handoffs).
func (s *shard) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.key("once", key), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	return ok, nil
}

// LinkSecret returns the deployment's shared HMAC key for ack links, made
// once by whichever replica asks first. Used when the config sets none.
func (s *shard) LinkSecret(ctx context.Context) ([]byte, error) {
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
