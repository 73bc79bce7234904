// Package twiliofake is a loopback stand-in for the part of the Twilio REST
// API pagerd uses (sending messages and placing calls), for tests. twilio-go
// has no base-URL option, so the fake hands out an http.Client whose
// RoundTripper sends every request for *.twilio.com to the fake instead.
//
// It also signs inbound webhooks the way Twilio does (SignRequest), so tests
// can post SMS replies and call keypresses to pagerd.
//
// Tests start it with Start; a program that runs it (tools/chaos, which
// points separate pagerd processes at it with the twilio block's api_url)
// uses New and Close.
package twiliofake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one message the fake accepted.
type Message struct {
	SID            string // "SM" + 32 hex digits
	AccountSID     string
	To, From, Body string
	StatusCallback string
	Form           url.Values // every parameter as sent
	Received       time.Time  // when the fake accepted it
}

// Call is one call the fake accepted.
type Call struct {
	SID            string // "CA" + 32 hex digits
	AccountSID     string
	To, From       string
	Twiml          string // inline TwiML, if sent
	URL            string // TwiML URL, if sent
	StatusCallback string
	Form           url.Values
	Received       time.Time // when the fake accepted it
}

// Fake is a running fake Twilio API. Its methods are safe for concurrent
// use.
type Fake struct {
	server *httptest.Server

	mu         sync.Mutex
	messages   []Message
	calls      []Call
	requests   int
	failLeft   int
	failStatus int
	authSID    string
	authToken  string
}

// Start starts a fake on a loopback port, closed when the test ends.
func Start(t testing.TB) *Fake {
	t.Helper()
	f := New()
	t.Cleanup(f.Close)
	return f
}

// New starts a fake on a loopback port; Close stops it.
func New() *Fake {
	f := &Fake{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", f.createMessage)
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Calls.json", f.createCall)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.count()
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	})
	f.server = httptest.NewServer(mux)
	return f
}

// Close stops the fake's server, waiting for requests in flight.
func (f *Fake) Close() { f.server.Close() }

// URL is the fake's own base URL (http://127.0.0.1:PORT).
func (f *Fake) URL() string { return f.server.URL }

// FailNext makes the next n API requests fail with the HTTP status (500,
// 503, 400, 429, ...) and a Twilio-shaped JSON error body. Failed requests
// are not recorded as messages or calls.
func (f *Fake) FailNext(n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failLeft, f.failStatus = n, status
}

// RequireAuth makes the fake answer 401, as Twilio does, unless a request
// authenticates as accountSID with authToken. Without it the fake takes any
// non-empty token whose user matches the account in the path.
func (f *Fake) RequireAuth(accountSID, authToken string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authSID, f.authToken = accountSID, authToken
}

// Requests is the number of API requests the fake has answered, failed
// ones included: what a test of retries counts.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Transport returns a RoundTripper that sends requests for twilio.com and
// its subdomains (api.twilio.com, regional and edge hosts) to the fake and
// every other request on unchanged.
func (f *Fake) Transport() http.RoundTripper {
	target, _ := url.Parse(f.server.URL)
	return &redirectTransport{target: target, base: f.server.Client().Transport}
}

// HTTPClient returns a client using Transport, configured like twilio-go's
// default one (no redirects followed, 10s timeout).
func (f *Fake) HTTPClient() *http.Client {
	return &http.Client{
		Transport: f.Transport(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 10 * time.Second,
	}
}

// Messages returns a snapshot of the accepted messages, oldest first.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.messages)
}

// Calls returns a snapshot of the accepted calls, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// WaitMessages waits until the fake has accepted at least n messages and
// returns them; it fails the test after timeout.
func (f *Fake) WaitMessages(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	return waitFor(t, "messages", n, timeout, f.Messages)
}

// WaitCalls waits until the fake has accepted at least n calls and returns
// them; it fails the test after timeout.
func (f *Fake) WaitCalls(t testing.TB, n int, timeout time.Duration) []Call {
	t.Helper()
	return waitFor(t, "calls", n, timeout, f.Calls)
}

func waitFor[T any](t testing.TB, what string, n int, timeout time.Duration, get func() []T) []T {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := get()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("twiliofake: got %d %s within %v, want %d: %+v", len(got), what, timeout, n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *Fake) count() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
}

// admit counts the request, checks credentials and the failure knob, and
// parses the form. It writes the error answer itself and returns false when
// the request must not go on.
func (f *Fake) admit(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	f.requests++
	fail, status := f.failLeft > 0, f.failStatus
	if fail {
		f.failLeft--
	}
	wantSID, wantToken := f.authSID, f.authToken
	f.mu.Unlock()

	user, pass, ok := r.BasicAuth()
	if !ok || user != r.PathValue("sid") || pass == "" ||
		(wantSID != "" && (user != wantSID || pass != wantToken)) {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return false
	}
	if fail {
		code := 20500
		if status < 500 {
			code = 21211
		}
		writeError(w, status, code, http.StatusText(status)+" (twiliofake: injected failure)")
		return false
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "could not parse form: "+err.Error())
		return false
	}
	return true
}

func (f *Fake) createMessage(w http.ResponseWriter, r *http.Request) {
	if !f.admit(w, r) {
		return
	}
	form := r.PostForm
	to, from, body := form.Get("To"), form.Get("From"), form.Get("Body")
	switch {
	case to == "":
		writeError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !isPhoneNumber(to):
		writeError(w, http.StatusBadRequest, 21211, "Invalid 'To' Phone Number: "+to)
		return
	case from == "" && form.Get("MessagingServiceSid") == "":
		writeError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case body == "" && form.Get("MediaUrl") == "" && form.Get("ContentSid") == "":
		writeError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case len([]rune(body)) > 1600:
		writeError(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	m := Message{
		SID: newSID("SM"), AccountSID: r.PathValue("sid"),
		To: to, From: from, Body: body,
		StatusCallback: form.Get("StatusCallback"),
		Form:           form,
		Received:       time.Now(),
	}
	f.mu.Lock()
	f.messages = append(f.messages, m)
	f.mu.Unlock()

	writeJSON(w, http.StatusCreated, map[string]any{
		"sid":          m.SID,
		"account_sid":  m.AccountSID,
		"api_version":  "2010-04-01",
		"to":           m.To,
		"from":         m.From,
		"body":         m.Body,
		"status":       "queued",
		"direction":    "outbound-api",
		"num_segments": "1",
		"date_created": time.Now().UTC().Format(time.RFC1123Z),
		"uri":          "/2010-04-01/Accounts/" + m.AccountSID + "/Messages/" + m.SID + ".json",
	})
}

func (f *Fake) createCall(w http.ResponseWriter, r *http.Request) {
	if !f.admit(w, r) {
		return
	}
	form := r.PostForm
	to, from := form.Get("To"), form.Get("From")
	switch {
	case to == "":
		writeError(w, http.StatusBadRequest, 21201, "No 'To' number is specified")
		return
	case !isPhoneNumber(to):
		writeError(w, http.StatusBadRequest, 21211, "Invalid 'To' Phone Number: "+to)
		return
	case from == "":
		writeError(w, http.StatusBadRequest, 21213, "No 'From' number is specified")
		return
	case form.Get("Twiml") == "" && form.Get("Url") == "" && form.Get("ApplicationSid") == "":
		writeError(w, http.StatusBadRequest, 21205, "Url parameter is required.")
		return
	}
	c := Call{
		SID: newSID("CA"), AccountSID: r.PathValue("sid"),
		To: to, From: from,
		Twiml: form.Get("Twiml"), URL: form.Get("Url"),
		StatusCallback: form.Get("StatusCallback"),
		Form:           form,
		Received:       time.Now(),
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()

	writeJSON(w, http.StatusCreated, map[string]any{
		"sid":          c.SID,
		"account_sid":  c.AccountSID,
		"api_version":  "2010-04-01",
		"to":           c.To,
		"from":         c.From,
		"status":       "queued",
		"direction":    "outbound-api",
		"date_created": time.Now().UTC().Format(time.RFC1123Z),
		"uri":          "/2010-04-01/Accounts/" + c.AccountSID + "/Calls/" + c.SID + ".json",
	})
}

// isPhoneNumber accepts E.164 numbers, which is all pagerd sends.
func isPhoneNumber(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func newSID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"code":      code,
		"message":   msg,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type redirectTransport struct {
	target *url.URL
	base   http.RoundTripper
}

func (t *redirectTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Hostname()
	if host == "twilio.com" || strings.HasSuffix(host, ".twilio.com") {
		req = req.Clone(req.Context())
		req.URL.Scheme = t.target.Scheme
		req.URL.Host = t.target.Host
	}
	return t.base.RoundTrip(req)
}

// SignRequest computes the X-Twilio-Signature header Twilio sends with a
// webhook: HMAC-SHA1, keyed with the auth token, over the full URL the
// webhook was configured with (query included) followed by every POST
// parameter as name+value, names sorted (the values of a repeated name
// sorted too), base64-encoded. For a GET webhook, params is nil.
func SignRequest(authToken, webhookURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(webhookURL)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		vs := slices.Clone(params[k])
		slices.Sort(vs)
		for _, v := range slices.Compact(vs) {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// NewSignedRequest builds the POST Twilio would send to a webhook at url
// with params (for an inbound SMS: From, To, Body, MessageSid, ...), signed
// with authToken.
func NewSignedRequest(authToken, webhookURL string, params url.Values) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, webhookURL, strings.NewReader(params.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", SignRequest(authToken, webhookURL, params))
	return req, nil
}

// InboundSMS is the form Twilio posts to a messaging webhook when someone
// texts body from number from to the number to.
func InboundSMS(accountSID, from, to, body string) url.Values {
	sid := newSID("SM")
	return url.Values{
		"AccountSid": {accountSID},
		"ApiVersion": {"2010-04-01"},
		"Body":       {body},
		"From":       {from},
		"MessageSid": {sid},
		"NumMedia":   {"0"},
		"SmsSid":     {sid},
		"To":         {to},
	}
}
