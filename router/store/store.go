// Package store is the only code in pagerd that talks to Redis: it persists
// the incident package's types and nothing else decides here. Every state
// change is one Lua script, so it is atomic and costs one round trip. The
// keys of one shard share a hash tag, so every script touches a single
// Redis Cluster slot; a deployment has one shard, or several that spread
// its incidents over a cluster's masters (shards.go).
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// ErrNotFound is returned for an incident that does not exist (or whose
// retention ran out).
var ErrNotFound = incident.ErrNotFound

// shard is one copy of pagerd's key layout under one hash tag: every
// script it runs touches keys of its own slot only. A Store has one
// shard per configured Redis shard (shards.go); with one, it is the
// whole deployment, as it always was.
type shard struct {
	top    *Store // the clock and durability every shard shares
	rdb    redis.UniversalClient
	prefix string
	// index is the shard's place among the Store's; ids is how it
	// numbers incidents and action items (see layout).
	index int

	lua scripts
	// coalesce gathers concurrent requests' alerts into one pipeline.
	coalesce coalescer
}

// Durability is how many replicas must hold a write, and how long to wait
// for them (Redis WAIT). Redis replicates asynchronously: without it, a
// failover can lose the last writes the primary acknowledged.
type Durability struct {
	Replicas int
	Timeout  time.Duration
}

// ErrNotReplicated means a write reached the primary but not enough
// replicas in time: it may be lost in a failover, so it must not be
// answered as stored (the sender retries; storing is idempotent).
var ErrNotReplicated = errors.New("not replicated to enough Redis replicas in time")

// scripts are the Lua scripts of lua/, one per kind of state change.
type scripts struct {
	ingest, transition, expire, claimDue, reschedule, claimSend, finishSend, appendFact, lease, renew, rateLimit, reroute *redis.Script
	beat, heartbeats, keepMessage, review, silence, wakeOpen, storm                                                       *redis.Script
	declare, command                                                                                                      *redis.Script
	migrateFp, inhibitMirror                                                                                              *redis.Script
	// Status pages (statuspage.go, subscribers.go).
	statusPage, subscribers *redis.Script
	action                  *redis.Script
}

func (sc *scripts) all() []*redis.Script {
	return []*redis.Script{sc.ingest, sc.transition, sc.expire, sc.claimDue, sc.reschedule, sc.claimSend, sc.finishSend, sc.appendFact, sc.lease, sc.renew, sc.rateLimit,
		sc.reroute, sc.beat, sc.heartbeats, sc.keepMessage, sc.review, sc.silence, sc.wakeOpen, sc.storm,
		sc.declare, sc.command, sc.action, sc.statusPage, sc.subscribers, sc.migrateFp, sc.inhibitMirror}
}

// newShard returns the shard of top whose keys start with prefix, which
// carries its hash tag.
func newShard(top *Store, rdb redis.UniversalClient, prefix string, index int) *shard {
	return &shard{
		top:    top,
		rdb:    rdb,
		prefix: prefix,
		index:  index,
		lua:    allScripts,
	}
}

// allScripts are the scripts every shard runs: the same source, so the
// same SHA on every node.
var allScripts = scripts{
	ingest:      script("ingest", "fold"),
	transition:  script("transition", "fold"),
	expire:      script("expire", "fold"),
	claimDue:    script("claim_due"),
	reschedule:  script("reschedule"),
	claimSend:   script("claim_send"),
	finishSend:  script("finish_send"),
	appendFact:  script("append"),
	lease:       script("lease"),
	renew:       script("renew"),
	rateLimit:   script("rate_limit"),
	reroute:     script("reroute"),
	beat:        script("beat"),
	heartbeats:  script("heartbeats"),
	keepMessage: script("keep_message"),
	review:      script("review"),
	silence:     script("silence"),
	wakeOpen:    script("wake_open"),
	storm:       script("storm", "fold"),
	declare:     script("declare"),
	command:     script("command"),
	statusPage:  script("statuspage"),
	subscribers: script("subscribers"),
	action:      script("action"),
	migrateFp:   script("migrate_fp"),
	// inhibitMirror: shards_inhibit.go.
	inhibitMirror: script("inhibit_mirror"),
}

// script is lua/<name>.lua after the helpers every script shares
// (wake.lua, common.lua, suppress.lua) and the ones it needs (fold.lua:
// storm and flap folding), which are prepended in order.
//
// Any script may move a timer earlier — the shared helpers open, ack and
// resolve incidents — so each one's body runs inside a function between a
// look at the earliest timer and wake_if_earlier (wake.lua), which tells
// the engines of every replica when it moved earlier: a ZADD in a new
// script cannot forget to. The function is the only way to run something
// after a body that returns from many places; it costs two ZRANGEs of one
// entry a call. Scripts that never move a timer earlier (claims push
// them later; leases and rate limits touch none) skip it (noWake).
//
// The engine's scripts, which every step and every page runs, are lean
// instead: see lean.
func script(name string, helpers ...string) *redis.Script {
	var src strings.Builder
	read := func(file string) {
		body, err := luaFiles.ReadFile("lua/" + file + ".lua")
		if err != nil {
			panic(err)
		}
		src.Write(body)
		src.WriteString("\n")
	}
	if own, ok := lean[name]; ok {
		for _, file := range append(own, name) {
			read(file)
		}
		return redis.NewScript(src.String())
	}
	for _, file := range append([]string{"wake", "common", "suppress"}, helpers...) {
		read(file)
	}
	if noWake[name] {
		read(name)
		return redis.NewScript(src.String())
	}
	src.WriteString("local wake_head = timers_head(ARGV[1])\nlocal wake_result = (function()\n")
	read(name)
	src.WriteString("end)()\nwake_if_earlier(ARGV[1], wake_head)\nreturn wake_result\n")
	return redis.NewScript(src.String())
}

// noWake are the scripts that never move a timer earlier.
var noWake = map[string]bool{"gauges": true, "rate_limit": true, "lease": true}

// lean are the engine's scripts, each with only the helpers it uses, and
// without the wrapper: the one that may move a timer earlier says so
// itself, where it does (wake_if_earlier). They run for every step of
// every incident and every page, and the helpers and the wrapper cost
// more than their own work: on redis-server 7.0 here an EVALSHA of
// "return 1" took 2.1 µs, after the shared helpers 7.4 µs, inside the
// wrapper 14.3 µs. A test (TestLeanScriptsWake) holds each lean script
// that writes the timers to wake.
var lean = map[string][]string{
	"claim_due":   {"clock"},          // pushes timers later only
	"claim_send":  {"common"},         // touches no timer
	"finish_send": {"wake", "common"}, // a page after an ack wakes its incident
	"reschedule":  {"wake"},           // a step's next wake-up
	"layout":      {"clock"},          // once a start (shards.go)
}

// Load sends every script to Redis so that pipelined EVALSHA calls find
// them, and moves state of an older layout that the hot path no longer
// reads (migrateFingerprintIndex). Redis forgets scripts on restart;
// callers retry through Run/EvalSha fallbacks below.
func (s *shard) Load(ctx context.Context) error {
	for _, sc := range s.lua.all() {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("load Lua script: %w", err)
		}
	}
	return s.migrateFingerprintIndex(ctx)
}

// Ping reports whether Redis answers.
func (s *shard) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

func (s *shard) key(parts ...string) string { return s.prefix + strings.Join(parts, ":") }

func (s *shard) incidentKey(id int64) string { return s.key("inc", strconv.FormatInt(id, 10)) }

// fpIndexKey is the hash of the fingerprint index that holds fingerprint
// fp: the one of its last three characters (fp_index in lua/common.lua,
// which says why).
func (s *shard) fpIndexKey(fp string) string { return s.prefix + "fpx:" + fp[max(0, len(fp)-3):] }

// retentionMs is a retention as the scripts' PEXPIRE takes it: Redis refuses
// 0, so anything shorter than a millisecond becomes one.
func retentionMs(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// msOrZero is t in Unix milliseconds, 0 for the zero time ("none" to the
// scripts).
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// orZero is a version as the scripts compare it: Redis has "0" before the
// first change.
func orZero(version string) string {
	if version == "" {
		return "0"
	}
	return version
}

// anchor is a key every slot-less script is sent with, so that a Cluster
// client routes it to the node owning this deployment's slot.
func (s *shard) anchor() []string { return []string{s.key("timers")} }

// nowArg is the "now" argument of the scripts: 0 means "use Redis TIME".
func (s *shard) nowArg() int64 {
	if s.top.Clock == nil {
		return 0
	}
	return s.top.Clock().UnixMilli()
}

// Now is the store's clock: Redis TIME, or Clock when set.
func (s *shard) Now(ctx context.Context) (time.Time, error) {
	if s.top.Clock != nil {
		return s.top.Clock(), nil
	}
	t, err := s.rdb.Time(ctx).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("redis time: %w", err)
	}
	return t, nil
}

func (s *shard) run(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	return sc.Run(ctx, s.rdb, keys, append([]any{s.prefix}, args...)...)
}

// waitFor adds the Durability's WAIT to a pipeline; check it after Exec.
// WAIT counts the writes of its own connection, which a pipeline's
// commands share.
func (s *shard) waitFor(ctx context.Context, pipe redis.Pipeliner) *redis.Cmd {
	if s.top.Durability.Replicas <= 0 {
		return nil
	}
	return pipe.Do(ctx, "WAIT", s.top.Durability.Replicas, max(s.top.Durability.Timeout.Milliseconds(), 1))
}

// replicated says whether the WAIT waitFor added was answered by enough
// replicas.
func (s *shard) replicated(wait *redis.Cmd) error {
	if wait == nil {
		return nil
	}
	n, err := wait.Int64()
	if err != nil {
		return fmt.Errorf("wait for replicas: %w", err)
	}
	if int(n) < s.top.Durability.Replicas {
		return fmt.Errorf("%d of %d replicas within %s: %w", n, s.top.Durability.Replicas, s.top.Durability.Timeout, ErrNotReplicated)
	}
	return nil
}
