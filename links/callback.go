package links

import (
	"errors"
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
// ack link, which does name a person. Besides an ack link's actions it may
// carry incident.Assign: "take command", the presser becomes the
// incident manager.
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
	return s.seal(callbackDomain, c.Action, c.IncidentID, c.Expires, c.Where)
}

// VerifyCallback checks a callback token, signature first. An expired one
// returns its claims with ErrExpired.
func (s Signer) VerifyCallback(token string) (Callback, error) {
	action, id, expires, where, err := s.open(callbackDomain, token)
	if err != nil && !errors.Is(err, ErrExpired) {
		return Callback{}, err
	}
	return Callback{IncidentID: id, Action: action, Where: where, Expires: expires}, err
}

// CallbackToken signs action on incident id for a message posted into
// where, valid for the builder's TTL from now.
func (b Builder) CallbackToken(id int64, action incident.Action, where string) string {
	return b.Signer.SignCallback(Callback{IncidentID: id, Action: action, Where: where, Expires: b.Signer.now().Add(b.TTL)})
}
