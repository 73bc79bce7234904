package router

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
)

// Drain is how tests and a stopping replica wait until nothing due is
// left undone. Two interleavings with the replica's own Run loop once let
// it return while the loop held a claim whose work had not happened. A
// Redis hook and a held page force each interleaving.

// drainKey marks the context of the Drain under test, so the hook tells
// its commands from the Run loop's.
type drainKey struct{}

// drainHook lets a test hold commands on their way to Redis or back.
type drainHook struct {
	// loopClaim, once armed, holds the reply of the Run loop's first
	// claim that took a timer: loopHeld is closed, and the reply goes on
	// when releaseLoop is.
	armed       atomic.Bool
	loopHeld    chan struct{}
	releaseLoop chan struct{}
	// drainSent is closed when Drain first sends a command; it goes on
	// when releaseDrain is closed (nil: at once).
	drainSent    chan struct{}
	releaseDrain chan struct{}
	once         sync.Once
	loopOnce     sync.Once
}

func newDrainHook() *drainHook {
	return &drainHook{loopHeld: make(chan struct{}), releaseLoop: make(chan struct{}), drainSent: make(chan struct{})}
}

func (h *drainHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *drainHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *drainHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if ctx.Value(drainKey{}) != nil {
			h.once.Do(func() {
				close(h.drainSent)
				if h.releaseDrain != nil {
					<-h.releaseDrain
				}
			})
			return next(ctx, cmd)
		}
		err := next(ctx, cmd)
		if isClaimThatTook(cmd) && h.armed.Load() {
			h.loopOnce.Do(func() { close(h.loopHeld); <-h.releaseLoop })
		}
		return err
	}
}

// isClaimThatTook says whether cmd ran claim_due.lua (the engine's lease,
// drainLease, is among its arguments) and took a timer: the reply holds
// the store's now, the next due time and four values per claim.
func isClaimThatTook(cmd redis.Cmder) bool {
	args := cmd.Args()
	if len(args) != 8 || (cmd.Name() != "evalsha" && cmd.Name() != "eval") || args[6] != drainLease.Milliseconds() {
		return false
	}
	c, ok := cmd.(*redis.Cmd)
	if !ok {
		return false
	}
	vals, err := c.Slice()
	return err == nil && len(vals) >= 6
}

// drainLease is the engines' lease in these tests, as the hook finds
// claims by it.
const drainLease = 7777 * time.Millisecond

// drainWorld is an engine world whose Redis client carries h, and whose
// engine reports when Drain waits for work in progress.
func drainWorld(t *testing.T, h *drainHook, sms pagers.Pager) (*engineWorld, chan struct{}) {
	t.Helper()
	rdb := testenv.StartRedis(t).Client(t)
	rdb.AddHook(h)
	w := newEngineWorldOn(t, rdb, sms, &kindRecorder{})
	w.eng.Lease = drainLease
	w.eng.Poll = 10 * time.Millisecond
	waiting := make(chan struct{})
	var once sync.Once
	w.eng.drainWaits = func() { once.Do(func() { close(waiting) }) }
	return w, waiting
}

func runEngine(t *testing.T, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped })
}

func drain(e *Engine) chan error {
	done := make(chan error, 1)
	go func() { done <- e.Drain(context.WithValue(context.Background(), drainKey{}, true)) }()
	return done
}

// The Run loop has claimed alice's page and its reply is on its way back:
// the work is not started, but the timer is no longer due. Drain must
// wait for it rather than find nothing due and return.
func TestDrainWaitsForAClaimOnItsWayBack(t *testing.T) {
	sms := &kindRecorder{}
	h := newDrainHook()
	w, waiting := drainWorld(t, h, sms)
	w.fire(t)
	h.armed.Store(true)
	runEngine(t, w.eng)
	<-h.loopHeld

	done := drain(w.eng)
	select {
	case <-waiting:
	case <-h.drainSent:
		t.Error("Drain went to Redis while the Run loop's claim was on its way back")
	}
	pages := waitDrain(t, done, sms)
	close(h.releaseLoop)
	if n := pages(); n != 1 {
		t.Errorf("when Drain returned, alice had %d pages, want 1", n)
	}
}

// waitDrain returns how many pages alice had when Drain returned, once
// it has: it may already have, before the test lets the work go on.
func waitDrain(t *testing.T, done chan error, sms *kindRecorder) func() int {
	t.Helper()
	select {
	case err := <-done:
		n := sms.count("alice", pagers.KindPage)
		return func() int { check(t, err); return n }
	default:
		return func() int { check(t, <-done); return sms.count("alice", pagers.KindPage) }
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Drain found nobody busy and went to claim; meanwhile the Run loop took
// the timer and its worker is paging. Drain's claim finds nothing due —
// the timer is leased into the future — and it must still wait for the
// worker before it answers.
func TestDrainWaitsForAWorkerThatClaimedUnderIt(t *testing.T) {
	sms := &kindRecorder{gate: make(chan struct{}), gateUser: "alice", entered: make(chan struct{})}
	h := newDrainHook()
	h.releaseDrain = make(chan struct{})
	w, waiting := drainWorld(t, h, sms)
	w.fire(t)

	done := drain(w.eng)
	<-h.drainSent // Drain is past its wait, its claim held before Redis
	runEngine(t, w.eng)
	<-sms.entered // the loop's worker is paging alice
	close(h.releaseDrain)
	select {
	case <-waiting:
	case err := <-done:
		done <- err
	}
	pages := waitDrain(t, done, sms)
	close(sms.gate)
	if n := pages(); n != 1 {
		t.Errorf("when Drain returned, alice had %d pages, want 1", n)
	}
}
