package links

import (
	"errors"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// A callback token round-trips, expires, refuses a forgery, and is never
// taken for an ack link (nor an ack link for it): the two name different
// things, a room and a person.
func TestCallbackToken(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	s := Signer{Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }}
	b := Builder{Signer: s, TTL: time.Hour}
	tok := b.CallbackToken(42, incident.Resolve, "town-square")
	c, err := s.VerifyCallback(tok)
	if err != nil || c.IncidentID != 42 || c.Action != incident.Resolve || c.Where != "town-square" || !c.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("VerifyCallback = %+v, %v", c, err)
	}
	if _, err := s.Verify(tok); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a callback token verified as an ack link: %v", err)
	}
	if _, err := s.VerifyCallback(b.ActionToken(42, incident.Ack, "alice")); !errors.Is(err, ErrBadSignature) {
		t.Errorf("an ack link verified as a callback token: %v", err)
	}
	other := Signer{Key: []byte("another key, another deployment!"), Now: s.Now}
	if _, err := other.VerifyCallback(tok); !errors.Is(err, ErrBadSignature) {
		t.Errorf("verified with another key: %v", err)
	}
	forged := []byte(tok)
	forged[3] ^= 1
	if _, err := s.VerifyCallback(string(forged)); err == nil {
		t.Error("a changed token verified")
	}
	late := Signer{Key: s.Key, Now: func() time.Time { return now.Add(2 * time.Hour) }}
	if c, err := late.VerifyCallback(tok); !errors.Is(err, ErrExpired) || c.IncidentID != 42 {
		t.Errorf("expired token = %+v, %v; want ErrExpired with its claims", c, err)
	}
}

// "Take command" rides in a chat button's callback token, and only there:
// a link, which anyone it reaches may open, cannot carry it.
func TestTakeCommandIsACallbackOnly(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	s := Signer{Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }}
	b := Builder{Signer: s, TTL: 24 * time.Hour}
	tok := b.CallbackToken(1<<40, incident.Assign, "room:payments")
	if c, err := s.VerifyCallback(tok); err != nil || c.Action != incident.Assign || c.IncidentID != 1<<40 {
		t.Fatalf("VerifyCallback = %+v, %v", c, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("an ack link was signed for assign")
		}
	}()
	b.ActionToken(42, incident.Assign, "alice")
}
