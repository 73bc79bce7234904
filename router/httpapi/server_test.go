package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers/twilio"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router"
	"github.com/pagerd/pagerd/router/store"

	_ "github.com/pagerd/pagerd/pagers/all"
	_ "github.com/pagerd/pagerd/router/ingest/all"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newTestServerLogging(t, io.Discard, nil)
}

// newTestServerLogging is newTestServer logging to logw, with edit applied
// to its config first when not nil.
func newTestServerLogging(t *testing.T, logw io.Writer, edit func(*policies.Config)) *httptest.Server {
	t.Helper()
	cfg := &policies.Config{
		Settings: policies.Settings{ResolvedRetention: time.Hour, ResolveTimeout: 5 * time.Minute, LinkTTL: time.Hour},
		Integrations: []*policies.Integration{
			{Name: "am", Type: "alertmanager", Token: "am-token"},
			{Name: "cli", Type: "api", Token: "api-token"},
		},
		Services: []*policies.Service{{Name: "all", Escalation: "ops", GroupBy: []string{"alertname"}}},
	}
	if edit != nil {
		edit(cfg)
	}
	current := func() *policies.Config { return cfg }
	st := store.New(testenv.StartRedis(t).Client(t), "httpapi")
	log := slog.New(slog.NewTextHandler(logw, nil))
	s := &Server{
		Router: &router.Router{Store: st, Config: current, Log: log},
		Store:  st, Config: current, Log: log,
		Links: func() links.Builder {
			return links.Builder{PublicURL: cfg.Settings.PublicURL, Signer: links.Signer{Key: []byte("0123456789abcdef0123456789abcdef")}, TTL: time.Hour}
		},
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func fixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "ingest", "alertmanager", "testdata", "alertmanager-0.25-webhook-firing.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlers(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		basic                    [2]string
		want                     int
		mention                  string
	}{
		{name: "webhook with the token as basic-auth password", method: "POST", path: "/v1/webhooks/alertmanager", body: fixture(t),
			header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, basic: [2]string{"alertmanager", "am-token"}, want: 200, mention: "triggered"},
		{name: "API v2 with no alerts, like Alertmanager", method: "POST", path: "/api/v2/alerts", body: "[]",
			header: map[string]string{"Authorization": "Bearer am-token", "Content-Type": "application/json"}, want: 200, mention: `"alerts":[]`},
		{name: "incident id must be a number", method: "GET", path: "/v1/incidents/abc",
			header: map[string]string{"Authorization": "Bearer api-token"}, want: 400, mention: "positive number"},
		{name: "unknown incident", method: "GET", path: "/v1/incidents/999",
			header: map[string]string{"Authorization": "Bearer api-token"}, want: 404, mention: "no such incident"},
		{name: "unknown action", method: "POST", path: "/v1/incidents/1/snooze",
			header: map[string]string{"Authorization": "Bearer api-token"}, want: 404, mention: "use ack, resolve, escalate or note"},
		{name: "a note needs text", method: "POST", path: "/v1/incidents/1/note",
			header: map[string]string{"Authorization": "Bearer api-token", "Content-Type": "application/json"}, body: `{"text":"  "}`, want: 400, mention: "a note needs text"},
		{name: "note by API", method: "POST", path: "/v1/incidents/1/note?by=alice",
			header: map[string]string{"Authorization": "Bearer api-token", "Content-Type": "application/json"}, body: `{"text":"9:24 found memory-limit errors"}`, want: 200, mention: "noted"},
		{name: "escalate by API", method: "POST", path: "/v1/incidents/1/escalate?by=alice",
			header: map[string]string{"Authorization": "Bearer api-token"}, want: 200, mention: "escalated"},
		{name: "ack by API", method: "POST", path: "/v1/incidents/1/ack?by=alice",
			header: map[string]string{"Authorization": "Bearer api-token"}, want: 200, mention: "acknowledged"},
		{name: "alert token on the API", method: "GET", path: "/v1/incidents",
			header: map[string]string{"Authorization": "Bearer am-token"}, want: 403, mention: "type alertmanager"},
		{name: "twilio not configured", method: "POST", path: "/v1/twilio/sms", want: 404, mention: "not configured"},
		{name: "feed without token", method: "GET", path: "/v1/schedules/x.ics", want: 403, mention: "feed token"},
		{name: "metrics count alerts", method: "GET", path: "/metrics", want: 200, mention: `pagerd_alerts_received_total{integration="am",outcome="triggered"} 1`},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		if tc.basic[1] != "" {
			req.SetBasicAuth(tc.basic[0], tc.basic[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.mention) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, resp.StatusCode, body, tc.want, tc.mention)
		}
		if tc.path != "/metrics" && resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", tc.name)
		}
	}
}

// An ack-link token in a request path grants an acknowledgement: logs must
// never show it, whatever fails.
func TestLogsRedactLinkTokens(t *testing.T) {
	var logs testenv.Buffer
	srv := newTestServerLogging(t, &logs, func(c *policies.Config) {
		c.Settings.PublicURL = "https://pagerd.example"
		c.Blocks = map[string]any{"twilio": twilio.Config{AccountSID: "AC1", AuthToken: "twilio-auth", From: "+15550000000"}}
	})
	const token = "c2VjcmV0LXRva2VuLXRoYXQtbXVzdC1ub3QtbGVhaw"
	for _, req := range []struct{ method, path string }{
		{"GET", "/v1/ack/" + token},
		{"POST", "/v1/ack/" + token},
		{"POST", "/v1/twilio/voice/" + token}, // unsigned: refused, cause logged
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, strings.NewReader("Digits=1"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("%s %s = %d, want it refused", req.method, req.path, resp.StatusCode)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "request failed") || !strings.Contains(out, "<redacted>") {
		t.Errorf("no redacted failure logged:\n%s", out)
	}
	if strings.Contains(out, token) {
		t.Errorf("logs show an ack-link token:\n%s", out)
	}
}
