package testenv

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// CommandStat is one command's line of INFO commandstats: how often Redis
// ran it and how long that took, since its start or CONFIG RESETSTAT.
// A command a script calls counts on its own line and inside the
// script's (EVALSHA, EVAL) both.
type CommandStat struct {
	Calls, Usec int64
}

// CommandStats reads INFO commandstats, by command name ("evalsha",
// "hset", ...).
func CommandStats(ctx context.Context, rdb redis.Cmdable) (map[string]CommandStat, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("INFO commandstats: %w", err)
	}
	out := map[string]CommandStat{}
	for line := range strings.Lines(info) {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, isCmd := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isCmd {
			continue
		}
		var s CommandStat
		if _, err := fmt.Sscanf(rest, "calls=%d,usec=%d", &s.Calls, &s.Usec); err != nil {
			return nil, fmt.Errorf("INFO commandstats %s: %q: %w", name, rest, err)
		}
		out[name] = s
	}
	return out, nil
}
