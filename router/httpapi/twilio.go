package httpapi

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/twilio/twilio-go/client"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/smsreply"
	"github.com/pagerd/pagerd/router/store"
)

// twilioSMS takes SMS replies ("ack 42") from Twilio's inbound-message
// webhook. The X-Twilio-Signature is checked against the configured public
// URL before anything else is read.
func (s *Server) twilioSMS(w http.ResponseWriter, r *http.Request) {
	cfg, ok := s.twilioSigned(w, r)
	if !ok {
		return
	}
	from := r.PostForm.Get("From")
	user := userByPhone(cfg, from)
	if user == nil {
		s.Log.Warn("SMS from an unknown number ignored", "from", from)
		twiml(w, "This number is not known to pagerd.")
		return
	}
	cmd, err := smsreply.Parse(r.PostForm.Get("Body"))
	if err != nil {
		twiml(w, err.Error())
		return
	}
	outcome, before, err := s.Router.Act(r.Context(), cmd.IncidentID, cmd.Action, user.Name, "sms")
	switch {
	case errors.Is(err, store.ErrNotFound):
		twiml(w, fmt.Sprintf("Incident #%d not found.", cmd.IncidentID))
	case err != nil:
		// Twilio retries on 5xx only for some webhooks; say so by SMS too.
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
	case outcome == store.Unchanged:
		twiml(w, fmt.Sprintf("Incident #%d is already %s.", cmd.IncidentID, before))
	default:
		twiml(w, fmt.Sprintf("Incident #%d %s by %s.", cmd.IncidentID, outcome, user.Name))
	}
}

// twilioSigned parses the form and checks X-Twilio-Signature against the
// public URL Twilio was given (404 when Twilio is not configured); it
// answers the request itself when not ok.
func (s *Server) twilioSigned(w http.ResponseWriter, r *http.Request) (*policies.Config, bool) {
	cfg := s.Config()
	if cfg.Twilio == nil {
		s.fail(w, r, http.StatusNotFound, "twilio is not configured", nil)
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "could not parse form body", err)
		return nil, false
	}
	params := make(map[string]string, len(r.PostForm))
	for k, v := range r.PostForm {
		params[k] = v[0]
	}
	url := strings.TrimRight(cfg.Settings.PublicURL, "/") + r.URL.RequestURI()
	sig := r.Header.Get("X-Twilio-Signature")
	validator := client.NewRequestValidator(cfg.Twilio.AuthToken)
	if sig == "" || !validator.Validate(url, params, sig) {
		// The URL may carry an ack-link token: log it redacted.
		s.fail(w, r, http.StatusForbidden, "bad or missing X-Twilio-Signature",
			fmt.Errorf("signature check failed for %s%s", strings.TrimRight(cfg.Settings.PublicURL, "/"), logPath(r)))
		return nil, false
	}
	return cfg, true
}

// VoiceGatherURL is where a page call posts the pressed digit: the signed
// ack link's token under the voice webhook, so the keypress is both
// Twilio-signed and bound to one incident and person.
func VoiceGatherURL(n pagers.Notification) string {
	if n.Kind != pagers.KindPage || !strings.Contains(n.AckURL, "/v1/ack/") {
		return ""
	}
	return strings.Replace(n.AckURL, "/v1/ack/", "/v1/twilio/voice/", 1)
}

// twilioVoice takes the keypress of a page call: 1 acknowledges.
func (s *Server) twilioVoice(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.twilioSigned(w, r); !ok {
		return
	}
	claims, err := s.Links().Verify(r.PathValue("token"))
	if err != nil {
		s.Log.Warn("voice keypress with a bad token", "err", err)
		say(w, "This page can no longer be acknowledged by phone. Goodbye.")
		return
	}
	if r.PostForm.Get("Digits") != "1" {
		say(w, "Not acknowledged. Goodbye.")
		return
	}
	outcome, before, err := s.Router.Act(r.Context(), claims.IncidentID, claims.Action, claims.User, "voice")
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
	case err != nil:
		say(w, "That incident no longer exists. Goodbye.")
	case outcome == store.Unchanged:
		say(w, fmt.Sprintf("Incident %d is already %s. Goodbye.", claims.IncidentID, before))
	default:
		say(w, fmt.Sprintf("Incident %d %s. Goodbye.", claims.IncidentID, outcome))
	}
}

// say answers a Twilio voice webhook with spoken text.
func say(w http.ResponseWriter, msg string) {
	var b strings.Builder
	b.WriteString(xml.Header + "<Response><Say>")
	_ = xml.EscapeText(&b, []byte(msg))
	b.WriteString("</Say></Response>")
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

func userByPhone(cfg *policies.Config, phone string) *policies.User {
	if phone == "" {
		return nil
	}
	for _, u := range cfg.Users {
		if u.Phone == phone {
			return u
		}
	}
	return nil
}

// twiml answers Twilio with a reply SMS.
func twiml(w http.ResponseWriter, msg string) {
	var b strings.Builder
	b.WriteString(xml.Header + "<Response><Message>")
	_ = xml.EscapeText(&b, []byte(msg))
	b.WriteString("</Message></Response>")
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}
