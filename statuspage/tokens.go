package statuspage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// Subscription tokens: what the links in subscribers' messages carry. A
// token is base64url of
//
//	version(1) | purpose(1) | expiry, Unix seconds (varint; 0 = never) |
//	subscriber ID | 0x00 | nonce | tag(16)
//
// with tag an HMAC-SHA256 of the rest under the link key and a domain of
// its own, so an ack link or a feed token can never stand in for one. A
// confirmation expires and names the nonce of the latest confirmation
// sent (the store spends it once); an unsubscribe link lives as long as
// its subscriber.

const (
	tokenVersion = 1
	tokenDomain  = "pagerd status subscription v1\x00"
	purposeConf  = 'c'
	purposeUnsub = 'u'
)

// ConfirmTTL is how long a confirmation link works; an unconfirmed
// subscription is forgotten then.
const ConfirmTTL = 48 * time.Hour

var (
	errTokenMalformed = errors.New("the link is damaged: open it exactly as the message has it")
	errTokenExpired   = errors.New("the link has expired: subscribe again")
)

func tokenMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tokenDomain))
	m.Write(msg)
	return m.Sum(nil)[:16]
}

func signToken(key []byte, purpose byte, expires time.Time, sid, nonce string) string {
	exp := int64(0)
	if !expires.IsZero() {
		exp = expires.Unix()
	}
	buf := []byte{tokenVersion, purpose}
	buf = binary.AppendVarint(buf, exp)
	buf = append(buf, sid...)
	buf = append(buf, 0)
	buf = append(buf, nonce...)
	buf = append(buf, tokenMAC(key, buf)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// openToken checks a token for purpose and returns what it names.
func openToken(key []byte, purpose byte, token string, now time.Time) (sid, nonce string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 2+1+1+16 || len(key) == 0 {
		return "", "", errTokenMalformed
	}
	body, tag := raw[:len(raw)-16], raw[len(raw)-16:]
	if !hmac.Equal(tag, tokenMAC(key, body)) || body[0] != tokenVersion || body[1] != purpose {
		return "", "", errTokenMalformed
	}
	exp, n := binary.Varint(body[2:])
	if n <= 0 {
		return "", "", errTokenMalformed
	}
	sid, nonce, ok := strings.Cut(string(body[2+n:]), "\x00")
	if !ok || sid == "" {
		return "", "", errTokenMalformed
	}
	if exp != 0 && !now.Before(time.Unix(exp, 0)) {
		return sid, nonce, errTokenExpired
	}
	return sid, nonce, nil
}
