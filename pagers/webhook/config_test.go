package webhook_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/webhook"
	"github.com/pagerd/pagerd/policies"
)

// specKey is the key of the Standard Webhooks test vector's secret,
// whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw.
var specKey = []byte{
	0x31, 0xf2, 0x90, 0xf6, 0xbf, 0x06, 0x29, 0x8a, 0xab, 0x4f, 0x08, 0xd4,
	0x3c, 0x3f, 0x08, 0x2c, 0xf6, 0x48, 0xa3, 0x62, 0xda, 0x2d, 0xa4, 0xb0,
}

// rest is the config around the webhook blocks of a case: it pages
// webhook:audit and subscribes webhook:audit to the service.
const rest = `
escalation "e" {
  step { notify = ["webhook:audit"] }
}
service "all" {
  escalation  = "e"
  subscribers = ["webhook:audit"]
}
`

// load loads main.hcl (src plus rest) and the given files from a fresh
// directory. PAGERD_TEST_SHORT holds an 8-byte key; PAGERD_TEST_UNSET is
// unset.
func load(t *testing.T, src string, files map[string]string) (*policies.Config, hcl.Diagnostics) {
	t.Helper()
	t.Setenv("PAGERD_TEST_SHORT", "12345678")
	t.Setenv("PAGERD_TEST_UNSET", "")
	os.Unsetenv("PAGERD_TEST_UNSET")
	dir := t.TempDir()
	files["main.hcl"] = src + rest
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return policies.Load(dir)
}

func TestDecode(t *testing.T) {
	secrets := map[string]string{
		"whsec":       "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
		"whsec-nopad": "whsec_" + strings.TrimRight("MTIzNDU2Nzg5MDEyMzQ1Njc=", "=") + "\n", // 17 bytes, written without padding
		"raw":         "0123456789abcdef",
	}
	tests := []struct {
		name string
		src  string
		want webhook.Config
	}{{
		name: "Standard Webhooks secret, defaults",
		src:  "webhook \"audit\" {\n  url    = \"https://hooks.example.com/pagerd\"\n  secret = file(\"whsec\")\n}",
		want: webhook.Config{URL: "https://hooks.example.com/pagerd", Key: specKey, Events: webhook.DefaultEvents(), Timeout: 10 * time.Second},
	}, {
		name: "unpadded base64",
		src:  "webhook \"audit\" {\n  url    = \"http://127.0.0.1:9000/x\"\n  secret = file(\"whsec-nopad\")\n}",
		want: webhook.Config{URL: "http://127.0.0.1:9000/x", Key: []byte("12345678901234567"), Events: webhook.DefaultEvents(), Timeout: 10 * time.Second},
	}, {
		name: "raw secret, events and timeout",
		src: `webhook "audit" {
  url     = "https://hooks.example.com/pagerd?tenant=1"
  secret  = file("raw")
  events  = ["resolved", "triggered", "change", "resolved"]
  timeout = "1s"
}`,
		want: webhook.Config{
			URL: "https://hooks.example.com/pagerd?tenant=1", Key: []byte("0123456789abcdef"),
			Events:  []incident.Kind{incident.KindResolved, incident.KindTriggered, incident.KindChange},
			Timeout: time.Second,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := load(t, tt.src, maps.Clone(secrets))
			if cfg == nil || len(diags) > 0 {
				t.Fatalf("Load: %v", diags)
			}
			got, ok := cfg.Named["webhook"]["audit"].(webhook.Config)
			if !ok {
				t.Fatalf("webhook audit = %#v, want a Config", cfg.Named["webhook"]["audit"])
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("webhook audit = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDefaultEventsArePublishedKinds(t *testing.T) {
	want := []incident.Kind{"triggered", "acknowledged", "escalated", "reopened", "resolved", "note", "change", "rerouted", "storm_passed",
		"severity_changed", "role_assigned", "status_update", "postmortem_done", "action_added", "action_done", "escalation_exhausted", "public_update"}
	if got := webhook.DefaultEvents(); !slices.Equal(got, want) {
		t.Errorf("DefaultEvents() = %v, want %v", got, want)
	}
}

// TestDiagnostics holds one case per problem a webhook block can have,
// each pointing at where it is written (line:column of main.hcl).
func TestDiagnostics(t *testing.T) {
	files := map[string]string{"whsec": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "bad": "whsec_not*base64!"}
	block := func(attrs string) string { return "webhook \"audit\" {\n" + attrs + "\n}\n" }
	const secret = `  secret = file("whsec")`
	const url = `  url = "https://hooks.example.com/x"`
	tests := []struct {
		name, src string
		severity  hcl.DiagnosticSeverity
		summary   string
		at        string // line:column
		detail    string // a part of the detail
	}{
		{"missing url", block(secret), hcl.DiagError, "Missing required argument", "1:17", `"url" is required`},
		{"missing secret", block(url), hcl.DiagError, "Missing required argument", "1:17", `"secret" is required`},
		{"unknown attribute", block(url + "\n" + secret + "\n  method = \"PUT\""), hcl.DiagError, "Unsupported argument", "4:3", `"method" is not expected`},
		{"url not absolute", block(`  url = "hooks.example.com/x"` + "\n" + secret), hcl.DiagError, "Invalid URL", "2:9", "is not an absolute URL"},
		{"url not http", block(`  url = "ftp://hooks.example.com/x"` + "\n" + secret), hcl.DiagError, "Invalid URL", "2:9", "is not an http or https URL"},
		{"url without host", block(`  url = "https:///x"` + "\n" + secret), hcl.DiagError, "Invalid URL", "2:9", "has no host"},
		{"url with password", block(`  url = "https://u:p@hooks.example.com/x"` + "\n" + secret), hcl.DiagError, "Invalid URL", "2:9", "carries a user name or password"},
		{"literal secret", block(url + "\n" + `  secret = "0123456789abcdef"`), hcl.DiagError, "Secret written in the config", "3:12", "env() or file()"},
		{"bad base64", block(url + "\n" + `  secret = file("bad")`), hcl.DiagError, "Invalid webhook secret", "3:12", `file("bad") starts with "whsec_" but the rest is not base64`},
		{"short key", block(url + "\n" + `  secret = env("PAGERD_TEST_SHORT")`), hcl.DiagError, "Webhook secret too short", "3:12", "has 8 bytes; an HMAC key needs at least 16"},
		{"unset secret", block(url + "\n" + `  secret = env("PAGERD_TEST_UNSET")`), hcl.DiagWarning, "Webhook disabled", "1:1", `env("PAGERD_TEST_UNSET") is unset or empty, so nothing is sent to webhook "audit"`},
		{"unknown event", block(url + "\n" + secret + "\n" + `  events = ["note", "paged"]`), hcl.DiagError, "Invalid event kind", "4:21", `"paged" is not an event kind`},
		{"unpublished event", block(url + "\n" + secret + "\n" + `  events = ["notified"]`), hcl.DiagError, "Invalid event kind", "4:13", `"notified" stays on the incident's timeline`},
		{"empty events", block(url + "\n" + secret + "\n" + `  events = []`), hcl.DiagError, "Empty list", "4:12", "leave it out to receive all of them"},
		{"events not a list", block(url + "\n" + secret + "\n" + `  events = "note"`), hcl.DiagError, "Invalid value", "4:12", "events must be a list of strings"},
		{"bad timeout", block(url + "\n" + secret + "\n" + `  timeout = "10"`), hcl.DiagError, "Invalid duration", "4:13", `timeout = "10" is not a duration`},
		{"short timeout", block(url + "\n" + secret + "\n" + `  timeout = "999ms"`), hcl.DiagError, "Invalid duration", "4:13", "shorter than 1s"},
		{"duplicate", block(url+"\n"+secret) + block(url+"\n"+secret), hcl.DiagError, "Duplicate webhook", "5:1", "is already defined at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := load(t, tt.src, maps.Clone(files))
			if len(diags) != 1 {
				t.Fatalf("Load diagnostics = %v, want one %q", diags, tt.summary)
			}
			d := diags[0]
			if d.Severity != tt.severity || d.Summary != tt.summary || !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("diagnostic = %v %q: %q, want %v %q containing %q", d.Severity, d.Summary, d.Detail, tt.severity, tt.summary, tt.detail)
			}
			if d.Subject == nil || d.Subject.Filename != "main.hcl" && !strings.HasSuffix(d.Subject.Filename, "/main.hcl") {
				t.Fatalf("diagnostic subject = %v, want a range in main.hcl", d.Subject)
			}
			if at := fmt.Sprintf("%d:%d", d.Subject.Start.Line, d.Subject.Start.Column); at != tt.at {
				t.Errorf("diagnostic at %s, want %s", at, tt.at)
			}
			if (cfg != nil) != (tt.severity == hcl.DiagWarning) {
				t.Errorf("config loaded = %v, want %v", cfg != nil, tt.severity == hcl.DiagWarning)
			}
		})
	}
}

// TestDisabledWebhook: a webhook whose secret is unset is defined, so
// steps and services naming it load, but it builds no pager — its pages go
// to the console — while a configured webhook next to it does.
func TestDisabledWebhook(t *testing.T) {
	ch := pagers.Lookup("webhook")
	if ch == nil {
		t.Fatal(`channel "webhook" is not registered`)
	}
	if ch.ReachesPeople() || !ch.Destinations || !ch.Updates || ch.Block != "webhook" {
		t.Errorf("channel spec = %+v, want destinations and updates of block webhook, reaching no person", ch.ChannelSpec)
	}
	off := `webhook "audit" {
  url    = "https://hooks.example.com/x"
  secret = env("PAGERD_TEST_UNSET")
}
`
	cfg, diags := load(t, off, map[string]string{})
	if cfg == nil || len(diags) != 1 || diags[0].Summary != "Webhook disabled" {
		t.Fatalf("Load = %v, want a valid config and one warning", diags)
	}
	if v, defined := cfg.Named["webhook"]["audit"]; !defined || v != nil {
		t.Errorf(`Named["webhook"]["audit"] = %v, %v; want defined and nil`, v, defined)
	}
	step := cfg.Escalations["e"].Steps[0].Targets
	if !slices.Contains(step, policies.Target{Kind: "webhook", Name: "audit"}) {
		t.Errorf("step targets = %v, want webhook:audit", step)
	}
	if subs := cfg.Services[0].Subscribers; !slices.Equal(subs, []policies.Target{{Kind: "webhook", Name: "audit"}}) {
		t.Errorf("subscribers = %v, want webhook:audit", subs)
	}
	p, err := ch.Build(cfg, pagers.Env{})
	if p != nil || err != nil {
		t.Errorf("Build = %v, %v; want no pager", p, err)
	}

	both := off + `webhook "other" {
  url    = "https://hooks.example.com/y"
  secret = file("key")
}
`
	cfg, diags = load(t, both, map[string]string{"key": "0123456789abcdef"})
	if cfg == nil {
		t.Fatalf("Load: %v", diags)
	}
	p, err = ch.Build(cfg, pagers.Env{})
	if p == nil || err != nil {
		t.Fatalf("Build = %v, %v; want a pager for webhook other", p, err)
	}
	n := pagers.Notification{Key: "k", Kind: pagers.KindPage, Channel: "webhook", Destination: "audit"}
	if _, err := p.Send(t.Context(), n); !pagers.IsPermanent(err) || !strings.Contains(err.Error(), "switched off") {
		t.Errorf("Send to the switched-off webhook = %v, want a permanent error saying it is switched off", err)
	}
}
