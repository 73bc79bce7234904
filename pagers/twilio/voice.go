package twilio

// Voice pages by phone call through Twilio's Calls API. The call reads the
// incident aloud and, when a GatherURL is configured, offers "press 1 to
// acknowledge": Twilio posts the pressed digit to that URL, which
// serveKeypress answers.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/pagerd/pagerd/pagers"
)

// VoiceConfig is the account, the caller id and where keypresses go.
type VoiceConfig struct {
	Config
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
	cfg VoiceConfig
}

var _ pagers.Pager = (*Voice)(nil)

// NewVoice returns a Voice pager. Missing settings are reported by Send,
// as permanent errors.
func NewVoice(cfg VoiceConfig) *Voice { return &Voice{cfg: cfg} }

// Send calls n.Address with TwiML(n, GatherURL(n)) inline. The receipt's
// ProviderID is the Twilio call SID. Errors map like the sms pager's: 4xx
// permanent, 5xx/429/network transient.
func (v *Voice) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	if err := v.cfg.ready(n); err != nil {
		return pagers.Receipt{}, fmt.Errorf("voice: %w", err)
	}
	gather := ""
	if v.cfg.GatherURL != nil && !n.Kind.IsFYI() {
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
	call, err := api(ctx, v.cfg.Config, v.cfg.HTTPClient).CreateCall(params)
	if err != nil {
		return pagers.Receipt{}, fmt.Errorf("voice call to %s: %w", n.Address, classify(err))
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
	text := xmlEscape(VoiceText(n))
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

// VoiceText is what a call says: the incident, the service and the
// problem, in words a text-to-speech voice reads well ("CheckoutDown" is
// read as "Checkout Down"). How to acknowledge is up to the call's menu.
func VoiceText(n pagers.Notification) string {
	if n.Kind == pagers.KindShiftNotice {
		return shiftVoiceText(n.Shift)
	}
	if n.Kind == pagers.KindSignIn {
		// A link cannot be read out; notices go by text, so this is a
		// fallback that says where to look.
		return "This is pager d. A console sign in link was asked for you. Ask for it again by text or email."
	}
	title := speakable(pagers.OrDefault(pagers.OneLine(n.Incident.Title), "an incident"))
	var b strings.Builder
	b.WriteString("This is pager d. ")
	switch {
	case n.Kind.IsFYI():
		what, actor := string(n.Kind), n.Actor
		if n.Kind == pagers.KindUpdate && n.Event != nil {
			what, actor = string(n.Event.Kind), n.Event.Actor
		}
		fmt.Fprintf(&b, "Incident %d, %s", n.Incident.ID, title)
		if s := pagers.OneLine(n.Incident.Service); s != "" {
			fmt.Fprintf(&b, ", on service %s", speakable(s))
		}
		fmt.Fprintf(&b, ", was %s", speakable(what))
		if a := pagers.OneLine(actor); a != "" {
			b.WriteString(" by " + a)
		}
		b.WriteString(". No action needed.")
	default:
		what := "Incident"
		if sev := strings.ToLower(pagers.Severity(n)); sev != "" {
			r, size := utf8.DecodeRuneInString(sev)
			what = string(unicode.ToUpper(r)) + sev[size:] + " incident"
		}
		if pagers.Flapping(n) != "" {
			what = "Flapping " + strings.ToLower(what[:1]) + what[1:]
		}
		fmt.Fprintf(&b, "%s %d: %s", what, n.Incident.ID, title)
		if s := pagers.OneLine(n.Incident.Service); s != "" {
			fmt.Fprintf(&b, ", on service %s", speakable(s))
		}
		b.WriteString(".")
		if s := pagers.Summary(n); s != "" {
			b.WriteString(" " + pagers.Truncate(strings.TrimRight(s, ".!"), 300) + ".")
		}
	}
	return b.String()
}

// speakable splits CamelCase and snake_case words so speech reads them as
// words, not letters.
func speakable(s string) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range s {
		switch {
		case r == '_' || r == '-':
			r = ' '
		case prev >= 'a' && prev <= 'z' && r >= 'A' && r <= 'Z':
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		prev = r
	}
	return pagers.OneLine(b.String())
}

func shiftVoiceText(sh *pagers.ShiftInfo) string {
	var b strings.Builder
	b.WriteString("This is pager d. Your on-call shift")
	if sh != nil {
		if name := pagers.OneLine(sh.Schedule); name != "" {
			b.WriteString(" for " + speakable(name))
		}
	}
	b.WriteString(" starts")
	switch {
	case sh == nil || sh.Start.IsZero():
		b.WriteString(" soon")
	default:
		if sh.StartsIn > 0 {
			b.WriteString(" in " + pagers.SpokenLead(sh.StartsIn) + ",")
		}
		b.WriteString(" on " + pagers.ShiftTime(sh, sh.Start, pagers.ShiftTimeVoice))
		if !sh.End.IsZero() {
			b.WriteString(", and ends on " + pagers.ShiftTime(sh, sh.End, pagers.ShiftTimeVoice))
		}
	}
	b.WriteString(". No action needed.")
	return b.String()
}
