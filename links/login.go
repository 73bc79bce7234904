package links

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// A sign-in token rides in the magic link that signs a person in to the
// web console. It names the person and carries a random ID, which the
// console spends the first time the link is used, so a link works once
// even though its signature would verify until it expires. Its own domain
// string keeps it from standing in for an ack link or a feed token.
//
//	version(1) | id(16) | expiry, Unix seconds (varint) | user | tag(16)

const (
	signInDomain = "pagerd console sign-in v1\x00"
	signInIDLen  = 16
)

// SignIn is what a sign-in token vouches for.
type SignIn struct {
	// ID tells uses of the same link apart from uses of another: hex.
	ID      string
	User    string
	Expires time.Time
}

// SignInPath is where the console takes a sign-in token.
func SignInPath(token string) string { return "/console/signin/" + token }

// SignInToken makes a sign-in token for user, valid for ttl from now.
func (b Builder) SignInToken(user string, ttl time.Duration) (string, SignIn) {
	var id [signInIDLen]byte
	_, _ = rand.Read(id[:]) // crypto/rand never fails on supported platforms
	si := SignIn{ID: hex.EncodeToString(id[:]), User: user, Expires: b.Signer.now().Add(ttl).Truncate(time.Second)}
	buf := make([]byte, 0, 1+signInIDLen+binary.MaxVarintLen64+len(user)+tagLen)
	buf = append(buf, version)
	buf = append(buf, id[:]...)
	buf = binary.AppendVarint(buf, si.Expires.Unix())
	buf = append(buf, user...)
	buf = append(buf, b.Signer.mac(signInDomain, buf)[:tagLen]...)
	return b64.EncodeToString(buf), si
}

// VerifySignIn checks a sign-in token, signature first. An expired one
// returns its claims with ErrExpired.
func (s Signer) VerifySignIn(token string) (SignIn, error) {
	raw, err := b64.DecodeString(token)
	if err != nil || len(raw) < 1+signInIDLen+1+tagLen {
		return SignIn{}, ErrMalformed
	}
	if len(s.Key) == 0 {
		return SignIn{}, ErrBadSignature
	}
	body, tag := raw[:len(raw)-tagLen], raw[len(raw)-tagLen:]
	if !hmac.Equal(tag, s.mac(signInDomain, body)[:tagLen]) {
		return SignIn{}, ErrBadSignature
	}
	if body[0] != version {
		return SignIn{}, ErrMalformed
	}
	id := body[1 : 1+signInIDLen]
	exp, n := binary.Varint(body[1+signInIDLen:])
	if n <= 0 {
		return SignIn{}, ErrMalformed
	}
	si := SignIn{ID: hex.EncodeToString(id), User: string(body[1+signInIDLen+n:]), Expires: time.Unix(exp, 0).UTC()}
	if si.User == "" {
		return SignIn{}, ErrMalformed
	}
	if !s.now().Before(si.Expires) {
		return si, ErrExpired
	}
	return si, nil
}
