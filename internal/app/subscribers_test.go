package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/pagerd/pagerd/internal/testenv"

	"github.com/pagerd/pagerd/internal/twiliofake"
)

// subscriberBlocks let the public page take every kind of subscription.
const subscriberBlocks = `
component "Checkout API" {
  group    = "Payments"
  services = ["checkout"]
}
component "Search" { services = ["search"] }
service "search" {
  escalation = "payments"
  match      = ["service=search"]
}
status_page "public" {
  title         = "Example Status"
  components    = ["Checkout API", "Search"]
  public_url    = "http://127.0.0.1:%d/status/public"
  subscriptions = ["email", "webhook", "sms"]
  sms_from      = "+15557770000"
  reports {
    rate_limit = "2/h"
  }
}
`

var confirmLinkRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/status/public/subscribe/confirm\?t=[A-Za-z0-9_\-]+`)

// form posts a form to the page as a browser does, and returns the answer.
func form(t *testing.T, u string, values url.Values) response {
	t.Helper()
	return post(t, u, "", "application/x-www-form-urlencoded", []byte(values.Encode()))
}

func (w *world) drainSubscribers() {
	w.t.Helper()
	for _, a := range w.apps {
		if err := a.StatusDeliverer().Drain(context.Background()); err != nil {
			w.t.Fatal(err)
		}
	}
}

// A reader subscribes by email, confirms through the link the SMTP
// server received (a button, not the GET: mail scanners open links), gets
// every public update with RFC 8058 one-click unsubscribe headers, and
// unsubscribes with one POST; a webhook subscriber gets the same updates
// signed; a phone confirms with YES and leaves with STOP. Bad addresses,
// header injection and floods are refused naming the problem.
func TestSubscribersEmailWebhookSMS(t *testing.T) {
	w := newWorld(t, "0s")
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + fmt.Sprintf(subscriberBlocks, w.port))
	w.privateHooks = true
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	sub := base + "/status/public/subscribe"

	// Refused, each naming the problem.
	for _, bad := range []struct {
		values url.Values
		code   int
		want   string
	}{
		{url.Values{"kind": {"email"}, "address": {"not-an-address"}}, 422, "is not an email address"},
		{url.Values{"kind": {"email"}, "address": {"Eve <eve@example.com>"}}, 422, "without a name"},
		{url.Values{"kind": {"email"}, "address": {"eve@example.com\r\nBcc: all@example.com"}}, 422, "line break"},
		{url.Values{"kind": {"sms"}, "address": {"555-1234"}}, 422, "with its country code"},
		{url.Values{"kind": {"webhook"}, "address": {"ftp://example.com/x"}}, 422, "must be https"},
		{url.Values{"kind": {"pigeon"}, "address": {"x"}}, 422, "does not take"},
		{url.Values{"kind": {"email"}, "address": {"eve@example.com"}, "component": {"Billing"}}, 422, "no component"},
	} {
		if r := form(t, sub, bad.values); r.code != bad.code || !strings.Contains(r.body, bad.want) {
			t.Errorf("subscribe %v = %d, want %d saying %q:\n%s", bad.values, r.code, bad.code, bad.want, r.body)
		}
	}

	// Email: subscribe, the confirmation arrives; the same address
	// flooding is held back after three.
	if r := form(t, sub, url.Values{"kind": {"email"}, "address": {"Reader@Example.com"}, "component": {"Checkout API"}}); r.code != 202 || !strings.Contains(r.body, "Check your inbox") {
		t.Fatalf("subscribe = %d %s", r.code, r.body)
	}
	w.drainSubscribers()
	w.smtp.WaitMessages(t, 1, 10e9)
	msgs := mailsTo(t, w, "reader@example.com")
	link := confirmLinkRE.FindString(msgs[0].Text)
	if msgs[0].To[0] != "reader@example.com" || link == "" || msgs[0].Headers.Get("List-Unsubscribe") != "" {
		t.Fatalf("confirmation to %v, link %q, headers %v:\n%s", msgs[0].To, link, msgs[0].Headers, msgs[0].Text)
	}
	for range 2 {
		form(t, sub, url.Values{"kind": {"email"}, "address": {"reader@example.com"}})
	}
	if r := form(t, sub, url.Values{"kind": {"email"}, "address": {"reader@example.com"}}); r.code != 429 {
		t.Errorf("a fourth subscription of one address in an hour = %d, want 429", r.code)
	}
	w.drainSubscribers()
	// The earlier link no longer works: the latest confirmation sent holds.
	all := mailsTo(t, w, "reader@example.com")
	latest := confirmLinkRE.FindString(all[len(all)-1].Text)
	if r := get(t, latest); r.code != 200 || !strings.Contains(r.body, "Confirm my subscription") {
		t.Fatalf("confirm page = %d %s", r.code, r.body)
	}
	if r := post(t, link, "", "application/x-www-form-urlencoded", nil); r.code != 410 {
		t.Errorf("an older confirmation link = %d, want 410", r.code)
	}
	if r := post(t, latest, "", "application/x-www-form-urlencoded", nil); r.code != 200 || !strings.Contains(r.body, "You are subscribed.") {
		t.Fatalf("confirm = %d %s", r.code, r.body)
	}
	if r := post(t, latest, "", "application/x-www-form-urlencoded", nil); r.code != 410 || !strings.Contains(r.body, "used already") {
		t.Errorf("confirming twice = %d, want 410 (single use)", r.code)
	}

	// A webhook, whose deliveries are checked with the Standard Webhooks
	// library and the key shown once.
	hooks := startHookSubscriber(t)
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	req, _ := http.NewRequest(http.MethodPost, sub, strings.NewReader(`{"kind": "webhook", "address": "`+hooks.URL+`/hook"}`))
	req.Header.Set("Content-Type", "application/json")
	if r := do(t, req); r.code != 201 || json.Unmarshal([]byte(r.body), &created) != nil || !strings.HasPrefix(created.Secret, "whsec_") {
		t.Fatalf("webhook subscription = %d %s", r.code, r.body)
	}
	hooks.secret(created.Secret)

	// A phone: the page's own number texts it; YES confirms.
	form(t, sub, url.Values{"kind": {"sms"}, "address": {"+15550001111"}})
	w.drainSubscribers()
	texts := smsTo(w.twilio, "+15550001111")
	if len(texts) != 1 || texts[0].From != "+15557770000" || !strings.Contains(texts[0].Body, "reply YES") {
		t.Fatalf("texts %+v", texts)
	}
	smsURL := base + "/status/public/sms"
	signedSMS := func(from, body string) response {
		req, _ := twiliofake.NewSignedRequest(twilioAuth, smsURL, twiliofake.InboundSMS(twilioSID, from, "+15557770000", body))
		return do(t, req)
	}
	if r := signedSMS("+15550001111", "yes"); !strings.Contains(r.body, "subscribed") {
		t.Fatalf("YES = %d %s", r.code, r.body)
	}
	unsigned, _ := http.NewRequest(http.MethodPost, smsURL, strings.NewReader("From=%2B15550001111&Body=STOP"))
	unsigned.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := do(t, unsigned); r.code != 403 {
		t.Errorf("an unsigned STOP = %d, want 403", r.code)
	}

	// An incident published: each subscriber is told once.
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.settle()
	if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/1/publish", map[string]any{"text": "Checkout fails for some cards.", "title": "Card payments failing"}, &struct{}{}); code != 201 {
		t.Fatalf("publish = %d", code)
	}
	eventually(t, "the update queued", func() bool {
		return factSays(incident(t, base, 1), "status_page", "public update #1 queued for 3 subscribers")
	})
	w.drainSubscribers()
	var update testenv.SMTPMessage
	eventually(t, "the update email", func() bool {
		got := mailsTo(t, w, "reader@example.com")
		if len(got) == 4 {
			update = got[3]
		}
		return len(got) == 4
	})
	unsub := strings.Trim(update.Headers.Get("List-Unsubscribe"), "<>")
	if update.To[0] != "reader@example.com" || !strings.Contains(update.Subject, "Investigating: Card payments failing") ||
		update.Headers.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(unsub, "/status/public/unsubscribe?t=") ||
		!strings.Contains(update.Text, "Checkout fails for some cards.") || update.From != "pagerd@example.com" {
		t.Fatalf("update email %q to %v, headers %v:\n%s", update.Subject, update.To, update.Headers, update.Text)
	}
	if got := hooks.received(); len(got) != 2 || got[0] != "subscription.created" || got[1] != "incident.update:Checkout fails for some cards." {
		t.Errorf("webhook got %v", got)
	}
	if texts := smsTo(w.twilio, "+15550001111"); len(texts) != 2 || !strings.Contains(texts[1].Body, "Card payments failing") {
		t.Errorf("texts %+v", texts)
	}
	eventually(t, "the delivery summed up", func() bool {
		return factSays(incident(t, base, 1), "status_page", "public update #1 reached 3 of 3 subscribers")
	})

	// One click: the mail client's POST, no page in between. STOP by text.
	if r := post(t, unsub, "", "application/x-www-form-urlencoded", []byte("List-Unsubscribe=One-Click")); r.code != 200 {
		t.Fatalf("one-click unsubscribe = %d %s", r.code, r.body)
	}
	if r := signedSMS("+15550001111", "STOP"); r.code != 200 {
		t.Fatalf("STOP = %d", r.code)
	}
	var count struct {
		Subscribers int `json:"subscribers"`
	}
	if apiJSON(t, http.MethodGet, base+"/v1/status/public/subscribers", nil, &count); count.Subscribers != 1 {
		t.Errorf("%d subscribers left, want the webhook only", count.Subscribers)
	}
	if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/1/publish", map[string]any{"status": "resolved", "text": "Fixed."}, &struct{}{}); code != 200 {
		t.Fatalf("publish = %d", code)
	}
	eventually(t, "the second update queued", func() bool {
		return factSays(incident(t, base, 1), "status_page", "public update #2 queued for 1 subscriber")
	})
	w.drainSubscribers()
	if got := hooks.received(); len(got) != 3 || got[2] != "incident.update:Fixed." {
		t.Errorf("webhook got %v", got)
	}
	if n := len(mailsTo(t, w, "reader@example.com")); n != 4 {
		t.Errorf("%d emails, want none after the unsubscribe", n)
	}
	if n := len(smsTo(w.twilio, "+15550001111")); n != 2 {
		t.Errorf("%d texts, want none after STOP", n)
	}
}

// Customer reports: a reference for the customer, a triage item for the
// team, promotable to an incident; the honeypot and the rate limit hold.
func TestCustomerReports(t *testing.T) {
	w := newWorld(t, "0s")
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + fmt.Sprintf(subscriberBlocks, w.port))
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	rep := base + "/status/public/report"
	r := form(t, rep, url.Values{"component": {"Search"}, "text": {"Search shows nothing since 10:00"}, "email": {"cust@example.com"}})
	ref := regexp.MustCompile(`R-[A-Z2-9]{6}`).FindString(r.body)
	if r.code != 201 || ref == "" {
		t.Fatalf("report = %d %s", r.code, r.body)
	}
	if r := form(t, rep, url.Values{"text": {"buy cheap pills"}, "website": {"http://spam.example"}}); r.code != 202 {
		t.Errorf("a bot's report = %d, want 202 (thanked, dropped)", r.code)
	}
	for _, bad := range []url.Values{{"text": {""}}, {"text": {"x"}, "email": {"a@b.c\r\nBcc: x@y.z"}}, {"text": {"x"}, "component": {"Nope"}}} {
		if r := form(t, rep, bad); r.code != 422 {
			t.Errorf("report %v = %d, want 422", bad, r.code)
		}
	}
	form(t, rep, url.Values{"text": {"second"}})
	if r := form(t, rep, url.Values{"text": {"third"}}); r.code != 429 {
		t.Errorf("a third report within the hour (rate 2/h) = %d, want 429", r.code)
	}
	var list struct {
		Reports []struct {
			Ref, Text, Component string
			Incident             int64
		} `json:"reports"`
	}
	apiJSON(t, http.MethodGet, base+"/v1/status/reports", nil, &list)
	if len(list.Reports) != 2 || (list.Reports[0].Ref != ref && list.Reports[1].Ref != ref) {
		t.Fatalf("reports %+v", list.Reports)
	}
	var promoted struct {
		Incident int `json:"incident"`
	}
	if code := apiJSON(t, http.MethodPost, base+"/v1/status/reports/"+ref+"/promote", map[string]any{"service": "search", "severity": "SEV3"}, &promoted); code != 201 {
		t.Fatalf("promote = %d", code)
	}
	if inc := incident(t, base, promoted.Incident); inc["title"] != "Customer report "+ref+" (Search)" || inc["service"] != "search" {
		t.Errorf("promoted to %v", inc)
	}
	if code := apiJSON(t, http.MethodPost, base+"/v1/status/reports/"+ref+"/promote", map[string]any{"service": "search"}, nil); code != 422 {
		t.Errorf("promoting twice = %d, want 422", code)
	}
}

// hookSubscriber is a webhook subscriber that checks every delivery's
// signature, with the key it learns once it subscribed.
type hookSubscriber struct {
	*httptest.Server
	mu     sync.Mutex
	key    string
	bodies [][]byte
	heads  []http.Header
}

func startHookSubscriber(t *testing.T) *hookSubscriber {
	rc := &hookSubscriber{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.bodies, rc.heads = append(rc.bodies, body), append(rc.heads, r.Header.Clone())
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookSubscriber) secret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.key = s
}

// received are the deliveries so far, "type:update body" each, or "bad
// signature".
func (rc *hookSubscriber) received() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	wh, err := standardwebhooks.NewWebhook(rc.key)
	var out []string
	for i, body := range rc.bodies {
		if err != nil || wh.Verify(body, rc.heads[i]) != nil {
			out = append(out, "bad signature")
			continue
		}
		var doc struct {
			Type   string `json:"type"`
			Update *struct {
				Body string `json:"body"`
			} `json:"update"`
		}
		_ = json.Unmarshal(body, &doc)
		s := doc.Type
		if doc.Update != nil {
			s += ":" + doc.Update.Body
		}
		out = append(out, s)
	}
	return out
}

// Mastodon is one more delivery channel: each public update is one post
// to the page's account, on a loopback fake of its REST API.
func TestMastodonPostsPublicUpdates(t *testing.T) {
	var (
		mu    sync.Mutex
		posts []string
	)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Status, Visibility string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if r.URL.Path != "/api/v1/statuses" || r.Header.Get("Authorization") != "Bearer masto-tok3n" || r.Header.Get("Idempotency-Key") == "" {
			http.Error(w, `{"error":"refused"}`, http.StatusUnauthorized)
			return
		}
		mu.Lock()
		posts = append(posts, body.Visibility+" "+body.Status)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"id":"1"}`))
	}))
	t.Cleanup(fake.Close)
	t.Setenv("TEST_MASTODON_TOKEN", "masto-tok3n")
	w := newWorld(t, "0s")
	w.writeConfig(w.statusConfig(`
status_page "social" {
  title      = "Example"
  components = ["Checkout API"]
  mastodon {
    server = "` + fake.URL + `"
    token  = env("TEST_MASTODON_TOKEN")
  }
}
`))
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.settle()
	for _, u := range []map[string]any{
		{"page": "social", "text": "Checkout is failing.", "title": "Checkout down"},
		{"status": "resolved", "text": "Checkout works again."},
	} {
		if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/1/publish", u, &struct{}{}); code >= 300 {
			t.Fatalf("publish = %d", code)
		}
	}
	eventually(t, "both updates queued", func() bool { return factSays(incident(t, base, 1), "status_page", "public update #2 queued") })
	w.drainSubscribers()
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 2 || !strings.HasPrefix(posts[0], "public [Example] Investigating: Checkout down — Checkout is failing. http://") ||
		!strings.Contains(posts[1], "Resolved: Checkout down — Checkout works again.") {
		t.Errorf("posts %q", posts)
	}
}
