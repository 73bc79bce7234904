package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// Store keeps incidents, alerts, timers, timelines and send records in
// Redis, in one or more shards (issue 13, target 5).
//
// A shard is a copy of the whole key layout under its own hash tag, so
// that on Redis Cluster each lands on a master of its own while every
// script still touches one slot. An incident lives in one shard with all
// that belongs to it: its group's key, its alerts' fingerprints, its
// timeline, timers, sends, post-mortem, action items and status page
// record. What belongs to no incident — silences, heartbeats, sessions,
// subscribers, rate limits, leases — lives in the home shard (shard 0),
// which is the single layout of a deployment with one shard, as before.
//
// Methods about one incident go to its shard, found from its id; the
// few that read across incidents (lists, gauges, timers, the event
// streams) ask every shard and merge. The home shard's methods are the
// Store's own otherwise (the embedded *shard).
type Store struct {
	*shard // the home shard

	// Clock, when set, replaces Redis TIME as the source of "now" — for
	// tests that move time by hand. Production leaves it nil so that every
	// replica agrees on one clock, Redis's.
	Clock func() time.Time
	// Durability, when it asks for replicas, makes every stored alert and
	// action wait until that many replicas hold it before it counts as
	// stored.
	Durability Durability

	shards []*shard
	// layout is how ids name their shard, read by Load (a store with one
	// shard needs none).
	layout layout
	// declared spreads declared incidents over the shards.
	declared atomic.Uint64
	// claims is how many ClaimNext calls there were: the shard each
	// starts with, in turn (shards_merge.go).
	claims atomic.Uint64
}

// layout is what Redis keeps of a sharded deployment, fixed at its first
// start with more than one shard (lua/layout.lua): ids issued before it
// (up to base) stay in the home shard with their groups (legacy), and
// every id after names its shard (idShard).
type layout struct {
	base, actionBase int64
	// legacy are the groups that had an open incident in the home shard
	// when the deployment became sharded: their alerts stay with it.
	legacy map[string]bool
}

// Option changes how New lays out a store.
type Option func(*Store, string)

// WithShards spreads the deployment over n shards (n < 2: one). A
// deployment keeps the count it first ran with: Load refuses another.
func WithShards(n int) Option {
	return func(s *Store, namespace string) {
		for i := 1; i < n; i++ {
			s.shards = append(s.shards, newShard(s, s.rdb, shardPrefix(namespace, i, n), i))
		}
	}
}

// New returns a store on rdb whose home shard's keys start with
// "{<namespace>}:" — the braces are the hash tag that keeps every key of
// a shard in one cluster slot.
func New(rdb redis.UniversalClient, namespace string, opts ...Option) *Store {
	if namespace == "" {
		namespace = "pagerd"
	}
	s := &Store{}
	s.shard = newShard(s, rdb, "{"+namespace+"}:", 0)
	s.shards = []*shard{s.shard}
	for _, o := range opts {
		o(s, namespace)
	}
	return s
}

// Shards is how many shards the store spreads over.
func (s *Store) Shards() int { return len(s.shards) }

// clusterSlots is how many hash slots Redis Cluster has.
const clusterSlots = 16384

// shardPrefix is the key prefix of shard i of n (i > 0). Its hash tag is
// chosen so that the n shards' slots fall in n different n-ths of the
// slot range, in the middle of each: a cluster created with its slots
// split evenly over m masters (as redis-cli --cluster create does) then
// gives each master n/m shards when m divides n. The choice depends on
// the namespace and n alone, so every replica makes the same.
func shardPrefix(namespace string, i, n int) string {
	home := slot(namespace) * n / clusterSlots
	part := (home + i) % n
	lo, hi := part*clusterSlots/n, (part+1)*clusterSlots/n
	margin := (hi - lo) / 4
	for t := 0; ; t++ {
		tag := namespace + "#" + strconv.Itoa(i) + "." + strconv.Itoa(t)
		if sl := slot(tag); sl >= lo+margin && sl < hi-margin {
			return "{" + tag + "}:"
		}
	}
}

// slot is the Redis Cluster slot of a hash tag: CRC16 (XMODEM) mod 16384,
// as the Redis Cluster specification gives it.
func slot(tag string) int {
	var crc uint16
	for i := 0; i < len(tag); i++ {
		crc ^= uint16(tag[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % clusterSlots
}

// Load sends every script to Redis (every master of a cluster), fixes or
// checks the shard layout, and moves state of an older layout that the
// hot path no longer reads (migrateFingerprintIndex). Redis forgets
// scripts on restart; callers retry through Run/EvalSha fallbacks.
func (s *Store) Load(ctx context.Context) error {
	if err := s.shard.Load(ctx); err != nil {
		return err
	}
	vals, err := layoutScript.Eval(ctx, s.rdb, s.anchor(), s.prefix, len(s.shards), InhibitMirrorGroup, s.shard.nowArg()).StringSlice()
	if err != nil {
		return fmt.Errorf("read the shard layout: %w", err)
	}
	if len(vals) != 3 {
		return fmt.Errorf("read the shard layout: unexpected answer %q", vals)
	}
	if vals[0] != strconv.Itoa(len(s.shards)) {
		return &ShardCountError{Have: vals[0], Want: len(s.shards)}
	}
	if len(s.shards) == 1 {
		return nil
	}
	base, _ := strconv.ParseInt(vals[1], 10, 64)
	actionBase, _ := strconv.ParseInt(vals[2], 10, 64)
	legacy, err := s.rdb.SMembers(ctx, s.key("legacy_groups")).Result()
	if err != nil {
		return fmt.Errorf("read the groups of the home shard: %w", err)
	}
	s.layout = layout{base: base, actionBase: actionBase, legacy: make(map[string]bool, len(legacy))}
	for _, g := range legacy {
		s.layout.legacy[g] = true
	}
	// Every shard numbers what it opens from the layout (next_id in
	// lua/common.lua); writing it again is harmless.
	pipe := s.rdb.Pipeline()
	for _, sh := range s.shards {
		pipe.HSet(ctx, sh.key("ids"), "seq", base, "actions:seq", actionBase, "n", len(s.shards), "k", sh.index)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("write the shard layout: %w", err)
	}
	return s.syncSilencesVersion(ctx)
}

// ShardCountError is Load's refusal to run a deployment in another number
// of shards than it was first started with: waiting does not mend it, so
// a daemon gives up at once.
type ShardCountError struct {
	Have string // the count Redis holds
	Want int    // the count the store was built with
}

func (e *ShardCountError) Error() string {
	return fmt.Sprintf("Redis holds this namespace in %s shards, not %d: start pagerd with --redis-shards %s (pagerd cannot change a deployment's shard count yet)",
		e.Have, e.Want, e.Have)
}

// layoutScript fixes the layout at the first start with more than one
// shard, and answers it (lua/layout.lua).
var layoutScript = script("layout")

// idShard is the shard of incident id: the home shard for ids issued
// before sharding, else the one its id names (next_id in lua/common.lua).
func (s *Store) idShard(id int64) *shard {
	return s.numbered(id, s.layout.base)
}

// actionShard is the shard of action item n, numbered the same way.
func (s *Store) actionShard(n int64) *shard {
	return s.numbered(n, s.layout.actionBase)
}

func (s *Store) numbered(n, base int64) *shard {
	if len(s.shards) == 1 || n <= base {
		return s.shard
	}
	return s.shards[(n-base-1)%int64(len(s.shards))]
}

// ingestShard is the shard an alert is stored in: its group's, by a hash
// of the group; a service that folds storms keeps all its groups in one
// shard, which counts its new incidents. Groups open in the home shard
// when the deployment became sharded stay there.
func (s *Store) ingestShard(w *AlertWrite) *shard {
	if len(s.shards) == 1 {
		return s.shard
	}
	if s.layout.legacy["grp:"+w.GroupID] {
		return s.shard
	}
	h := fnv.New32a()
	if w.StormIncidents > 0 {
		h.Write([]byte("svc:" + w.Service))
	} else {
		h.Write([]byte(w.GroupID))
	}
	return s.shards[h.Sum32()%uint32(len(s.shards))]
}

// eachShard runs f on every shard at once and joins their errors.
func (s *Store) eachShard(f func(*shard) error) error {
	if len(s.shards) == 1 {
		return f(s.shard)
	}
	errs := make([]error, len(s.shards))
	var wg sync.WaitGroup
	for i, sh := range s.shards {
		wg.Go(func() { errs[i] = f(sh) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Declare opens a declared incident, in the shards in turn.
func (s *Store) Declare(ctx context.Context, d Declaration) (int64, error) {
	n := s.declared.Add(1)
	return s.shards[n%uint64(len(s.shards))].Declare(ctx, d)
}

// PutSilence stores a silence in the home shard, and tells every other
// shard its new version, which their ingest compares with the router's
// snapshot.
func (s *Store) PutSilence(ctx context.Context, sil incident.Silence, rev string, retention time.Duration) error {
	if err := s.shard.PutSilence(ctx, sil, rev, retention); err != nil {
		return err
	}
	return s.syncSilencesVersion(ctx)
}

// syncSilencesVersion raises every other shard's copy of the silences'
// version to the home shard's. Only raised, never lowered: two changes
// racing leave the later version everywhere.
func (s *Store) syncSilencesVersion(ctx context.Context) error {
	if len(s.shards) == 1 {
		return nil
	}
	ver, err := s.rdb.Get(ctx, s.key("silences:ver")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("read the silences' version: %w", err)
	}
	return s.eachShard(func(sh *shard) error {
		if sh.index == 0 {
			return nil
		}
		if err := raiseScript.Eval(ctx, sh.rdb, []string{sh.key("silences:ver")}, orZero(ver)).Err(); err != nil {
			return fmt.Errorf("copy the silences' version to shard %d: %w", sh.index, err)
		}
		return nil
	})
}

// raiseScript sets KEYS[1] to the number ARGV[1] unless it holds a
// greater one.
var raiseScript = redis.NewScript(`
if (tonumber(redis.call('GET', KEYS[1])) or 0) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1`)

// errUnknownShard is a claim or event of a shard this store does not have.
var errUnknownShard = errors.New("unknown shard")

// at is shard k, for what names its shard by index.
func (s *Store) at(k int) (*shard, error) {
	if k < 0 || k >= len(s.shards) {
		return nil, fmt.Errorf("shard %d of %d: %w", k, len(s.shards), errUnknownShard)
	}
	return s.shards[k], nil
}

// tagged splits an id "<shard>/<id>" that a shard other than the home
// shard gave out (an event's): the home shard's carry no tag.
func tagged(id string) (int, string) {
	if k, rest, ok := strings.Cut(id, "/"); ok {
		if n, err := strconv.Atoi(k); err == nil {
			return n, rest
		}
	}
	return 0, id
}

// tag is what tagged undoes.
func (s *shard) tag(id string) string {
	if s.index == 0 {
		return id
	}
	return strconv.Itoa(s.index) + "/" + id
}

// untag is the stream ids of this shard's tagged event ids.
func (s *shard) untag(ids []string) []string {
	if s.index == 0 {
		return ids
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		_, out[i] = tagged(id)
	}
	return out
}
