// Package links builds and checks every URL pagerd hands out: signed action
// links in pages ("acknowledge incident 42"), the URLs providers call back
// (a voice call's keypress), and calendar feed URLs with their tokens.
//
// An action token is the base64url encoding (no padding) of
//
//	version(1) | action(1) | incident ID (varint) | expiry, Unix seconds (varint) | user | tag(16)
//
// where tag is HMAC-SHA256 over a domain string and the bytes before it,
// truncated to 128 bits. A typical token is under 50 characters, short enough
// for an SMS. Feed tokens use their own domain string, so neither kind of
// token can stand in for the other.
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// Errors Verify returns. Only ErrExpired comes with meaningful Claims.
var (
	ErrMalformed    = errors.New("links: malformed token")
	ErrBadSignature = errors.New("links: bad signature")
	ErrExpired      = errors.New("links: link expired")
)

// Claims is what a signed action link authorizes.
type Claims struct {
	IncidentID int64
	Action     incident.Action // Ack, Resolve or Escalate
	User       string          // who the link was sent to
	// Expires is when the link stops working; it is kept to the second,
	// in UTC.
	Expires time.Time
}

// Signer signs and verifies tokens with one secret key. The zero Now means
// time.Now. Rotating Key invalidates every link and feed URL handed out.
type Signer struct {
	Key []byte
	Now func() time.Time
}

const (
	version = 1
	tagLen  = 16
	// The domain strings end in a byte that appears in neither, so one is
	// never a prefix of the other.
	linkDomain = "pagerd acklink v1\x00"
	feedDomain = "pagerd feed v1\x00"
)

// actionCodes are the actions a token may carry, one byte each. A note
// needs text, which a token cannot carry. Assign is a callback's alone
// (see callbackOnly).
var actionCodes = map[incident.Action]byte{incident.Ack: 1, incident.Resolve: 2, incident.Escalate: 3, incident.Assign: 4}

// callbackOnly reports whether action may ride in a token of domain only
// when that is a chat callback's: "take command" makes whoever presses
// the incident manager, which means something only where the platform
// says who pressed — never in a link, which anyone it is forwarded to
// may open.
func callbackOnly(domain string, action incident.Action) bool {
	return action == incident.Assign && domain != callbackDomain
}

func actionName(code byte) (incident.Action, bool) {
	for name, c := range actionCodes {
		if c == code {
			return name, true
		}
	}
	return "", false
}

var b64 = base64.RawURLEncoding.Strict()

func (s Signer) mac(domain string, msg []byte) []byte {
	if len(s.Key) == 0 {
		// A link signed with no key is a link anyone can forge.
		panic("links: Signer has no key")
	}
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(domain))
	m.Write(msg)
	return m.Sum(nil)
}

func (s Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Sign returns a URL-safe token for c. It panics if c.Action cannot be put
// in a link, or if the key is empty: both are programming errors, never
// input errors.
func (s Signer) Sign(c Claims) string {
	return s.seal(linkDomain, c.Action, c.IncidentID, c.Expires, c.User)
}

// Verify checks token and returns its claims. The signature is checked
// before anything in the token is trusted. An expired link returns its
// claims with ErrExpired, so the page can say which incident it was for. A
// Signer with no key verifies nothing (ErrBadSignature).
func (s Signer) Verify(token string) (Claims, error) {
	action, id, expires, user, err := s.open(linkDomain, token)
	if err != nil && !errors.Is(err, ErrExpired) {
		return Claims{}, err
	}
	return Claims{IncidentID: id, Action: action, User: user, Expires: expires}, err
}

// seal signs, under domain, what an action token carries: version,
// action, incident, expiry and a tail (the user, or where a callback's
// message went).
func (s Signer) seal(domain string, action incident.Action, id int64, expires time.Time, tail string) string {
	code, ok := actionCodes[action]
	if !ok || callbackOnly(domain, action) {
		panic("links: action " + string(action) + " cannot be signed into a token")
	}
	buf := make([]byte, 0, 2+2*binary.MaxVarintLen64+len(tail)+tagLen)
	buf = append(buf, version, code)
	buf = binary.AppendVarint(buf, id)
	buf = binary.AppendVarint(buf, expires.Unix())
	buf = append(buf, tail...)
	buf = append(buf, s.mac(domain, buf)[:tagLen]...)
	return b64.EncodeToString(buf)
}

// open checks a token sealed under domain, signature first, and returns
// what it carries; an expired one comes with ErrExpired.
func (s Signer) open(domain, token string) (action incident.Action, id int64, expires time.Time, tail string, err error) {
	raw, err := b64.DecodeString(token)
	if err != nil || len(raw) < 2+1+1+tagLen {
		return "", 0, time.Time{}, "", ErrMalformed
	}
	if len(s.Key) == 0 {
		return "", 0, time.Time{}, "", ErrBadSignature
	}
	body, tag := raw[:len(raw)-tagLen], raw[len(raw)-tagLen:]
	if !hmac.Equal(tag, s.mac(domain, body)[:tagLen]) {
		return "", 0, time.Time{}, "", ErrBadSignature
	}
	// Signed by us: anything odd below is a token from another version.
	if body[0] != version {
		return "", 0, time.Time{}, "", ErrMalformed
	}
	action, ok := actionName(body[1])
	if !ok || callbackOnly(domain, action) {
		return "", 0, time.Time{}, "", ErrMalformed
	}
	rest := body[2:]
	id, n := binary.Varint(rest)
	if n <= 0 {
		return "", 0, time.Time{}, "", ErrMalformed
	}
	rest = rest[n:]
	exp, n := binary.Varint(rest)
	if n <= 0 {
		return "", 0, time.Time{}, "", ErrMalformed
	}
	expires = time.Unix(exp, 0).UTC()
	if !s.now().Before(expires) {
		err = ErrExpired
	}
	return action, id, expires, string(rest[n:]), err
}

// FeedToken returns the token for a calendar feed URL, such as the one for
// feed "schedule:payments-primary". It is stable: the same feed and key give
// the same token, so a subscribed calendar keeps working. It panics if the
// key is empty.
func (s Signer) FeedToken(feed string) string {
	return b64.EncodeToString(s.mac(feedDomain, []byte(feed)))
}

// FeedTokenValid reports whether token is the token of feed, in time that
// does not depend on how much of it matches.
func (s Signer) FeedTokenValid(feed, token string) bool {
	if len(s.Key) == 0 {
		return false
	}
	return hmac.Equal([]byte(token), []byte(s.FeedToken(feed)))
}
