package app_test

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
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/internal/twiliofake"
)

// The test world every end-to-end test of the app runs in: a real
// redis-server and SMTP server, a Twilio fake, a driven clock, replicas.

const (
	amToken    = "s3cret"
	apiToken   = "api-s3cret"
	twilioSID  = "AC00000000000000000000000000000001"
	twilioAuth = "0123456789abcdef0123456789abcdef"
	alicePhone = "+15550000001"
	bobPhone   = "+15550000002"
)

// world is one pagerd deployment under test: real Redis and SMTP, a Twilio
// fake on loopback, and one or more pagerd replicas.
type world struct {
	t       *testing.T
	redis   *testenv.RedisServer
	smtp    *testenv.SMTPServer
	twilio  *twiliofake.Fake
	dir     string
	port    int
	clock   *testenv.Clock
	console *testenv.Buffer
	apps    []*app.App
	// sleep, when set, is how the replicas' channels wait out rate limits
	// (moving clock rather than sleeping).
	sleep func(ctx context.Context, d time.Duration) error
	// privateHooks lets status page webhook subscribers be on loopback.
	privateHooks bool
	// shards is the replicas' --redis-shards (0: one).
	shards int
	// redisURL, when set, is the Redis the replicas use instead of redis
	// (a cluster).
	redisURL string
}

const configTemplate = `
pagerd {
  public_url         = "http://127.0.0.1:%d"
  ack_timeout        = "%s"
  resolved_retention = "1h"
  unrouted           = "record"
}
integration "alertmanager" {
  type  = "alertmanager"
  token = file("am.token")
}
integration "cli" {
  type  = "api"
  token = env("TEST_PAGERD_API_TOKEN")
}
twilio {
  account_sid = env("TEST_TWILIO_SID")
  auth_token  = env("TEST_TWILIO_AUTH")
  from        = "+15559999999"
}
smtp {
  host = "127.0.0.1"
  port = %d
  from = "pagerd@example.com"
  tls  = "none"
}
user "alice" {
  email = "alice@example.com"
  phone = "` + alicePhone + `"
  notify {
    after = "0m"
    via   = "sms"
  }
  notify {
    after = "0m"
    via   = "email"
  }
}
user "bob" {
  phone = "` + bobPhone + `"
  notify {
    after = "0m"
    via   = "sms"
  }
}
team "payments" { members = ["alice", "bob"] }
escalation "payments" {
  step { notify = ["user:alice"] }
  step {
    after  = "10m"
    notify = ["user:bob"]
  }
}
service "checkout" {
  escalation = "payments"
  match      = ["service=checkout", "severity=~critical|page"]
  group_by   = ["alertname"]
}
`

func newWorld(t *testing.T, ackTimeout string) *world {
	t.Helper()
	w := &world{
		t:       t,
		redis:   testenv.StartRedis(t),
		smtp:    testenv.StartSMTP(t),
		twilio:  twiliofake.Start(t),
		dir:     t.TempDir(),
		port:    testenv.FreePort(t),
		clock:   testenv.NewClock(time.Date(2026, 11, 24, 1, 12, 20, 0, time.UTC)),
		console: &testenv.Buffer{},
	}
	t.Setenv("TEST_PAGERD_API_TOKEN", apiToken)
	t.Setenv("TEST_TWILIO_SID", twilioSID)
	t.Setenv("TEST_TWILIO_AUTH", twilioAuth)
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, ackTimeout, w.smtp.Port))
	if err := os.WriteFile(filepath.Join(w.dir, "am.token"), []byte(amToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) writeConfig(hcl string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "pagerd.hcl"), []byte(hcl), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// start runs one pagerd replica; port 0 picks a free one (the first replica
// takes the port public_url names).
func (w *world) start(name string, port int) *app.App {
	w.t.Helper()
	a, _ := w.run(name, port)
	return a
}

// run is start, and returns how to stop the replica before the test ends
// (gracefully, as SIGTERM does; it leaves the world's replicas).
func (w *world) run(name string, port int) (*app.App, func()) {
	w.t.Helper()
	redisURL := w.redis.URL()
	if w.redisURL != "" {
		redisURL = w.redisURL
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{
		ConfigDir: w.dir, Listen: fmt.Sprintf("127.0.0.1:%d", port), RedisURL: redisURL,
		Namespace: "e2e", Shards: w.shards, Log: testLogger().With("replica", name),
		Console: w.console, Replica: name, Poll: 20 * time.Millisecond, NoticeEvery: 20 * time.Millisecond,
		HTTPClient:                w.twilio.HTTPClient(),
		RetryBackoff:              func(int) time.Duration { return time.Millisecond },
		Clock:                     w.clock.Now,
		Sleep:                     w.sleep,
		StatusPagePrivateWebhooks: w.privateHooks,
	})
	if err != nil {
		cancel()
		w.t.Fatalf("start pagerd %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	w.t.Cleanup(func() { cancel(); <-done })
	w.apps = append(w.apps, a)
	return a, func() {
		cancel()
		<-done
		w.apps = slices.DeleteFunc(w.apps, func(b *app.App) bool { return b == a })
	}
}

// settle lets every replica do all that is due at the test clock's time —
// escalation steps, notices, shift notices — and returns when none has
// anything left to do: whatever has not happened by then will not happen
// until the clock moves.
func (w *world) settle() {
	w.t.Helper()
	ctx := context.Background()
	for range 2 { // a notice one replica finishes can wake another's work
		for _, a := range w.apps {
			if err := a.Engine.Drain(ctx); err != nil {
				w.t.Fatalf("drain: %v", err)
			}
			if err := a.Engine.SendShiftNotices(ctx); err != nil {
				w.t.Fatalf("shift notices: %v", err)
			}
		}
	}
}

// testLogger discards the daemon's logs unless PAGERD_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("PAGERD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "router", "ingest", "alertmanager", "testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

type response struct {
	code int
	body string
}

func post(t *testing.T, url, token, contentType string, body []byte) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b)}
}

func get(t *testing.T, url string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	return do(t, req)
}

// eventually polls cond until it holds or 10s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func smsTo(f *twiliofake.Fake, to string) []twiliofake.Message {
	var out []twiliofake.Message
	for _, m := range f.Messages() {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

func incident(t *testing.T, base string, id int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v1/incidents/%d", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	r := do(t, req)
	if r.code != http.StatusOK {
		t.Fatalf("GET incident %d: %d %s", id, r.code, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// hasFact reports whether an incident, as the API shows it, has a fact of
// kind by actor through via on its timeline.
func hasFact(inc map[string]any, kind, actor, via string) bool {
	facts, _ := inc["timeline"].([]any)
	for _, f := range facts {
		m, _ := f.(map[string]any)
		if m["event"] == kind && m["actor"] == actor && m["via"] == via {
			return true
		}
	}
	return false
}

var ackLinkRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/v1/ack/[A-Za-z0-9_\-]+`)
