package twilio

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/twiliofake"
	"github.com/pagerd/pagerd/pagers"
)

const caller = "+15557650000"

func call() pagers.Notification {
	return pagers.Notification{
		Key: "inc42/r0/s1/alice/1/voice", Kind: pagers.KindPage, Channel: "voice",
		User: "alice", Address: "+15551230001",
		Incident: pagers.Incident{ID: 42, Title: "CheckoutDown", Summary: `checkout <is> "down" & out`, Service: "checkout",
			Labels: map[string]string{"severity": "critical"}},
	}
}

// twiml is the part of TwiML the tests look at.
type twiml struct {
	Gather *struct {
		NumDigits string `xml:"numDigits,attr"`
		Action    string `xml:"action,attr"`
		Say       []string
	}
	Say []string
}

func TestCallWithGather(t *testing.T) {
	fake := twiliofake.Start(t)
	fake.RequireAuth(accountSID, authToken)
	v := NewVoice(VoiceConfig{
		Config: Config{AccountSID: accountSID, AuthToken: authToken, From: caller}, HTTPClient: fake.HTTPClient(), RingSeconds: 30,
		GatherURL: func(n pagers.Notification) string {
			return "https://pagerd.example.com/twilio/gather?key=" + n.Key + "&sig=abc"
		},
	})
	rcpt, err := v.Send(context.Background(), call())
	if err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	c := fake.WaitCalls(t, 1, time.Second)[0]
	if rcpt.Channel != "voice" || rcpt.ProviderID != c.SID || !strings.HasPrefix(c.SID, "CA") {
		t.Errorf("receipt = %+v, want voice and the call SID %q", rcpt, c.SID)
	}
	if c.To != "+15551230001" || c.From != caller || c.Form.Get("Timeout") != "30" {
		t.Errorf("call = %+v, want to +15551230001 from %s ringing 30s", c, caller)
	}
	var got twiml
	if err := xml.Unmarshal([]byte(c.Twiml), &got); err != nil {
		t.Fatalf("TwiML %q does not parse: %v", c.Twiml, err)
	}
	if got.Gather == nil || got.Gather.NumDigits != "1" ||
		got.Gather.Action != "https://pagerd.example.com/twilio/gather?key=inc42/r0/s1/alice/1/voice&sig=abc" {
		t.Fatalf("TwiML gather = %+v, want numDigits 1 and the gather URL", got.Gather)
	}
	wantSay := `This is pager d. Critical incident 42: Checkout Down, on service checkout. checkout <is> "down" & out. Press 1 to acknowledge.`
	if len(got.Gather.Say) != 2 || got.Gather.Say[0] != wantSay {
		t.Errorf("TwiML gather says %q, want twice %q", got.Gather.Say, wantSay)
	}
	if len(got.Say) != 1 || !strings.Contains(got.Say[0], "No key pressed") {
		t.Errorf("TwiML after gather says %q, want a goodbye", got.Say)
	}
}

func TestCallFYIHasNoGather(t *testing.T) {
	fake := twiliofake.Start(t)
	called := false
	v := NewVoice(VoiceConfig{Config: Config{AccountSID: accountSID, AuthToken: authToken, From: caller}, HTTPClient: fake.HTTPClient(),
		GatherURL: func(pagers.Notification) string { called = true; return "https://x" }})
	n := call()
	n.Kind = pagers.KindResolved
	if _, err := v.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	var got twiml
	if err := xml.Unmarshal([]byte(fake.WaitCalls(t, 1, time.Second)[0].Twiml), &got); err != nil {
		t.Fatal(err)
	}
	if called || got.Gather != nil || len(got.Say) != 1 || !strings.Contains(got.Say[0], "was resolved") {
		t.Errorf("resolved call TwiML = %+v (GatherURL called: %v), want only a Say", got, called)
	}
}

func TestCallErrors(t *testing.T) {
	tests := []struct {
		name     string
		fail     int
		address  string
		wantPerm bool
	}{
		{"invalid number", 0, "12", true},
		{"injected 400", http.StatusBadRequest, "+15551230001", true},
		{"server error", http.StatusInternalServerError, "+15551230001", false},
		{"no number", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := twiliofake.Start(t)
			if tt.fail != 0 {
				fake.FailNext(1, tt.fail)
			}
			n := call()
			n.Address = tt.address
			_, err := NewVoice(VoiceConfig{Config: Config{AccountSID: accountSID, AuthToken: authToken, From: caller}, HTTPClient: fake.HTTPClient()}).Send(context.Background(), n)
			if err == nil {
				t.Fatal("Send() error = nil, want an error")
			}
			if got := pagers.IsPermanent(err); got != tt.wantPerm {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.wantPerm)
			}
			if len(fake.Calls()) != 0 {
				t.Errorf("fake recorded calls %+v, want none", fake.Calls())
			}
		})
	}
}
