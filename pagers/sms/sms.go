// Package sms pages by text message through Twilio's Messages API.
package sms

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/internal/twilioapi"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// Config is the Twilio account and sender.
type Config struct {
	AccountSID string
	AuthToken  string
	From       string // sender: a Twilio number in E.164 form, e.g. "+15557650000"
	// HTTPClient carries the API requests; nil means twilio-go's default
	// (10s timeout, no redirects). Tests pass twiliofake's client.
	HTTPClient *http.Client
	// StatusCallback, if set, is the URL Twilio posts delivery status to.
	StatusCallback string
}

// SMS sends notifications as text messages. It is safe for concurrent use.
type SMS struct {
	cfg Config
}

var _ pagers.Pager = (*SMS)(nil)

// New returns an SMS pager. Missing settings are reported by Send, as
// permanent errors.
func New(cfg Config) *SMS { return &SMS{cfg: cfg} }

// Send texts pagers.SMSText(n) to n.Address. The receipt's ProviderID is the
// Twilio message SID. Twilio's 4xx answers (invalid number, unknown sender,
// bad credentials) come back as permanent errors; 5xx, 429 and network
// errors as transient ones.
//
// Twilio's Messages API takes no idempotency key, so n.Key is not sent: a
// retry after a lost answer can text twice, which beats not paging.
func (s *SMS) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	cred := twilioapi.Credentials{AccountSID: s.cfg.AccountSID, AuthToken: s.cfg.AuthToken}
	if err := cred.Ready(s.cfg.From, n); err != nil {
		return pagers.Receipt{}, fmt.Errorf("sms: %w", err)
	}

	params := &openapi.CreateMessageParams{}
	params.SetTo(n.Address).SetFrom(s.cfg.From).SetBody(pagers.SMSText(n))
	if s.cfg.StatusCallback != "" {
		params.SetStatusCallback(s.cfg.StatusCallback)
	}
	msg, err := twilioapi.API(ctx, cred, s.cfg.HTTPClient).CreateMessage(params)
	if err != nil {
		return pagers.Receipt{}, fmt.Errorf("sms to %s: %w", n.Address, twilioapi.Classify(err))
	}
	rcpt := pagers.Receipt{Channel: "sms"}
	if msg.Sid != nil {
		rcpt.ProviderID = *msg.Sid
	}
	return rcpt, nil
}
