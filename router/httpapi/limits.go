package httpapi

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/pagerd/pagerd/policies"
)

// overLimit counts n alerts against in's rate_limit, which every replica
// shares through the store (so N replicas together allow rate_limit, not N
// times it): a sender over it gets 429 and retries later, instead of
// flooding the store during an alert storm or starving other senders. It
// returns how long the sender must wait, 0 when the alerts may pass. An
// integration without rate_limit costs nothing; one with it costs one
// round trip to Redis.
func (s *Server) overLimit(ctx context.Context, in *policies.Integration, n int) (time.Duration, error) {
	if in.RateLimit.Events <= 0 {
		return 0, nil
	}
	ok, wait, err := s.Store.Allow(ctx, "integration:"+in.Name, in.RateLimit.Events, in.RateLimit.Per, n)
	if err != nil || ok {
		return 0, err
	}
	return max(wait, time.Millisecond), nil
}

// retryAfter is a wait as Retry-After says it: whole seconds, rounded up.
func retryAfter(wait time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10)
}
