package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/redis/go-redis/v9"
)

// The Store methods that read or act across incidents ask every shard,
// at once, and merge what they answer. With one shard they are the home
// shard's.

// Reschedule, RenewClaim and ReleaseClaim act on the shard whose timers
// the claim was taken from.
func (s *Store) Reschedule(ctx context.Context, c Claim, next time.Time) error {
	sh, err := s.at(c.shard)
	if err != nil {
		return err
	}
	return sh.Reschedule(ctx, c, next)
}

func (s *Store) RenewClaim(ctx context.Context, c Claim, lease time.Duration) (Claim, bool, error) {
	sh, err := s.at(c.shard)
	if err != nil {
		return c, false, err
	}
	return sh.RenewClaim(ctx, c, lease)
}

func (s *Store) ReleaseClaim(ctx context.Context, c Claim) error {
	sh, err := s.at(c.shard)
	if err != nil {
		return err
	}
	return sh.ReleaseClaim(ctx, c)
}

// ClaimDue is ClaimNext without the next due time.
func (s *Store) ClaimDue(ctx context.Context, lease time.Duration, limit int) (time.Time, []Claim, error) {
	c, err := s.ClaimNext(ctx, lease, limit)
	return c.Now, c.Claims, err
}

// ClaimNext takes up to limit due timers from the shards: a share of limit
// from each at once, then, while some shard filled its share and limit
// is not reached, more from those. Next is the earliest timer left in
// any shard. What limit leaves over when it is not a multiple of the
// shard count (all of it for the engine's usual limit of 1, a worker
// freed) goes to the shards in turn, call after call: a shard first
// every time would be served alone as long as it had timers due, and the
// others' pages late by as long.
func (s *Store) ClaimNext(ctx context.Context, lease time.Duration, limit int) (DueClaims, error) {
	if len(s.shards) == 1 {
		return s.shard.ClaimNext(ctx, lease, limit)
	}
	n := len(s.shards)
	first := int((s.claims.Add(1) - 1) % uint64(n))
	got := make([]DueClaims, n)
	share := func(k int) int { return limit/n + b2i((k-first+n)%n < limit%n) }
	err := s.claimRound(ctx, lease, share, got)
	var out DueClaims
	for _, g := range got {
		out.Claims = append(out.Claims, g.Claims...)
		out.Now = later(out.Now, g.Now)
	}
	// A shard that filled its share may have more due; one given none
	// (limit below the shard count) may have some due already.
	for j := 0; err == nil && j < n && len(out.Claims) < limit; j++ {
		k := (first + j) % n
		full := share(k) > 0 && len(got[k].Claims) == share(k)
		dueNow := share(k) == 0 && !got[k].Next.IsZero() && !out.Now.IsZero() && !got[k].Next.After(out.Now)
		if !full && !dueNow {
			continue
		}
		var more DueClaims
		if more, err = s.shards[k].ClaimNext(ctx, lease, limit-len(out.Claims)); err == nil {
			out.Claims = append(out.Claims, more.Claims...)
			got[k].Next = more.Next
			out.Now = later(out.Now, more.Now)
		}
	}
	for _, g := range got {
		out.Next = earliest(out.Next, g.Next)
	}
	if err != nil && len(out.Claims) > 0 {
		// Claims taken are worked on, whatever failed after them: a
		// caller that dropped them for the error would leave their
		// timers claimed until the leases lapse. The next claim asks
		// the failing shard again.
		return out, nil
	}
	return out, err
}

// claimRound claims each shard's share of due timers, and reads the
// earliest timer of a shard whose share is none, in one pipeline: one
// round trip on one node, one per master (at once) on a cluster.
func (s *Store) claimRound(ctx context.Context, lease time.Duration, share func(int) int, got []DueClaims) error {
	send := func(useEval bool) ([]*redis.Cmd, []*redis.ZSliceCmd, error) {
		pipe := s.rdb.Pipeline()
		claims := make([]*redis.Cmd, len(s.shards))
		heads := make([]*redis.ZSliceCmd, len(s.shards))
		for k, sh := range s.shards {
			if share(k) == 0 {
				heads[k] = pipe.ZRangeWithScores(ctx, sh.key("timers"), 0, 0)
				continue
			}
			args := append([]any{sh.prefix}, sh.claimArgs(lease, share(k))...)
			if useEval {
				claims[k] = sh.lua.claimDue.Eval(ctx, pipe, sh.anchor(), args...)
			} else {
				claims[k] = sh.lua.claimDue.EvalSha(ctx, pipe, sh.anchor(), args...)
			}
		}
		_, err := pipe.Exec(ctx)
		return claims, heads, err
	}
	claims, heads, err := send(false)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		claims, heads, err = send(true)
	}
	if err != nil {
		return fmt.Errorf("claim due timers: %w", err)
	}
	for k, sh := range s.shards {
		if heads[k] != nil {
			if zs := heads[k].Val(); len(zs) > 0 {
				got[k].Next = time.UnixMilli(int64(zs[0].Score)).UTC()
			}
			continue
		}
		vals, err := claims[k].Slice()
		if err != nil {
			return fmt.Errorf("claim due timers: %w", err)
		}
		if got[k], err = sh.parseClaims(vals, lease); err != nil {
			return err
		}
	}
	return nil
}

// fromEvery asks every shard at once and returns their answers, by shard.
func fromEvery[T any](s *Store, ask func(*shard) (T, error)) ([]T, error) {
	out := make([]T, len(s.shards))
	err := s.eachShard(func(sh *shard) (err error) {
		out[sh.index], err = ask(sh)
		return err
	})
	return out, err
}

// earliest is the earliest of times that are set (zero: none is).
func earliest(times ...time.Time) time.Time {
	var first time.Time
	for _, t := range times {
		if !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first
}

// upTo is the first limit of all, or all of them for a limit of 0 or
// less, as a shard's own readers take it (List's 0 lists every one).
func upTo[T any](all []T, limit int64) []T {
	if limit <= 0 || int64(len(all)) <= limit {
		return all
	}
	return all[:limit]
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NextDue is the earliest timer of any shard (zero: none).
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	if len(s.shards) == 1 {
		return s.shard.NextDue(ctx)
	}
	next, err := fromEvery(s, func(sh *shard) (time.Time, error) { return sh.NextDue(ctx) })
	return earliest(next...), err
}

// Wakeups listens on every shard's wake channel (shard.Wakeups), on one
// subscription.
func (s *Store) Wakeups(ctx context.Context) <-chan time.Time {
	channels := make([]string, len(s.shards))
	for i, sh := range s.shards {
		channels[i] = sh.key("wake")
	}
	return wakeups(ctx, s.rdb, channels...)
}

// WakeOpen makes every shard's open incidents due now.
func (s *Store) WakeOpen(ctx context.Context) error {
	return s.eachShard(func(sh *shard) error { return sh.WakeOpen(ctx) })
}

// List returns incidents, newest first, from every shard.
func (s *Store) List(ctx context.Context, openOnly bool, limit int64) ([]*incident.Incident, error) {
	if len(s.shards) == 1 {
		return s.shard.List(ctx, openOnly, limit)
	}
	lists, err := fromEvery(s, func(sh *shard) ([]*incident.Incident, error) { return sh.List(ctx, openOnly, limit) })
	if err != nil {
		return nil, err
	}
	all := slices.Concat(lists...)
	slices.SortFunc(all, func(a, b *incident.Incident) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return upTo(all, limit), nil
}

// Gauges adds up the shards' gauges.
func (s *Store) Gauges(ctx context.Context, maxAge time.Duration) ([]OpenCount, int, error) {
	if len(s.shards) == 1 {
		return s.shard.Gauges(ctx, maxAge)
	}
	type gauges struct {
		open []OpenCount
		due  int
	}
	got, err := fromEvery(s, func(sh *shard) (g gauges, err error) {
		g.open, g.due, err = sh.Gauges(ctx, maxAge)
		return g, err
	})
	if err != nil {
		return nil, 0, err
	}
	type key struct{ service, status string }
	sum := map[key]int{}
	var order []key
	due := 0
	for _, g := range got {
		due += g.due
		for _, o := range g.open {
			kk := key{o.Service, o.Status}
			if _, ok := sum[kk]; !ok {
				order = append(order, kk)
			}
			sum[kk] += o.Count
		}
	}
	out := make([]OpenCount, len(order))
	for i, kk := range order {
		out[i] = OpenCount{Service: kk.service, Status: kk.status, Count: sum[kk]}
	}
	return out, due, nil
}

// DueReminders gathers every shard's due action item reminders.
func (s *Store) DueReminders(ctx context.Context, now time.Time, limit int64) ([]incident.ActionItem, time.Time, error) {
	if len(s.shards) == 1 {
		return s.shard.DueReminders(ctx, now, limit)
	}
	type reminders struct {
		items []incident.ActionItem
		next  time.Time
	}
	got, err := fromEvery(s, func(sh *shard) (r reminders, err error) {
		r.items, r.next, err = sh.DueReminders(ctx, now, limit)
		return r, err
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	var all []incident.ActionItem
	var next time.Time
	for _, r := range got {
		all = append(all, r.items...)
		next = earliest(next, r.next)
	}
	return upTo(all, limit), next, nil
}

// PageIncidents gathers every shard's status page incidents, by id.
func (s *Store) PageIncidents(ctx context.Context, since time.Time) ([]*incident.PageIncident, error) {
	if len(s.shards) == 1 {
		return s.shard.PageIncidents(ctx, since)
	}
	lists, err := fromEvery(s, func(sh *shard) ([]*incident.PageIncident, error) { return sh.PageIncidents(ctx, since) })
	if err != nil {
		return nil, err
	}
	all := slices.Concat(lists...)
	slices.SortFunc(all, func(a, b *incident.PageIncident) int { return cmp.Compare(a.ID, b.ID) })
	return all, nil
}

// LastPageChange is the newest status page change of each shard, as one
// cursor for PageChanges: the shards' ids, comma-separated.
func (s *Store) LastPageChange(ctx context.Context) (string, error) {
	if len(s.shards) == 1 {
		return s.shard.LastPageChange(ctx)
	}
	last, err := fromEvery(s, func(sh *shard) (string, error) { return sh.LastPageChange(ctx) })
	return strings.Join(last, ","), err
}

// PageChanges waits, up to block, for a status page change in any shard
// after the cursor (LastPageChange's); it returns the new cursor, or ""
// when nothing changed. It answers as soon as one shard does: go-redis
// does not cut a blocking read short when its context ends, so the other
// shards' reads are left to end on their own (within block, each holding
// a connection meanwhile) and their answers dropped — a plain XREAD, so a
// read cut short loses nothing: the next call starts where the cursor
// says.
func (s *Store) PageChanges(ctx context.Context, after string, block time.Duration) (string, error) {
	if len(s.shards) == 1 {
		return s.shard.PageChanges(ctx, after, block)
	}
	cur := strings.Split(after, ",")
	cur = append(cur, make([]string, max(0, len(s.shards)-len(cur)))...)[:len(s.shards)]
	wait, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		k    int
		last string
		err  error
	}
	answers := make(chan answer, len(s.shards)) // the reads left behind never block
	for _, sh := range s.shards {
		go func() {
			last, err := sh.PageChanges(wait, cur[sh.index], block)
			answers <- answer{sh.index, last, err}
		}()
	}
	for range s.shards {
		a := <-answers
		if a.err != nil {
			return "", a.err
		}
		if a.last != "" {
			cur[a.k] = a.last
			return strings.Join(cur, ","), nil
		}
	}
	return "", nil
}

// MessageAt finds the incident of a chat message in whichever shard keeps
// it (its incident's).
func (s *Store) MessageAt(ctx context.Context, place string) (int64, string, bool, error) {
	if len(s.shards) == 1 {
		return s.shard.MessageAt(ctx, place)
	}
	type found struct {
		id     int64
		thread string
		ok     bool
	}
	got, err := fromEvery(s, func(sh *shard) (f found, err error) {
		f.id, f.thread, f.ok, err = sh.MessageAt(ctx, place)
		return f, err
	})
	if err != nil {
		return 0, "", false, err
	}
	for _, f := range got {
		if f.ok {
			return f.id, f.thread, true, nil
		}
	}
	return 0, "", false, nil
}
