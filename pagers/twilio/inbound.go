package twilio

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/twilio/twilio-go/client"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/smsreply"
	"github.com/pagerd/pagerd/policies"
)

// The webhooks Twilio calls: set a number's "A message comes in" webhook
// to <public_url>/v1/twilio/sms; calls carry their keypress URL themselves.
const (
	SMSReplyPath = "/v1/twilio/sms"
	keypressPath = "/v1/twilio/voice/"
)

// serveSMSReply takes SMS replies ("ack 42"). The X-Twilio-Signature is
// checked against the public URL before anything else is read.
func serveSMSReply(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) {
	if !signed(w, r, in) {
		return
	}
	from := r.PostForm.Get("From")
	user := userByPhone(in.Config, from)
	if user == nil {
		in.Log.Warn("SMS from an unknown number ignored", "from", from)
		reply(w, "This number is not known to pagerd.")
		return
	}
	cmd, err := smsreply.Parse(r.PostForm.Get("Body"))
	if err != nil {
		reply(w, err.Error())
		return
	}
	// Known by the number alone: held to the service's responders rule.
	req := incident.Request{Incident: cmd.IncidentID, Action: cmd.Action, By: user.Name, Via: "sms",
		Text: cmd.Text, Role: cmd.Role, Credential: incident.CredentialAddress}
	if cmd.Action == incident.Assign {
		req.Assignee = user.Name // "ic 42": the sender takes command
	}
	res, err := in.Act(r.Context(), req)
	answer, err := pagers.Answer(req, res, err)
	if err != nil {
		// Twilio retries on 5xx only for some webhooks; say so by SMS too.
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	}
	reply(w, answer)
}

// serveKeypress takes the keypress of a page call: 1 acknowledges.
func serveKeypress(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) {
	if !signed(w, r, in) {
		return
	}
	claims, err := in.Links.Verify(r.PathValue("token"))
	if err != nil {
		in.Log.Warn("voice keypress with a bad token", "err", err)
		say(w, "This page can no longer be acknowledged by phone. Goodbye.")
		return
	}
	if r.PostForm.Get("Digits") != "1" {
		say(w, "Not acknowledged. Goodbye.")
		return
	}
	// The call's keypress URL carries a token signed for this person,
	// incident and action.
	res, err := in.Act(r.Context(), incident.Request{Incident: claims.IncidentID, Action: claims.Action, By: claims.User, Via: "voice",
		Credential: incident.CredentialLink})
	var refused *incident.Refusal
	switch {
	case errors.As(err, &refused):
		say(w, "Refused. "+refused.Error()+" Goodbye.")
	case errors.Is(err, incident.ErrNotFound):
		say(w, "That incident no longer exists. Goodbye.")
	case err != nil:
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
	case res.Outcome == incident.OutcomeUnchanged:
		say(w, fmt.Sprintf("Incident %d is already %s. Goodbye.", claims.IncidentID, res.Before))
	default:
		say(w, fmt.Sprintf("Incident %d %s. Goodbye.", claims.IncidentID, res.Outcome))
	}
}

// signed parses the form and checks X-Twilio-Signature against the public
// URL Twilio was given; it answers the request itself when not.
func signed(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) bool {
	c, _ := in.Config.Block("twilio").(Config)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		in.Fail(w, r, http.StatusBadRequest, "could not parse form body", err)
		return false
	}
	params := make(map[string]string, len(r.PostForm))
	for k, v := range r.PostForm {
		params[k] = v[0]
	}
	sig := r.Header.Get("X-Twilio-Signature")
	validator := client.NewRequestValidator(c.AuthToken)
	if sig == "" || !validator.Validate(in.Links.URL(r.URL.RequestURI()), params, sig) {
		// The URL may carry an action token: log only the route.
		in.Fail(w, r, http.StatusForbidden, "bad or missing X-Twilio-Signature",
			fmt.Errorf("signature check failed for %s", in.Links.URL(r.Pattern[strings.Index(r.Pattern, "/"):])))
		return false
	}
	return true
}

func userByPhone(cfg *policies.Config, number string) *policies.User {
	if number == "" {
		return nil
	}
	for _, u := range cfg.Users {
		if u.Contact(phone.Attr) == number {
			return u
		}
	}
	return nil
}

// reply answers Twilio with a reply SMS.
func reply(w http.ResponseWriter, msg string) { writeTwiML(w, "Message", msg) }

// say answers a Twilio voice webhook with spoken text.
func say(w http.ResponseWriter, msg string) { writeTwiML(w, "Say", msg) }

func writeTwiML(w http.ResponseWriter, verb, text string) {
	var b strings.Builder
	b.WriteString(xml.Header + "<Response><" + verb + ">")
	_ = xml.EscapeText(&b, []byte(text))
	b.WriteString("</" + verb + "></Response>")
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}
