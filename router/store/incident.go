package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Incident statuses.
const (
	StatusTriggered    = "triggered"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"
)

// Incident is one incident as stored.
type Incident struct {
	ID          int64             `json:"id"`
	Service     string            `json:"service"`
	Escalation  string            `json:"escalation"`
	Title       string            `json:"title"`
	Summary     string            `json:"summary,omitempty"`
	SourceURL   string            `json:"source_url,omitempty"`
	GroupLabels map[string]string `json:"group_labels"`
	Status      string            `json:"status"`
	CreatedAt   time.Time         `json:"created_at"`
	AckedAt     time.Time         `json:"acknowledged_at,omitzero"`
	AckedBy     string            `json:"acknowledged_by,omitempty"`
	ResolvedAt  time.Time         `json:"resolved_at,omitzero"`
	ResolvedBy  string            `json:"resolved_by,omitempty"`
	// Run counts escalation runs: it grows when an acknowledgement times out
	// and paging starts over; RunAt is when the current run began.
	Run         int                  `json:"run"`
	RunAt       time.Time            `json:"run_started_at"`
	AlertsTotal int                  `json:"alerts_total"`
	Firing      map[string]time.Time `json:"-"` // fingerprint → endsAt (zero: none)
	FiringCount int                  `json:"alerts_firing"`
}

// NextAlertEnd is the earliest endsAt among firing alerts, or zero.
func (inc *Incident) NextAlertEnd() time.Time {
	var next time.Time
	for _, ends := range inc.Firing {
		if !ends.IsZero() && (next.IsZero() || ends.Before(next)) {
			next = ends
		}
	}
	return next
}

// Incident loads one incident and its firing alerts in one round trip.
func (s *Store) Incident(ctx context.Context, id int64) (*Incident, error) {
	ik := s.key("inc", strconv.FormatInt(id, 10))
	pipe := s.rdb.Pipeline()
	h := pipe.HGetAll(ctx, ik)
	f := pipe.HGetAll(ctx, ik+":firing")
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("load incident %d: %w", id, err)
	}
	if len(h.Val()) == 0 {
		return nil, fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	return decodeIncident(h.Val(), f.Val())
}

func decodeIncident(h, firing map[string]string) (*Incident, error) {
	ms := func(k string) time.Time {
		n, err := strconv.ParseInt(h[k], 10, 64)
		if err != nil || n == 0 {
			return time.Time{}
		}
		return time.UnixMilli(n).UTC()
	}
	num := func(k string) int64 { n, _ := strconv.ParseInt(h[k], 10, 64); return n }
	inc := &Incident{
		ID: num("id"), Service: h["service"], Escalation: h["escalation"],
		Title: h["title"], Summary: h["summary"], SourceURL: h["source_url"],
		Status: h["status"], CreatedAt: ms("created_ms"), AckedAt: ms("acked_ms"),
		AckedBy: h["acked_by"], ResolvedAt: ms("resolved_ms"), ResolvedBy: h["resolved_by"],
		Run: int(num("run")), RunAt: ms("run_ms"), AlertsTotal: int(num("alerts_total")),
		Firing: make(map[string]time.Time, len(firing)),
	}
	if err := json.Unmarshal([]byte(h["group_labels"]), &inc.GroupLabels); err != nil {
		return nil, fmt.Errorf("incident %d: corrupt group labels: %w", inc.ID, err)
	}
	for fp, v := range firing {
		n, _ := strconv.ParseInt(v, 10, 64)
		var ends time.Time
		if n > 0 {
			ends = time.UnixMilli(n).UTC()
		}
		inc.Firing[fp] = ends
	}
	inc.FiringCount = len(firing)
	return inc, nil
}

// Alerts returns an incident's alerts as stored (the decoded payload form).
func (s *Store) Alerts(ctx context.Context, id int64) ([]json.RawMessage, error) {
	docs, err := s.rdb.HGetAll(ctx, s.key("inc", strconv.FormatInt(id, 10), "alerts")).Result()
	if err != nil {
		return nil, fmt.Errorf("load alerts of incident %d: %w", id, err)
	}
	fps := make([]string, 0, len(docs))
	for fp := range docs {
		fps = append(fps, fp)
	}
	sort.Strings(fps)
	out := make([]json.RawMessage, len(fps))
	for i, fp := range fps {
		out[i] = json.RawMessage(docs[fp])
	}
	return out, nil
}

// Event is one fact of an incident's timeline.
type Event struct {
	At     time.Time `json:"at"`
	Event  string    `json:"event"`
	Detail string    `json:"detail,omitempty"`
}

// Timeline returns an incident's facts, oldest first.
func (s *Store) Timeline(ctx context.Context, id int64) ([]Event, error) {
	msgs, err := s.rdb.XRange(ctx, s.key("inc", strconv.FormatInt(id, 10), "timeline"), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("load timeline of incident %d: %w", id, err)
	}
	out := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		at, _ := strconv.ParseInt(fmt.Sprint(m.Values["at"]), 10, 64)
		out = append(out, Event{At: time.UnixMilli(at).UTC(), Event: fmt.Sprint(m.Values["event"]), Detail: fmt.Sprint(m.Values["detail"])})
	}
	return out, nil
}

// List returns incidents, newest first: the open ones, or all kept ones.
func (s *Store) List(ctx context.Context, openOnly bool, limit int64) ([]*Incident, error) {
	set := s.key("incidents")
	if openOnly {
		set = s.key("open")
	}
	ids, err := s.rdb.ZRevRange(ctx, set, 0, limit-1).Result()
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	pipe := s.rdb.Pipeline()
	hs := make([]*redis.MapStringStringCmd, len(ids))
	fs := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		hs[i] = pipe.HGetAll(ctx, s.key("inc", id))
		fs[i] = pipe.HGetAll(ctx, s.key("inc", id, "firing"))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	out := make([]*Incident, 0, len(ids))
	var gone []any
	for i := range ids {
		if len(hs[i].Val()) == 0 { // retention ran out: forget it
			gone = append(gone, ids[i])
			continue
		}
		inc, err := decodeIncident(hs[i].Val(), fs[i].Val())
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	if len(gone) > 0 {
		s.rdb.ZRem(ctx, s.key("incidents"), gone...)
	}
	return out, nil
}

// Transition outcomes.
const (
	Acknowledged = "acknowledged"
	ResolvedNow  = "resolved"
	Reopened     = "reopened"
	Unchanged    = "unchanged"
)

// Transition applies "ack", "resolve" or "reopen" by a person (by) through
// a channel (via). It returns what happened and the status before.
func (s *Store) Transition(ctx context.Context, id int64, action, by, via string, retention time.Duration) (outcome, before string, err error) {
	return s.transitionIf(ctx, id, action, by, via, retention, "")
}

// Reopen starts escalating an acknowledged incident again because its
// acknowledgement timed out — unless it was acknowledged anew since ackedAt
// was read. It reports whether it reopened.
func (s *Store) Reopen(ctx context.Context, id int64, ackedAt time.Time, by string) (bool, error) {
	outcome, _, err := s.transitionIf(ctx, id, "reopen", by, "", time.Minute, strconv.FormatInt(ackedAt.UnixMilli(), 10))
	return outcome == Reopened, err
}

func (s *Store) transitionIf(ctx context.Context, id int64, action, by, via string, retention time.Duration, ackedMs string) (outcome, before string, err error) {
	vals, err := s.run(ctx, s.transition, s.anchor(), s.nowArg(), id, action, by, via, retentionMs(retention), ackedMs).StringSlice()
	if err != nil {
		return "", "", fmt.Errorf("%s incident %d: %w", action, id, err)
	}
	if vals[0] == "not_found" {
		return "", "", fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	return vals[0], vals[1], nil
}

// ExpireAlerts resolves the incident's alerts whose endsAt has passed; it
// reports whether that closed the incident.
func (s *Store) ExpireAlerts(ctx context.Context, id int64, retention time.Duration) (closed bool, err error) {
	vals, err := s.run(ctx, s.expire, s.anchor(), s.nowArg(), id, retentionMs(retention)).Int64Slice()
	if err != nil {
		return false, fmt.Errorf("expire alerts of incident %d: %w", id, err)
	}
	return vals[1] == 1, nil
}

// Append adds a fact to an incident's timeline.
func (s *Store) Append(ctx context.Context, id int64, event, detail string) error {
	now, err := s.Now(ctx)
	if err != nil {
		return err
	}
	err = s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: s.key("inc", strconv.FormatInt(id, 10), "timeline"),
		MaxLen: 1000, Approx: true,
		Values: []any{"at", now.UnixMilli(), "event", event, "detail", detail},
	}).Err()
	if err != nil {
		return fmt.Errorf("append to timeline of incident %d: %w", id, err)
	}
	return nil
}
