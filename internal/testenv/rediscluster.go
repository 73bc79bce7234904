package testenv

import (
	"context"
	"errors"
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

// RedisCluster is a Redis Cluster of masters only, owned by a test.
type RedisCluster struct {
	Addrs []string       // host:port of every master, on loopback
	Nodes []*RedisServer // the masters, in the order of Addrs
}

// URL is the cluster's redis:// URL with every node as a seed, the form
// `pagerd serve --redis` reads as Redis Cluster.
func (c *RedisCluster) URL() string { return "redis://" + strings.Join(c.Addrs, ",") }

// Client opens a go-redis Cluster client on the cluster, closed at cleanup.
func (c *RedisCluster) Client(t testing.TB) *redis.ClusterClient {
	t.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	t.Cleanup(func() { cc.Close() })
	return cc
}

// StartRedisCluster starts masters redis-server processes in cluster mode
// (persistence off, no replicas), joins them with `redis-cli --cluster
// create` and waits until every node reports cluster_state:ok. redis-cli
// wants at least 3 masters.
func StartRedisCluster(t testing.TB, masters int) *RedisCluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("StartRedisCluster: Redis Cluster needs at least 3 masters, not %d", masters)
	}
	dir := t.TempDir()
	var c *RedisCluster
	var err error
	for try := range portTries {
		if c, err = launchCluster(t, filepath.Join(dir, strconv.Itoa(try)), masters); err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) {
			t.Fatalf("testenv: %v", err)
		}
	}
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}

	cli := lookBin(t, "redis-cli")
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %s: %v\n%s%s", strings.Join(args, " "), err, out, c.logs())
	}

	deadline := time.Now().Add(15 * time.Second)
	for _, n := range c.Nodes {
		rc := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
		for {
			info, err := rc.ClusterInfo(ctx).Result()
			if err == nil && clusterReady(info, masters) {
				break
			}
			if time.Now().After(deadline) {
				rc.Close()
				t.Fatalf("redis cluster node %s not ready after redis-cli --cluster create: %v\n%s\nredis-cli said:\n%s%s",
					n.Addr, err, info, out, c.logs())
			}
			time.Sleep(20 * time.Millisecond)
		}
		rc.Close()
	}
	return c
}

// launchCluster starts the nodes, not yet joined, and waits until each
// answers; a node whose ports were taken stops them all.
func launchCluster(t testing.TB, dir string, masters int) (*RedisCluster, error) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Two ports per node: clients, and the cluster bus (set explicitly:
	// the default, port+10000, can fall outside the port range).
	ports := freePorts(t, 2*masters)
	c := &RedisCluster{}
	stop := func() {
		for _, n := range c.Nodes {
			n.Stop()
		}
	}
	for i := range masters {
		port, bus := ports[2*i], ports[2*i+1]
		srv, err := launchRedis(t, dir, "node-"+strconv.Itoa(port), port,
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes-"+strconv.Itoa(port)+".conf"),
			"--cluster-node-timeout", "2000",
			"--cluster-port", strconv.Itoa(bus),
		)
		if err != nil {
			stop()
			return nil, err
		}
		c.Nodes = append(c.Nodes, srv)
		c.Addrs = append(c.Addrs, srv.Addr)
	}
	for _, n := range c.Nodes {
		if err := n.waitReady(); err != nil {
			stop()
			return nil, err
		}
	}
	return c, nil
}

// clusterReady reads CLUSTER INFO: the state is ok, all slots are served
// and the node knows every master.
func clusterReady(info string, masters int) bool {
	return infoField(info, "cluster_state") == "ok" &&
		infoField(info, "cluster_slots_ok") == "16384" &&
		infoField(info, "cluster_known_nodes") == strconv.Itoa(masters)
}

func (c *RedisCluster) logs() string {
	var b strings.Builder
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "\n--- %s log:\n%s", n.Addr, n.log())
	}
	return b.String()
}

// RedisSentinel is a master redis-server watched by one Sentinel.
type RedisSentinel struct {
	Master       *RedisServer
	SentinelAddr string // host:port of the Sentinel, on loopback
	MasterName   string // "mymaster"
	cmd          *exec.Cmd
}

// URL is the redis:// URL that reaches the master through the Sentinel.
func (s *RedisSentinel) URL() string {
	return "redis://" + s.SentinelAddr + "?master_name=" + s.MasterName
}

// Client opens a go-redis Sentinel-backed failover client, closed at cleanup.
func (s *RedisSentinel) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: s.MasterName, SentinelAddrs: []string{s.SentinelAddr}})
	t.Cleanup(func() { c.Close() })
	return c
}

// StartRedisSentinel starts a master redis-server and a Sentinel monitoring
// it as "mymaster", and waits until the Sentinel hands out the master.
func StartRedisSentinel(t testing.TB) *RedisSentinel {
	t.Helper()
	bin := lookBin(t, "redis-server")
	master := StartRedis(t)
	port := freePorts(t, 1)[0]
	dir := t.TempDir()
	masterHost, masterPort, _ := net.SplitHostPort(master.Addr)
	// Sentinel rewrites its config file, so it lives in the test's dir.
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf(`port %d
bind 127.0.0.1
protected-mode no
dir %s
logfile ""
sentinel monitor mymaster %s %s 1
sentinel down-after-milliseconds mymaster 1000
`, port, dir, masterHost, masterPort)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "sentinel.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server --sentinel: %v", err)
	}
	s := &RedisSentinel{
		Master:       master,
		SentinelAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		MasterName:   "mymaster",
		cmd:          cmd,
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})

	sc := redis.NewSentinelClient(&redis.Options{Addr: s.SentinelAddr, MaxRetries: -1})
	defer sc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		addr, err := sc.GetMasterAddrByName(ctx, s.MasterName).Result()
		cancel()
		if err == nil && len(addr) == 2 && net.JoinHostPort(addr[0], addr[1]) == master.Addr {
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "sentinel.log"))
			t.Fatalf("sentinel on %s did not report master %s as %q: got %v, %v\n%s",
				s.SentinelAddr, master.Addr, s.MasterName, addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lookBin(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: run `apt-get install -y redis-server` (it brings redis-cli; the README's test command does): %v", name, err)
	}
	return bin
}

// freePorts finds n distinct loopback ports that are free right now: the
// listeners stay open until all are found, so no port is handed out twice.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(fmt.Errorf("find a free port: %w", err))
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
