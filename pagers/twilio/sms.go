package twilio

import (
	"context"
	"fmt"
	"net/http"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/pagerd/pagerd/pagers"
)

// SMSMaxRunes bounds a text: two concatenated SMS segments of GSM-7 text
// hold 306 characters, so a page never costs more than a couple of
// segments and never reaches Twilio's 1600-character limit.
const SMSMaxRunes = 319

// SMSText is the text of an SMS: what is wrong, the service, the incident
// and how to acknowledge, in under 320 characters.
func SMSText(n pagers.Notification) string { return pagers.ShortText(n, SMSMaxRunes) }

// SMSConfig is the account, the sender and how to reach Twilio.
type SMSConfig struct {
	Config
	// HTTPClient carries the API requests; nil means twilio-go's default
	// (10s timeout, no redirects). Tests pass twiliofake's client.
	HTTPClient *http.Client
	// StatusCallback, if set, is the URL Twilio posts delivery status to.
	StatusCallback string
}

// SMS sends notifications as text messages. It is safe for concurrent use.
type SMS struct {
	cfg SMSConfig
}

var _ pagers.Pager = (*SMS)(nil)

// NewSMS returns an SMS pager. Missing settings are reported by Send, as
// permanent errors.
func NewSMS(cfg SMSConfig) *SMS { return &SMS{cfg: cfg} }

// Send texts SMSText(n) to n.Address. The receipt's ProviderID is the
// Twilio message SID. Twilio's 4xx answers (invalid number, unknown sender,
// bad credentials) come back as permanent errors; 5xx, 429 and network
// errors as transient ones.
//
// Twilio's Messages API takes no idempotency key, so n.Key is not sent: a
// retry after a lost answer can text twice, which beats not paging.
func (s *SMS) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	if err := s.cfg.ready(n); err != nil {
		return pagers.Receipt{}, fmt.Errorf("sms: %w", err)
	}

	params := &openapi.CreateMessageParams{}
	params.SetTo(n.Address).SetFrom(s.cfg.From).SetBody(SMSText(n))
	if s.cfg.StatusCallback != "" {
		params.SetStatusCallback(s.cfg.StatusCallback)
	}
	msg, err := api(ctx, s.cfg.Config, s.cfg.HTTPClient).CreateMessage(params)
	if err != nil {
		return pagers.Receipt{}, fmt.Errorf("sms to %s: %w", n.Address, classify(err))
	}
	rcpt := pagers.Receipt{Channel: "sms"}
	if msg.Sid != nil {
		rcpt.ProviderID = *msg.Sid
	}
	return rcpt, nil
}
