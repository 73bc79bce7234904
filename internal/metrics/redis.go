package metrics

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisHook returns a go-redis hook that times every round trip and counts
// failures, for the client pagerd's store uses (client.AddHook).
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		h.observe("dial", 0, err)
		return c, err
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		if blocking(cmd) {
			h.observe(cmd.Name(), 0, err) // its wait is not Redis's latency
		} else {
			h.observe(cmd.Name(), time.Since(start), err)
		}
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		if err == nil {
			// A pipeline reports the first failed command's error only
			// for the network; a command's own error is in the command.
			for _, c := range cmds {
				if c.Err() != nil && counts(c.Err()) {
					err = c.Err()
					break
				}
			}
		}
		h.observe("pipeline", time.Since(start), err)
		return err
	}
}

// observe records one round trip; took 0 leaves its latency out.
func (h redisHook) observe(command string, took time.Duration, err error) {
	if h.m == nil {
		return
	}
	if err != nil && counts(err) {
		h.m.redisErrors.WithLabelValues(command).Inc()
	}
	if command != "dial" && took > 0 {
		h.m.redisDuration.WithLabelValues(command).Observe(took.Seconds())
	}
}

// counts reports whether err is Redis failing, rather than an answer:
// "no such key" is an answer, a script Redis does not hold yet is loaded
// and run again at once (go-redis falls back to EVAL), and a cancelled
// request is the caller's doing (a replica stopping).
func counts(err error) bool {
	return !errors.Is(err, redis.Nil) && !errors.Is(err, context.Canceled) &&
		!strings.HasPrefix(err.Error(), "NOSCRIPT")
}

// blocking reports whether cmd waits on purpose (XREADGROUP ... BLOCK),
// so its time is not a round trip.
func blocking(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "xread", "xreadgroup", "blpop", "brpop", "bzpopmin", "bzpopmax", "blmove":
		return true
	}
	return false
}
