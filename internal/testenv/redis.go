// Package testenv starts the real servers pagerd's tests talk to — redis-server
// and an SMTP server — on free loopback ports, and stops them when the test
// ends. A missing server binary fails the test with the command that
// installs it: tests never skip silently.
package testenv

import (
	"fmt"
	"net"
	"os/exec"
	"testing"

	"github.com/redis/go-redis/v9"
)

// RedisServer is one redis-server process owned by a test.
type RedisServer struct {
	Addr string // host:port on loopback
	cmd  *exec.Cmd
}

// URL is the server's redis:// URL, as `pagerd serve --redis` takes it.
func (r *RedisServer) URL() string { return "redis://" + r.Addr }

// Client opens a go-redis client to the server, closed at cleanup.
func (r *RedisServer) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// Stop kills the server, for tests of what pagerd does when Redis goes away.
func (r *RedisServer) Stop() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

// StartRedis starts a fresh, empty redis-server with persistence off.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	return StartRedisOn(t, FreePort(t))
}

// StartRedisOn starts redis-server on a given loopback port, for tests of
// what happens before Redis is there.
func StartRedisOn(t testing.TB, port int) *RedisServer {
	t.Helper()
	srv, logPath := launchRedis(t, t.TempDir(), "redis", port)
	waitPing(t, srv, logPath)
	return srv
}

// FreePort asks the kernel for a loopback TCP port that is free right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(fmt.Errorf("find a free port: %w", err))
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
