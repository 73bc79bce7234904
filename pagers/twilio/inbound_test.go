package twilio

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/twiliofake"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

func TestGatherURL(t *testing.T) {
	lb := func() links.Builder {
		return links.Builder{PublicURL: "https://p.example/", Signer: links.Signer{Key: []byte("0123456789abcdef0123456789abcdef")}, TTL: time.Hour}
	}
	tests := []struct {
		n    pagers.Notification
		want string
	}{
		{pagers.Notification{Kind: pagers.KindPage, AckToken: "TOK"}, "https://p.example/v1/twilio/voice/TOK"},
		{pagers.Notification{Kind: pagers.KindResolved, AckToken: "TOK"}, ""},
		{pagers.Notification{Kind: pagers.KindPage}, ""},
	}
	for _, tc := range tests {
		if got := gatherURL(lb)(tc.n); got != tc.want {
			t.Errorf("gatherURL(%+v) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := gatherURL(nil)(tests[0].n); got != "" {
		t.Errorf("gatherURL without links = %q, want none", got)
	}
}

func TestTwiMLEscapes(t *testing.T) {
	rec := httptest.NewRecorder()
	reply(rec, `Incident <#1> & "more"`)
	if got := rec.Body.String(); !strings.Contains(got, "<Message>Incident &lt;#1&gt; &amp; &#34;more&#34;</Message>") {
		t.Errorf("reply = %s", got)
	}
	rec = httptest.NewRecorder()
	say(rec, "a < b")
	if got := rec.Body.String(); !strings.Contains(got, "<Say>a &lt; b</Say>") {
		t.Errorf("say = %s", got)
	}
}

// Each inbound webhook says what vouches for the person acting — an SMS
// only its number, a keypress the signed token of its call — and answers
// a refusal in its own medium, telling the person who may.
func TestInboundCredentialsAndRefusals(t *testing.T) {
	const auth = "0123456789abcdef0123456789abcdef"
	lb := links.Builder{PublicURL: "https://p.example", Signer: links.Signer{Key: []byte(auth)}, TTL: time.Hour}
	cfg := &policies.Config{
		Users:  map[string]*policies.User{"bob": {Name: "bob", Contacts: map[string]string{"phone": "+15550000002"}}},
		Blocks: map[string]any{"twilio": Config{AccountSID: "AC1", AuthToken: auth, From: "+15559999999"}},
	}
	const reason = "Only people paged or notified about incident #7 may acknowledge it."
	var got []incident.Request
	in := &pagers.Inbound{
		Config: cfg, Links: lb, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Act: func(_ context.Context, req incident.Request) (incident.Result, error) {
			got = append(got, req)
			return incident.Result{}, &incident.Refusal{Request: req, Reason: reason}
		},
		Fail: func(w http.ResponseWriter, _ *http.Request, code int, msg string, _ error) { http.Error(w, msg, code) },
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SMSReplyPath, func(w http.ResponseWriter, r *http.Request) { serveSMSReply(w, r, in) })
	mux.HandleFunc("POST "+keypressPath+"{token}", func(w http.ResponseWriter, r *http.Request) { serveKeypress(w, r, in) })
	serve := func(path string, form url.Values) string {
		req, err := twiliofake.NewSignedRequest(auth, lb.URL(path), form)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("POST %s = %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}

	body := serve(SMSReplyPath, twiliofake.InboundSMS("AC1", "+15550000002", "+15559999999", "ack 7"))
	if want := "<Message>Refused. " + reason + "</Message>"; !strings.Contains(body, want) {
		t.Errorf("SMS reply = %s, want %s", body, want)
	}
	token := lb.ActionToken(7, incident.Ack, "bob")
	body = serve(keypressPath+token, url.Values{"Digits": {"1"}, "CallSid": {"CA1"}})
	if want := "<Say>Refused. " + reason + " Goodbye.</Say>"; !strings.Contains(body, want) {
		t.Errorf("keypress answer = %s, want %s", body, want)
	}
	want := []incident.Request{
		{Incident: 7, Action: incident.Ack, By: "bob", Via: "sms", Credential: incident.CredentialAddress},
		{Incident: 7, Action: incident.Ack, By: "bob", Via: "voice", Credential: incident.CredentialLink},
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests = %+v\nwant %+v", got, want)
	}
}
