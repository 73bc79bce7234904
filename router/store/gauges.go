package store

import (
	"context"
	"fmt"
	"time"
)

// gaugesScript reads what /metrics reports of the shared state. It is not
// among the scripts Load sends ahead: a scrape is not the hot path, and
// Run loads it on first use.
var gaugesScript = script("gauges")

// OpenCount is how many open incidents a service has in one status.
type OpenCount struct {
	Service, Status string
	Count           int
}

// Gauges reads, in one call, the open incidents by service and status and
// how many timers are due that no replica has taken up. Counting the open
// incidents costs Redis time in proportion to how many there are (35 ms
// for 10,000), so the counts are shared for maxAge by every replica's
// scrapes; 0 counts afresh.
func (s *shard) Gauges(ctx context.Context, maxAge time.Duration) (open []OpenCount, due int, err error) {
	vals, err := s.run(ctx, gaugesScript, s.anchor(), s.nowArg(), maxAge.Milliseconds()).Slice()
	if err != nil {
		return nil, 0, fmt.Errorf("read gauges: %w", err)
	}
	if len(vals) < 2 {
		return nil, 0, fmt.Errorf("read gauges: short answer %v", vals)
	}
	n, _ := vals[0].(int64)
	for i := 2; i+2 < len(vals); i += 3 {
		svc, _ := vals[i].(string)
		status, _ := vals[i+1].(string)
		count, _ := vals[i+2].(int64)
		open = append(open, OpenCount{Service: svc, Status: status, Count: int(count)})
	}
	return open, int(n), nil
}
