package statuspage

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/policies"
)

func TestTokens(t *testing.T) {
	key, now := []byte("k"), time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	conf := signToken(key, purposeConf, now.Add(time.Hour), "sub1", "nonce1")
	unsub := signToken(key, purposeUnsub, time.Time{}, "sub1", "")
	tamper := func(s string) string {
		b := []byte(s)
		b[3] ^= 1
		return string(b)
	}
	tests := []struct {
		name      string
		key       []byte
		purpose   byte
		token     string
		at        time.Time
		sid, want string
		err       error
	}{
		{"a confirmation", key, purposeConf, conf, now, "sub1", "nonce1", nil},
		{"an unsubscribe link never expires", key, purposeUnsub, unsub, now.AddDate(5, 0, 0), "sub1", "", nil},
		{"expired", key, purposeConf, conf, now.Add(time.Hour), "sub1", "nonce1", errTokenExpired},
		{"for another purpose", key, purposeUnsub, conf, now, "", "", errTokenMalformed},
		{"another key", []byte("other"), purposeConf, conf, now, "", "", errTokenMalformed},
		{"altered", key, purposeConf, tamper(conf), now, "", "", errTokenMalformed},
		{"cut short", key, purposeConf, conf[:10], now, "", "", errTokenMalformed},
		{"not base64", key, purposeConf, "!!!", now, "", "", errTokenMalformed},
		{"no key", nil, purposeConf, conf, now, "", "", errTokenMalformed},
	}
	for _, tt := range tests {
		sid, nonce, err := openToken(tt.key, tt.purpose, tt.token, tt.at)
		if err != tt.err || (err == nil && (sid != tt.sid || nonce != tt.want)) {
			t.Errorf("%s: openToken = %q, %q, %v; want %q, %q, %v", tt.name, sid, nonce, err, tt.sid, tt.want, tt.err)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		kind, in, want, problem string
	}{
		{policies.SubscribeEmail, " Alice@Example.COM ", "alice@example.com", ""},
		{policies.SubscribeEmail, "Alice <alice@example.com>", "", "without a name"},
		{policies.SubscribeEmail, "alice@example.com\r\nBcc: x@example.com", "", "line break"},
		{policies.SubscribeEmail, "alice@example.com\nX: y", "", "line break"},
		{policies.SubscribeEmail, "alice@localhost", "", "is not an email address"},
		{policies.SubscribeEmail, "", "", "empty"},
		{policies.SubscribeEmail, "a\x1b[31m@example.com", "", "control characters"},
		{policies.SubscribeSMS, "+15551230001", "+15551230001", ""},
		{policies.SubscribeSMS, "15551230001", "", "country code"},
		{policies.SubscribeWebhook, "https://user:pw@example.com/h", "", "user name or password"},
		{policies.SubscribeWebhook, "http://example.com/h", "", "must be https"},
		{policies.SubscribeWebhook, "https://127.0.0.1/h", "", "private address"},
		{policies.SubscribeWebhook, "https://10.1.2.3/h", "", "private address"},
		{policies.SubscribeWebhook, "https://[::1]/h", "", "private address"},
		{policies.SubscribeWebhook, "/relative", "", "not an absolute URL"},
	}
	for _, tt := range tests {
		got, problem := checkAddress(context.Background(), tt.kind, tt.in, false)
		if got != tt.want || (tt.problem == "") != (problem == "") || !strings.Contains(problem, tt.problem) {
			t.Errorf("checkAddress(%s, %q) = %q, %q; want %q, %q", tt.kind, tt.in, got, problem, tt.want, tt.problem)
		}
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		remote, fwd, want string
	}{
		{"203.0.113.7:5000", "", "203.0.113.7"},
		{"203.0.113.7:5000", "198.51.100.1", "203.0.113.7"}, // not a proxy of ours: its header is not believed
		{"127.0.0.1:5000", "198.51.100.9, 198.51.100.1", "198.51.100.1"},
		{"10.0.0.5:5000", "garbage", "10.0.0.5"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.fwd != "" {
			r.Header.Set("X-Forwarded-For", tt.fwd)
		}
		if got := clientIP(r); got != tt.want {
			t.Errorf("clientIP(%s, %q) = %q, want %q", tt.remote, tt.fwd, got, tt.want)
		}
	}
}
