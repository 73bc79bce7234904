package links

import (
	"crypto/hmac"
	"encoding/binary"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// A callback token rides in a chat button of a platform that does not sign
// the requests it makes when the button is pressed (Mattermost's
// integration context, Telegram's callback data): pagerd signed it, so the
// press is for this incident and action, from a message pagerd posted into
// Where (a room or a person's chat). It does not say who presses: the
// platform's user is mapped to a pagerd user and held to the service's
// responders rule. Its own domain string keeps it from standing in for an
// ack link, which does name a person.
//
//	version(1) | action(1) | incident ID (varint) | expiry (varint) | where | tag(16)

const callbackDomain = "pagerd chat callback v1\x00"

// Callback is what a callback token vouches for.
type Callback struct {
	IncidentID int64
	Action     incident.Action
	Where      string // the room or chat the message went to, as the platform names it
	Expires    time.Time
}

// SignCallback returns a URL-safe callback token for c. Like Sign, it
// panics on an action a token cannot carry or an empty key.
func (s Signer) SignCallback(c Callback) string {
	code, ok := actionCodes[c.Action]
	if !ok {
		panic("links: action " + string(c.Action) + " cannot be signed into a callback")
	}
	buf := make([]byte, 0, 2+2*binary.MaxVarintLen64+len(c.Where)+tagLen)
	buf = append(buf, version, code)
	buf = binary.AppendVarint(buf, c.IncidentID)
	buf = binary.AppendVarint(buf, c.Expires.Unix())
	buf = append(buf, c.Where...)
	buf = append(buf, s.mac(callbackDomain, buf)[:tagLen]...)
	return b64.EncodeToString(buf)
}

// VerifyCallback checks a callback token, signature first. An expired one
// returns its claims with ErrExpired.
func (s Signer) VerifyCallback(token string) (Callback, error) {
	raw, err := b64.DecodeString(token)
	if err != nil || len(raw) < 2+1+1+tagLen {
		return Callback{}, ErrMalformed
	}
	if len(s.Key) == 0 {
		return Callback{}, ErrBadSignature
	}
	body, tag := raw[:len(raw)-tagLen], raw[len(raw)-tagLen:]
	if !hmac.Equal(tag, s.mac(callbackDomain, body)[:tagLen]) {
		return Callback{}, ErrBadSignature
	}
	if body[0] != version {
		return Callback{}, ErrMalformed
	}
	action, ok := actionName(body[1])
	if !ok {
		return Callback{}, ErrMalformed
	}
	rest := body[2:]
	id, n := binary.Varint(rest)
	if n <= 0 {
		return Callback{}, ErrMalformed
	}
	rest = rest[n:]
	exp, n := binary.Varint(rest)
	if n <= 0 {
		return Callback{}, ErrMalformed
	}
	c := Callback{IncidentID: id, Action: action, Where: string(rest[n:]), Expires: time.Unix(exp, 0).UTC()}
	if !s.now().Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// CallbackToken signs action on incident id for a message posted into
// where, valid for the builder's TTL from now.
func (b Builder) CallbackToken(id int64, action incident.Action, where string) string {
	return b.Signer.SignCallback(Callback{IncidentID: id, Action: action, Where: where, Expires: b.Signer.now().Add(b.TTL)})
}
