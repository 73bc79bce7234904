package links

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// A sign-in token names its person, expires, carries an ID of its own
// every time, refuses a forgery, and is never taken for an ack link (nor
// an ack link or a feed token for it).
func TestSignInToken(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	b := Builder{Signer: signer(now), TTL: time.Hour}
	tok, si := b.SignInToken("alice", 15*time.Minute)
	got, err := b.Signer.VerifySignIn(tok)
	if err != nil || got != si || got.User != "alice" || !got.Expires.Equal(now.Add(15*time.Minute)) || len(got.ID) != 32 {
		t.Fatalf("VerifySignIn = %+v, %v; want %+v", got, err, si)
	}
	if strings.ContainsAny(tok, "+/=") {
		t.Errorf("token %q is not URL-safe", tok)
	}
	if again, si2 := b.SignInToken("alice", 15*time.Minute); again == tok || si2.ID == si.ID {
		t.Error("two sign-in tokens for the same person are the same: a used one would stand for the next")
	}
	late := Signer{Key: b.Signer.Key, Now: func() time.Time { return now.Add(15 * time.Minute) }}
	if got, err := late.VerifySignIn(tok); !errors.Is(err, ErrExpired) || got.User != "alice" {
		t.Errorf("expired token = %+v, %v; want ErrExpired", got, err)
	}
	for name, bad := range map[string]string{
		"ack link":   b.ActionToken(42, incident.Ack, "alice"),
		"feed token": b.Signer.FeedToken("user:alice"),
		"other key":  Builder{Signer: Signer{Key: []byte("another key, another deployment!"), Now: b.Signer.Now}}.mustSignIn(),
		"flipped":    flip(tok),
		"empty":      "",
		"garbage":    "not a token!",
	} {
		if _, err := b.Signer.VerifySignIn(bad); !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s verified as a sign-in token: %v", name, err)
		}
	}
	if _, err := b.Signer.Verify(tok); err == nil {
		t.Error("a sign-in token verified as an ack link")
	}
}

func (b Builder) mustSignIn() string { tok, _ := b.SignInToken("alice", time.Hour); return tok }

func flip(tok string) string {
	b := []byte(tok)
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	return string(b)
}
