package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Claim is a due timer this replica holds until Lease: an incident's, a
// heartbeat's deadline (Heartbeat set, IncidentID 0), or a chore's —
// timed work that belongs to no incident, such as reminding owners of
// overdue action items (Chore set). All kinds share the timers, their
// claims and their leases.
type Claim struct {
	IncidentID int64
	Heartbeat  string
	Chore      string
	Lease      int64 // the score we set; Reschedule only acts while it stands
	Token      int64 // this claim's own number: a later claim of the timer has another
	// Due is when the timer fell due: how late the claim came is the
	// engine's lateness.
	Due time.Time
	// At is the store's clock when the claim was made: the "now" the
	// claimed work decides with (a claim is only taken for a free worker).
	At time.Time
	// Snapshot is the claimed incident as the claim read it (nil: not an
	// incident's timer, or it was gone, or the reply was not understood):
	// the engine's first read of it, without a round trip of its own. It
	// is no staler than that read was: a claim is only taken for a free
	// worker, which starts on it at once, and the state a page needs is
	// checked again when its send is claimed (ClaimSend).
	Snapshot *Snapshot

	shard int // the shard whose timers hold it (shards.go)
}

// DueClaims is what one ClaimNext took, and when.
type DueClaims struct {
	Now    time.Time // the store's clock when the claims were made
	Next   time.Time // the earliest timer left after them (zero: none)
	Claims []Claim
}

// heartbeatMember prefixes a heartbeat's name in the timers.
const heartbeatMember = "hb:"

// choreMember prefixes a chore's name in the timers.
const choreMember = "chore:"

// member is the claim's entry in the timers.
func (c Claim) member() string {
	if c.Chore != "" {
		return choreMember + c.Chore
	}
	if c.Heartbeat != "" {
		return heartbeatMember + c.Heartbeat
	}
	return strconv.FormatInt(c.IncidentID, 10)
}

// what names the claim in errors.
func (c Claim) what() string {
	if c.Chore != "" {
		return "chore " + c.Chore
	}
	if c.Heartbeat != "" {
		return "heartbeat " + c.Heartbeat
	}
	return "incident " + strconv.FormatInt(c.IncidentID, 10)
}

// key is a key in the claim's slot for scripts that need one.
func (s *shard) claimKey(c Claim) string {
	if c.Chore != "" {
		return s.anchor()[0]
	}
	if c.Heartbeat != "" {
		return s.heartbeatKey(c.Heartbeat)
	}
	return s.incidentKey(c.IncidentID)
}

// ClaimDue takes up to limit due incident timers for lease. It returns the
// store's "now" with them, so the caller decides with the same clock.
func (s *shard) ClaimDue(ctx context.Context, lease time.Duration, limit int) (time.Time, []Claim, error) {
	c, err := s.ClaimNext(ctx, lease, limit)
	return c.Now, c.Claims, err
}

// ClaimNext is ClaimDue that also says when the earliest timer left is
// due, in the same round trip: what the engine needs to know how long to
// sleep.
func (s *shard) ClaimNext(ctx context.Context, lease time.Duration, limit int) (DueClaims, error) {
	vals, err := s.run(ctx, s.lua.claimDue, s.anchor(), s.claimArgs(lease, limit)...).Slice()
	if err != nil {
		return DueClaims{}, fmt.Errorf("claim due timers: %w", err)
	}
	return s.parseClaims(vals, lease)
}

// claimArgs are claim_due.lua's arguments after the prefix.
func (s *shard) claimArgs(lease time.Duration, limit int) []any {
	return []any{s.nowArg(), lease.Milliseconds(), limit}
}

// parseClaims reads claim_due.lua's answer: the store's now, the next
// due time left, then four values a claim.
func (s *shard) parseClaims(vals []any, lease time.Duration) (DueClaims, error) {
	if len(vals) < 2 {
		return DueClaims{}, fmt.Errorf("claim due timers: %d values in the reply, want at least 2", len(vals))
	}
	var err error
	str := func(v any) string { s, _ := v.(string); return s }
	nowMs, _ := strconv.ParseInt(str(vals[0]), 10, 64)
	now := time.UnixMilli(nowMs).UTC()
	var next time.Time
	if nextMs, err := strconv.ParseFloat(str(vals[1]), 64); err == nil {
		next = time.UnixMilli(int64(nextMs)).UTC()
	}
	claims := make([]Claim, 0, len(vals)/4)
	for i := 2; i+3 < len(vals); i += 4 {
		member := str(vals[i])
		token, _ := strconv.ParseInt(str(vals[i+1]), 10, 64)
		dueMs, _ := strconv.ParseFloat(str(vals[i+2]), 64)
		c := Claim{Lease: nowMs + lease.Milliseconds(), Token: token, Due: time.UnixMilli(int64(dueMs)).UTC(), At: now, shard: s.index}
		if name, ok := strings.CutPrefix(member, heartbeatMember); ok {
			c.Heartbeat = name
		} else if name, ok := strings.CutPrefix(member, choreMember); ok {
			c.Chore = name
		} else if c.IncidentID, err = strconv.ParseInt(member, 10, 64); err != nil {
			continue
		} else {
			c.Snapshot = claimSnapshot(c.IncidentID, vals[i+3])
		}
		claims = append(claims, c)
	}
	return DueClaims{Now: now, Next: next, Claims: claims}, nil
}

// Reschedule sets the claimed timer's next wake-up (zero: none) unless the
// timer was moved by someone else since the claim.
func (s *shard) Reschedule(ctx context.Context, c Claim, next time.Time) error {
	var nextMs int64
	if !next.IsZero() {
		nextMs = max(next.UnixMilli(), 1)
	}
	if err := s.run(ctx, s.lua.reschedule, s.anchor(), c.member(), c.Lease, nextMs, c.Token).Err(); err != nil {
		return fmt.Errorf("reschedule %s: %w", c.what(), err)
	}
	return nil
}

// RenewClaim keeps the claim on an incident's timer for lease from now, as
// long as it is still c's (nobody moved the timer meanwhile); ok is false
// when it is not. The returned claim holds the new lease, for Reschedule.
func (s *shard) RenewClaim(ctx context.Context, c Claim, lease time.Duration) (Claim, bool, error) {
	n, err := s.run(ctx, s.lua.renew, []string{s.claimKey(c)}, s.nowArg(), "timer", c.member(), c.Lease, c.Token, max(lease.Milliseconds(), 1)).Int64()
	if err != nil {
		return c, false, fmt.Errorf("renew claim on %s: %w", c.what(), err)
	}
	if n == 0 {
		return c, false, nil
	}
	c.Lease = n
	return c, true, nil
}

// ReleaseClaim gives the claim on an incident's timer back, due now, so
// that another replica takes the incident over at once (a replica that
// stops before it finished the incident's step).
func (s *shard) ReleaseClaim(ctx context.Context, c Claim) error {
	if err := s.run(ctx, s.lua.renew, []string{s.claimKey(c)}, s.nowArg(), "timer", c.member(), c.Lease, c.Token, 0).Err(); err != nil {
		return fmt.Errorf("release claim on %s: %w", c.what(), err)
	}
	return nil
}

// NextDue returns when the earliest timer is due (zero: none), for tests
// and for the engine to sleep just long enough.
func (s *shard) NextDue(ctx context.Context) (time.Time, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, s.key("timers"), 0, 0).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("read timers: %w", err)
	}
	if len(zs) == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(int64(zs[0].Score)).UTC(), nil
}

// Wakeups listens on the deployment's wake channel until ctx ends: a
// script that moved the earliest timer earlier publishes its due time
// there (lua/wake.lua), and the channel delivers it. It also delivers
// the zero time whenever the subscription is made or made again after
// Redis went away (go-redis reconnects on its own): wake-ups published
// meanwhile were lost, so the engine should look at the timers then.
// The channel is closed once ctx ends.
func (s *shard) Wakeups(ctx context.Context) <-chan time.Time {
	return wakeups(ctx, s.rdb, s.key("wake"))
}

// wakeups is Wakeups on the wake channels given, on one subscription:
// one connection however many shards (each reconnection is a dial, and
// go-redis stops dialing for a second once a pool's dials failed as
// many times as it holds connections).
func wakeups(ctx context.Context, rdb redis.UniversalClient, channels ...string) <-chan time.Time {
	out := make(chan time.Time, 1)
	ps := rdb.Subscribe(ctx, channels...)
	go func() {
		defer close(out)
		defer ps.Close()
		in := ps.ChannelWithSubscriptions()
		for {
			var at time.Time
			select {
			case <-ctx.Done():
				return
			case m, ok := <-in:
				if !ok {
					return
				}
				msg, isMsg := m.(*redis.Message)
				if _, isSub := m.(*redis.Subscription); !isMsg && !isSub {
					continue
				}
				if isMsg {
					ms, err := strconv.ParseFloat(msg.Payload, 64)
					if err != nil {
						continue
					}
					at = time.UnixMilli(int64(ms)).UTC()
				}
			}
			select {
			case out <- at:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// WakeOpen makes every open incident due now, e.g. after a config reload, so
// that changed policies take effect (and a restored policy resumes an
// escalation) without waiting for the next natural wake-up; each looks
// again at what mutes its alerts (maintenance windows and inhibition rules
// may have changed too).
func (s *shard) WakeOpen(ctx context.Context) error {
	if err := s.run(ctx, s.lua.wakeOpen, s.anchor(), s.nowArg()).Err(); err != nil {
		return fmt.Errorf("wake open incidents: %w", err)
	}
	return nil
}

// ScheduleChore makes chore name due at at, unless it is due sooner
// already; a chore with no timer gets one.
func (s *shard) ScheduleChore(ctx context.Context, name string, at time.Time) error {
	err := s.rdb.ZAddLT(ctx, s.key("timers"), redis.Z{Score: float64(max(at.UnixMilli(), 1)), Member: choreMember + name}).Err()
	if err != nil {
		return fmt.Errorf("schedule chore %s: %w", name, err)
	}
	return nil
}
