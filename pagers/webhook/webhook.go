// Package webhook is the outgoing webhook channel: it POSTs a signed JSON
// document (see Document) to an HTTP endpoint for every page, notice and
// incident event sent to it. Each endpoint is a labeled block:
//
//	webhook "audit" {
//	  url     = "https://hooks.example.com/pagerd"
//	  secret  = env("AUDIT_WEBHOOK_SECRET")  # "whsec_<base64>" or raw, >= 16 bytes
//	  events  = ["triggered", "acknowledged", "resolved"]  # optional; default all
//	  timeout = "10s"                                       # optional, per request
//	}
//
// and is named "webhook:audit" in an escalation step's notify list (it is
// paged) or a service's subscribers (it hears of every event).
//
// Deliveries are signed as the Standard Webhooks specification says
// (webhook-id, webhook-timestamp, webhook-signature headers), so any of its
// libraries verifies them. One Send is one POST; retrying is the caller's:
// the pagers.Retry wrapper for pages and notices, the event consumer for
// updates. Send says which failures are worth it.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/pagers"
)

// UserAgent names pagerd and the schema version in every request.
const UserAgent = "pagerd-webhook/" + Version

// Waits asked for by a receiver.
const (
	// DefaultRetryAfter is the wait after a 429 that does not say how long.
	DefaultRetryAfter = 10 * time.Second
	// MaxRetryAfter caps the wait a Retry-After asks for, so a receiver's
	// misconfigured header cannot hold back its incidents' events for
	// hours: it is asked again at least this often.
	MaxRetryAfter = 10 * time.Minute
)

// excerptRunes bounds how much of a refusal's body an error quotes.
const excerptRunes = 200

// Options are what a Pager needs besides its webhooks.
type Options struct {
	// HTTPClient sends the requests; nil means a client of the Pager's
	// own. Its redirect policy is replaced: a delivery never follows one.
	HTTPClient *http.Client
	// Now is the clock of webhook-timestamp and of a page's timestamp;
	// nil means time.Now.
	Now func() time.Time
}

// Pager delivers to every configured webhook, by the notification's
// Destination. It is safe for concurrent use.
type Pager struct {
	hooks  map[string]Config
	off    []string // defined but switched off (secret unset)
	client *http.Client
	now    func() time.Time
}

var _ pagers.Pager = (*Pager)(nil)

// New returns a Pager for hooks, by block label. A zero Timeout is
// DefaultTimeout and nil Events DefaultEvents, as in a block that leaves
// them out.
func New(hooks map[string]Config, opts Options) *Pager {
	own := make(map[string]Config, len(hooks))
	for name, c := range hooks {
		if c.Timeout <= 0 {
			c.Timeout = DefaultTimeout
		}
		if c.Events == nil {
			c.Events = DefaultEvents()
		}
		own[name] = c
	}
	client := &http.Client{}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		client = &c
	}
	// A receiver that moved says so with a redirect; following it would
	// send the signed body somewhere the config does not name.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Pager{hooks: own, client: client, now: now}
}

// Send POSTs the delivery of n to the webhook n.Destination names. The
// receipt's ProviderID is the delivery's webhook-id. An update whose event
// kind the webhook's `events` leaves out is not sent (a nil error, an
// empty ProviderID).
//
// Errors: a refusal that sending again cannot change — a 4xx other than
// 408 and 429, a redirect, a notification the webhook cannot take — is
// pagers.Permanent. Everything else is transient: 5xx, 408, 429, a
// timeout, a network error; a 429 or 503 carries its Retry-After as
// pagers.RetryAfter (a 429 without one DefaultRetryAfter).
func (p *Pager) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	cfg, err := p.config(n.Destination)
	if err != nil {
		return pagers.Receipt{}, pagers.Permanent(err)
	}
	name := fmt.Sprintf("webhook %q", n.Destination)
	if n.Kind == pagers.KindUpdate && n.Event != nil && !cfg.Delivers(n.Event.Kind) {
		return pagers.Receipt{Channel: Channel}, nil
	}
	if n.Key == "" {
		return pagers.Receipt{}, pagers.Permanent(fmt.Errorf("%s: a notification without an idempotency key cannot get a stable webhook-id", name))
	}
	id := MessageID(n.Key, n.Destination)
	now := p.now()
	doc, err := NewDocument(n, id, now)
	if err != nil {
		return pagers.Receipt{}, pagers.Permanent(fmt.Errorf("%s: %w", name, err))
	}
	body, err := doc.Marshal()
	if err != nil {
		return pagers.Receipt{}, pagers.Permanent(fmt.Errorf("%s: %w", name, err))
	}
	if err := p.post(ctx, cfg, id, now, body); err != nil {
		return pagers.Receipt{}, fmt.Errorf("%s: %w", name, err)
	}
	return pagers.Receipt{Channel: Channel, ProviderID: id}, nil
}

func (p *Pager) config(dest string) (Config, error) {
	if cfg, ok := p.hooks[dest]; ok {
		return cfg, nil
	}
	for _, off := range p.off {
		if off == dest {
			return Config{}, fmt.Errorf("webhook %q is switched off: its secret is unset", dest)
		}
	}
	if dest == "" {
		return Config{}, errors.New("webhook: a notification without a destination")
	}
	return Config{}, fmt.Errorf("webhook %q is not configured", dest)
}

// post makes one signed attempt, bounded by cfg.Timeout and ctx.
func (p *Pager) post(ctx context.Context, cfg Config, id string, now time.Time, body []byte) error {
	reqCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return pagers.Permanent(fmt.Errorf("building the request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if err := Sign(req.Header, cfg.Key, id, now, body); err != nil {
		return pagers.Permanent(err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		redactURL(err)
		if ctx.Err() == nil && errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %s: %w", cfg.Timeout, err)
		}
		return fmt.Errorf("sending: %w", err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4*excerptRunes))
	// Reading the rest (within reason) lets the connection be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return classify(resp, head, p.now())
}

// redactURL cuts the query from the URL an *url.Error quotes: the error
// ends up in logs and on the incident's timeline, and a receiver's token
// often rides in the query.
func redactURL(err error) {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return
	}
	if u, perr := url.Parse(ue.URL); perr == nil {
		u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
		ue.URL = u.String()
	}
}

// classify turns a receiver's answer into nil, a transient error, or a
// permanent one.
func classify(resp *http.Response, body []byte, now time.Time) error {
	code := resp.StatusCode
	status := strconv.Itoa(code) + " " + http.StatusText(code)
	switch {
	case code >= 200 && code < 300:
		return nil
	case code >= 300 && code < 400:
		where := resp.Header.Get("Location")
		if where == "" {
			where = "nowhere (no Location)"
		}
		return pagers.Permanent(fmt.Errorf("redirected with %s to %s; deliveries do not follow redirects: set url to where it points", status, where))
	case code == http.StatusTooManyRequests:
		wait, ok := retryAfter(resp.Header.Get("Retry-After"), now)
		if !ok {
			wait = DefaultRetryAfter
		}
		return pagers.RetryAfter(refused(status, body), wait)
	case code == http.StatusServiceUnavailable:
		if wait, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
			return pagers.RetryAfter(refused(status, body), wait)
		}
		return refused(status, body)
	case code == http.StatusRequestTimeout || code >= 500:
		return refused(status, body)
	default:
		return pagers.Permanent(refused(status, body))
	}
}

// refused is the error of a non-2xx answer: its status and the head of
// its body, which usually says why.
func refused(status string, body []byte) error {
	if ex := excerpt(body); ex != "" {
		return fmt.Errorf("%s: %s", status, ex)
	}
	return errors.New(status)
}

func excerpt(body []byte) string {
	return pagers.Truncate(pagers.OneLine(strings.ToValidUTF8(string(body), "\uFFFD")), excerptRunes)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP-date,
// capped at MaxRetryAfter. ok is false when it is absent or unreadable.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(h, 10, 64); err == nil {
		if secs > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(h); err == nil {
		return min(max(at.Sub(now), 0), MaxRetryAfter), true
	}
	return 0, false
}
