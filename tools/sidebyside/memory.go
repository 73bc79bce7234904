package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// What each server holds (issue 13, target 4): the growth of pagerd's
// Redis per alert a round stores, and each server's resident memory after
// the round. A round's alerts are all new and stay firing, so Redis grows
// by what an open alert costs it.

// memory is what a server holds at one moment: its resident set and, for
// pagerd, its redis-server's used_memory (0 for Alertmanager).
type memory struct {
	rss, redis int64
}

// memoryOf reads what the process pid and, when rdb is not nil, its
// Redis hold now.
func memoryOf(pid int, rdb *redis.Client) (memory, error) {
	var m memory
	var err error
	if m.rss, err = procRSS(pid); err != nil || rdb == nil {
		return m, err
	}
	m.redis, err = usedMemory(rdb)
	return m, err
}

// procRSS is the resident set size of process pid, in bytes.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS of %d: %w", pid, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// usedMemory is INFO memory's used_memory: what Redis allocated.
func usedMemory(rdb *redis.Client) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no used_memory in INFO memory")
}

// memoryNote says what a round of alerts alerts cost, from before to after.
func memoryNote(before, after memory, alerts int) string {
	s := fmt.Sprintf("RSS %d MB", after.rss>>20)
	if after.redis != 0 {
		s += fmt.Sprintf(", Redis %+.0f B/alert", float64(after.redis-before.redis)/float64(alerts))
	}
	return s
}
