// Package voice pages by phone call through Twilio's Calls API. The call
// reads the incident aloud and, when a GatherURL is configured, offers
// "press 1 to acknowledge": Twilio posts the pressed digit to that URL,
// where the router acknowledges.
package voice

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/internal/twilioapi"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// Config is the Twilio account, the caller id and where keypresses go.
type Config struct {
	AccountSID string
	AuthToken  string
	From       string // caller id: a Twilio number in E.164 form
	// HTTPClient carries the API requests; nil means twilio-go's default
	// (10s timeout, no redirects). Tests pass twiliofake's client.
	HTTPClient *http.Client
	// GatherURL returns the absolute URL Twilio posts the pressed digit to,
	// for a page (it should identify and sign the notification). nil or an
	// empty result makes a call that only reads the message.
	GatherURL func(n pagers.Notification) string
	// StatusCallback, if set, is the URL Twilio posts call progress to.
	StatusCallback string
	// RingSeconds is how long the phone rings before Twilio gives up; 0
	// leaves Twilio's default (60s).
	RingSeconds int
}

// Voice places calls. It is safe for concurrent use.
type Voice struct {
	cfg Config
}

var _ pagers.Pager = (*Voice)(nil)

// New returns a Voice pager. Missing settings are reported by Send, as
// permanent errors.
func New(cfg Config) *Voice { return &Voice{cfg: cfg} }

// Send calls n.Address with TwiML(n, GatherURL(n)) inline. The receipt's
// ProviderID is the Twilio call SID. Errors map like the sms pager's: 4xx
// permanent, 5xx/429/network transient.
func (v *Voice) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	cred := twilioapi.Credentials{AccountSID: v.cfg.AccountSID, AuthToken: v.cfg.AuthToken}
	if err := cred.Ready(v.cfg.From, n); err != nil {
		return pagers.Receipt{}, fmt.Errorf("voice: %w", err)
	}
	gather := ""
	if v.cfg.GatherURL != nil && n.Kind != pagers.KindAcknowledged && n.Kind != pagers.KindResolved {
		gather = v.cfg.GatherURL(n)
	}

	params := &openapi.CreateCallParams{}
	params.SetTo(n.Address).SetFrom(v.cfg.From).SetTwiml(TwiML(n, gather))
	if v.cfg.StatusCallback != "" {
		params.SetStatusCallback(v.cfg.StatusCallback)
	}
	if v.cfg.RingSeconds > 0 {
		params.SetTimeout(v.cfg.RingSeconds)
	}
	call, err := twilioapi.API(ctx, cred, v.cfg.HTTPClient).CreateCall(params)
	if err != nil {
		return pagers.Receipt{}, fmt.Errorf("voice call to %s: %w", n.Address, twilioapi.Classify(err))
	}
	rcpt := pagers.Receipt{Channel: "voice"}
	if call.Sid != nil {
		rcpt.ProviderID = *call.Sid
	}
	return rcpt, nil
}

// TwiML is the call's script. With a gatherURL it reads the message inside
// <Gather numDigits="1"> twice, asking to press 1 to acknowledge, and Twilio
// posts the digit to gatherURL; without one it reads the message twice.
func TwiML(n pagers.Notification, gatherURL string) string {
	text := xmlEscape(pagers.VoiceText(n))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response>`)
	if gatherURL == "" {
		fmt.Fprintf(&b, `<Say loop="2">%s</Say>`, text)
	} else {
		fmt.Fprintf(&b, `<Gather numDigits="1" timeout="10" method="POST" action="%s">`, xmlEscape(gatherURL))
		for range 2 {
			fmt.Fprintf(&b, `<Say>%s Press 1 to acknowledge.</Say><Pause length="1"/>`, text)
		}
		b.WriteString(`</Gather><Say>No key pressed. The incident stays open. Goodbye.</Say>`)
	}
	b.WriteString(`</Response>`)
	return b.String()
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func xmlEscape(s string) string { return xmlEscaper.Replace(s) }
