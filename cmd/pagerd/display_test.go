package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/internal/testenv"
)

// hostileAlert is an Alertmanager webhook whose labels and summary hold a
// newline, a carriage return, NUL, an escape sequence and a right-to-left
// override.
const hostileAlert = `{"version":"4","status":"firing","alerts":[{"status":"firing",
 "labels":{"alertname":"Checkout\nDown\r\u0000\u001b[31mred","service":"checkout","cluster":"eu1\u202egnp.exe"},
 "annotations":{"summary":"line one\r\nline two \u001b]0;owned\u0007"},
 "startsAt":"2026-11-24T01:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}`

// The incidents and show tables of a running pagerd, fed through HTTP an
// alert whose labels hold control characters: every row stays one line,
// and the characters show as escapes instead of acting on the terminal.
func TestTablesEscapeControlCharacters(t *testing.T) {
	clearEnv(t)
	dir := writeConfig(t, `
integration "am" {
  type  = "alertmanager"
  token = file("am.token")
}
integration "cli" {
  type  = "api"
  token = file("api.token")
}
user "alice" {}
escalation "ops" {
  step { notify = ["user:alice"] }
}
service "all" {
  escalation = "ops"
  group_by   = ["alertname", "cluster"]
}
`)
	must(t, os.WriteFile(filepath.Join(dir, "am.token"), []byte("am-tok"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "api.token"), []byte("api-tok"), 0o600))
	base := "http://" + startApp(t, dir, &testenv.Buffer{}, nil).Addr()

	req, _ := http.NewRequest(http.MethodPost, base+"/v1/webhooks/alertmanager", strings.NewReader(hostileAlert))
	req.Header.Set("Authorization", "Bearer am-tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	resp.Body.Close()

	const title = `Checkout Down \x00\x1b[31mred cluster=eu1\u202egnp.exe`
	for _, tc := range []struct {
		verb  []string
		lines int // how many the table must have
		want  []string
	}{
		{[]string{"incidents"}, 2, []string{title}},
		{[]string{"show", "1"}, 0, []string{
			"#1 " + title + "\n",
			`summary: line one line two \x1b]0;owned\x07` + "\n",
			`{alertname=Checkout Down \x00\x1b[31mred, cluster=eu1\u202egnp.exe, service=checkout}` + "\n",
		}},
	} {
		code, out, errOut := runCLI(t, append(tc.verb, "--server", base, "--token", "api-tok")...)
		if code != 0 {
			t.Fatalf("pagerd %s: exit %d: %s", tc.verb[0], code, errOut)
		}
		for _, r := range out {
			if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
				t.Errorf("pagerd %s lets %U through:\n%q", tc.verb[0], r, out)
				break
			}
		}
		if n := strings.Count(out, "\n"); tc.lines > 0 && n != tc.lines {
			t.Errorf("pagerd %s printed %d lines, want %d:\n%s", tc.verb[0], n, tc.lines, out)
		}
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("pagerd %s lacks %q:\n%s", tc.verb[0], want, out)
			}
		}
	}
}

// startApp runs a pagerd on config directory dir against a redis-server
// of its own until the test ends, printing console pages to console;
// clock, when set, is its clock. Its engine polls only when woken.
func startApp(t *testing.T, dir string, console io.Writer, clock func() time.Time) *app.App {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{ConfigDir: dir, Listen: "127.0.0.1:0", RedisURL: testenv.StartRedis(t).URL(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Console: console, Clock: clock, Poll: time.Hour})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return a
}
