package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisDeployment is the Redis the replicas share: one redis-server, or a
// Sentinel setup. outage takes the primary away the way kind says and
// brings Redis back.
type redisDeployment interface {
	URL() string // what `pagerd serve --redis` is given
	// outage makes Redis unreachable and waits until it serves again.
	// down is when it went away, up when it answered again.
	outage(ctx context.Context, kind string, downFor time.Duration) (down, up time.Time, detail string, err error)
	stop()
}

const masterName = "mymaster"

// redisNode is one redis-server with AOF (fsync every second), as
// deploy/redis/redis.conf runs it in production.
type redisNode struct {
	*proc
	port int
	dir  string
}

func newRedisNode(bin, dir, name string, port int) (*redisNode, error) {
	ndir := filepath.Join(dir, name)
	if err := os.MkdirAll(ndir, 0o700); err != nil {
		return nil, err
	}
	n := &redisNode{port: port, dir: ndir}
	n.proc = &proc{name: name, bin: bin, log: filepath.Join(dir, name+".log")}
	n.setArgs("")
	return n, nil
}

// setArgs sets the command line of the next start; replicaOf is the
// primary's host:port, or "" for a primary.
func (n *redisNode) setArgs(replicaOf string) {
	n.args = []string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(n.port), "--dir", n.dir,
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
		"--protected-mode", "no", "--loglevel", "notice", "--logfile", "",
	}
	if replicaOf != "" {
		host, port, _ := net.SplitHostPort(replicaOf)
		n.args = append(n.args, "--replicaof", host, port)
	}
}

func (n *redisNode) addr() string { return addr(n.port) }

// waitServing waits until the node answers PING (not while it loads its
// AOF) and returns when it first did. It speaks RESP over a plain
// connection: a client library's own dial backoff would make Redis look
// back later than it was.
func (n *redisNode) waitServing(ctx context.Context, timeout time.Duration) (time.Time, error) {
	var at time.Time
	err := waitUntil(ctx, timeout, 10*time.Millisecond, func() error {
		if err := ping(n.addr()); err != nil {
			return err
		}
		at = time.Now()
		return n.answersItself(ctx)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("redis-server %s: %w\n%s", n.addr(), err, n.tail(20))
	}
	return at, nil
}

// answersItself checks that the server answering on the node's port is
// the node's own process: one that could not bind its port (taken by a
// test's redis-server since freePorts) must not pass for serving.
func (n *redisNode) answersItself(ctx context.Context) error {
	pid := n.pid()
	if pid == 0 {
		return fmt.Errorf("%s is not running", n.name)
	}
	c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
	defer c.Close()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return err
	}
	for line := range strings.SplitSeq(info, "\n") {
		if got, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok && got != strconv.Itoa(pid) {
			return fmt.Errorf("redis-server pid %s answers on %s, not %s (pid %d)", got, n.addr(), n.name, pid)
		}
	}
	return nil
}

// ping sends one PING and wants +PONG.
func ping(hostport string) error {
	conn, err := net.DialTimeout("tcp", hostport, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := io.WriteString(conn, "PING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line = strings.TrimSpace(line); line != "+PONG" {
		return errors.New(line)
	}
	return nil
}

// single is one redis-server.
type single struct{ node *redisNode }

// startSingle tries another port when the node could not bind its own.
func startSingle(ctx context.Context, bin, dir string) (*single, error) {
	var err error
	for try := range 3 {
		var ports []int
		if ports, err = freePorts(1); err != nil {
			return nil, err
		}
		var n *redisNode
		if n, err = newRedisNode(bin, dir, fmt.Sprintf("redis-%d", try), ports[0]); err != nil {
			return nil, err
		}
		if err = n.start(); err != nil {
			return nil, err
		}
		if _, err = n.waitServing(ctx, 20*time.Second); err == nil {
			return &single{node: n}, nil
		}
		n.stop(5 * time.Second)
	}
	return nil, err
}

func (s *single) URL() string { return "redis://" + s.node.addr() }

func (s *single) stop() { s.node.stop(10 * time.Second) }

// outage stops redis-server — SIGTERM for kind "redis" (it writes its AOF
// out and exits), SIGKILL for "redis-kill" (up to a second of writes
// lost, as appendfsync everysec allows) — keeps it down for downFor and
// starts it again on the same port and files.
func (s *single) outage(ctx context.Context, kind string, downFor time.Duration) (down, up time.Time, detail string, err error) {
	sig := syscall.SIGTERM
	if kind == faultRedisKill {
		sig = syscall.SIGKILL
	}
	down = time.Now()
	s.node.signal(sig)
	how, ok := s.node.wait(30 * time.Second)
	if !ok {
		s.node.signal(syscall.SIGKILL)
		how, _ = s.node.wait(10 * time.Second)
		how += " (SIGKILL after 30s)"
	}
	if err := sleep(ctx, downFor-time.Since(down)); err != nil {
		return down, time.Time{}, "", err
	}
	if err := s.node.start(); err != nil {
		return down, time.Time{}, "", err
	}
	up, err = s.node.waitServing(ctx, time.Minute)
	return down, up, fmt.Sprintf("redis-server %s (%s), started again %s later; serving %s after the signal",
		sigName(sig), how, downFor, up.Sub(down).Round(time.Millisecond)), err
}

// sentinelSetup is a primary, one replica and three Sentinels (quorum 2).
type sentinelSetup struct {
	nodes     []*redisNode
	sentinels []*proc
	sports    []int
}

func startSentinel(ctx context.Context, bin, dir string) (_ *sentinelSetup, err error) {
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	s := &sentinelSetup{sports: ports[2:]}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	for i, port := range ports[:2] {
		n, err := newRedisNode(bin, dir, fmt.Sprintf("redis-%d", i), port)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			n.setArgs(s.nodes[0].addr())
		}
		s.nodes = append(s.nodes, n)
		if err := n.start(); err != nil {
			return nil, err
		}
	}
	for _, n := range s.nodes {
		if _, err := n.waitServing(ctx, 20*time.Second); err != nil {
			return nil, err
		}
	}
	if err := waitReplicaLinked(ctx, s.nodes[1]); err != nil {
		return nil, err
	}
	for i, port := range s.sports {
		sdir := filepath.Join(dir, fmt.Sprintf("sentinel-%d", i))
		if err := os.MkdirAll(sdir, 0o700); err != nil {
			return nil, err
		}
		// Sentinel rewrites its config file, so each has its own.
		conf := filepath.Join(sdir, "sentinel.conf")
		body := fmt.Sprintf(`port %d
bind 127.0.0.1
protected-mode no
dir %s
logfile ""
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s 1000
sentinel failover-timeout %s 10000
sentinel parallel-syncs %s 1
`, port, sdir, masterName, s.nodes[0].port, masterName, masterName, masterName)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			return nil, err
		}
		p := &proc{name: fmt.Sprintf("sentinel-%d", i), bin: bin, args: []string{conf, "--sentinel"},
			log: filepath.Join(dir, fmt.Sprintf("sentinel-%d.log", i))}
		s.sentinels = append(s.sentinels, p)
		if err := p.start(); err != nil {
			return nil, err
		}
	}
	// Every Sentinel knows the primary, its replica and the other two.
	for _, port := range s.sports {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr(port), MaxRetries: -1})
		err := waitUntil(ctx, 30*time.Second, 50*time.Millisecond, func() error {
			m, err := sc.Master(ctx, masterName).Result()
			if err != nil {
				return err
			}
			if m["ip"]+":"+m["port"] != s.nodes[0].addr() || m["num-slaves"] != "1" || m["num-other-sentinels"] != "2" {
				return fmt.Errorf("sentinel on %d sees %v", port, m)
			}
			return nil
		})
		sc.Close()
		if err != nil {
			return nil, fmt.Errorf("sentinels did not settle: %w", err)
		}
	}
	return s, nil
}

func (s *sentinelSetup) URL() string {
	var addrs []string
	for _, p := range s.sports {
		addrs = append(addrs, addr(p))
	}
	return "redis://" + strings.Join(addrs, ",") + "?master_name=" + masterName
}

func (s *sentinelSetup) stop() {
	for _, p := range s.sentinels {
		p.stop(5 * time.Second)
	}
	for _, n := range s.nodes {
		n.stop(10 * time.Second)
	}
}

// master asks every Sentinel which node is the primary; an error unless
// all three name the same.
func (s *sentinelSetup) master(ctx context.Context) (string, error) {
	var names []string
	for _, port := range s.sports {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr(port), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		a, err := sc.GetMasterAddrByName(qctx, masterName).Result()
		cancel()
		sc.Close()
		if err != nil || len(a) != 2 {
			return "", fmt.Errorf("sentinel on %d: %v %w", port, a, err)
		}
		names = append(names, net.JoinHostPort(a[0], a[1]))
	}
	if len(slices.Compact(slices.Clone(names))) != 1 {
		return "", fmt.Errorf("sentinels disagree on the primary: %v", names)
	}
	return names[0], nil
}

// outage kills the primary with SIGKILL (whatever kind: with Sentinel a
// Redis fault is a failover), waits until every Sentinel names the
// replica as the primary and it takes writes, and starts the killed node
// again as a replica of the new primary. Starting it while a Sentinel
// still names it can make that Sentinel fail over back to it, stale data
// and all: an operator waits for the Sentinels to agree, and so does the
// harness.
func (s *sentinelSetup) outage(ctx context.Context, kind string, _ time.Duration) (down, up time.Time, detail string, err error) {
	old, err := s.master(ctx)
	if err != nil {
		return time.Time{}, time.Time{}, "", err
	}
	var victim, other *redisNode
	for _, n := range s.nodes {
		if n.addr() == old {
			victim = n
		} else {
			other = n
		}
	}
	if victim == nil {
		return time.Time{}, time.Time{}, "", fmt.Errorf("sentinels name %s as primary, which the harness did not start", old)
	}
	// The replica must hold the primary's data before it is promoted,
	// or a failover loses more than the writes of the last instant.
	if err := waitReplicaLinked(ctx, other); err != nil {
		return time.Time{}, time.Time{}, "", err
	}
	down = time.Now()
	victim.signal(syscall.SIGKILL)
	victim.wait(10 * time.Second)
	c := redis.NewClient(&redis.Options{Addr: other.addr(), MaxRetries: -1})
	defer c.Close()
	err = waitUntil(ctx, time.Minute, 20*time.Millisecond, func() error {
		m, err := s.master(ctx)
		if err != nil {
			return err
		}
		if m != other.addr() {
			return fmt.Errorf("sentinels still name %s", m)
		}
		role, err := c.Do(ctx, "ROLE").Slice()
		if err != nil {
			return err
		}
		if len(role) == 0 || role[0] != "master" {
			return fmt.Errorf("%s has role %v", other.addr(), role)
		}
		up = time.Now()
		return nil
	})
	if err != nil {
		return down, time.Time{}, "", fmt.Errorf("failover: %w", err)
	}
	victim.setArgs(other.addr())
	if err := victim.start(); err != nil {
		return down, up, "", err
	}
	if _, err := victim.waitServing(ctx, time.Minute); err != nil {
		return down, up, "", err
	}
	if err := waitReplicaLinked(ctx, victim); err != nil {
		return down, up, "", err
	}
	return down, up, fmt.Sprintf("primary %s SIGKILL; Sentinel promoted %s after %s; %s back as its replica",
		old, other.addr(), up.Sub(down).Round(time.Millisecond), old), nil
}

// waitReplicaLinked waits until a replica's link to its primary is up.
func waitReplicaLinked(ctx context.Context, n *redisNode) error {
	c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
	defer c.Close()
	return waitUntil(ctx, time.Minute, 50*time.Millisecond, func() error {
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replica %s not linked to its primary", n.addr())
		}
		return nil
	})
}

// redisServer finds redis-server, or says how to install it.
func redisServer() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server not found: run `apt-get install -y redis-server` (%w)", err)
	}
	return bin, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func sigName(sig syscall.Signal) string {
	if sig == syscall.SIGKILL {
		return "SIGKILL"
	}
	return "SIGTERM"
}
