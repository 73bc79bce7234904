package pagers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// permanentError marks an error that will not go away by sending again: a
// bad phone number, a rejected recipient, wrong credentials.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked by
// Permanent. Every other error is taken as transient.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError carries how long the provider asked to wait (an HTTP 429
// or 503 with Retry-After) before sending again.
type retryAfterError struct {
	err  error
	wait time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter marks a transient err with the wait the provider asked for.
// RetryAfter(nil, d) is nil.
func RetryAfter(err error, wait time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, wait: wait}
}

// RetryAfterOf is the wait err asks for, if it asks for one.
func RetryAfterOf(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.wait, true
	}
	return 0, false
}

// laterError marks a notification the channel did not send, and did not
// try to: a rate limit says it would only be refused before wait.
type laterError struct{ wait *retryAfterError }

func (e *laterError) Error() string { return e.wait.Error() }

// Unwrap makes RetryAfterOf see the wait too: a consumer that retries an
// event waits at least that long.
func (e *laterError) Unwrap() error { return e.wait }

// Later says the channel did not send the notification and should be
// asked again after wait — a rate limit shared with other replicas is
// spent — rather than waited for here: an engine worker given it back
// pages others meanwhile, and the send is not a failure. Later(nil, d) is
// nil.
func Later(err error, wait time.Duration) error {
	if err == nil {
		return nil
	}
	return &laterError{&retryAfterError{err: err, wait: wait}}
}

// LaterOf is the wait of a Later error, if err is one.
func LaterOf(err error) (time.Duration, bool) {
	var l *laterError
	if errors.As(err, &l) {
		return l.wait.wait, true
	}
	return 0, false
}

// Defaults of Retry.
const (
	DefaultAttempts    = 4
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 10 * time.Second
)

// Retry is a Pager that sends again through Pager after a transient error,
// waiting Backoff(attempt) between attempts, or longer when the provider
// asked for it (RetryAfter). It stops at the first success,
// at a Permanent error, at a Later one (its caller decides when to come
// back), after Attempts attempts, or when ctx is done. Zero
// fields take the defaults: DefaultAttempts, ExponentialBackoff with
// DefaultBackoffBase and DefaultBackoffMax, and a Sleep on a real timer.
//
// The idempotency key travels unchanged in every attempt, so a provider that
// took the first attempt but failed to answer does not page twice.
type Retry struct {
	Pager    Pager
	Attempts int
	// Backoff is the wait after failed attempt number attempt (1-based).
	Backoff func(attempt int) time.Duration
	// Sleep waits d or until ctx is done, whichever is first, and returns
	// ctx's error in the second case. Tests inject one that does not sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

var _ Pager = Retry{}

var defaultBackoff = ExponentialBackoff(DefaultBackoffBase, DefaultBackoffMax)

// Send implements Pager. The error it returns wraps the last attempt's error
// (so IsPermanent and errors.Is see through it) and says how many attempts
// were made.
func (r Retry) Send(ctx context.Context, n Notification) (Receipt, error) {
	attempts := r.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	backoff := r.Backoff
	if backoff == nil {
		backoff = defaultBackoff
	}
	sleep := r.Sleep
	if sleep == nil {
		sleep = SleepContext
	}

	var lastErr error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if lastErr == nil {
				return Receipt{}, fmt.Errorf("not sent: %w", err)
			}
			return Receipt{}, fmt.Errorf("stopped after %d attempt(s): %w: %w", attempt-1, err, lastErr)
		}
		rcpt, err := r.Pager.Send(ctx, n)
		if err == nil {
			return rcpt, nil
		}
		lastErr = err
		if IsPermanent(err) {
			return Receipt{}, fmt.Errorf("permanent failure at attempt %d: %w", attempt, err)
		}
		if _, later := LaterOf(err); later {
			return Receipt{}, err
		}
		if attempt >= attempts {
			return Receipt{}, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		wait := backoff(attempt)
		if asked, ok := RetryAfterOf(err); ok {
			wait = max(wait, asked)
		}
		if err := sleep(ctx, wait); err != nil {
			return Receipt{}, fmt.Errorf("stopped after %d attempt(s): %w: %w", attempt, err, lastErr)
		}
	}
}

// ExponentialBackoff returns a backoff that doubles from base with every
// attempt, up to maxWait, with "equal jitter": a random wait between half the
// step and the full step, so pagers that failed together do not retry in
// lockstep.
func ExponentialBackoff(base, maxWait time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < maxWait; i++ {
			d *= 2
		}
		d = min(d, maxWait)
		if d <= 1 {
			return d
		}
		half := d / 2
		return half + rand.N(d-half+1)
	}
}

// SleepContext waits d, or until ctx is done and then returns ctx.Err().
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
