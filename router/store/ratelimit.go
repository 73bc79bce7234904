package store

import (
	"context"
	"fmt"
	"time"
)

// Allow counts n events of a rate limit called name — events per per,
// in bursts of up to events — that every replica shares: one round trip
// to a GCRA script (lua/rate_limit.lua) on the store's clock. It reports
// whether the n events pass (they are then counted) and, when they do
// not, how long until they would. A request of more events than a whole
// burst counts as a whole burst, or it could never pass.
func (s *shard) Allow(ctx context.Context, name string, events int, per time.Duration, n int) (ok bool, wait time.Duration, err error) {
	if events <= 0 || per <= 0 {
		return true, 0, nil
	}
	n = min(max(n, 1), events)
	interval := float64(per) / float64(time.Millisecond) / float64(events)
	vals, err := s.run(ctx, s.lua.rateLimit, []string{s.key("ratelimit", name)},
		s.nowArg(), interval, events, n).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", name, err)
	}
	if vals[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(vals[1]) * time.Millisecond, nil
}

// Hold lets no event through the rate limit called name (of events per
// per, as Allow counts it) for d from now: a provider answered 429 with a
// Retry-After, and every replica must wait it out.
func (s *shard) Hold(ctx context.Context, name string, events int, per time.Duration, d time.Duration) error {
	if events <= 0 || per <= 0 || d <= 0 {
		return nil
	}
	interval := float64(per) / float64(time.Millisecond) / float64(events)
	err := s.run(ctx, s.lua.rateLimit, []string{s.key("ratelimit", name)},
		s.nowArg(), interval, events, 1, max(d.Milliseconds(), 1)).Err()
	if err != nil {
		return fmt.Errorf("rate limit %s: hold: %w", name, err)
	}
	return nil
}
