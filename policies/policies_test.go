package policies_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/pagerd/pagerd/policies"

	_ "github.com/pagerd/pagerd/pagers/all"
	_ "github.com/pagerd/pagerd/router/ingest/all"
)

const exampleDir = "../deploy/examples/config"

// The shipped example must pass check with no environment set: it is what
// a newcomer runs first.
func TestExampleConfig(t *testing.T) {
	for _, v := range []string{"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SMTP_USER", "SMTP_PASSWORD", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
		"MATTERMOST_BOT_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
		"TEAMS_PAYMENTS_WEBHOOK_URL", "DISCORD_PAYMENTS_WEBHOOK_URL", "GOOGLECHAT_PAYMENTS_WEBHOOK_URL"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	var out bytes.Buffer
	if !Check(exampleDir, &out) {
		t.Fatalf("Check(%s) = false:\n%s", exampleDir, out.String())
	}
	if strings.Contains(out.String(), "Error:") {
		t.Errorf("Check(%s) printed errors:\n%s", exampleDir, out.String())
	}
	// Only the providers may warn: they need credentials from the environment.
	for _, d := range LoadDir(exampleDir).Diags {
		if d.Summary != "Twilio disabled" && d.Summary != "SMTP disabled" && d.Summary != "Webhook disabled" && d.Summary != "Slack disabled" &&
			d.Summary != "Mattermost disabled" && d.Summary != "Telegram disabled" &&
			!strings.HasSuffix(d.Summary, " room disabled") {
			t.Errorf("Check(%s) warns %q: %s", exampleDir, d.Summary, d.Detail)
		}
	}

	cfg, _ := Load(exampleDir)
	fixture := map[string]string{"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical", "team": "payments"}
	if s := cfg.Route(fixture); s == nil || s.Name != "checkout" || s.Escalation != "payments" {
		t.Errorf("Route(%v) = %+v, want service checkout", fixture, s)
	}
	if in := cfg.IntegrationByToken("s3cret"); in == nil || in.Name != "alertmanager" {
		t.Errorf("IntegrationByToken(s3cret) = %+v, want integration alertmanager", in)
	}
	if cfg.Block("twilio") != nil || cfg.Block("smtp") != nil || cfg.Block("slack") != nil {
		t.Errorf("twilio, smtp, slack = %+v, %+v, %+v; want all off without credentials", cfg.Block("twilio"), cfg.Block("smtp"), cfg.Block("slack"))
	}
	for _, r := range [][2]string{{"slack", "#payments-oncall"}, {"mattermost", "payments"}, {"telegram", "payments"},
		{"teams", "payments"}, {"discord", "payments"}, {"googlechat", "payments"}} {
		if room, defined := cfg.Named[r[0]][r[1]]; !defined || room != nil {
			t.Errorf("%s room %s = %v, %v; want defined and off", r[0], r[1], room, defined)
		}
	}
	if len(cfg.Settings.LinkSecret) == 0 {
		t.Errorf("Settings.LinkSecret is empty, want the key from secrets/link.key")
	}
}

// mustLoad loads src as the only file of a directory and fails on errors.
func mustLoad(t *testing.T, src string) *Config {
	t.Helper()
	l := LoadDir(WriteDir(t, map[string]string{"main.hcl": src}))
	if l.Config == nil {
		var out bytes.Buffer
		l.WriteDiagnostics(&out)
		t.Fatalf("config invalid:\n%s", out.String())
	}
	return l.Config
}

const routeConfig = `
pagerd { unrouted = "record" }
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "checkout-critical" {
  escalation = "e"
  match      = ["service=checkout", "severity=~critical|page"]
}
service "not-staging" {
  escalation = "e"
  match      = ["env!=staging", "team!~db.*"]
}
service "db" {
  escalation = "e"
  match      = ["team=~db.*"]
}
`

func TestRoute(t *testing.T) {
	cfg := mustLoad(t, routeConfig)
	tests := []struct {
		labels map[string]string
		want   string // "" for no service
	}{
		{map[string]string{"service": "checkout", "severity": "critical"}, "checkout-critical"},
		{map[string]string{"service": "checkout", "severity": "page"}, "checkout-critical"},
		// Regexes are anchored: "critical-ish" is not "critical".
		{map[string]string{"service": "checkout", "severity": "critical-ish", "env": "prod"}, "not-staging"},
		{map[string]string{"service": "checkout", "severity": "warning", "env": "staging"}, ""},
		// A missing label is the empty string: env!=staging matches it.
		{map[string]string{}, "not-staging"},
		{map[string]string{"team": "dba"}, "db"},
		{map[string]string{"team": "db", "env": "staging"}, "db"},
		{map[string]string{"team": "payments", "env": "staging"}, ""},
	}
	for _, tt := range tests {
		got := ""
		if s := cfg.Route(tt.labels); s != nil {
			got = s.Name
		}
		if got != tt.want {
			t.Errorf("Route(%v) = %q, want %q", tt.labels, got, tt.want)
		}
	}

	cfg = mustLoad(t, strings.Replace(routeConfig, `pagerd { unrouted = "record" }`, "", 1)+`service "rest" { escalation = "e" }`)
	if s := cfg.Route(map[string]string{"team": "payments", "env": "staging"}); s == nil || s.Name != "rest" {
		t.Errorf("Route with catch-all = %+v, want service rest", s)
	}
}

func TestUsersFor(t *testing.T) {
	cfg := mustLoad(t, `
user "alice" { email = "alice@example.com" }
user "bob" { email = "bob@example.com" }
team "payments" { members = ["bob", "alice"] }
schedule "weekly" {
  timezone = "UTC"
  rotation "r" {
    users = ["alice", "bob"]
    every = "1w"
    start = "2026-11-02 09:00"
  }
  override {
    user = "bob"
    from = "2026-11-03 00:00"
    to   = "2026-11-04 00:00"
  }
}
escalation "e" {
  step { notify = ["schedule:weekly"] }
}
service "all" { escalation = "e" }
`)
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		target Target
		at     time.Time
		want   []string
	}{
		{Target{"user", "alice"}, at("2026-11-02 10:00"), []string{"alice"}},
		{Target{"team", "payments"}, at("2026-11-02 10:00"), []string{"bob", "alice"}},
		{Target{"schedule", "weekly"}, at("2026-11-02 10:00"), []string{"alice"}},
		{Target{"schedule", "weekly"}, at("2026-11-03 10:00"), []string{"bob"}}, // override
		{Target{"schedule", "weekly"}, at("2026-11-09 10:00"), []string{"bob"}}, // second week
		{Target{"schedule", "weekly"}, at("2026-11-16 08:59"), []string{"bob"}},
		{Target{"schedule", "weekly"}, at("2026-11-16 09:00"), []string{"alice"}},
		{Target{"schedule", "weekly"}, at("2026-11-01 10:00"), nil}, // before the first handoff
		{Target{"user", "carol"}, at("2026-11-02 10:00"), nil},
		{Target{"team", "ops"}, at("2026-11-02 10:00"), nil},
		{Target{"slack", "#x"}, at("2026-11-02 10:00"), nil},
	}
	for _, tt := range tests {
		if got := cfg.UsersFor(tt.target, tt.at); !slices.Equal(got, tt.want) {
			t.Errorf("UsersFor(%s, %s) = %q, want %q", tt.target, tt.at.Format(time.DateTime), got, tt.want)
		}
	}
}

func TestIntegrationByToken(t *testing.T) {
	t.Setenv("PAGERD_TEST_API", "api-token")
	dir := WriteDir(t, map[string]string{
		"main.hcl": `
integration "am" {
  type  = "alertmanager"
  token = file("am.token")
}
integration "api" {
  type  = "api"
  token = env("PAGERD_TEST_API")
}
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "all" { escalation = "e" }
`,
		"am.token": "s3cret\n",
	})
	cfg, diags := Load(dir)
	if cfg == nil {
		t.Fatalf("Load: %v", diags)
	}
	tests := []struct{ token, want string }{
		{"s3cret", "am"},
		{"api-token", "api"},
		{"s3cret\n", ""}, // the file's newline is trimmed, not part of the token
		{"s3cre", ""},
		{"s3crett", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got := ""
		if in := cfg.IntegrationByToken(tt.token); in != nil {
			got = in.Name
		}
		if got != tt.want {
			t.Errorf("IntegrationByToken(%q) = %q, want %q", tt.token, got, tt.want)
		}
	}
}

const holderConfig = `
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "%s" { escalation = "e" }
`

func TestHolder(t *testing.T) {
	dir := WriteDir(t, map[string]string{"main.hcl": strings.Replace(holderConfig, "%s", "first", 1)})
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	service := func(h *Holder) string { return h.Current().Services[0].Name }

	h, diags := NewHolder(dir)
	if h == nil {
		t.Fatalf("NewHolder: %v", diags)
	}
	if got := service(h); got != "first" {
		t.Fatalf("service = %q, want first", got)
	}
	old := h.Current()

	// A valid edit is swapped in.
	write(strings.Replace(holderConfig, "%s", "second", 1))
	if diags, err := h.Reload(); err != nil {
		t.Fatalf("Reload: %v (%v)", err, diags)
	}
	if got := service(h); got != "second" {
		t.Errorf("after a valid reload, service = %q, want second", got)
	}
	if old.Services[0].Name != "first" {
		t.Errorf("the old config changed under its readers: %q", old.Services[0].Name)
	}

	// An invalid edit is refused and the last good config stays.
	write(strings.Replace(holderConfig, `escalation = "e"`, `escalation = "nope"`, 1))
	diags, err := h.Reload()
	if err == nil || !diags.HasErrors() {
		t.Fatalf("Reload of an invalid config = %v, %v; want an error", diags, err)
	}
	if got := service(h); got != "second" {
		t.Errorf("after an invalid reload, service = %q, want second (the last good)", got)
	}

	// So is a syntax error, and a directory with no files.
	write("user {")
	if _, err := h.Reload(); err == nil {
		t.Errorf("Reload of a syntax error succeeded")
	}
	os.Remove(filepath.Join(dir, "main.hcl"))
	if _, err := h.Reload(); err == nil {
		t.Errorf("Reload of an empty directory succeeded")
	}
	if got := service(h); got != "second" {
		t.Errorf("service = %q, want second (the last good)", got)
	}

	// Readers and reloads may run at once (go test -race).
	write(strings.Replace(holderConfig, "%s", "third", 1))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if s := service(h); s != "second" && s != "third" {
					t.Errorf("service = %q during reloads", s)
				}
			}
		})
	}
	wg.Go(func() { h.Reload() })
	wg.Wait()
	if got := service(h); got != "third" {
		t.Errorf("service = %q, want third", got)
	}
}

func TestNewHolderInvalid(t *testing.T) {
	dir := WriteDir(t, map[string]string{"main.hcl": `user "alice" { phone = "123" }`})
	h, diags := NewHolder(dir)
	if h != nil || !diags.HasErrors() {
		t.Errorf("NewHolder(invalid) = %v, %v; want nil and errors", h, diags)
	}
}

// The compiled model carries what the HCL says, defaults included.
func TestCompiledModel(t *testing.T) {
	cfg := mustLoad(t, `
pagerd {
  public_url = "https://pagerd.example.com/"
}
user "alice" {
  email = "alice@example.com"
  phone = "+15551230001"
  notify { via = "sms" }
  notify {
    after = "5m"
    via   = "voice"
  }
  shift_notice {
    before = "1h"
    via    = "email"
  }
}
user "bob" { phone = "+15551230002" }
user "carol" { email = "carol@example.com" }
schedule "s" {
  timezone = "Europe/Berlin"
  rotation "base" {
    users = ["alice", "bob"]
    every = "1d"
    start = "2026-11-02 09:00"
  }
  rotation "office" {
    users    = ["carol", "bob", "alice"]
    every    = "12h"
    start    = "2026-11-02 09:00"
    on_call  = 2
    timezone = "America/New_York"
    restrict {
      days = ["mon", "Friday"]
      from = "18:00"
      to   = "09:00"
    }
  }
}
escalation "e" {
  step { notify = ["schedule:s"] }
  step {
    after  = "7m"
    notify = ["user:bob", "team:t"]
  }
  repeat = 2
}
escalation "f" {
  step { notify = ["user:carol"] }
}
team "t" { members = ["carol"] }
service "svc" {
  escalation = "e"
  match      = ["a=b"]
  group_by   = ["alertname"]
}
service "rest" {
  escalation = "f"
  responders = "paged"
}
`)
	if got, want := cfg.Settings, (Settings{PublicURL: "https://pagerd.example.com", LinkTTL: 24 * time.Hour,
		ResolvedRetention: 168 * time.Hour, ResolveTimeout: 5 * time.Minute}); got.PublicURL != want.PublicURL ||
		got.LinkTTL != want.LinkTTL || got.ResolvedRetention != want.ResolvedRetention ||
		got.ResolveTimeout != want.ResolveTimeout || got.AckTimeout != 0 || got.LinkSecret != nil {
		t.Errorf("Settings = %+v, want %+v", got, want)
	}
	alice := cfg.Users["alice"]
	if want := []NotifyRule{{0, "sms"}, {5 * time.Minute, "voice"}}; !slices.Equal(alice.Rules, want) {
		t.Errorf("alice.Rules = %v, want %v", alice.Rules, want)
	}
	if want := []ShiftNotice{{time.Hour, "email"}}; !slices.Equal(alice.ShiftNotices, want) {
		t.Errorf("alice.ShiftNotices = %v, want %v", alice.ShiftNotices, want)
	}
	// Without notify blocks: SMS if there is a phone, else email.
	if want := []NotifyRule{{0, "sms"}}; !slices.Equal(cfg.Users["bob"].Rules, want) {
		t.Errorf("bob.Rules = %v, want %v", cfg.Users["bob"].Rules, want)
	}
	if want := []NotifyRule{{0, "email"}}; !slices.Equal(cfg.Users["carol"].Rules, want) {
		t.Errorf("carol.Rules = %v, want %v", cfg.Users["carol"].Rules, want)
	}

	s := cfg.Schedules["s"]
	if s.Location.String() != "Europe/Berlin" || len(s.Layers) != 2 {
		t.Fatalf("schedule = %+v", s)
	}
	base, office := s.Layers[0], s.Layers[1]
	if base.OnCall != 1 || base.Location != nil || base.Every.Days != 1 || !base.Start.Equal(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("base layer = %+v", base)
	}
	if office.OnCall != 2 || office.Location.String() != "America/New_York" || office.Every.Duration != 12*time.Hour ||
		!office.Start.Equal(time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("office layer = %+v", office)
	}
	if len(office.Restrictions) != 1 || !slices.Equal(office.Restrictions[0].Days, []time.Weekday{time.Monday, time.Friday}) ||
		office.Restrictions[0].From != 18*60 || office.Restrictions[0].To != 9*60 {
		t.Errorf("office restrictions = %+v", office.Restrictions)
	}

	e := cfg.Escalation("e")
	if e == nil || len(e.Steps) != 2 || e.Repeat != 2 || e.RepeatAfter != 7*time.Minute {
		t.Fatalf("escalation e = %+v", e)
	}
	if want := []Target{{"user", "bob"}, {"team", "t"}}; e.Steps[1].After != 7*time.Minute || !slices.Equal(e.Steps[1].Targets, want) {
		t.Errorf("step 2 = %+v, want after 7m, targets %v", e.Steps[1], want)
	}
	// repeat_after defaults to the last step's after, but at least 1m.
	if f := cfg.Escalation("f"); f.RepeatAfter != time.Minute {
		t.Errorf("escalation f RepeatAfter = %s, want 1m", f.RepeatAfter)
	}
	if svc := cfg.Service("svc"); svc == nil || svc.Matchers.String() != `{a="b"}` || !slices.Equal(svc.GroupBy, []string{"alertname"}) {
		t.Errorf("service svc = %+v", svc)
	}
	if cfg.Service("rest").Matchers != nil {
		t.Errorf("catch-all has matchers %v", cfg.Service("rest").Matchers)
	}
	if svc, rest := cfg.Service("svc").Responders, cfg.Service("rest").Responders; svc != RespondersTeam || rest != RespondersPaged {
		t.Errorf("responders of svc, rest = %q, %q; want the default team, and paged", svc, rest)
	}
	// The teams that own an incident: those its policy names in a step.
	for _, tc := range []struct{ escalation, user, want string }{
		{"e", "carol", "t"}, {"e", "alice", ""}, {"e", "bob", ""}, {"f", "carol", ""}, {"gone", "carol", ""},
	} {
		if got := cfg.OwningTeam(tc.escalation, tc.user); got != tc.want {
			t.Errorf("OwningTeam(%q, %q) = %q, want %q", tc.escalation, tc.user, got, tc.want)
		}
	}
}
