package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
)

// TCPProxy forwards a loopback port to a server, and can cut it: while cut,
// connections are refused and open ones are closed, as when the server's
// host goes away. Tests use it for outages of a server they must not lose
// the data of.
type TCPProxy struct {
	Addr   string // where clients connect
	target string

	mu       sync.Mutex
	listener net.Listener
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup

	// Restore starts the accepting goroutine from the one StartTCPProxy
	// made, so that a test in a synctest bubble does not own it: a bubble's
	// clock stands still while any of its goroutines waits on the network.
	control  sync.Mutex
	restores chan struct{}
	restored chan error
}

// StartTCPProxy forwards a free loopback port to target until the test
// ends.
func StartTCPProxy(t testing.TB, target string) *TCPProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &TCPProxy{
		Addr: l.Addr().String(), target: target, conns: map[net.Conn]struct{}{},
		restores: make(chan struct{}), restored: make(chan error),
	}
	p.serve(l)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-p.restores:
				l, err := net.Listen("tcp", p.Addr)
				if err == nil {
					p.serve(l)
				}
				p.restored <- err
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(stop); p.Cut() })
	return p
}

// Cut refuses new connections and closes the open ones, and returns once
// every forwarding goroutine has ended.
func (p *TCPProxy) Cut() {
	p.mu.Lock()
	if p.listener != nil {
		p.listener.Close()
		p.listener = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Restore accepts connections again, on the same address.
func (p *TCPProxy) Restore() error {
	p.control.Lock()
	defer p.control.Unlock()
	p.restores <- struct{}{}
	return <-p.restored
}

func (p *TCPProxy) serve(l net.Listener) {
	p.mu.Lock()
	p.listener = l
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // cut
			}
			p.forward(c)
		}
	})
}

func (p *TCPProxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.listener == nil { // cut while dialing
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src) // either side closing ends the pair
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}
	p.wg.Go(func() { pipe(server, client) })
	p.wg.Go(func() { pipe(client, server) })
}
