package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/pagertest"
	"github.com/pagerd/pagerd/pagers/webhook"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// delivery is one request a receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint that records every request and answers
// the nth (0-based) with answer(n, w).
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []delivery
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter)) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, delivery{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		answer(n, w)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func ok(int, http.ResponseWriter) {}

func hook(url string) webhook.Config {
	return webhook.Config{URL: url, Key: testKey, Timeout: 5 * time.Second}
}

func pager(c webhook.Config, opts webhook.Options) *webhook.Pager {
	return webhook.New(map[string]webhook.Config{"audit": c}, opts)
}

func TestSendPage(t *testing.T) {
	rcv := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) })
	p := pager(hook(rcv.URL+"/hooks/pagerd"), webhook.Options{})
	n := toAudit(pagers.KindPage)
	rcpt, err := p.Send(t.Context(), n)
	if err != nil {
		t.Fatalf("Send error = %v", err)
	}
	got := rcv.deliveries()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	d := got[0]
	id := webhook.MessageID(n.Key, "audit")
	if rcpt.Channel != "webhook" || rcpt.ProviderID != id {
		t.Errorf("receipt = %+v, want channel webhook and ProviderID %q", rcpt, id)
	}
	for _, h := range []struct{ name, want string }{
		{"Content-Type", "application/json"},
		{"User-Agent", "pagerd-webhook/1"},
		{"Webhook-Id", id},
	} {
		if got := d.header.Get(h.name); got != h.want {
			t.Errorf("%s = %q, want %q", h.name, got, h.want)
		}
	}
	// Verify checks the timestamp against the real clock as well.
	wh, _ := standardwebhooks.NewWebhookRaw(testKey)
	if err := wh.Verify(d.body, d.header); err != nil {
		t.Errorf("reference Verify: %v", err)
	}
	var doc webhook.Document
	if err := json.Unmarshal(d.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ID != id || doc.Type != webhook.TypePage || doc.Version != "1" || doc.Incident == nil || doc.Incident.ID != 42 {
		t.Errorf("document = %+v, want incident.page of #42 with id %q", doc, id)
	}
}

// TestAnswers holds, for each kind of answer a receiver may give, whether
// sending again can help and how long it asked to wait.
func TestAnswers(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	long := strings.Repeat("quota exceeded; ", 40)
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		wantErr   bool
		permanent bool
		wait      time.Duration // 0: no Retry-After
		errHas    string
	}{
		{name: "200", status: 200},
		{name: "202", status: 202},
		{name: "204", status: 204},
		{name: "301", status: 301, header: map[string]string{"Location": "/moved"}, wantErr: true, permanent: true, errHas: "redirected with 301 Moved Permanently to /moved"},
		{name: "400", status: 400, body: `{"error":"unknown field"}`, wantErr: true, permanent: true, errHas: `400 Bad Request: {"error":"unknown field"}`},
		{name: "404", status: 404, wantErr: true, permanent: true, errHas: "404 Not Found"},
		{name: "408", status: 408, wantErr: true, errHas: "408 Request Timeout"},
		{name: "410", status: 410, body: "gone\n", wantErr: true, permanent: true, errHas: "410 Gone: gone"},
		{name: "413, long body", status: 413, body: long, wantErr: true, permanent: true, errHas: "413 Request Entity Too Large: quota exceeded; quota"},
		{name: "429 seconds", status: 429, header: map[string]string{"Retry-After": "7"}, wantErr: true, wait: 7 * time.Second, errHas: "429 Too Many Requests"},
		{name: "429 date", status: 429, header: map[string]string{"Retry-After": now.Add(2 * time.Minute).Format(http.TimeFormat)}, wantErr: true, wait: 2 * time.Minute},
		{name: "429 date passed", status: 429, header: map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, wantErr: true, wait: 0},
		{name: "429 without Retry-After", status: 429, wantErr: true, wait: webhook.DefaultRetryAfter},
		{name: "429 unreadable Retry-After", status: 429, header: map[string]string{"Retry-After": "soon"}, wantErr: true, wait: webhook.DefaultRetryAfter},
		{name: "429 for a day", status: 429, header: map[string]string{"Retry-After": "86400"}, wantErr: true, wait: webhook.MaxRetryAfter},
		{name: "500", status: 500, body: "panic: nil map", wantErr: true, errHas: "500 Internal Server Error: panic: nil map"},
		{name: "502", status: 502, wantErr: true, errHas: "502 Bad Gateway"},
		{name: "503", status: 503, wantErr: true, errHas: "503 Service Unavailable"},
		{name: "503 seconds", status: 503, header: map[string]string{"Retry-After": "30"}, wantErr: true, wait: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var moved atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("/moved", func(http.ResponseWriter, *http.Request) { moved.Add(1) })
			mux.HandleFunc("/hook", func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			// The test server's client follows redirects; the pager must
			// not, whatever client it is given.
			p := pager(hook(srv.URL+"/hook"), webhook.Options{HTTPClient: srv.Client(), Now: func() time.Time { return now }})
			rcpt, err := p.Send(t.Context(), toAudit(pagers.KindPage))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send = %+v, %v; want error %v", rcpt, err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if got := pagers.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.permanent)
			}
			wait, asked := pagers.RetryAfterOf(err)
			wantAsked := tt.status == 429 || tt.header["Retry-After"] != ""
			if asked != wantAsked || wait != tt.wait {
				t.Errorf("RetryAfterOf(%v) = %s, %v; want %s, %v", err, wait, asked, tt.wait, wantAsked)
			}
			if !strings.Contains(err.Error(), tt.errHas) || !strings.Contains(err.Error(), `webhook "audit"`) {
				t.Errorf("error = %q, want it to name webhook \"audit\" and contain %q", err, tt.errHas)
			}
			if n := len([]rune(err.Error())); n > 300 {
				t.Errorf("error is %d runes long, want the body cut short: %q", n, err)
			}
			if n := moved.Load(); n != 0 {
				t.Errorf("the redirect was followed %d times", n)
			}
		})
	}
}

func TestNetworkErrorsAreTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	_, err := pager(hook(url+"/hook?token=s3cret"), webhook.Options{}).Send(t.Context(), toAudit(pagers.KindPage))
	if err == nil || pagers.IsPermanent(err) {
		t.Fatalf("Send to a closed port = %v, want a transient error", err)
	}
	// The error reaches logs and the incident's timeline.
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), url+"/hook") {
		t.Errorf("error = %q, want the URL without its query", err)
	}
	if _, asked := pagers.RetryAfterOf(err); asked {
		t.Errorf("RetryAfterOf(%v) asked for a wait; nobody answered", err)
	}
}

func TestHungReceiver(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a gone client only once the body is read
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := hook(srv.URL)
	c.Timeout = 200 * time.Millisecond
	_, err := pager(c, webhook.Options{}).Send(t.Context(), toAudit(pagers.KindPage))
	if err == nil || pagers.IsPermanent(err) || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Fatalf("Send to a hung receiver = %v, want a transient 'no answer within 200ms'", err)
	}
}

// blocked is a transport to a receiver that never answers.
type blocked struct{}

func (blocked) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// TestRequestBounds: each request is bounded by the webhook's timeout and
// by the caller's context, whichever ends first, on the bubble's clock.
func TestRequestBounds(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration
		ctxAfter time.Duration // 0: no deadline
		want     time.Duration
		errHas   string
	}{
		{"default timeout", 0, 0, 10 * time.Second, "no answer within 10s"},
		{"caller's deadline first", webhook.DefaultTimeout, 3 * time.Second, 3 * time.Second, "context deadline exceeded"},
		{"webhook's timeout first", 2 * time.Second, time.Minute, 2 * time.Second, "no answer within 2s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := hook("https://hooks.example.com/x")
				c.Timeout = tt.timeout
				p := pager(c, webhook.Options{HTTPClient: &http.Client{Transport: blocked{}}})
				ctx := t.Context()
				if tt.ctxAfter > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.ctxAfter)
					defer cancel()
				}
				start := time.Now()
				_, err := p.Send(ctx, toAudit(pagers.KindPage))
				if took := time.Since(start); took != tt.want {
					t.Errorf("Send took %s, want %s", took, tt.want)
				}
				if err == nil || pagers.IsPermanent(err) || !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("Send = %v, want a transient error containing %q", err, tt.errHas)
				}
			})
		})
	}
}

// TestSameIDFreshTimestamp: every attempt, by this replica or another,
// carries the same webhook-id (and body id) with its own timestamp and
// signature.
func TestSameIDFreshTimestamp(t *testing.T) {
	rcv := newReceiver(t, ok)
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := func(at ...time.Duration) func() time.Time {
		var mu sync.Mutex
		return func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			d := at[0]
			if len(at) > 1 {
				at = at[1:]
			}
			return t0.Add(d)
		}
	}
	// Each Send reads the clock twice: when signing, and for Retry-After.
	replica1 := pager(hook(rcv.URL), webhook.Options{Now: clock(0, 0, 90*time.Second)})
	replica2 := pager(hook(rcv.URL), webhook.Options{Now: clock(200 * time.Second)})
	n := update(incident.Event{ID: "1798794030500-0", Incident: 42, Service: "checkout",
		Fact: incident.Fact{At: t0, Kind: incident.KindNote, Actor: "bob", Detail: "rolled back"}})
	for _, p := range []*webhook.Pager{replica1, replica1, replica2} {
		if _, err := p.Send(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	other := n
	other.Key = "1798794030500-1"
	if _, err := replica1.Send(t.Context(), other); err != nil {
		t.Fatal(err)
	}

	got := rcv.deliveries()
	wh, _ := standardwebhooks.NewWebhookRaw(testKey)
	id := webhook.MessageID(n.Key, "audit")
	wantStamps := []string{"1793610000", "1793610090", "1793610200"}
	for i, d := range got[:3] {
		if d.header.Get("webhook-id") != id {
			t.Errorf("attempt %d: webhook-id = %q, want %q", i+1, d.header.Get("webhook-id"), id)
		}
		if ts := d.header.Get("webhook-timestamp"); ts != wantStamps[i] {
			t.Errorf("attempt %d: webhook-timestamp = %s, want %s", i+1, ts, wantStamps[i])
		}
		if err := wh.VerifyIgnoringTimestamp(d.body, d.header); err != nil {
			t.Errorf("attempt %d: reference Verify: %v", i+1, err)
		}
		var doc webhook.Document
		if err := json.Unmarshal(d.body, &doc); err != nil || doc.ID != id {
			t.Errorf("attempt %d: body id = %q (%v), want %q", i+1, doc.ID, err, id)
		}
		if i > 0 && d.header.Get("webhook-signature") == got[i-1].header.Get("webhook-signature") {
			t.Errorf("attempt %d: signature repeats attempt %d's despite a new timestamp", i+1, i)
		}
		// An update's body is the event's: the same on every attempt.
		if i > 0 && string(d.body) != string(got[0].body) {
			t.Errorf("attempt %d: body = %s, want attempt 1's %s", i+1, d.body, got[0].body)
		}
	}
	if got[3].header.Get("webhook-id") == id {
		t.Errorf("another event got the same webhook-id %q", id)
	}
}

// TestThroughRetry: behind the Retry wrapper the daemon puts around every
// pager, a receiver that fails once gets the same delivery again, and a
// receiver's Retry-After is waited out.
func TestThroughRetry(t *testing.T) {
	tests := []struct {
		name     string
		first    func(w http.ResponseWriter)
		minWait  time.Duration
		attempts int
	}{
		{"500 then 200", func(w http.ResponseWriter) { w.WriteHeader(500) }, 0, 2},
		{"429 then 200", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
		}, 7 * time.Second, 2},
		{"404", func(w http.ResponseWriter) { w.WriteHeader(404) }, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
				if n == 0 {
					tt.first(w)
				}
			})
			var waits []time.Duration
			r := pagers.Retry{
				Pager: pager(hook(rcv.URL), webhook.Options{}),
				Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil },
			}
			n := toAudit(pagers.KindPage)
			rcpt, err := r.Send(t.Context(), n)
			got := rcv.deliveries()
			if len(got) != tt.attempts {
				t.Fatalf("receiver got %d requests, want %d (Send: %v)", len(got), tt.attempts, err)
			}
			id := webhook.MessageID(n.Key, "audit")
			for i, d := range got {
				if d.header.Get("webhook-id") != id {
					t.Errorf("attempt %d: webhook-id = %q, want %q", i+1, d.header.Get("webhook-id"), id)
				}
			}
			if tt.attempts == 1 {
				if !pagers.IsPermanent(err) {
					t.Errorf("Send = %v, want a permanent error", err)
				}
				return
			}
			if err != nil || rcpt.ProviderID != id {
				t.Errorf("Send = %+v, %v; want ProviderID %q", rcpt, err, id)
			}
			if len(waits) != 1 || waits[0] < tt.minWait {
				t.Errorf("waits = %v, want one of at least %s", waits, tt.minWait)
			}
		})
	}
}

// TestEventsFilter: an update whose kind the webhook's events leave out is
// not sent; pages and notices always are.
func TestEventsFilter(t *testing.T) {
	rcv := newReceiver(t, ok)
	c := hook(rcv.URL)
	c.Events = []incident.Kind{incident.KindResolved, incident.KindChange}
	p := pager(c, webhook.Options{})
	ev := func(k incident.Kind) pagers.Notification {
		return update(incident.Event{ID: "1-" + string(k), Incident: 42, Service: "checkout", Fact: incident.Fact{At: sentAt, Kind: k}})
	}
	tests := []struct {
		name string
		n    pagers.Notification
		sent bool
	}{
		{"note left out", ev(incident.KindNote), false},
		{"acknowledged update left out", ev(incident.KindAcknowledged), false},
		{"resolved update", ev(incident.KindResolved), true},
		{"change", ev(incident.KindChange), true},
		{"page", toAudit(pagers.KindPage), true},
		{"acknowledged notice", toAudit(pagers.KindAcknowledged), true},
		{"resolved notice", toAudit(pagers.KindResolved), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(rcv.deliveries())
			rcpt, err := p.Send(t.Context(), tt.n)
			if err != nil {
				t.Fatalf("Send error = %v", err)
			}
			// Send returns after its request, if any, was answered.
			if sent := len(rcv.deliveries()) - before; sent != btoi(tt.sent) {
				t.Errorf("requests = %d, want %d", sent, btoi(tt.sent))
			}
			if (rcpt.ProviderID != "") != tt.sent || rcpt.Channel != "webhook" {
				t.Errorf("receipt = %+v, want channel webhook and a ProviderID only when sent", rcpt)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRefusedNotifications are notifications no request can deliver.
func TestRefusedNotifications(t *testing.T) {
	rcv := newReceiver(t, ok)
	p := pager(hook(rcv.URL), webhook.Options{})
	noKey := toAudit(pagers.KindPage)
	noKey.Key = ""
	unknown := toAudit(pagers.KindPage)
	unknown.Destination = "nope"
	shift := pagertest.ShiftNotice(t)
	shift.Destination = "audit"
	tests := []struct {
		name   string
		n      pagers.Notification
		errHas string
	}{
		{"unknown destination", unknown, `webhook "nope" is not configured`},
		{"a person", pagertest.CheckoutPage(), "without a destination"},
		{"no idempotency key", noKey, "idempotency key"},
		{"shift notice", shift, "receives no shift_notice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Send(t.Context(), tt.n)
			if !pagers.IsPermanent(err) || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("Send = %v, want a permanent error containing %q", err, tt.errHas)
			}
		})
	}
	if n := len(rcv.deliveries()); n != 0 {
		t.Errorf("receiver got %d requests, want none", n)
	}
}
