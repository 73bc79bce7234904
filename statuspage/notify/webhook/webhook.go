// Package webhook tells webhook subscribers of a status page: a signed
// JSON document per public update, signed as pagerd's outgoing webhooks
// are (Standard Webhooks), with the key the subscriber was shown once.
//
// Subscribers give their own URL, so the channel refuses to reach
// loopback, private and link-local addresses — at subscription and again
// when it connects, whatever the name resolves to then — unless the
// deployment allows them (notify.Env.AllowPrivate).
package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	pwebhook "github.com/pagerd/pagerd/pagers/webhook"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/statuspage/notify"
)

// Version is the version of the document's schema.
const Version = "1"

func init() {
	notify.Register("webhook", func(_ *policies.Config, env notify.Env) (notify.Channel, error) {
		return New(env), nil
	})
}

// Webhook posts to subscribers' URLs. It is safe for concurrent use.
type Webhook struct {
	client *http.Client
	now    func() time.Time
}

// New returns the channel; env.HTTPClient's transport is used as given
// when set (tests), else a client that never dials a private address
// unless env.AllowPrivate.
func New(env notify.Env) *Webhook {
	c := env.HTTPClient
	if c == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		if !env.AllowPrivate {
			d.Control = refusePrivate
		}
		c = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, Proxy: nil,
			TLSHandshakeTimeout: 10 * time.Second, MaxIdleConnsPerHost: 4}}
	}
	own := *c
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	now := env.Now
	if now == nil {
		now = time.Now
	}
	return &Webhook{client: &own, now: now}
}

// refusePrivate is a dialer's Control: it refuses an address a
// subscriber has no business making pagerd reach.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if Private(ip) {
		return pagers.Permanent(fmt.Errorf("%s is a private address: webhook subscribers must be on the internet", ip))
	}
	return nil
}

// Private reports whether ip is loopback, private, link-local,
// unspecified or multicast.
func Private(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) // carrier-grade NAT
}

// CheckURL says what is wrong with a subscriber's URL ("" when nothing):
// https (http only where private addresses are allowed, for tests), a
// host, no credentials, and a name that does not resolve to a private
// address.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || !u.IsAbs():
		return "is not an absolute URL"
	case u.Scheme != "https" && !(allowPrivate && u.Scheme == "http"):
		return "must be https"
	case u.User != nil:
		return "must not carry a user name or password"
	case len(raw) > 2000:
		return "is longer than 2000 characters"
	}
	if allowPrivate {
		return ""
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		return "has a host name that does not resolve"
	}
	for _, a := range addrs {
		if Private(a) {
			return "points at a private address"
		}
	}
	return ""
}

// NewSecret is a new signing key, as subscribers are shown it
// ("whsec_" and base64), and the raw key.
func NewSecret(random []byte) string {
	return "whsec_" + base64.StdEncoding.EncodeToString(random)
}

// Document is what a subscriber is posted.
type Document struct {
	Version  string        `json:"version"`
	Type     string        `json:"type"` // incident.update, subscription.created
	Page     PageRef       `json:"page"`
	Incident *IncidentDoc  `json:"incident,omitempty"`
	Update   *UpdateDoc    `json:"update,omitempty"`
	Notice   *NoticeDoc    `json:"notice,omitempty"`
	Links    DocumentLinks `json:"links"`
}

type PageRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

type IncidentDoc struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Status     string            `json:"status"`
	Components map[string]string `json:"components"`
	CreatedAt  time.Time         `json:"created_at"`
	ResolvedAt *time.Time        `json:"resolved_at"`
}

type UpdateDoc struct {
	ID         string            `json:"id"`
	Status     string            `json:"status"`
	Body       string            `json:"body"`
	Components map[string]string `json:"components"`
	CreatedAt  time.Time         `json:"created_at"`
}

type NoticeDoc struct {
	Title  string `json:"title"`
	Status string `json:"status"`
	Text   string `json:"text"`
}

type DocumentLinks struct {
	Incident    string `json:"incident,omitempty"`
	Unsubscribe string `json:"unsubscribe,omitempty"`
}

// DocumentOf is the document of m.
func DocumentOf(m notify.Message) Document {
	d := Document{Version: Version, Type: "incident.update",
		Page:  PageRef{ID: m.Page.Name, Title: m.Page.Title, URL: m.PageURL},
		Links: DocumentLinks{Incident: m.IncidentURL, Unsubscribe: m.UnsubscribeURL}}
	switch m.Kind {
	case notify.Confirm:
		d.Type = "subscription.created"
	case notify.Notice:
		d.Type = "incident.notice"
		d.Notice = &NoticeDoc{Title: m.Title, Status: string(m.Status), Text: m.Text}
	default:
		inc, u := m.Incident, m.Update
		d.Incident = &IncidentDoc{ID: inc.Code, Title: inc.Title, Status: string(inc.Status), Components: inc.Components,
			CreatedAt: inc.CreatedAt.UTC()}
		if !inc.ResolvedAt.IsZero() {
			t := inc.ResolvedAt.UTC()
			d.Incident.ResolvedAt = &t
		}
		comps := u.Components
		if u.Status == incident.StateResolved {
			comps = map[string]string{}
			for name := range u.Components {
				comps[name] = "operational"
			}
		}
		d.Update = &UpdateDoc{ID: inc.Code + "-" + strconv.Itoa(u.N), Status: string(u.Status), Body: u.Body,
			Components: comps, CreatedAt: u.At.UTC()}
	}
	return d
}

// Send implements notify.Channel: 2xx is delivered; 410 Gone unsubscribes
// the subscriber; 429 and 5xx are tried again, other 4xx are not.
func (w *Webhook) Send(ctx context.Context, m notify.Message) error {
	body, err := json.Marshal(DocumentOf(m))
	if err != nil {
		return pagers.Permanent(err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(m.To.Secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return pagers.Permanent(errors.New("the subscriber has no signing key"))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.To.Address, bytes.NewReader(body))
	if err != nil {
		return pagers.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pagerd-status-webhook/"+Version)
	if err := pwebhook.Sign(req.Header, key, pwebhook.MessageID(m.Key, m.To.Subscriber), w.now(), body); err != nil {
		return pagers.Permanent(err)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		if pagers.IsPermanent(err) {
			return err
		}
		// The URL is the subscriber's: quoting it is fine, its host's
		// errors are theirs.
		return fmt.Errorf("webhook %s: %w", hostOf(m.To.Address), err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusGone:
		return fmt.Errorf("webhook %s answered 410 Gone: %w", hostOf(m.To.Address), notify.ErrUnsubscribed)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		err := fmt.Errorf("webhook %s answered %d: %s", hostOf(m.To.Address), resp.StatusCode, strings.TrimSpace(string(excerpt)))
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			return pagers.RetryAfter(err, min(time.Duration(s)*time.Second, 10*time.Minute))
		}
		return err
	}
	return pagers.Permanent(fmt.Errorf("webhook %s answered %d: %s", hostOf(m.To.Address), resp.StatusCode, strings.TrimSpace(string(excerpt))))
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return "?"
}
