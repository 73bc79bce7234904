package twiliofake

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

const (
	sid   = "AC00000000000000000000000000000001"
	token = "0123456789abcdef0123456789abcdef"
)

func restClient(f *Fake) *twilio.RestClient {
	c := &client.Client{Credentials: client.NewCredentials(sid, token), HTTPClient: f.HTTPClient()}
	c.SetAccountSid(sid)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}

func TestMessagesAndCallsThroughTwilioGo(t *testing.T) {
	f := Start(t)
	f.RequireAuth(sid, token)
	api := restClient(f).Api

	msg, err := api.CreateMessage((&openapi.CreateMessageParams{}).SetTo("+15551230001").SetFrom("+15557650000").SetBody("hello"))
	if err != nil {
		t.Fatalf("CreateMessage() error = %v", err)
	}
	if msg.Sid == nil || !strings.HasPrefix(*msg.Sid, "SM") || len(*msg.Sid) != 34 || *msg.Status != "queued" {
		t.Errorf("CreateMessage() = sid %v status %v, want SM… and queued", msg.Sid, msg.Status)
	}
	got := f.WaitMessages(t, 1, time.Second)[0]
	if got.To != "+15551230001" || got.From != "+15557650000" || got.Body != "hello" || got.SID != *msg.Sid || got.AccountSID != sid {
		t.Errorf("recorded message = %+v", got)
	}

	call, err := api.CreateCall((&openapi.CreateCallParams{}).SetTo("+15551230001").SetFrom("+15557650000").SetTwiml("<Response><Say>hi</Say></Response>"))
	if err != nil {
		t.Fatalf("CreateCall() error = %v", err)
	}
	calls := f.WaitCalls(t, 1, time.Second)
	if !strings.HasPrefix(*call.Sid, "CA") || calls[0].SID != *call.Sid || calls[0].Twiml != "<Response><Say>hi</Say></Response>" {
		t.Errorf("CreateCall() = %v, recorded %+v", *call.Sid, calls[0])
	}
	if f.Requests() != 2 {
		t.Errorf("Requests() = %d, want 2", f.Requests())
	}
}

func TestFailNext(t *testing.T) {
	f := Start(t)
	api := restClient(f).Api
	params := (&openapi.CreateMessageParams{}).SetTo("+15551230001").SetFrom("+15557650000").SetBody("hello")

	f.FailNext(2, http.StatusServiceUnavailable)
	for i := 0; i < 2; i++ {
		_, err := api.CreateMessage(params)
		var rest *client.TwilioRestError
		if !errors.As(err, &rest) || rest.Status != 503 {
			t.Fatalf("CreateMessage() #%d error = %v, want a Twilio 503", i, err)
		}
	}
	if _, err := api.CreateMessage(params); err != nil {
		t.Fatalf("CreateMessage() after the failures = %v", err)
	}
	if n := len(f.Messages()); n != 1 || f.Requests() != 3 {
		t.Errorf("messages = %d, requests = %d, want 1 and 3", n, f.Requests())
	}

	f.FailNext(1, http.StatusBadRequest)
	_, err := api.CreateMessage(params)
	var rest *client.TwilioRestError
	if !errors.As(err, &rest) || rest.Status != 400 || rest.Code != 21211 {
		t.Errorf("CreateMessage() error = %v, want Twilio 400 code 21211", err)
	}
}

func TestTransportPassesOtherHosts(t *testing.T) {
	f := Start(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "other")
	}))
	defer other.Close()
	resp, err := f.HTTPClient().Get(other.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "other" {
		t.Errorf("GET %s through the fake's client = %q, want %q", other.URL, body, "other")
	}
	// Regional hosts go to the fake as well.
	resp, err = f.HTTPClient().Get("https://api.dublin.ie1.twilio.com/2010-04-01/Nope.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || f.Requests() != 1 {
		t.Errorf("regional host answered %d after %d fake requests, want the fake's 404", resp.StatusCode, f.Requests())
	}
}

func TestSignRequestMatchesTwilioGo(t *testing.T) {
	v := client.NewRequestValidator(token)
	tests := []struct {
		name   string
		url    string
		params url.Values
	}{
		{"inbound sms", "https://pagerd.example.com/twilio/sms", InboundSMS(sid, "+15551230001", "+15557650000", "ack 42")},
		{"query and port", "https://pagerd.example.com:8443/twilio/voice?incident=42&step=1", url.Values{"Digits": {"1"}, "CallSid": {"CA123"}}},
		{"get webhook", "https://pagerd.example.com/twilio/status?MessageSid=SM1&MessageStatus=delivered", nil},
		{"unicode body", "https://pagerd.example.com/twilio/sms", url.Values{"Body": {"ack 42 ✓ — ok"}, "From": {"+4915112345678"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := SignRequest(token, tt.url, tt.params)
			flat := map[string]string{}
			for k := range tt.params {
				flat[k] = tt.params.Get(k)
			}
			if !v.Validate(tt.url, flat, sig) {
				t.Errorf("twilio-go Validate(%q) rejects SignRequest's signature %q", tt.url, sig)
			}
			if !v.ValidateBody(tt.url, []byte(tt.params.Encode()), sig) {
				t.Errorf("twilio-go ValidateBody(%q) rejects SignRequest's signature %q", tt.url, sig)
			}
			if other := client.NewRequestValidator("another-token"); other.Validate(tt.url, flat, sig) {
				t.Errorf("a signature made with %q validates under another token", token)
			}
			tampered := map[string]string{"Body": "resolve 42"}
			for k, val := range flat {
				if k != "Body" {
					tampered[k] = val
				}
			}
			if tt.params.Get("Body") != "" && v.Validate(tt.url, tampered, sig) {
				t.Error("the signature still validates after the body changed")
			}
		})
	}
}

func TestNewSignedRequest(t *testing.T) {
	const webhook = "https://pagerd.example.com/twilio/sms"
	params := InboundSMS(sid, "+15551230001", "+15557650000", "ack 42")
	req, err := NewSignedRequest(token, webhook, params)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	v := client.NewRequestValidator(token)
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		!v.ValidateBody(webhook, body, req.Header.Get("X-Twilio-Signature")) {
		t.Errorf("NewSignedRequest() = %s %v %q, want a signed form POST", req.Method, req.Header, body)
	}
	if params.Get("MessageSid") != params.Get("SmsSid") || !strings.HasPrefix(params.Get("MessageSid"), "SM") {
		t.Errorf("InboundSMS() = %v, want one SM… sid in MessageSid and SmsSid", params)
	}
}
