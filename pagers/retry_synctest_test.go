package pagers

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// flaky fails transiently a number of times, then succeeds.
type flaky struct {
	failures int
	calls    []time.Time
}

func (f *flaky) Send(ctx context.Context, n Notification) (Receipt, error) {
	f.calls = append(f.calls, time.Now())
	if len(f.calls) <= f.failures {
		return Receipt{}, errors.New("503 from provider")
	}
	return Receipt{ProviderID: "ok"}, nil
}

// TestRetryDefaultBackoffOnTheClock runs Retry with its real defaults —
// exponential backoff with jitter on a real timer — inside a synctest
// bubble, so the waits pass on the bubble's clock in no real time.
func TestRetryDefaultBackoffOnTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &flaky{failures: 3}
		start := time.Now()
		rcpt, err := Retry{Pager: p}.Send(context.Background(), Notification{})
		if err != nil || rcpt.ProviderID != "ok" {
			t.Fatalf("Send = %+v, %v; want success on the 4th attempt", rcpt, err)
		}
		if len(p.calls) != 4 {
			t.Fatalf("attempts = %d, want 4", len(p.calls))
		}
		// Waits of [½,1]×500ms, [½,1]×1s, [½,1]×2s.
		bounds := [][2]time.Duration{{250 * time.Millisecond, 500 * time.Millisecond}, {500 * time.Millisecond, time.Second}, {time.Second, 2 * time.Second}}
		for i, b := range bounds {
			wait := p.calls[i+1].Sub(p.calls[i])
			if wait < b[0] || wait > b[1] {
				t.Errorf("wait before attempt %d = %s, want within [%s, %s]", i+2, wait, b[0], b[1])
			}
		}
		if total := time.Since(start); total > 3500*time.Millisecond {
			t.Errorf("retries took %s of bubble time, want at most 3.5s", total)
		}
	})
}

func TestRetryGivesUpWhenContextEndsDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &flaky{failures: 100}
		ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
		defer cancel()
		_, err := Retry{Pager: p, Attempts: 10}.Send(ctx, Notification{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want it to wrap context.DeadlineExceeded", err)
		}
		if len(p.calls) > 3 {
			t.Errorf("attempts = %d within 600ms of backoff, want at most 3", len(p.calls))
		}
	})
}
