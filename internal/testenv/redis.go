// Package testenv starts the real servers pagerd's tests talk to — redis-server
// and an SMTP server — on free loopback ports, and stops them when the test
// ends. A missing server binary fails the test with the command that
// installs it: tests never skip silently.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer is one redis-server process owned by a test.
type RedisServer struct {
	Addr    string // host:port on loopback
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the process has exited
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
	_ = r.cmd.Process.Kill()
	<-r.exited
}

// StartRedis starts a fresh, empty redis-server with persistence off.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	dir := t.TempDir()
	var err error
	for try := range portTries {
		var srv *RedisServer
		srv, err = launchRedis(t, dir, fmt.Sprintf("redis-%d", try), FreePort(t))
		if err == nil {
			if err = srv.waitReady(); err == nil {
				return srv
			}
			srv.Stop()
		}
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatalf("testenv: %v", err)
	return nil
}

// portTries is how often a server is started on another free port when the
// one it was given was taken before it could bind it: a port is free when
// FreePort returns it, not necessarily a moment later, with the other test
// packages starting servers and dialling out on loopback at the same time.
const portTries = 3

// errPortTaken says a server could not have the port it was given.
var errPortTaken = errors.New("port taken")

// StartRedisOn starts redis-server on a given loopback port, for tests of
// what happens before Redis is there.
func StartRedisOn(t testing.TB, port int) *RedisServer {
	t.Helper()
	srv, err := launchRedis(t, t.TempDir(), "redis", port)
	if err == nil {
		err = srv.waitReady()
	}
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
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

// launchRedis starts one redis-server on port with persistence off plus
// extra args, logging to <dir>/<name>.log, and stops it when the test
// ends; waitReady waits until it answers. Launching every node before
// waiting for any lets them start together.
func launchRedis(t testing.TB, dir, name string, port int, extra ...string) (*RedisServer, error) {
	t.Helper()
	bin := lookBin(t, "redis-server")
	args := append([]string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--protected-mode", "no", "--loglevel", "warning",
	}, extra...)
	srv := &RedisServer{
		Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		cmd:     exec.Command(bin, args...),
		logPath: dir + "/" + name + ".log",
		exited:  make(chan struct{}),
	}
	logFile, err := os.Create(srv.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	srv.cmd.Stdout, srv.cmd.Stderr = logFile, logFile
	if err := srv.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server %s: %w", strings.Join(args, " "), err)
	}
	go func() { _ = srv.cmd.Wait(); close(srv.exited) }()
	t.Cleanup(srv.Stop)
	return srv, nil
}

// waitReady waits until this server answers on its address. Another
// test's redis-server answering there does not count: INFO's process_id
// must be this process's. A server that could not bind its ports exits,
// and the error wraps errPortTaken.
func (r *RedisServer) waitReady() error {
	c := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
	defer c.Close()
	pid := strconv.Itoa(r.cmd.Process.Pid)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := c.Info(ctx, "server").Result()
		cancel()
		if err == nil {
			if got := infoField(info, "process_id"); got == pid {
				return nil
			} else if got != "" {
				err = fmt.Errorf("redis-server pid %s answers there, not ours (pid %s)", got, pid)
			}
		}
		select {
		case <-r.exited:
			log := r.log()
			if strings.Contains(log, "Address already in use") {
				return fmt.Errorf("redis-server on %s: %w:\n%s", r.Addr, errPortTaken, log)
			}
			return fmt.Errorf("redis-server on %s exited before answering:\n%s", r.Addr, log)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s did not answer within 10s: %v\n%s", r.Addr, err, r.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitPing is waitReady for callers that have nothing else to try.
func waitPing(t testing.TB, srv *RedisServer) {
	t.Helper()
	if err := srv.waitReady(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
}

func (r *RedisServer) log() string {
	b, _ := os.ReadFile(r.logPath)
	return string(b)
}

// infoField reads one field of an INFO answer.
func infoField(info, name string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// launchRedisOrFail is launchRedis for callers that have nothing else to try.
func launchRedisOrFail(t testing.TB, dir, name string, port int, extra ...string) *RedisServer {
	t.Helper()
	srv, err := launchRedis(t, dir, name, port, extra...)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return srv
}
