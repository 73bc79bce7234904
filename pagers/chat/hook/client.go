package hook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/pagers"
)

// MaxWait caps the wait a 429 asks for: a room is held that long at most
// before pagerd asks again.
const MaxWait = time.Hour

// Client sends a platform's JSON to its webhook URLs, one attempt a call
// (waiting and retrying are the chat layer's), and says what sending again
// can do.
type Client struct {
	HTTP *http.Client // nil: one of its own, each request bounded
	Now  func() time.Time
	// Title names the platform in errors ("Discord").
	Title string
	// DefaultWait is how long a 429 that says no wait holds the room.
	DefaultWait time.Duration
	// Wait reads the wait of a 429 from what the platform answers besides
	// a Retry-After header (Discord's retry_after in the body); nil: the
	// header only.
	Wait func(h http.Header, body []byte) (time.Duration, bool)
	// Refusal says what a 4xx answer means for whoever reads the timeline;
	// nil: its status and the head of its body.
	Refusal func(code int, body []byte) string
}

// Answer is what the platform answered a call that went through.
type Answer struct {
	Header http.Header
	Body   []byte
}

// Do sends body (JSON) with method to target, a webhook URL, and returns
// the answer. Its errors never quote target: pagers.Permanent for an
// answer that sending again will not change (a 4xx: the webhook deleted,
// a message the platform refuses), pagers.RetryAfter for a 429 (and a 503
// that says when), anything else transient.
func (c Client) Do(ctx context.Context, method, target string, body []byte) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return Answer{}, pagers.Permanent(fmt.Errorf("%s: building the request to %s failed", c.Title, Redact(target)))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "pagerd")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL is the room's credential
		}
		return Answer{}, fmt.Errorf("%s: %s %s: %w", c.Title, method, Redact(target), err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	a := Answer{Header: resp.Header, Body: got}
	return a, c.classify(method, target, resp, got)
}

func (c Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (c Client) classify(method, target string, resp *http.Response, body []byte) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	what := fmt.Sprintf("%s: %s %s: %s", c.Title, method, Redact(target), strconv.Itoa(code)+" "+http.StatusText(code))
	if ex := Excerpt(body); ex != "" {
		what += ": " + ex
	}
	switch {
	case code == http.StatusTooManyRequests:
		wait, ok := c.waitOf(resp.Header, body)
		if !ok {
			wait = c.DefaultWait
		}
		return pagers.RetryAfter(errors.New(what), wait)
	case code == http.StatusServiceUnavailable:
		if wait, ok := c.waitOf(resp.Header, body); ok {
			return pagers.RetryAfter(errors.New(what), wait)
		}
		return errors.New(what)
	case code >= 500 || code == http.StatusRequestTimeout:
		return errors.New(what)
	case code >= 300 && code < 400:
		return pagers.Permanent(fmt.Errorf("%s: redirected; use the URL the platform gave for the webhook as it is", what))
	}
	if c.Refusal != nil {
		if why := c.Refusal(code, body); why != "" {
			what += " (" + why + ")"
		}
	}
	return pagers.Permanent(errors.New(what))
}

func (c Client) waitOf(h http.Header, body []byte) (time.Duration, bool) {
	if c.Wait != nil {
		if d, ok := c.Wait(h, body); ok {
			return d, true
		}
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return RetryAfter(h.Get("Retry-After"), now())
}

// RetryAfter reads a wait: seconds (whole or not) or an HTTP date,
// capped at MaxWait. ok is false when it is absent or unreadable.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(secs) && secs >= 0 {
		return Seconds(secs), true
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(at.Sub(now), 0), MaxWait), true
	}
	return 0, false
}

// Seconds is secs as a wait, rounded up to the millisecond and capped at
// MaxWait.
func Seconds(secs float64) time.Duration {
	if secs >= MaxWait.Seconds() {
		return MaxWait
	}
	return time.Duration(math.Ceil(secs*1000)) * time.Millisecond
}

// Excerpt is the head of an answer's body on one line, for errors.
func Excerpt(body []byte) string {
	return pagers.Truncate(pagers.OneLine(strings.ToValidUTF8(string(body), "\uFFFD")), 200)
}
