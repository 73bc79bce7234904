package statuspage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/internal/testenv"
)

// The status page in a real browser — Debian's headless Chromium on a
// phone-sized window — against a real pagerd on real Redis and SMTP: the
// page follows an incident from published to resolved, and a reader
// subscribes by email, confirms from the link the SMTP server received,
// and unsubscribes with one click.

const chromiumPath = "/usr/bin/chromium"

const apiToken = "status-api-token"

const browserConfig = `
pagerd {
  public_url         = "http://127.0.0.1:%[1]d"
  resolved_retention = "1h"
  unrouted           = "record"
}
integration "cli" {
  type  = "api"
  token = env("STATUS_TEST_API_TOKEN")
}
smtp {
  host = "127.0.0.1"
  port = %[2]d
  from = "status@example.com"
  tls  = "none"
}
user "alice" { email = "alice@example.com" }
escalation "payments" {
  step { notify = ["user:alice"] }
}
service "checkout" {
  escalation = "payments"
  match      = ["service=checkout"]
}
service "search" {
  escalation = "payments"
  match      = ["service=search"]
}
component "Checkout API" {
  group    = "Payments"
  services = ["checkout"]
}
component "Search" { services = ["search"] }
status_page "public" {
  title      = "Example Status"
  components = ["Checkout API", "Search"]
  public_url = "http://127.0.0.1:%[1]d/status/public"
}
`

func TestBrowserFollowsIncidentAndSubscribes(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		// Fail rather than skip: a missing browser must not pass CI.
		t.Fatalf("this test needs Debian's chromium (%v): run `apt-get install -y chromium`", err)
	}
	t.Setenv("STATUS_TEST_API_TOKEN", apiToken)
	redis, smtp := testenv.StartRedis(t), testenv.StartSMTP(t)
	port := testenv.FreePort(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pagerd.hcl"), fmt.Appendf(nil, browserConfig, port, smtp.Port), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, app.Options{ConfigDir: dir, Listen: fmt.Sprintf("127.0.0.1:%d", port), RedisURL: redis.URL(),
		Log: testLog(), Console: io.Discard, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	page := base + "/status/public"

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, chromedp.WindowSize(390, 844), chromedp.Flag("disable-gpu", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	browser, cancelTimeout := context.WithTimeout(browser, 90*time.Second)
	defer cancelTimeout()
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	// submit clicks a button that sends a form and waits for the page it
	// leads to (the old one is marked, so it never passes for the new).
	submit := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := chromedp.Evaluate[bool](`document.body.dataset.stale = "1"; true`)(ctx, tg); err != nil {
				return err
			}
			if _, err := chromedp.Click(chromedp.CSS(sel))(ctx, tg); err != nil {
				return err
			}
			for {
				done, err := chromedp.Evaluate[bool](`document.readyState === "complete" && !!document.body && !document.body.dataset.stale`)(ctx, tg)
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
	// shows loads url until the element's text has want (the page follows
	// within a moment of each change).
	shows := func(url, sel, want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			run("load "+url, chromedp.Navigate(url))
			got := text(sel)
			if strings.Contains(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s says %q, want %q", url, sel, got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	apiPost := func(path, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s = %d %s", path, resp.StatusCode, b)
		}
	}

	shows(page, "#overall", "All Systems Operational")
	if state := text("#component-checkout-api .state"); state != "Operational" {
		t.Errorf("Checkout API is %q", state)
	}

	// An incident, published, updated, resolved.
	apiPost("/v1/incidents", `{"title": "checkout 500s", "service": "checkout", "severity": "SEV2"}`)
	apiPost("/v1/incidents/1/publish", `{"title": "Checkout errors", "text": "Some checkouts fail; we are looking into it."}`)
	shows(page, "#overall", "Partial System Outage")
	shows(page, `section[aria-labelledby="active"]`, "Checkout errors")
	if state := text("#component-checkout-api .state"); state != "Partial outage" {
		t.Errorf("Checkout API is %q while the incident is open", state)
	}
	apiPost("/v1/incidents/1/publish", `{"status": "identified", "text": "A certificate expired; we are renewing it."}`)
	shows(page, `section[aria-labelledby="active"]`, "Identified — A certificate expired")
	if first := text(`section[aria-labelledby="active"] ol.updates li`); !strings.HasPrefix(first, "Identified") {
		t.Errorf("the newest update is not first: %q", first)
	}

	// Subscribe by email from the page.
	run("subscribe",
		chromedp.Navigate(page),
		chromedp.SendKeys(chromedp.CSS("#sub-email"), "reader@example.com"),
		submit(`#subscribe button[type=submit]`))
	if msg := text("#msg"); msg != "Check your inbox." {
		t.Fatalf("after subscribing the page says %q", msg)
	}
	link := regexp.MustCompile(`http://\S+/subscribe/confirm\?t=\S+`).FindString(waitMail(t, a, smtp, "reader@example.com", 1)[0].Text)
	run("confirm", chromedp.Navigate(link), submit(`main form button`))
	if msg := text("#msg"); msg != "You are subscribed." {
		t.Fatalf("after confirming the page says %q", msg)
	}

	// Resolved: the page says all is well, the subscriber is told.
	apiPost("/v1/incidents/1/resolve", `{}`)
	shows(page, "#overall", "All Systems Operational")
	shows(page, `section[aria-labelledby="past"]`, "This incident has been resolved.")
	update := waitMail(t, a, smtp, "reader@example.com", 2)[1]
	unsub := strings.Trim(update.Headers.Get("List-Unsubscribe"), "<>")
	if !strings.Contains(update.Subject, "Resolved: Checkout errors") || unsub == "" {
		t.Fatalf("update %q, List-Unsubscribe %q", update.Subject, unsub)
	}
	run("unsubscribe", chromedp.Navigate(unsub), submit(`main form button`))
	if msg := text("#msg"); msg != "You are unsubscribed." {
		t.Fatalf("after unsubscribing the page says %q", msg)
	}
	var count struct {
		Subscribers int `json:"subscribers"`
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/status/public/subscribers", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&count); err != nil || count.Subscribers != 0 {
		t.Errorf("subscribers after unsubscribing: %d, %v", count.Subscribers, err)
	}
	run("load the page", chromedp.Navigate(page))
	shot, err := chromedp.Run(browser, chromedp.FullScreenshot(80))
	if err != nil || len(shot) == 0 || !bytes.HasPrefix(shot, []byte{0xff, 0xd8}) {
		t.Error("no screenshot")
	}
	if dir := os.Getenv("PAGERD_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "status-page.jpg"), shot, 0o644)
	}
}

// waitMail delivers what is due and waits for the n-th email to addr.
func waitMail(t *testing.T, a *app.App, smtp *testenv.SMTPServer, addr string, n int) []testenv.SMTPMessage {
	t.Helper()
	deliver := func() {
		if err := a.StatusDeliverer().Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return smtp.WaitMatching(t, n, 10*time.Second, deliver, func(m *testenv.SMTPMessage) bool {
		return slices.Contains(m.EnvelopeTo, addr)
	})
}

// testLog discards the daemon's logs unless PAGERD_TEST_LOG is set.
func testLog() *slog.Logger {
	if os.Getenv("PAGERD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
