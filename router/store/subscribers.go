package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// Status page subscribers (lua/subscribers.lua): sp:sub:<sid> holds one
// (its address, choices and counters), sp:addr:<page>:<kind>:<address>
// finds it by address (one subscription per address and page),
// sp:subs:<page> lists the confirmed ones and sp:subcomp:<page> the
// components those that chose some chose. An unconfirmed one expires.
// Each has an outbox of what to send it, in order (see the script).

// NewSubscription is a subscription being made.
type NewSubscription struct {
	Subscriber incident.Subscriber // ID, Page, Kind, Address, Components, Secret
	// Confirmed subscriptions need no double opt-in (a webhook proves
	// itself by taking a signed delivery); others wait for Nonce.
	Confirmed bool
	Nonce     string
	// Pending is how long an unconfirmed one waits.
	Pending time.Duration
	// First is what its outbox starts with (a confirmation); nil: none.
	First *OutItem
}

// OutItem is one thing a subscriber is to be sent.
type OutItem struct {
	// Key names it, the same on every attempt and replica: a receiver can
	// tell a repeat (the email's Message-ID, the webhook's id).
	Key  string `json:"key"`
	Type string `json:"type"` // "update", "confirm", "notice"
	// Incident and N name the public update an "update" is.
	Incident int64 `json:"incident,omitempty"`
	N        int   `json:"n,omitempty"`
	// Nonce is what a "confirm" link carries.
	Nonce string `json:"nonce,omitempty"`
	// Title, Status and Text are what a "notice" says (the stakeholders'
	// public wording, which no page update holds).
	Title  string `json:"title,omitempty"`
	Status string `json:"status,omitempty"`
	Text   string `json:"text,omitempty"`
}

func addrKey(page, kind, address string) string {
	return "sp:addr:" + page + ":" + kind + ":" + address
}

func (s *shard) subscribers(ctx context.Context, args ...any) *redis.Cmd {
	return s.run(ctx, s.lua.subscribers, s.anchor(), append([]any{s.nowArg()}, args...)...)
}

// AddSubscriber stores a subscription. When the address already has one
// on the page it stores nothing and returns that one's ID and state
// ("pending" or "active"), with added false.
func (s *shard) AddSubscriber(ctx context.Context, ns NewSubscription) (id, state string, added bool, err error) {
	sub := ns.Subscriber
	comps, err := json.Marshal(sub.Components)
	if err != nil {
		return "", "", false, err
	}
	if len(sub.Components) == 0 {
		comps = nil
	}
	first := ""
	if ns.First != nil {
		b, err := json.Marshal(ns.First)
		if err != nil {
			return "", "", false, err
		}
		first = string(b)
	}
	confirmed := "0"
	if ns.Confirmed {
		confirmed = "1"
	}
	vals, err := s.subscribers(ctx, "add", sub.ID, sub.Page, sub.Kind, addrKey(sub.Page, sub.Kind, sub.Address), sub.Address,
		string(comps), sub.Secret, confirmed, retentionMs(ns.Pending), ns.Nonce, first).StringSlice()
	if err != nil {
		return "", "", false, fmt.Errorf("add subscriber to %s: %w", sub.Page, err)
	}
	return vals[1], vals[2], vals[0] == "added", nil
}

// ResendConfirmation gives a pending subscriber a new nonce and queues
// item (its confirmation) again; outcome is "resent", or the state that
// kept it from being ("active", "gone").
func (s *shard) ResendConfirmation(ctx context.Context, id, nonce string, item OutItem, pending time.Duration) (string, error) {
	b, err := json.Marshal(item)
	if err != nil {
		return "", err
	}
	vals, err := s.subscribers(ctx, "resend", id, nonce, string(b), retentionMs(pending)).StringSlice()
	if err != nil {
		return "", fmt.Errorf("resend confirmation: %w", err)
	}
	return vals[0], nil
}

// ConfirmSubscriber confirms a pending subscription whose latest
// confirmation carried nonce: "confirmed", "already" (it was), "used"
// (an older link, or one used already) or "gone" (never, or expired).
func (s *shard) ConfirmSubscriber(ctx context.Context, id, nonce string) (string, error) {
	vals, err := s.subscribers(ctx, "confirm", id, nonce).StringSlice()
	if err != nil {
		return "", fmt.Errorf("confirm subscriber: %w", err)
	}
	return vals[0], nil
}

// DeleteSubscriber forgets a subscriber and everything queued for it;
// false when there was none.
func (s *shard) DeleteSubscriber(ctx context.Context, id string) (bool, error) {
	vals, err := s.subscribers(ctx, "delete", id).StringSlice()
	if err != nil {
		return false, fmt.Errorf("delete subscriber: %w", err)
	}
	return vals[0] == "deleted", nil
}

// Subscriber returns a subscriber by ID; ErrNotFound when there is none.
func (s *shard) Subscriber(ctx context.Context, id string) (*incident.Subscriber, error) {
	h, err := s.rdb.HGetAll(ctx, s.key("sp", "sub", id)).Result()
	if err != nil {
		return nil, fmt.Errorf("load subscriber: %w", err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("subscriber %s: %w", id, ErrNotFound)
	}
	return decodeSubscriber(h), nil
}

// SubscriberNonce is the nonce of a pending subscriber's latest
// confirmation ("" when confirmed or gone): for tests and tools.
func (s *shard) SubscriberNonce(ctx context.Context, id string) (string, error) {
	v, err := s.rdb.HGet(ctx, s.key("sp", "sub", id), "nonce").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// SubscriberByAddress finds the subscription of an address on a page.
func (s *shard) SubscriberByAddress(ctx context.Context, page, kind, address string) (*incident.Subscriber, error) {
	id, err := s.rdb.Get(ctx, s.key(addrKey(page, kind, address))).Result()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%s subscriber %s on %s: %w", kind, address, page, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find subscriber: %w", err)
	}
	return s.Subscriber(ctx, id)
}

func decodeSubscriber(h map[string]string) *incident.Subscriber {
	sub := &incident.Subscriber{ID: h["id"], Page: h["page"], Kind: h["kind"], Address: h["address"], Secret: h["secret"],
		Created: msTime(h["created_ms"]), Confirmed: msTime(h["confirmed_ms"]), LastError: h["last_error"]}
	sub.Delivered, _ = strconv.Atoi(h["delivered"])
	sub.Failed, _ = strconv.Atoi(h["failed"])
	if c := h["components"]; c != "" {
		_ = json.Unmarshal([]byte(c), &sub.Components)
	}
	return sub
}

// Audience is who of a page's confirmed subscribers hears of an update:
// their IDs, in a stable order, and the components of those who chose
// some (by ID).
func (s *shard) Audience(ctx context.Context, page string) ([]string, map[string][]string, error) {
	pipe := s.rdb.Pipeline()
	ids := pipe.SMembers(ctx, s.key("sp", "subs", page))
	comps := pipe.HGetAll(ctx, s.key("sp", "subcomp", page))
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, fmt.Errorf("list subscribers of %s: %w", page, err)
	}
	out := ids.Val()
	slices.Sort(out)
	chose := map[string][]string{}
	for id, c := range comps.Val() {
		var names []string
		if json.Unmarshal([]byte(c), &names) == nil && len(names) > 0 {
			chose[id] = names
		}
	}
	return out, chose, nil
}

// CountSubscribers is how many confirmed subscribers a page has.
func (s *shard) CountSubscribers(ctx context.Context, page string) (int64, error) {
	n, err := s.rdb.SCard(ctx, s.key("sp", "subs", page)).Result()
	if err != nil {
		return 0, fmt.Errorf("count subscribers of %s: %w", page, err)
	}
	return n, nil
}

// FanOut puts item in the outbox of each subscriber of ids that is
// confirmed (or a subscriber of the config: "cfg:..."), once per update
// however often it is called, and counts them on the update's delivery
// progress. It returns how many got it now.
func (s *shard) FanOut(ctx context.Context, item OutItem, keep time.Duration, ids []string) (int, error) {
	b, err := json.Marshal(item)
	if err != nil {
		return 0, err
	}
	total := 0
	// Chunks keep each call short: Redis serves nobody else meanwhile.
	for chunk := range slices.Chunk(ids, 500) {
		args := []any{"fanout", updateRef(item.Incident, item.N), string(b), retentionMs(keep)}
		for _, id := range chunk {
			args = append(args, id)
		}
		n, err := s.subscribers(ctx, args...).Int()
		if err != nil {
			return total, fmt.Errorf("queue update for subscribers: %w", err)
		}
		total += n
	}
	if len(ids) == 0 {
		// Still record the update's (empty) progress.
		if _, err := s.subscribers(ctx, "fanout", updateRef(item.Incident, item.N), string(b), retentionMs(keep)).Int(); err != nil {
			return 0, fmt.Errorf("queue update for subscribers: %w", err)
		}
	}
	return total, nil
}

// FannedOut marks an update as given to every subscriber (FanOut is
// done with it); complete reports that every one was reached already.
func (s *shard) FannedOut(ctx context.Context, id int64, n int) (complete bool, err error) {
	v, err := s.subscribers(ctx, "fanned", updateRef(id, n)).Text()
	if err != nil {
		return false, fmt.Errorf("finish queueing update: %w", err)
	}
	return v == "complete", nil
}

func updateRef(id int64, n int) string { return strconv.FormatInt(id, 10) + ":" + strconv.Itoa(n) }

// Claimed is a subscriber claimed for sending, with the head of its
// outbox.
type Claimed struct {
	Subscriber string
	Item       OutItem
}

// ClaimOutboxes claims up to max subscribers whose outbox is due, for
// lease: nobody else sends to them meanwhile.
func (s *shard) ClaimOutboxes(ctx context.Context, max int, lease time.Duration) ([]Claimed, error) {
	vals, err := s.subscribers(ctx, "claim", max, retentionMs(lease)).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim subscriber outboxes: %w", err)
	}
	out := make([]Claimed, 0, len(vals)/2)
	for i := 0; i+1 < len(vals); i += 2 {
		c := Claimed{Subscriber: vals[i]}
		if err := json.Unmarshal([]byte(vals[i+1]), &c.Item); err != nil {
			return nil, fmt.Errorf("outbox of %s: %w", vals[i], err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Results of OutboxDone.
const (
	Sent    = "sent"
	Failed  = "failed"  // gave up on it: counted as failed
	Dropped = "dropped" // not for this subscriber any more (unsubscribed, deleted)
)

// OutboxDone pops the head of a subscriber's outbox once it was sent (or
// given up on); forget also deletes the subscriber (it unsubscribed at
// the provider). complete reports that this was the last subscriber of
// the update to be reached: the caller records it.
func (s *shard) OutboxDone(ctx context.Context, c Claimed, result, why string, forget bool) (complete bool, err error) {
	ref := ""
	if c.Item.Type == "update" {
		ref = updateRef(c.Item.Incident, c.Item.N)
	}
	f := "0"
	if forget {
		f = "1"
	}
	vals, err := s.subscribers(ctx, "done", c.Subscriber, c.Item.Key, result, why, ref, f).StringSlice()
	if err != nil {
		return false, fmt.Errorf("record delivery to %s: %w", c.Subscriber, err)
	}
	return vals[1] == "complete", nil
}

// OutboxRetry keeps the head of a subscriber's outbox for another try,
// after a backoff from base doubling with each attempt (counted in Redis,
// so every replica counts the same) up to most, and at least floor (what
// the receiver asked for). It returns the attempts so far.
func (s *shard) OutboxRetry(ctx context.Context, c Claimed, base, most, floor time.Duration, why string) (int, error) {
	n, err := s.subscribers(ctx, "retry", c.Subscriber, c.Item.Key, retentionMs(base), why, retentionMs(most), floor.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("reschedule delivery to %s: %w", c.Subscriber, err)
	}
	return n, nil
}

// Delivery is how far public update n of incident id has got.
func (s *shard) Delivery(ctx context.Context, id int64, n int) (incident.Delivery, error) {
	h, err := s.rdb.HGetAll(ctx, s.key("sp", "prog", updateRef(id, n))).Result()
	if err != nil {
		return incident.Delivery{}, fmt.Errorf("delivery of update %d of incident %d: %w", n, id, err)
	}
	var d incident.Delivery
	d.Total, _ = strconv.Atoi(h["total"])
	d.Sent, _ = strconv.Atoi(h["sent"])
	d.Failed, _ = strconv.Atoi(h["failed"])
	d.Pending = max(d.Total-d.Sent-d.Failed, 0)
	d.Done = msTime(h["done_ms"])
	return d, nil
}

// DueOutboxes is how many subscribers have something waiting to be sent:
// for tests that wait for delivery to finish, and for metrics.
func (s *shard) DueOutboxes(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.key("sp", "due")).Result()
	if err != nil {
		return 0, fmt.Errorf("count outboxes: %w", err)
	}
	return n, nil
}
