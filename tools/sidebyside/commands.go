package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// showCommands is -commands: after each pagerd round, what Redis spent
// per alert in each command, from INFO commandstats. Commands a script
// calls are counted both on their own line and inside EVALSHA.
var showCommands bool

type commandStat struct {
	name        string
	calls, usec int64
}

// commandStats reads INFO commandstats.
func commandStats(rdb *redis.Client) (map[string]commandStat, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]commandStat{}
	for line := range strings.SplitSeq(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, isCmd := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isCmd {
			continue
		}
		s := commandStat{name: name}
		if _, err := fmt.Sscanf(rest, "calls=%d,usec=%d", &s.calls, &s.usec); err != nil {
			return nil, fmt.Errorf("INFO commandstats %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
}

// printCommands prints the commands Redis ran between two reads, most
// time first, per alert.
func printCommands(before, after map[string]commandStat, alerts int) {
	var diff []commandStat
	for name, a := range after {
		b := before[name]
		if d := (commandStat{name, a.calls - b.calls, a.usec - b.usec}); d.calls > 0 && name != "info" {
			diff = append(diff, d)
		}
	}
	slices.SortFunc(diff, func(x, y commandStat) int { return cmp.Compare(y.usec, x.usec) })
	for _, d := range diff[:min(len(diff), 12)] {
		fmt.Printf("      %-16s %7.3f calls/alert %7.2f µs/alert\n", d.name,
			float64(d.calls)/float64(alerts), float64(d.usec)/float64(alerts))
	}
}
