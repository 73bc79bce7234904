package httpapi

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/pagerd/pagerd/policies"
)

// limiters hold each integration's rate_limit, per replica (on the wall
// clock: a rate is about real time, not the store's): a sender over
// its limit gets 429 and retries later, instead of flooding the store
// during an alert storm.
type limiters struct {
	mu sync.Mutex
	m  map[string]*rateLimiter // by integration name
}

type rateLimiter struct {
	rate policies.Rate // what it was built for; a reload may change it
	l    *rate.Limiter
}

// allow reports whether in may send n more alerts now.
func (ls *limiters) allow(in *policies.Integration, n int) bool {
	if in.RateLimit.Events <= 0 {
		return true
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	rl := ls.m[in.Name]
	if rl == nil || rl.rate != in.RateLimit {
		rl = &rateLimiter{rate: in.RateLimit,
			l: rate.NewLimiter(rate.Limit(float64(in.RateLimit.Events)/in.RateLimit.Per.Seconds()), in.RateLimit.Events)}
		if ls.m == nil {
			ls.m = map[string]*rateLimiter{}
		}
		ls.m[in.Name] = rl
	}
	// A batch larger than the whole burst counts as a full burst, or it
	// could never pass.
	return rl.l.AllowN(time.Now(), min(max(n, 1), in.RateLimit.Events))
}
