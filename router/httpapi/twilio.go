package httpapi

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/twilio/twilio-go/client"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/smsreply"
	"github.com/pagerd/pagerd/router/store"
)

// twilioSMS takes SMS replies ("ack 42") from Twilio's inbound-message
// webhook. The X-Twilio-Signature is checked against the configured public
// URL before anything else is read.
func (s *Server) twilioSMS(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	if cfg.Twilio == nil {
		s.fail(w, r, http.StatusNotFound, "twilio is not configured", nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "could not parse form body", err)
		return
	}
	params := make(map[string]string, len(r.PostForm))
	for k, v := range r.PostForm {
		params[k] = v[0]
	}
	url := strings.TrimRight(cfg.Settings.PublicURL, "/") + r.URL.RequestURI()
	sig := r.Header.Get("X-Twilio-Signature")
	validator := client.NewRequestValidator(cfg.Twilio.AuthToken)
	if sig == "" || !validator.Validate(url, params, sig) {
		s.fail(w, r, http.StatusForbidden, "bad or missing X-Twilio-Signature", fmt.Errorf("signature check failed for %s", url))
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
