package pagers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// scripted is a Pager that answers with the next error of its script, and
// succeeds once the script runs out.
type scripted struct {
	errs  []error
	calls int
	keys  []string
}

func (s *scripted) Send(_ context.Context, n Notification) (Receipt, error) {
	s.calls++
	s.keys = append(s.keys, n.Key)
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return Receipt{}, err
	}
	return Receipt{Channel: "test", ProviderID: fmt.Sprint("id-", s.calls)}, nil
}

type sleeps struct{ got []time.Duration }

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.got = append(s.got, d)
	return ctx.Err()
}

func TestRetry(t *testing.T) {
	transient := errors.New("503 service unavailable")
	badNumber := errors.New("invalid phone number")
	tests := []struct {
		name      string
		attempts  int
		errs      []error
		wantCalls int
		wantErr   string // substring; empty means success
		wantPerm  bool
		wantIs    error
	}{
		{name: "first try", errs: nil, wantCalls: 1},
		{name: "transient then success", errs: []error{transient, transient}, wantCalls: 3},
		{name: "default attempts exhausted", errs: []error{transient, transient, transient, transient, transient}, wantCalls: 4,
			wantErr: "gave up after 4 attempts: 503 service unavailable", wantIs: transient},
		{name: "custom attempts", attempts: 2, errs: []error{transient, transient}, wantCalls: 2,
			wantErr: "gave up after 2 attempts", wantIs: transient},
		{name: "permanent stops at once", errs: []error{transient, Permanent(badNumber)}, wantCalls: 2,
			wantErr: "permanent failure at attempt 2: invalid phone number", wantPerm: true, wantIs: badNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &scripted{errs: tt.errs}
			s := &sleeps{}
			r := Retry{Pager: p, Attempts: tt.attempts, Backoff: func(a int) time.Duration { return time.Duration(a) * time.Second }, Sleep: s.sleep}
			rcpt, err := r.Send(context.Background(), Notification{Key: "k1"})
			if p.calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", p.calls, tt.wantCalls)
			}
			if len(s.got) != p.calls-1 && tt.wantErr == "" {
				t.Errorf("slept %d times, want %d", len(s.got), p.calls-1)
			}
			for i, d := range s.got {
				if want := time.Duration(i+1) * time.Second; d != want {
					t.Errorf("sleep %d = %v, want %v", i, d, want)
				}
			}
			for _, k := range p.keys {
				if k != "k1" {
					t.Errorf("attempt sent key %q, want the same key k1 each time", k)
				}
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Send() error = %v, want nil", err)
				}
				if rcpt.ProviderID == "" {
					t.Errorf("Send() receipt = %+v, want a provider id", rcpt)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send() error = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := IsPermanent(err); got != tt.wantPerm {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.wantPerm)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, tt.wantIs)
			}
		})
	}
}

func TestRetryWaitsAsLongAsTheProviderAsks(t *testing.T) {
	busy := errors.New("429 too many requests")
	p := &scripted{errs: []error{RetryAfter(busy, 30*time.Second), busy}}
	s := &sleeps{}
	r := Retry{Pager: p, Backoff: func(a int) time.Duration { return time.Duration(a) * time.Second }, Sleep: s.sleep}
	if _, err := r.Send(context.Background(), Notification{Key: "k1"}); err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	// The first wait is what the provider asked for; the second, with no
	// Retry-After, the backoff's own.
	if len(s.got) != 2 || s.got[0] != 30*time.Second || s.got[1] != 2*time.Second {
		t.Errorf("slept %v, want [30s 2s]", s.got)
	}
	if d, ok := RetryAfterOf(fmt.Errorf("send: %w", RetryAfter(busy, time.Minute))); !ok || d != time.Minute {
		t.Errorf("RetryAfterOf(wrapped) = %v, %v; want 1m, true", d, ok)
	}
	if RetryAfter(nil, time.Minute) != nil {
		t.Error("RetryAfter(nil) != nil")
	}
}

func TestRetryStopsWhenContextDone(t *testing.T) {
	transient := errors.New("timeout")
	ctx, cancel := context.WithCancel(context.Background())
	p := &scripted{errs: []error{transient, transient, transient}}
	r := Retry{Pager: p, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel() // the deadline passes while waiting
		return ctx.Err()
	}}
	_, err := r.Send(ctx, Notification{})
	if p.calls != 1 {
		t.Errorf("calls = %d, want 1", p.calls)
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, transient) {
		t.Errorf("Send() error = %v, want it to wrap context.Canceled and the last error", err)
	}
	if !strings.Contains(err.Error(), "after 1 attempt") {
		t.Errorf("Send() error = %v, want the attempt count", err)
	}

	// A context that is already done sends nothing.
	p = &scripted{}
	if _, err := (Retry{Pager: p}).Send(ctx, Notification{}); !errors.Is(err, context.Canceled) || p.calls != 0 {
		t.Errorf("Send(done ctx) = %v after %d calls, want context.Canceled and no call", err, p.calls)
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"marked", Permanent(base), true},
		{"wrapped mark", fmt.Errorf("sms: %w", Permanent(base)), true},
		{"joined", errors.Join(errors.New("other"), Permanent(base)), true},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.want {
			t.Errorf("%s: IsPermanent(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if err := Permanent(base); err.Error() != "boom" || !errors.Is(err, base) {
		t.Errorf("Permanent(boom) = %v, want the same text and errors.Is(base)", err)
	}
}

func TestExponentialBackoff(t *testing.T) {
	b := ExponentialBackoff(500*time.Millisecond, 10*time.Second)
	steps := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i := 0; i < 200; i++ {
		for a, step := range steps {
			got := b(a + 1)
			if got < step/2 || got > step {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", a+1, got, step/2, step)
			}
		}
	}
	if got := b(1000); got > 10*time.Second {
		t.Errorf("backoff(1000) = %v, want at most the cap", got)
	}
}

func TestSleepContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := SleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("SleepContext(canceled, 1h) = %v, want context.Canceled", err)
	}
	if err := SleepContext(context.Background(), time.Millisecond); err != nil {
		t.Errorf("SleepContext(1ms) = %v, want nil", err)
	}
}
