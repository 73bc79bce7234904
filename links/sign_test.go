package links

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

var t0 = time.Date(2026, 11, 24, 1, 12, 20, 0, time.UTC)

func signer(at time.Time) Signer {
	return Signer{Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return at }}
}

func TestRoundTrip(t *testing.T) {
	s := signer(t0)
	tests := []Claims{
		{IncidentID: 42, Action: incident.Ack, User: "alice", Expires: t0.Add(time.Hour)},
		{IncidentID: 1, Action: incident.Resolve, User: "", Expires: t0.Add(time.Second)},
		{IncidentID: 1 << 62, Action: incident.Ack, User: "bob@example.com", Expires: t0.Add(30 * 24 * time.Hour)},
		{IncidentID: -7, Action: incident.Resolve, User: "zoë / ops ✓", Expires: t0.Add(time.Minute)},
	}
	for _, c := range tests {
		token := s.Sign(c)
		if strings.ContainsAny(token, "+/=.") {
			t.Errorf("Sign(%+v) = %q, not URL-safe and compact", c, token)
		}
		got, err := s.Verify(token)
		if err != nil {
			t.Errorf("Verify(Sign(%+v)) error: %v", c, err)
			continue
		}
		if got != c {
			t.Errorf("Verify(Sign(%+v)) = %+v", c, got)
		}
	}
	short := s.Sign(Claims{IncidentID: 123456, Action: incident.Ack, User: "alice", Expires: t0.Add(time.Hour)})
	if len(short) > 50 {
		t.Errorf("token %q is %d characters, want at most 50", short, len(short))
	}
}

func TestExpiresTruncatedToSecond(t *testing.T) {
	s := signer(t0)
	exp := t0.Add(time.Hour + 900*time.Millisecond).In(time.FixedZone("x", 3600))
	got, err := s.Verify(s.Sign(Claims{IncidentID: 1, Action: incident.Ack, Expires: exp}))
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(time.Hour); got.Expires != want {
		t.Errorf("Expires = %v, want %v", got.Expires, want)
	}
}

func TestExpired(t *testing.T) {
	c := Claims{IncidentID: 42, Action: incident.Ack, User: "alice", Expires: t0.Add(time.Hour)}
	token := signer(t0).Sign(c)
	for _, tc := range []struct {
		at      time.Time
		wantErr error
	}{
		{t0.Add(time.Hour - time.Nanosecond), nil},
		{t0.Add(time.Hour), ErrExpired},
		{t0.Add(48 * time.Hour), ErrExpired},
	} {
		got, err := signer(tc.at).Verify(token)
		if err != tc.wantErr {
			t.Errorf("Verify at %v: error %v, want %v", tc.at, err, tc.wantErr)
		}
		if got != c {
			t.Errorf("Verify at %v: claims %+v, want %+v", tc.at, got, c)
		}
	}
	past := signer(t0).Sign(Claims{IncidentID: 1, Action: incident.Ack})
	if _, err := signer(t0).Verify(past); err != ErrExpired {
		t.Errorf("zero Expires: error %v, want ErrExpired", err)
	}
}

func TestTampered(t *testing.T) {
	s := signer(t0)
	token := s.Sign(Claims{IncidentID: 42, Action: incident.Ack, User: "alice", Expires: t0.Add(time.Hour)})
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	// Flipping any bit of payload or tag must break the signature.
	for i := range raw {
		for bit := range 8 {
			b := append([]byte(nil), raw...)
			b[i] ^= 1 << bit
			if _, err := s.Verify(base64.RawURLEncoding.EncodeToString(b)); err != ErrBadSignature {
				t.Fatalf("byte %d bit %d flipped: error %v, want ErrBadSignature", i, bit, err)
			}
		}
	}
	// A longer user with the original tag.
	b := append([]byte(nil), raw[:len(raw)-tagLen]...)
	b = append(b, "x"...)
	b = append(b, raw[len(raw)-tagLen:]...)
	if _, err := s.Verify(base64.RawURLEncoding.EncodeToString(b)); err != ErrBadSignature {
		t.Errorf("extended payload: error %v, want ErrBadSignature", err)
	}
	other := Signer{Key: []byte("another key entirely, 32 bytes!!"), Now: s.Now}
	if _, err := other.Verify(token); err != ErrBadSignature {
		t.Errorf("wrong key: error %v, want ErrBadSignature", err)
	}
	if _, err := (Signer{Now: s.Now}).Verify(token); err != ErrBadSignature {
		t.Errorf("no key: error %v, want ErrBadSignature", err)
	}
}

func TestMalformed(t *testing.T) {
	s := signer(t0)
	good := s.Sign(Claims{IncidentID: 42, Action: incident.Ack, User: "alice", Expires: t0.Add(time.Hour)})
	for _, token := range []string{
		"",
		"a",
		"not base64!",
		good + "=",
		good[:10],
		strings.Replace(good, good[:1], "+", 1),
		" " + good,
		base64.RawURLEncoding.EncodeToString(make([]byte, 19)),
	} {
		if _, err := s.Verify(token); err != ErrMalformed {
			t.Errorf("Verify(%q) error = %v, want ErrMalformed", token, err)
		}
	}
}

// signed builds a token with a valid tag around any payload, to reach the
// checks made after the signature.
func signed(s Signer, body []byte) string {
	return base64.RawURLEncoding.EncodeToString(append(body, s.mac(linkDomain, body)[:tagLen]...))
}

func TestSignedButMalformed(t *testing.T) {
	s := signer(t0)
	for name, body := range map[string][]byte{
		"other version":  {2, 1, 84, 2},
		"unknown action": {1, 9, 84, 2},
		"bad varint":     {1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"no expiry":      {1, 1, 84, 0x80},
	} {
		if _, err := s.Verify(signed(s, body)); err != ErrMalformed {
			t.Errorf("%s: error %v, want ErrMalformed", name, err)
		}
	}
}

func TestSignPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"a note cannot be a link": func() { signer(t0).Sign(Claims{Action: incident.Note}) },
		"no key":                  func() { Signer{}.Sign(Claims{Action: incident.Ack}) },
		"feed no key":             func() { Signer{}.FeedToken("schedule:x") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestFeedToken(t *testing.T) {
	s := signer(t0)
	const feed = "schedule:payments-primary"
	tok := s.FeedToken(feed)
	if tok != s.FeedToken(feed) {
		t.Fatal("FeedToken is not stable")
	}
	if strings.ContainsAny(tok, "+/=") {
		t.Errorf("FeedToken = %q, not URL-safe", tok)
	}
	if !s.FeedTokenValid(feed, tok) {
		t.Error("own token rejected")
	}
	for name, ok := range map[string]bool{
		"other feed":  s.FeedTokenValid("schedule:payments-secondary", tok),
		"truncated":   s.FeedTokenValid(feed, tok[:len(tok)-1]),
		"empty":       s.FeedTokenValid(feed, ""),
		"other key":   Signer{Key: []byte("k")}.FeedTokenValid(feed, tok),
		"no key":      Signer{}.FeedTokenValid(feed, tok),
		"ack as feed": s.FeedTokenValid(feed, s.Sign(Claims{IncidentID: 1, Action: incident.Ack, Expires: t0.Add(time.Hour)})),
	} {
		if ok {
			t.Errorf("%s: token accepted", name)
		}
	}
}

// TestDomainSeparation checks that a MAC made for a feed never verifies as
// an action link, even for a feed named exactly like a link's payload.
func TestDomainSeparation(t *testing.T) {
	s := signer(t0)
	token := s.Sign(Claims{IncidentID: 42, Action: incident.Ack, User: "alice", Expires: t0.Add(time.Hour)})
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	body := raw[:len(raw)-tagLen]
	feedTag, _ := base64.RawURLEncoding.DecodeString(s.FeedToken(string(body)))
	forged := base64.RawURLEncoding.EncodeToString(append(append([]byte(nil), body...), feedTag[:tagLen]...))
	if _, err := s.Verify(forged); err != ErrBadSignature {
		t.Errorf("link built from a feed MAC: error %v, want ErrBadSignature", err)
	}
	if _, err := s.Verify(s.FeedToken("schedule:payments-primary")); err == nil {
		t.Error("feed token verified as an action link")
	}
}

func FuzzVerify(f *testing.F) {
	s := signer(t0)
	f.Add(s.Sign(Claims{IncidentID: 42, Action: incident.Ack, User: "alice", Expires: t0.Add(time.Hour)}))
	f.Add(s.Sign(Claims{IncidentID: -1, Action: incident.Resolve, Expires: t0.Add(-time.Hour)}))
	f.Add(s.FeedToken("schedule:x"))
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token)
		switch {
		case err == nil, errors.Is(err, ErrExpired):
			if c.Action != incident.Ack && c.Action != incident.Resolve {
				t.Fatalf("Verify(%q) accepted action %q", token, c.Action)
			}
			// Only our own tokens verify, and they re-sign to themselves.
			if again := s.Sign(c); again != token {
				t.Fatalf("Verify(%q) = %+v, which signs to %q", token, c, again)
			}
		case errors.Is(err, ErrMalformed), errors.Is(err, ErrBadSignature):
			if c != (Claims{}) {
				t.Fatalf("Verify(%q) = %+v with error %v", token, c, err)
			}
		default:
			t.Fatalf("Verify(%q): unexpected error %v", token, err)
		}
	})
}
