package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/router/store"
)

// RedisURL is what --redis says: how to reach Redis, and how durable a
// write must be before pagerd answers for it.
type RedisURL struct {
	Options *redis.UniversalOptions
	// Durability asks for replica acknowledgements: ?wait_replicas=N
	// (and ?wait_timeout=, default 100ms).
	Durability store.Durability
}

// minPoolSize is the smallest connection pool pagerd gives go-redis.
const minPoolSize = 64

// ParseRedisURL turns --redis into go-redis UniversalOptions. One address is
// a single node; several addresses with ?master_name= are Sentinels; several
// without are Cluster seed nodes, and ?cluster=true makes a single address a
// Cluster seed (a configuration endpoint). ?wait_replicas=N makes every
// stored alert and action wait, in the same round trip, until N replicas
// hold it (Redis WAIT), so that a failover cannot lose what pagerd
// answered 2xx for; single node and Sentinel only:
//
//	redis://:password@10.0.0.1:6379/0
//	redis://10.0.0.1:26379,10.0.0.2:26379?master_name=mymaster&wait_replicas=1
//	rediss://user:password@node1:6379,node2:6379,node3:6379
//	redis://clustercfg.example:6379?cluster=true
func ParseRedisURL(raw string) (RedisURL, error) {
	opts, q, err := parseRedisURL(raw)
	if err != nil {
		return RedisURL{}, err
	}
	out := RedisURL{Options: opts}
	if v := q.Get("wait_replicas"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return RedisURL{}, fmt.Errorf("redis URL: wait_replicas=%q is not a number of replicas", v)
		}
		if opts.IsClusterMode || (len(opts.Addrs) > 1 && opts.MasterName == "") {
			return RedisURL{}, errors.New("redis URL: wait_replicas works with one node or Sentinel, not Cluster (WAIT counts the writes of one connection, and a Cluster pipeline sends it to any node)")
		}
		out.Durability.Replicas = n
		out.Durability.Timeout = 100 * time.Millisecond
	}
	if v := q.Get("wait_timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return RedisURL{}, fmt.Errorf("redis URL: wait_timeout=%q is not a duration such as 100ms", v)
		}
		out.Durability.Timeout = d
	}
	return out, nil
}

func parseRedisURL(raw string) (*redis.UniversalOptions, url.Values, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// A *url.Error quotes the whole URL, password and all: keep only
		// its reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("redis URL: %w", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, nil, fmt.Errorf("redis URL: scheme must be redis:// or rediss://, not %q", u.Scheme)
	}
	if u.Host == "" {
		// Never quote raw: it may carry a password.
		return nil, nil, fmt.Errorf("redis URL names no host, want %s://[user:password@]host:port", u.Scheme)
	}
	// RESP2: pagerd reads no push messages on its command connections
	// (the wake channel is a subscription of its own), and under RESP3
	// go-redis looks for pending pushes before every reply, a read
	// syscall each: about 8% of the daemon's CPU on the paging path.
	//
	// A pool of at least 64: go-redis stops dialing for a second once a
	// pool's dials failed as many times as it holds connections, and
	// with its default (10 a CPU: 20 here) the readers a sharded replica
	// runs (a stream reader per consumer group and shard, status page
	// watches) got there in a 3 s Redis restart: pages held up by it went
	// out 0.55-0.92 s after Redis was back, 0.01-1.07 s with 64 (go run
	// ./tools/chaos --redis-shards 3 --schedule 15s:redis,35s:redis).
	// Connections are opened as needed, so a larger pool costs nothing.
	opts := &redis.UniversalOptions{Protocol: 2, PoolSize: max(minPoolSize, 10*runtime.GOMAXPROCS(0))}
	for _, addr := range strings.Split(u.Host, ",") {
		if !strings.Contains(addr, ":") {
			addr += ":6379"
		}
		opts.Addrs = append(opts.Addrs, addr)
	}
	if u.User != nil {
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil {
			return nil, nil, fmt.Errorf("redis URL: database %q is not a number", db)
		}
		opts.DB = n
	}
	q := u.Query()
	opts.MasterName = q.Get("master_name")
	if v := q.Get("cluster"); v != "" {
		cluster, err := strconv.ParseBool(v)
		if err != nil {
			return nil, nil, fmt.Errorf("redis URL: cluster=%q is not true or false", v)
		}
		if cluster && opts.MasterName != "" {
			return nil, nil, fmt.Errorf("redis URL: cluster=true and master_name exclude each other")
		}
		opts.IsClusterMode = cluster
	}
	if p := q.Get("sentinel_password"); p != "" {
		opts.SentinelPassword = p
	}
	if u.Scheme == "rediss" {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: strings.Split(opts.Addrs[0], ":")[0]}
	}
	if len(opts.Addrs) > 1 && opts.MasterName == "" && opts.DB != 0 {
		return nil, nil, fmt.Errorf("redis URL: Redis Cluster has no databases other than 0")
	}
	return opts, q, nil
}

// LogRedisTo routes go-redis's own messages (dial failures, pool trouble)
// into log, so they reach the daemon's structured log instead of bare
// stderr lines. go-redis keeps one logger per process: the binary sets it.
func LogRedisTo(log *slog.Logger) { redis.SetLogger(redisLogger{log}) }

type redisLogger struct{ log *slog.Logger }

// Printf implements go-redis's logging interface.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}
