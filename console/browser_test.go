package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/internal/testenv"
)

// The console in a real browser: Debian's headless Chromium, one for the
// whole package (starting it is the slow part), each test in a browser
// context of its own (its own cookies), on a phone-sized window.

const chromiumPath = "/usr/bin/chromium"

var browser context.Context

func TestMain(m *testing.M) {
	if _, err := os.Stat(chromiumPath); err != nil {
		// Fail rather than skip: a missing browser must not pass CI.
		fmt.Fprintf(os.Stderr, "console tests need Debian's chromium (%v): run `apt-get install -y chromium`\n", err)
		os.Exit(1)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, chromedp.WindowSize(390, 844), chromedp.Flag("disable-gpu", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "start chromium: %v\n", err)
		os.Exit(1)
	}
	browser = ctx
	code := m.Run()
	cancel()
	cancelAlloc()
	os.Exit(code)
}

const apiToken = "console-api-token"

const consoleConfig = `
pagerd {
  public_url         = "http://127.0.0.1:%d"
  resolved_retention = "1h"
}
integration "cli" {
  type  = "api"
  token = file("api.token")
}
smtp {
  host = "127.0.0.1"
  port = %d
  from = "pagerd@example.com"
  tls  = "none"
}
user "alice" {
  email = "alice@example.com"
  notify {
    after = "0m"
    via   = "email"
  }
}
user "bob" {
  email = "bob@example.com"
}
escalation "ops" {
  step { notify = ["user:alice"] }
}
service "checkout" {
  escalation = "ops"
}
stakeholders "checkout" {
  services = ["checkout"]
  manage_closely { people = ["user:bob"] }
}
`

// world is a pagerd on real Redis and SMTP, on a driven clock.
type world struct {
	t     *testing.T
	smtp  *testenv.SMTPServer
	clock *testenv.Clock
	base  string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, smtp: testenv.StartSMTP(t), clock: testenv.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))}
	redis := testenv.StartRedis(t)
	port := testenv.FreePort(t)
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "pagerd.hcl"), []byte(fmt.Sprintf(consoleConfig, port, w.smtp.Port)), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "api.token"), []byte(apiToken), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{ConfigDir: dir, Listen: fmt.Sprintf("127.0.0.1:%d", port), RedisURL: redis.URL(),
		Namespace: "console", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Console: &testenv.Buffer{},
		Poll: 20 * time.Millisecond, Clock: w.clock.Now, RetryBackoff: func(int) time.Duration { return time.Millisecond }})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	w.base = "http://" + a.Addr()
	return w
}

// api sends one API request and returns its status and body.
func (w *world) api(method, path, body string) (int, string) {
	w.t.Helper()
	req, _ := http.NewRequest(method, w.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	return w.do(req)
}

func (w *world) do(req *http.Request) (int, string) {
	w.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var signInRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/console/signin/[A-Za-z0-9_-]+`)

// signInLink waits for the n-th sign-in mail to alice and returns its link.
func (w *world) signInLink(n int) string {
	w.t.Helper()
	mails := w.smtp.WaitMatching(w.t, n, 10*time.Second, nil, func(m *testenv.SMTPMessage) bool {
		return m.Subject == "[pagerd] Your console sign-in link" && len(m.To) == 1 && m.To[0] == "alice@example.com"
	})
	link := signInRE.FindString(mails[n-1].Text)
	if link == "" {
		w.t.Fatalf("sign-in mail %d has no link", n)
	}
	return link
}

// tab is a browser tab in a browser context of its own.
func tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return ctx
}

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s: %v (at %s)", what, err, loc)
	}
}

// text reads the text of the element sel into *into, as a step.
func text(sel chromedp.CSS, into *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		v, err := chromedp.Text(sel)(ctx, t)
		*into = strings.TrimSpace(v)
		return err
	})
}

// submit clicks the button sel, which sends a form, and waits until the
// page it leads to has loaded: the old page is marked first, so that
// nothing on it (a notice from the form before) passes for the new one.
func submit(sel chromedp.CSS) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Evaluate[bool](`document.body.dataset.stale = "1"; true`)(ctx, t); err != nil {
			return err
		}
		if _, err := chromedp.Click(sel)(ctx, t); err != nil {
			return err
		}
		for {
			// Errors while the page changes (its context goes away) are
			// expected: look again.
			done, err := chromedp.Evaluate[bool](`document.readyState === "complete" && !!document.body && !document.body.dataset.stale`)(ctx, t)
			if err == nil && done {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("no new page after clicking %s: %w", sel, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
}

// location reads the tab's URL into *into, as a step.
func location(into *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		v, err := chromedp.Location()(ctx, t)
		*into = v
		return err
	})
}

// Alice signs in by the magic link mailed to her, adds a note marked as
// a root cause, makes bob the incident manager and acknowledges, and
// sees each on the timeline. The link does not work twice; the session
// cookie is HttpOnly and SameSite; a form without the session's CSRF
// token changes nothing; an expired or forged link is refused.
func TestConsoleSignInNoteRoleTimeline(t *testing.T) {
	w := newWorld(t)
	if code, body := w.api("POST", "/v1/incidents", `{"title": "checkout errors for EU users", "service": "checkout", "severity": "SEV1", "by": "alice"}`); code != 201 {
		t.Fatalf("declare = %d %s", code, body)
	}
	ctx := tab(t)

	var message string
	run(t, ctx, "ask for a link",
		chromedp.Navigate(w.base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#user")),
		chromedp.SendKeys(chromedp.CSS("#user"), "alice"),
		submit("#send"),
		text("#message", &message))
	if !strings.Contains(message, "a sign-in link is on its way") {
		t.Errorf("after asking: %q", message)
	}
	link := w.signInLink(1)

	var list string
	run(t, ctx, "sign in",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		submit("#confirm"),
		text("main", &list))
	if !strings.Contains(list, "checkout errors for EU users") || !strings.Contains(list, "SEV1") {
		t.Errorf("incident list = %q", list)
	}

	var notice, timeline, manager, status, matrix string
	run(t, ctx, "add a note",
		submit(`a[href="/console/incidents/1"]`),
		text("#matrix", &matrix),
		chromedp.SendKeys(chromedp.CSS("#note-text"), "memory-limit errors on checkout-7f9"),
		chromedp.SetValue(chromedp.CSS("#note-tag"), "root-cause"),
		submit("#add-note"),
		text("#notice", &notice),
		text(".timeline", &timeline))
	if !strings.Contains(strings.Join(strings.Fields(matrix), " "), "declared manage closely bob email, internal wording") {
		t.Errorf("stakeholder matrix = %q, want bob managed closely from the declaration", matrix)
	}
	if notice != "Note added." || !strings.Contains(timeline, "note root cause by alice (console): memory-limit errors on checkout-7f9") {
		t.Errorf("after the note: notice %q, timeline %q", notice, timeline)
	}
	run(t, ctx, "assign a role and acknowledge",
		chromedp.SetValue(chromedp.CSS("#role"), "manager"),
		chromedp.SetValue(chromedp.CSS("#assignee"), "bob"),
		submit("#assign"),
		text(".role-manager", &manager),
		submit("#ack"),
		text("#status", &status),
		text(".timeline", &timeline))
	if manager != "bob" || status != "acknowledged" {
		t.Errorf("manager %q, status %q; want bob, acknowledged", manager, status)
	}
	for _, want := range []string{"role assigned manager by alice (console): manager: bob", "acknowledged by alice (console)"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("timeline lacks %q: %q", want, timeline)
		}
	}
	if path := os.Getenv("PAGERD_CONSOLE_SCREENSHOT"); path != "" {
		// To look at the page as a phone shows it: a PNG of all of it.
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(t, err)
		must(t, os.WriteFile(path, png, 0o644))
	}
	// The API shows what the console did.
	if _, body := w.api("GET", "/v1/incidents/1", ""); !strings.Contains(body, `"tag": "root_cause"`) || !strings.Contains(body, `"manager": "bob"`) {
		t.Errorf("API incident = %s", body)
	}

	var cookies []*network.Cookie
	run(t, ctx, "read the cookie", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{w.base + "/console/"}})
		cookies = res.Cookies
		return err
	}))
	var session *network.Cookie
	for _, c := range cookies {
		if c.Name == "pagerd_session" {
			session = c
		}
	}
	if session == nil || !session.HTTPOnly || session.SameSite != network.CookieSameSiteLax || session.Secure || session.Path != "/console" {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, not Secure over http, Path=/console", session)
	}

	// A used link is refused, in the browser and to a direct POST.
	run(t, ctx, "use the link again",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#message")),
		text("#message", &message))
	if !strings.Contains(message, "A sign-in link works once") {
		t.Errorf("a used link says %q", message)
	}
	if code, _ := w.do(mustRequest(t, "POST", link, nil)); code != http.StatusGone {
		t.Errorf("POST of a used link = %d, want 410", code)
	}

	// Forms without the session's CSRF token change nothing.
	for name, form := range map[string]url.Values{
		"forged token": {"csrf": {"forged"}, "text": {"x"}},
		"no token":     {"text": {"x"}},
	} {
		req := mustRequest(t, "POST", w.base+"/console/incidents/1/note", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "pagerd_session", Value: session.Value})
		if code, body := w.do(req); code != http.StatusForbidden || !strings.Contains(body, "Form refused") {
			t.Errorf("%s: %d %s, want 403", name, code, body)
		}
	}
	req := mustRequest(t, "POST", w.base+"/console/incidents/1/resolve", strings.NewReader("csrf=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, _ := w.do(req); code != http.StatusUnauthorized {
		t.Errorf("POST without a session = %d, want 401", code)
	}
	if _, body := w.api("GET", "/v1/incidents/1", ""); strings.Count(body, `"event": "note"`) != 1 || !strings.Contains(body, `"status": "acknowledged"`) {
		t.Errorf("refused forms changed the incident: %s", body)
	}

	// An expired link is refused; so is one pagerd did not sign.
	if code, body := w.api("POST", "/v1/login", `{"user": "alice", "via": "email"}`); code != http.StatusAccepted || !strings.Contains(body, `"channel": "email"`) {
		t.Fatalf("login = %d %s", code, body)
	}
	late := w.signInLink(2)
	w.clock.Advance(16 * time.Minute)
	fresh := tab(t)
	run(t, fresh, "open an expired link",
		chromedp.Navigate(late),
		chromedp.WaitVisible(chromedp.CSS("#message")),
		text("#message", &message))
	if !strings.Contains(message, "This sign-in link has expired") {
		t.Errorf("an expired link says %q", message)
	}
	if code, _ := w.do(mustRequest(t, "POST", late, nil)); code != http.StatusGone {
		t.Errorf("POST of an expired link = %d, want 410", code)
	}
	forged := late[:len(late)-3] + "AAA"
	if code, _ := w.do(mustRequest(t, "POST", forged, nil)); code != http.StatusForbidden {
		t.Errorf("POST of a forged link = %d, want 403", code)
	}
	var loc string
	run(t, fresh, "still signed out", chromedp.Navigate(w.base+"/console/incidents/1"), chromedp.WaitVisible(chromedp.CSS("#user")),
		location(&loc))
	if !strings.HasSuffix(loc, "/console/signin") {
		t.Errorf("signed out, /console/incidents/1 went to %s", loc)
	}
}

// The API refuses to send a link to someone who is not a user, or through
// a channel they cannot be reached on, and never returns the link.
func TestLoginAPIRefusals(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		body string
		code int
		want string
	}{
		{`{"user": "zed"}`, 422, `no user \"zed\" is configured`},
		{`{"user": "alice", "via": "carrier-pigeon"}`, 422, `is not a channel that reaches people`},
		{`{"user": "alice", "via": "sms"}`, 422, `alice has no sms address`},
		{`{"name": "alice"}`, 400, `unknown field`},
	} {
		if code, body := w.api("POST", "/v1/login", tc.body); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("login %s = %d %s, want %d %q", tc.body, code, body, tc.code, tc.want)
		}
	}
	code, body := w.api("POST", "/v1/login", `{"user": "alice"}`)
	if code != http.StatusAccepted || strings.Contains(body, "/console/signin/") {
		t.Errorf("login = %d %s: want 202 without the link", code, body)
	}
	// Anyone may ask for anyone's link, so a person is sent only a few in
	// a row: the rest are refused, and nobody else is held up by it.
	for i := 2; i <= 5; i++ { // five in a row (console.signInBurst)
		if code, body := w.api("POST", "/v1/login", `{"user": "alice"}`); code != http.StatusAccepted {
			t.Fatalf("link %d of 5 = %d %s, want 202", i, code, body)
		}
	}
	if code, body := w.api("POST", "/v1/login", `{"user": "alice"}`); code != http.StatusTooManyRequests || !strings.Contains(body, "too many sign-in links") {
		t.Errorf("link 6 = %d %s, want 429", code, body)
	}
	if code, body := w.api("POST", "/v1/login", `{"user": "bob"}`); code != http.StatusAccepted {
		t.Errorf("bob's link after alice's were refused = %d %s, want 202", code, body)
	}
}

func mustRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	must(t, err)
	return req
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
