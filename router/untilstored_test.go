package router

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// A claim's last write is tried again while Redis fails, so the step is
// given back moments after Redis answers rather than a lease later; a
// stopping engine tries once, and nothing outlives the record context.
func TestUntilStoredRetriesTheClaimsLastWrite(t *testing.T) {
	down := errors.New("dial tcp: connection refused")
	tests := []struct {
		name      string
		failures  int  // writes that fail before one succeeds (-1: all)
		stopping  bool // the engine's context has ended
		wantCalls int
		// The last retry and the record context's end can fall on the same
		// instant of the bubble's clock; select takes either.
		orOneMore bool
		wantErr   bool
		wantTook  time.Duration
	}{
		{name: "stored at once", failures: 0, wantCalls: 1},
		{name: "stored once Redis answers", failures: 3, wantCalls: 4, wantTook: 3 * retryWhileDown},
		{name: "Redis down for the whole record context", failures: -1,
			wantCalls: 50, orOneMore: true, wantErr: true, wantTook: 5 * time.Second},
		{name: "a stopping engine tries once", failures: -1, stopping: true, wantCalls: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.stopping {
					cancel()
				}
				rec, cancelRec := recordContext(ctx)
				defer cancelRec()
				calls := 0
				start := time.Now()
				err := untilStored(ctx, rec, func() error {
					calls++
					if tt.failures < 0 || calls <= tt.failures {
						return down
					}
					return nil
				})
				if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, down) {
					t.Errorf("untilStored = %v; want error %v", err, tt.wantErr)
				}
				if calls != tt.wantCalls && !(tt.orOneMore && calls == tt.wantCalls+1) {
					t.Errorf("%d writes; want %d", calls, tt.wantCalls)
				}
				if took := time.Since(start); took != tt.wantTook {
					t.Errorf("took %s of the bubble's clock; want %s", took, tt.wantTook)
				}
			})
		})
	}
}
