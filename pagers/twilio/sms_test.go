package twilio

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/twiliofake"
	"github.com/pagerd/pagerd/pagers"
)

const (
	accountSID = "AC00000000000000000000000000000001"
	authToken  = "0123456789abcdef0123456789abcdef"
	sender     = "+15557650000"
)

func page() pagers.Notification {
	return pagers.Notification{
		Key: "inc42/r0/s0/alice/0/sms", Kind: pagers.KindPage, Channel: "sms",
		User: "alice", Address: "+15551230001",
		AckURL: "https://pagerd.example.com/ack/42", AckReply: "ack 42", ResolveReply: "resolve 42",
		Incident: pagers.Incident{ID: 42, Title: "CheckoutDown", Summary: "checkout is down", Service: "checkout",
			Labels: map[string]string{"severity": "critical"}},
	}
}

func newSMS(fake *twiliofake.Fake) *SMS {
	return NewSMS(SMSConfig{Config: Config{AccountSID: accountSID, AuthToken: authToken, From: sender}, HTTPClient: fake.HTTPClient(),
		StatusCallback: "https://pagerd.example.com/twilio/status"})
}

func TestSMSDelivers(t *testing.T) {
	fake := twiliofake.Start(t)
	rcpt, err := newSMS(fake).Send(context.Background(), page())
	if err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	msgs := fake.WaitMessages(t, 1, time.Second)
	m := msgs[0]
	if rcpt.Channel != "sms" || rcpt.ProviderID != m.SID || !strings.HasPrefix(m.SID, "SM") {
		t.Errorf("Send() receipt = %+v, want channel sms and the message SID %q", rcpt, m.SID)
	}
	want := twiliofake.Message{
		Form: m.Form,
		SID:  m.SID, AccountSID: accountSID, To: "+15551230001", From: sender,
		Body:           SMSText(page()),
		StatusCallback: "https://pagerd.example.com/twilio/status",
		Received:       m.Received,
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("fake got %+v, want %+v", m, want)
	}
	if !strings.Contains(m.Body, "Reply 'ack 42' to acknowledge") {
		t.Errorf("body %q does not say how to acknowledge", m.Body)
	}
}

func TestSMSErrors(t *testing.T) {
	tests := []struct {
		name     string
		cfg      func(*Config)
		n        func(*pagers.Notification)
		fail     int // status of an injected failure, 0 for none
		wantErr  string
		wantPerm bool
	}{
		{name: "invalid number", n: func(n *pagers.Notification) { n.Address = "555-NOPE" }, wantErr: "Invalid 'To' Phone Number", wantPerm: true},
		{name: "injected 400", fail: 400, wantErr: "Status: 400", wantPerm: true},
		{name: "bad credentials", cfg: func(c *Config) { c.AuthToken = "wrongtoken" }, wantErr: "Status: 401", wantPerm: true},
		{name: "rate limited", fail: 429, wantErr: "Status: 429", wantPerm: false},
		{name: "server error", fail: 500, wantErr: "Status: 500", wantPerm: false},
		{name: "unavailable", fail: 503, wantErr: "Status: 503", wantPerm: false},
		{name: "no address", n: func(n *pagers.Notification) { n.Address = "" }, wantErr: `user "alice" has no phone number`, wantPerm: true},
		{name: "no credentials", cfg: func(c *Config) { c.AuthToken = "" }, wantErr: "auth token are required", wantPerm: true},
		{name: "no sender", cfg: func(c *Config) { c.From = "" }, wantErr: "no sender number", wantPerm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := twiliofake.Start(t)
			fake.RequireAuth(accountSID, authToken)
			cfg := SMSConfig{Config: Config{AccountSID: accountSID, AuthToken: authToken, From: sender}, HTTPClient: fake.HTTPClient()}
			if tt.cfg != nil {
				tt.cfg(&cfg.Config)
			}
			n := page()
			if tt.n != nil {
				tt.n(&n)
			}
			if tt.fail != 0 {
				fake.FailNext(1, tt.fail)
			}
			_, err := NewSMS(cfg).Send(context.Background(), n)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send() error = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := pagers.IsPermanent(err); got != tt.wantPerm {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.wantPerm)
			}
			if got := len(fake.Messages()); got != 0 {
				t.Errorf("fake recorded %d messages, want 0", got)
			}
		})
	}
}

func TestRetryAfterServerErrors(t *testing.T) {
	fake := twiliofake.Start(t)
	fake.FailNext(2, http.StatusInternalServerError)
	var slept []time.Duration
	r := pagers.Retry{
		Pager: newSMS(fake),
		Sleep: func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil },
	}
	rcpt, err := r.Send(context.Background(), page())
	if err != nil {
		t.Fatalf("Retry.Send() error = %v", err)
	}
	if got := fake.Requests(); got != 3 {
		t.Errorf("fake saw %d requests, want 3 (two failures, one success)", got)
	}
	if len(slept) != 2 {
		t.Errorf("slept %d times, want 2", len(slept))
	}
	if msgs := fake.Messages(); len(msgs) != 1 || msgs[0].SID != rcpt.ProviderID {
		t.Errorf("fake messages = %+v, want one with SID %q", msgs, rcpt.ProviderID)
	}

	// A permanent answer is not retried.
	fake.FailNext(5, http.StatusBadRequest)
	before := fake.Requests()
	if _, err := r.Send(context.Background(), page()); !pagers.IsPermanent(err) {
		t.Errorf("Retry.Send() after 400 = %v, want a permanent error", err)
	}
	if got := fake.Requests() - before; got != 1 {
		t.Errorf("400 was tried %d times, want 1", got)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	_, err = NewSMS(SMSConfig{Config: Config{AccountSID: accountSID, AuthToken: authToken, From: sender}, HTTPClient: hc}).Send(context.Background(), page())
	if err == nil || pagers.IsPermanent(err) {
		t.Fatalf("Send() to a closed port = %v, want a transient error", err)
	}
	if !strings.Contains(err.Error(), "refused") {
		t.Errorf("Send() error = %v, want connection refused", err)
	}
}

func TestSendHonoursContext(t *testing.T) {
	// A Twilio that never answers: the send must end with ctx, not with the
	// HTTP client's timeout.
	block := make(chan struct{})
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-block:
			return nil, errors.New("unblocked")
		}
	})}
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := NewSMS(SMSConfig{Config: Config{AccountSID: accountSID, AuthToken: authToken, From: sender}, HTTPClient: hc}).Send(ctx, page())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send() error = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send() took %v after the context ended", d)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestAPIURL points api_url at the fake, with no HTTP client of the
// test's own: what a separate pagerd process does in the chaos harness.
func TestAPIURL(t *testing.T) {
	fake := twiliofake.Start(t)
	fake.RequireAuth(accountSID, authToken)
	cfg := Config{AccountSID: accountSID, AuthToken: authToken, From: sender, APIURL: fake.URL()}
	rcpt, err := NewSMS(SMSConfig{Config: cfg}).Send(context.Background(), page())
	if err != nil {
		t.Fatalf("Send() with api_url %s: %v", fake.URL(), err)
	}
	if msgs := fake.Messages(); len(msgs) != 1 || msgs[0].SID != rcpt.ProviderID || msgs[0].To != "+15551230001" {
		t.Errorf("fake messages = %+v, want one with SID %q", msgs, rcpt.ProviderID)
	}
	if _, err := NewVoice(VoiceConfig{Config: cfg}).Send(context.Background(), page()); err != nil {
		t.Fatalf("voice Send() with api_url: %v", err)
	}
	if calls := fake.Calls(); len(calls) != 1 {
		t.Errorf("fake calls = %+v, want one", calls)
	}
}

// TestAPIURLPath: a base URL's path goes before the API's paths (a proxy
// mounted under a prefix), and requests for other hosts are left alone.
func TestAPIURLPath(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Host+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"sid": "SM0123"}`)
	}))
	defer srv.Close()
	cfg := Config{AccountSID: accountSID, AuthToken: authToken, From: sender, APIURL: srv.URL + "/twilio/"}
	if _, err := NewSMS(SMSConfig{Config: cfg}).Send(context.Background(), page()); err != nil {
		t.Fatalf("Send(): %v", err)
	}
	want := strings.TrimPrefix(srv.URL, "http://") + " /twilio/2010-04-01/Accounts/" + accountSID + "/Messages.json"
	if len(got) != 1 || got[0] != want {
		t.Errorf("proxy saw %q, want [%q]", got, want)
	}

	other, _ := http.NewRequest(http.MethodGet, srv.URL+"/elsewhere", nil)
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.String() != srv.URL+"/elsewhere" {
			t.Errorf("a request for another host went to %s", r.URL)
		}
		return nil, errors.New("stop")
	})
	base, _ := url.Parse("http://127.0.0.1:1/twilio")
	_, _ = apiURLTransport{base: base, next: next}.RoundTrip(other)
}

func TestAPIURLUnusable(t *testing.T) {
	cfg := Config{AccountSID: accountSID, AuthToken: authToken, From: sender, APIURL: "ftp://example.com"}
	_, err := NewSMS(SMSConfig{Config: cfg}).Send(context.Background(), page())
	if !pagers.IsPermanent(err) || !strings.Contains(err.Error(), "not an http or https URL") {
		t.Errorf("Send() with api_url ftp:// = %v, want a permanent error naming the URL", err)
	}
}
