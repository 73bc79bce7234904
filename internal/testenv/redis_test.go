package testenv

import (
	"errors"
	"net"
	"strconv"
	"testing"
)

// A redis-server launched on a port another test's server holds must not
// pass for ready because that server answers there: the flake this
// guards against had two tests share one Redis, each one's replicas
// taking the other's timers.
func TestRedisOnATakenPortIsNotMistakenForOurs(t *testing.T) {
	other := StartRedis(t)
	_, port, _ := net.SplitHostPort(other.Addr)
	p, _ := strconv.Atoi(port)
	srv, err := launchRedis(t, t.TempDir(), "second", p)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.waitReady(); !errors.Is(err, errPortTaken) {
		t.Fatalf("waitReady on a taken port = %v, want errPortTaken", err)
	}
	if err := other.waitReady(); err != nil {
		t.Errorf("the server holding the port: %v", err)
	}
}
