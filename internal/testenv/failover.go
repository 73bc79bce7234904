package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisFailover is a primary redis-server, a replica of it, and a Sentinel
// that promotes the replica when the primary dies: the smallest setup in
// which a failover can happen.
type RedisFailover struct {
	Primary, Replica *RedisServer
	SentinelAddr     string
	MasterName       string
	t                testing.TB
	dir              string
	primaryPort      int
}

// URL reaches whichever node is primary through the Sentinel; extra query
// parameters (such as "wait_replicas=1") are appended.
func (f *RedisFailover) URL(query string) string {
	u := "redis://" + f.SentinelAddr + "?master_name=" + f.MasterName
	if query != "" {
		u += "&" + query
	}
	return u
}

// StartRedisFailover starts the primary, its replica and the Sentinel, and
// waits until the replica is in sync.
func StartRedisFailover(t testing.TB) *RedisFailover {
	t.Helper()
	ports := freePorts(t, 3)
	dir := t.TempDir()
	f := &RedisFailover{t: t, dir: dir, MasterName: "mymaster", primaryPort: ports[0],
		SentinelAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2]))}
	// Replicas copy at once rather than after diskless sync's 5s delay.
	f.Primary = launchRedisOrFail(t, dir, "primary", ports[0], "--repl-diskless-sync-delay", "0")
	waitPing(t, f.Primary)
	replicaDir := filepath.Join(dir, "replica")
	if err := os.MkdirAll(replicaDir, 0o755); err != nil {
		t.Fatal(err)
	}
	f.Replica = launchRedisOrFail(t, replicaDir, "replica", ports[1], "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]),
		"--repl-diskless-sync-delay", "0")
	waitPing(t, f.Replica)
	f.waitInSync(f.Primary, 1)

	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf(`port %d
bind 127.0.0.1
protected-mode no
dir %s
logfile ""
sentinel monitor %s 127.0.0.1 %d 1
sentinel down-after-milliseconds %s 1000
sentinel failover-timeout %s 3000
`, ports[2], dir, f.MasterName, ports[0], f.MasterName, f.MasterName)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "sentinel.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(lookBin(t, "redis-server"), conf, "--sentinel")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server --sentinel: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logFile.Close() })
	f.WaitPrimary(f.Primary.Addr, 10*time.Second)
	return f
}

// waitInSync waits until primary has n replicas online: connected, and
// done with the first full copy (until then a replica holds nothing).
func (f *RedisFailover) waitInSync(primary *RedisServer, n int) {
	f.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: primary.Addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, _ := c.Info(context.Background(), "replication").Result()
		if strings.Contains(info, fmt.Sprintf("connected_slaves:%d\r", n)) && strings.Count(info, "state=online") == n {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s has not %d replicas in sync:\n%s", primary.Addr, n, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitPrimary waits until the Sentinel names addr as the primary.
func (f *RedisFailover) WaitPrimary(addr string, timeout time.Duration) {
	f.t.Helper()
	sc := redis.NewSentinelClient(&redis.Options{Addr: f.SentinelAddr, MaxRetries: -1})
	defer sc.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		got, err := sc.GetMasterAddrByName(ctx, f.MasterName).Result()
		cancel()
		if err == nil && len(got) == 2 && net.JoinHostPort(got[0], got[1]) == addr {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(f.dir, "sentinel.log"))
			f.t.Fatalf("the Sentinel does not name %s as primary: %v, %v\n%s", addr, got, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// KillPrimary kills the primary with SIGKILL, as a crash would.
func (f *RedisFailover) KillPrimary() { f.Primary.Stop() }

// RestartOldPrimary starts a fresh redis-server where the killed primary
// was, as a replica of the promoted one (what the Sentinel would make of
// it, sooner), so that writes waiting for a replica go through again.
func (f *RedisFailover) RestartOldPrimary() {
	f.t.Helper()
	dir := filepath.Join(f.dir, "old-primary")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(f.Replica.Addr)
	srv := launchRedisOrFail(f.t, dir, "old-primary", f.primaryPort, "--replicaof", host, port)
	waitPing(f.t, srv)
	f.waitInSync(f.Replica, 1)
}
