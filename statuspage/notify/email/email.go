// Package email tells status page subscribers by email, through the
// smtp block's relay: confirmations of new subscriptions and every public
// update, each with a one-click unsubscribe (RFC 8058).
package email

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/mail"
	"strings"
	"sync"

	gomail "github.com/wneessen/go-mail"

	"github.com/pagerd/pagerd/pagers"
	pemail "github.com/pagerd/pagerd/pagers/email"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/statuspage/notify"
)

func init() {
	build := func(cfg *policies.Config, _ notify.Env) (notify.Channel, error) {
		c, ok := cfg.Block("smtp").(pemail.Config)
		if !ok {
			return nil, nil
		}
		return New(c), nil
	}
	// Subscribers who subscribed, and the stakeholders' mailing lists.
	notify.Register("email", build)
	notify.Register("list", build)
}

// maxIdle is how many SMTP connections stay open between messages: an
// update to thousands of subscribers is not thousands of handshakes.
const maxIdle = 8

// Email sends messages through one SMTP relay. It is safe for concurrent
// use.
type Email struct {
	cfg  pemail.Config
	mu   sync.Mutex
	idle []*gomail.Client
}

// New returns the channel for a relay.
func New(cfg pemail.Config) *Email { return &Email{cfg: cfg} }

// Send implements notify.Channel.
func (e *Email) Send(ctx context.Context, m notify.Message) error {
	msg, err := e.message(m)
	if err != nil {
		return pagers.Permanent(err)
	}
	// A connection kept open may have been closed by the server since:
	// one more try on a fresh one tells that apart from a real refusal.
	for attempt := 0; ; attempt++ {
		c, reused, err := e.conn(ctx)
		if err != nil {
			return fmt.Errorf("email to %s: %w", m.To.Address, pemail.Classify(err))
		}
		err = c.Send(msg)
		if err == nil || msg.IsDelivered() {
			e.release(c)
			return nil
		}
		_ = c.Close()
		if reused && attempt == 0 && !isRefusal(err) {
			continue
		}
		return fmt.Errorf("email to %s: %w", m.To.Address, pemail.Classify(err))
	}
}

// isRefusal reports whether the server answered the message itself (a
// 4xx or 5xx to it), rather than the connection failing.
func isRefusal(err error) bool {
	se, ok := err.(*gomail.SendError)
	return ok && se.ErrorCode() >= 400
}

func (e *Email) conn(ctx context.Context) (*gomail.Client, bool, error) {
	e.mu.Lock()
	if n := len(e.idle); n > 0 {
		c := e.idle[n-1]
		e.idle = e.idle[:n-1]
		e.mu.Unlock()
		return c, true, nil
	}
	e.mu.Unlock()
	c, err := pemail.NewClient(e.cfg)
	if err != nil {
		return nil, false, err
	}
	if err := c.DialWithContext(ctx); err != nil {
		return nil, false, err
	}
	return c, false, nil
}

func (e *Email) release(c *gomail.Client) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.idle) < maxIdle {
		e.idle = append(e.idle, c)
		return
	}
	_ = c.Close()
}

// Close closes the idle connections.
func (e *Email) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.idle {
		_ = c.Close()
	}
	e.idle = nil
}

// Message builds the email of m, for tests that read it.
func (e *Email) Message(m notify.Message) (*gomail.Msg, error) { return e.message(m) }

func (e *Email) message(m notify.Message) (*gomail.Msg, error) {
	to, err := mail.ParseAddress(m.To.Address)
	if err != nil || to.Name != "" || to.Address != m.To.Address {
		return nil, fmt.Errorf("%q is not a bare email address", m.To.Address)
	}
	from, err := mail.ParseAddress(e.cfg.From)
	if err != nil {
		return nil, err
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	// The page's name is what readers know the sender by.
	if err := msg.FromFormat(m.Page.Title, from.Address); err != nil {
		return nil, err
	}
	if err := msg.To(to.Address); err != nil {
		return nil, err
	}
	subject, body := notify.Words(m)
	msg.Subject(subject)
	msg.SetDate()
	msg.SetUserAgent("pagerd")
	sum := sha256.Sum256([]byte(m.Key + "\x00" + m.To.Subscriber))
	msg.SetMessageIDWithValue("pagerd.status." + hex.EncodeToString(sum[:16]) + "@" + domain)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("X-Pagerd-Key", m.Key)
	msg.SetGenHeader("List-Id", fmt.Sprintf("%s <%s.status.%s>", m.Page.Title, m.Page.Name, domain))
	if m.Incident != nil {
		msg.SetGenHeader(gomail.HeaderReferences, fmt.Sprintf("<status.%s@%s>", m.Incident.Code, domain))
	}
	if m.UnsubscribeURL != "" {
		// RFC 8058: a mail client unsubscribes with one POST of
		// "List-Unsubscribe=One-Click" to this URL, no page in between.
		msg.SetGenHeader("List-Unsubscribe", "<"+m.UnsubscribeURL+">")
		msg.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		body = append(body, "Unsubscribe: "+m.UnsubscribeURL)
	}
	msg.SetBodyString(gomail.TypeTextPlain, strings.Join(body, "\n\n")+"\n")
	msg.AddAlternativeString(gomail.TypeTextHTML, htmlBody(m, subject, body))
	return msg, nil
}

func htmlBody(m notify.Message, subject string, paras []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title></head><body style="font-family:system-ui,sans-serif;color:#1f2328;max-width:40rem">`,
		html.EscapeString(subject))
	fmt.Fprintf(&b, "<h1 style=\"font-size:1.2rem\">%s</h1>", html.EscapeString(subject))
	for _, p := range paras {
		if strings.HasPrefix(p, "Unsubscribe: ") || strings.HasPrefix(p, "To confirm, open: ") {
			continue
		}
		fmt.Fprintf(&b, "<p>%s</p>", html.EscapeString(p))
	}
	if m.ConfirmURL != "" {
		fmt.Fprintf(&b, `<p><a href="%s">Confirm my subscription</a></p>`, html.EscapeString(m.ConfirmURL))
	}
	if m.IncidentURL != "" {
		fmt.Fprintf(&b, `<p><a href="%s">See the incident on %s</a></p>`, html.EscapeString(m.IncidentURL), html.EscapeString(m.Page.Title))
	}
	if m.UnsubscribeURL != "" {
		fmt.Fprintf(&b, `<p style="color:#57606a;font-size:.85rem"><a href="%s">Unsubscribe</a> with one click.</p>`, html.EscapeString(m.UnsubscribeURL))
	}
	b.WriteString("</body></html>")
	return b.String()
}
