package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/testenv"
)

// showCommands is -commands: after each pagerd round, what Redis spent
// per alert in each command, from INFO commandstats. Commands a script
// calls are counted both on their own line and inside EVALSHA.
var showCommands bool

// commandStats reads INFO commandstats.
func commandStats(rdb *redis.Client) (map[string]testenv.CommandStat, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return testenv.CommandStats(ctx, rdb)
}

// printCommands prints the commands Redis ran between two reads, most
// time first, per alert.
func printCommands(before, after map[string]testenv.CommandStat, alerts int) {
	type ran struct {
		name string
		testenv.CommandStat
	}
	var diff []ran
	for name, a := range after {
		b := before[name]
		if d := (ran{name, testenv.CommandStat{Calls: a.Calls - b.Calls, Usec: a.Usec - b.Usec}}); d.Calls > 0 && name != "info" {
			diff = append(diff, d)
		}
	}
	slices.SortFunc(diff, func(x, y ran) int { return cmp.Compare(y.Usec, x.Usec) })
	for _, d := range diff[:min(len(diff), 12)] {
		fmt.Printf("      %-16s %7.3f calls/alert %7.2f µs/alert\n", d.name,
			float64(d.Calls)/float64(alerts), float64(d.Usec)/float64(alerts))
	}
}
