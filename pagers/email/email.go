// Package email pages by email through an SMTP relay, with go-mail.
package email

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/pagerd/pagerd/pagers"
)

// TLS policies of Config.TLS.
const (
	TLSNone          = "none"          // plain SMTP; loopback sinks and tests
	TLSOpportunistic = "opportunistic" // STARTTLS when the server offers it
	TLSMandatory     = "mandatory"     // STARTTLS or fail (the default)
	TLSImplicit      = "implicit"      // TLS from the first byte ("SMTPS", port 465)
)

// Config is the SMTP relay and the sender.
type Config struct {
	Host string
	// Port defaults by TLS policy: 25 for none and opportunistic, 587 for
	// mandatory, 465 for implicit.
	Port     int
	Username string // empty: no SMTP AUTH
	Password string
	From     string // e.g. "pagerd <pagerd@example.com>"
	TLS      string // TLSNone, TLSOpportunistic, TLSMandatory (empty) or TLSImplicit
	HeloName string // EHLO name; empty: the host name
	// Timeout bounds each network step of a send; 0 means 15s.
	Timeout time.Duration
}

// Validate reports a configuration that can never send.
func (c Config) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("email: SMTP host is required"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("email: port %d out of range", c.Port))
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("email: sender %q: %w", c.From, err))
	}
	if _, err := tlsPolicy(c.TLS); err != nil {
		errs = append(errs, err)
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("email: password set without username"))
	}
	return errors.Join(errs...)
}

// Email sends notifications as multipart (text and HTML) emails. It is safe
// for concurrent use; each send opens its own SMTP connection.
type Email struct {
	cfg Config
}

var _ pagers.Pager = (*Email)(nil)

// New returns an Email pager. A bad configuration is reported by Validate,
// and by Send as a permanent error.
func New(cfg Config) *Email { return &Email{cfg: cfg} }

// Send mails the notification to n.Address. The receipt's ProviderID is the
// Message-ID.
//
// The Message-ID is derived from n.Key, so a retried send carries the same
// Message-ID and mail clients show the duplicate once; the key itself
// travels in X-Pagerd-Key. Connection failures and 4xx answers are transient;
// 5xx answers (unknown mailbox, message refused, authentication failed) and
// unusable addresses are permanent.
func (e *Email) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	if err := e.cfg.Validate(); err != nil {
		return pagers.Receipt{}, pagers.Permanent(err)
	}
	msg, err := e.message(n)
	if err != nil {
		return pagers.Receipt{}, fmt.Errorf("email to %s: %w", n.Address, pagers.Permanent(err))
	}
	client, err := e.client()
	if err != nil {
		return pagers.Receipt{}, fmt.Errorf("email: %w", pagers.Permanent(err))
	}
	rcpt := pagers.Receipt{Channel: "email", ProviderID: strings.Trim(msg.GetMessageID(), "<>")}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if msg.IsDelivered() {
			// The server took the message and only the goodbye failed: a
			// retry would mail twice.
			return rcpt, nil
		}
		return pagers.Receipt{}, fmt.Errorf("email to %s via %s: %w", n.Address, client.ServerAddr(), classify(err))
	}
	return rcpt, nil
}

func (e *Email) message(n pagers.Notification) (*gomail.Msg, error) {
	if n.Address == "" {
		return nil, fmt.Errorf("user %q has no email address", n.User)
	}
	from, _ := mail.ParseAddress(e.cfg.From) // checked by Validate
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(e.cfg.From); err != nil {
		return nil, err
	}
	if err := msg.To(n.Address); err != nil {
		return nil, err
	}
	msg.Subject(Subject(n))
	msg.SetDate()
	msg.SetUserAgent("pagerd")
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	if n.Key != "" {
		sum := sha256.Sum256([]byte(n.Key))
		msg.SetMessageIDWithValue("pagerd." + hex.EncodeToString(sum[:16]) + "@" + domain)
		msg.SetGenHeader("X-Pagerd-Key", pagers.OneLine(n.Key))
	} else {
		msg.SetMessageID()
	}
	msg.SetGenHeader("X-Pagerd-Kind", string(n.Kind))
	// RFC 3834: keeps vacation responders from answering the pager.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if n.Incident.ID > 0 {
		msg.SetGenHeader("X-Pagerd-Incident", strconv.FormatInt(n.Incident.ID, 10))
		// A shared reference threads every mail about one incident together.
		msg.SetGenHeader(gomail.HeaderReferences, fmt.Sprintf("<pagerd.incident.%d@%s>", n.Incident.ID, domain))
	}
	msg.SetBodyString(gomail.TypeTextPlain, Text(n))
	msg.AddAlternativeString(gomail.TypeTextHTML, HTML(n))
	return msg, nil
}

func (e *Email) client() (*gomail.Client, error) {
	policy, _ := tlsPolicy(e.cfg.TLS) // checked by Validate
	port := e.cfg.Port
	if port == 0 {
		switch e.cfg.TLS {
		case TLSNone, TLSOpportunistic:
			port = 25
		case TLSImplicit:
			port = 465
		default:
			port = 587
		}
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTLSPolicy(policy)}
	if e.cfg.TLS == TLSImplicit {
		opts = append(opts, gomail.WithSSL())
	}
	if e.cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(e.cfg.HeloName))
	}
	if e.cfg.Timeout > 0 {
		opts = append(opts, gomail.WithTimeout(e.cfg.Timeout))
	}
	if e.cfg.Username != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(e.cfg.Username),
			gomail.WithPassword(e.cfg.Password))
	}
	return gomail.NewClient(e.cfg.Host, opts...)
}

func tlsPolicy(s string) (gomail.TLSPolicy, error) {
	switch s {
	case TLSNone:
		return gomail.NoTLS, nil
	case TLSOpportunistic:
		return gomail.TLSOpportunistic, nil
	case TLSMandatory, "", TLSImplicit:
		return gomail.TLSMandatory, nil
	}
	return 0, fmt.Errorf("email: TLS %q: want none, opportunistic, mandatory or implicit", s)
}

// classify marks the SMTP answers that sending again cannot fix as
// permanent: 5xx replies, and addresses go-mail cannot use.
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 500 && code < 600 {
			return pagers.Permanent(err)
		}
		switch se.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return pagers.Permanent(err)
		}
		return err
	}
	// Refusals while connecting, such as a failed AUTH (535).
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return pagers.Permanent(err)
	}
	return err
}
