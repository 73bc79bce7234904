package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const exampleConfig = "../../deploy/examples/config"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// clearEnv unsets the variables that stand in for flags, so a developer's
// shell does not change what a test sees. The tests run in cmd/pagerd,
// where the default config path does not exist: like a user outside the
// repository.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{envConfig, envServer, envToken, "PAGERD_LISTEN", "PAGERD_REDIS_URL", "PAGERD_NAMESPACE", "PAGERD_REDIS_SHARDS"} {
		t.Setenv(name, "")
	}
}

// writeConfig writes a config directory of one file and returns its path.
func writeConfig(t *testing.T, hcl string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pagerd.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// onlyCheckout routes alerts with service=checkout and records the rest
// as unrouted.
const onlyCheckout = `
pagerd { unrouted = "record" }
user "alice" {}
escalation "payments" {
  step {
    notify = ["user:alice"]
  }
}
service "checkout" {
  escalation = "payments"
  match      = ["service=checkout"]
}
`

func TestCheck(t *testing.T) {
	clearEnv(t)
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "bad.hcl"), []byte("service \"x\" {\n  escalation = \"nope\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"example config is valid", []string{"check", exampleConfig}, 0, "config OK"},
		{"--config works like the positional directory", []string{"check", "--config", exampleConfig}, 0, "config OK"},
		{"the positional directory wins over --config", []string{"check", "--config", bad, exampleConfig}, 0, "config OK"},
		{"unknown escalation is an error with its position", []string{"check", bad}, 1, "bad.hcl:2:"},
		{"missing directory says how to fix it", []string{"check", filepath.Join(bad, "missing")}, 1, "not found: pass --config DIR or set PAGERD_CONFIG"},
		{"the default directory outside the repository", []string{"check"}, 1, `pagerd check: config directory "deploy/examples/config" not found: pass --config DIR or set PAGERD_CONFIG`},
		{"a file is not a directory", []string{"check", filepath.Join(bad, "bad.hcl")}, 1, "is a file, not a directory"},
		{"two directories", []string{"check", "a", "b"}, 2, "at most one config directory"},
		{"no catch-all and no unrouted policy", []string{"check", writeConfig(t, strings.Replace(onlyCheckout, `pagerd { unrouted = "record" }`, "", 1))},
			1, "Error: No catch-all service"},
		{"a matcher that looks like a typo warns", []string{"check", writeConfig(t, strings.Replace(onlyCheckout, `"service=checkout"`, `"service==checkout"`, 1))},
			0, `Did you mean "service=checkout"?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("pagerd %v = %d\n%s%s\nwant exit %d mentioning %q", tc.args, code, out, errOut, tc.wantCode, tc.want)
			}
			if strings.Contains(out+errOut, "<nil>") {
				t.Errorf("pagerd %v prints <nil>:\n%s%s", tc.args, out, errOut)
			}
		})
	}
}

// chatRooms pages a Mattermost room in step 1 and a Telegram room in step
// 2, and keeps both informed; their secrets are unset, which leaves the
// rooms defined.
const chatRooms = `
pagerd { unrouted = "record" }
mattermost {
  url       = "https://chat.example.com"
  bot_token = env("PAGERD_TEST_UNSET")
  room "payments" { channel_id = "q8xw3kz6ojbn5mzgd8fd9ez7ah" }
}
telegram {
  bot_token      = env("PAGERD_TEST_UNSET")
  webhook_secret = env("PAGERD_TEST_UNSET")
  room "payments" { chat_id = "-1001234567890" }
}
user "alice" {}
escalation "payments" {
  step { notify = ["user:alice", "mattermost:payments"] }
  step {
    after  = "10m"
    notify = ["telegram:payments"]
  }
}
service "checkout" {
  escalation  = "payments"
  match       = ["service=checkout"]
  subscribers = ["telegram:payments", "mattermost:payments"]
}
`

func TestRouteDryRun(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"RFC 3339", []string{"--at", "2026-12-01T15:00:00Z", "alertname=CheckoutDown", "service=checkout", "severity=critical"},
			[]string{"service:    checkout", "escalation: payments", "informs:    webhook:audit, slack:#payments-oncall, discord:payments", "schedule:payments-primary    → alice", "step 2 at +10m0s",
				"slack:#payments-oncall       → notified", "teams:payments               → notified", "teams:payments via teams at +10m0s",
				"storm:      more than 5 new incidents within 5m fold into one storm incident",
				"flapping:   an alert changing state more than 4 times within 1h is flapping"}},
		{"a service's own folding", []string{"--at", "2026-12-01T15:00:00Z", "team=payments", "severity=warning"},
			[]string{"service:    payments-other", "storm:      more than 10 new incidents within 5m", "resolves once it stayed resolved for 30m"}},
		// payments-primary hands over from alice to bob on Monday
		// 2026-12-07 09:00 New York time, which is 14:00 UTC.
		{"wall clock in --tz, before the handover", []string{"--at", "2026-12-07 08:59", "--tz", "America/New_York", "service=checkout", "severity=page"},
			[]string{"schedule:payments-primary    → alice"}},
		{"wall clock in --tz, at the handover", []string{"--at", "2026-12-07 09:00", "--tz", "America/New_York", "service=checkout", "severity=page"},
			[]string{"schedule:payments-primary    → bob"}},
		{"the same wall clock in UTC is before it", []string{"--at", "2026-12-07 09:00", "--tz", "UTC", "service=checkout", "severity=page"},
			[]string{"schedule:payments-primary    → alice"}},
		{"no service matches", []string{"--config", writeConfig(t, onlyCheckout), "--at", "2026-12-01T15:00:00Z", "nothing=matches"},
			[]string{"service:    (none)"}},
		{"Mattermost and Telegram rooms", []string{"--config", writeConfig(t, chatRooms), "--at", "2026-12-01T15:00:00Z", "service=checkout"},
			[]string{"informs:    telegram:payments, mattermost:payments", "mattermost:payments          → notified", "step 2 at +10m0s:\n    telegram:payments            → notified"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"route", "--config", exampleConfig}, tc.args...)
			code, out, errOut := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("pagerd %v = %d: %s", args, code, errOut)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("pagerd %v lacks %q:\n%s", args, want, out)
				}
			}
		})
	}
}

func TestOncall(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		// payments-primary hands over weekly on Mondays 09:00 New York time.
		{[]string{"payments-primary", "--at", "2026-12-01 12:00", "--tz", "America/New_York"}, []string{"alice", "Mon 2026-11-30 09:00 EST", "Mon 2026-12-07 09:00 EST"}},
		{[]string{"payments-primary", "--at", "2026-12-01 12:00", "--next", "3", "--tz", "UTC"}, []string{"alice", "bob"}},
		{[]string{"--user", "bob", "--at", "2026-12-01 00:00", "--until", "2026-12-15 00:00", "--tz", "UTC"}, []string{"payments-primary  bob", "ops"}},
		// carol is a user, but not on payments-primary: an empty answer, not an error.
		{[]string{"payments-primary", "--user", "carol", "--at", "2026-12-01T12:00:00Z", "--tz", "UTC"}, []string{"carol is not on call at 2026-12-01 12:00 UTC"}},
		// alice's own zone (timezone = "Europe/Berlin") when --tz is not given.
		{[]string{"payments-primary", "--user", "alice", "--at", "2026-12-01T12:00:00Z"}, []string{"Mon 2026-11-30 15:00 CET", "Mon 2026-12-07 15:00 CET"}},
		{[]string{"payments-primary", "--user", "alice", "--at", "2026-12-01T12:00:00Z", "--tz", "UTC"}, []string{"Mon 2026-11-30 14:00 UTC"}},
	}
	for _, tc := range tests {
		args := append([]string{"oncall", "--config", exampleConfig}, tc.args...)
		code, out, errOut := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("pagerd %v = %d: %s", args, code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("pagerd %v lacks %q:\n%s", args, w, out)
			}
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, errOut := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command = %d %q", code, errOut)
	}
}

// verbs is every verb of pagerd: each must have a description and an
// example, and a test that lists them fails when one is added without.
var verbs = []string{"serve", "check", "test", "route", "oncall", "feed-url", "incidents", "show", "changes", "ack", "resolve", "escalate", "note", "silence", "declare", "severity", "assign", "update", "timeline", "stakeholders", "postmortem", "action", "actions", "login", "publish", "publication", "status-url", "subscriber", "reports"}

func TestHelpDescribesEveryVerb(t *testing.T) {
	root := (&cli{getenv: func(string) string { return "" }}).newRoot()
	var have []string
	for _, cmd := range root.Commands() {
		have = append(have, cmd.Name())
	}
	for _, verb := range verbs {
		t.Run(verb, func(t *testing.T) {
			cmd, _, err := root.Find([]string{verb})
			if err != nil || cmd.Name() != verb {
				t.Fatalf("pagerd has no verb %q (has %v)", verb, have)
			}
			if cmd.Short == "" || len(cmd.Long) < 100 || !strings.Contains(cmd.Example, "pagerd "+verb) {
				t.Errorf("%s: want Short, a Long description and an Example running it; have\nShort: %q\nLong: %q\nExample: %q", verb, cmd.Short, cmd.Long, cmd.Example)
			}
			code, out, errOut := runCLI(t, verb, "--help")
			firstLine, _, _ := strings.Cut(cmd.Long, "\n")
			if code != 0 || !strings.Contains(out, firstLine) || !strings.Contains(out, "Examples:\n"+cmd.Example) || errOut != "" {
				t.Errorf("pagerd %s --help = %d, want 0 with its description and examples on stdout:\n%s\nstderr: %s", verb, code, out, errOut)
			}
			for _, flag := range []string{"--config DIR", "--server URL", "--token TOKEN", "PAGERD_CONFIG", "PAGERD_SERVER", "PAGERD_API_TOKEN"} {
				if !strings.Contains(out, flag) {
					t.Errorf("pagerd %s --help lacks the shared %s", verb, flag)
				}
			}
		})
	}
	for _, cmd := range root.Commands() {
		if cmd.GroupID != "" && !strings.Contains(strings.Join(verbs, " "), cmd.Name()) {
			t.Errorf("verb %q is not in the verbs list of this test", cmd.Name())
		}
	}
}

func TestExitCodes(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string // a part of the one line on stderr; "" for none at all
	}{
		{"help", []string{"--help"}, 0, ""},
		{"help verb", []string{"help", "oncall"}, 0, ""},
		{"ok", []string{"oncall", "--config", exampleConfig, "--at", "2026-12-01T12:00:00Z"}, 0, ""},

		{"no verb", []string{}, 2, "Usage:"},
		{"unknown verb", []string{"frobnicate"}, 2, `pagerd: unknown command "frobnicate"`},
		{"unknown flag", []string{"oncall", "--frob"}, 2, "pagerd oncall: unknown flag: --frob\nRun 'pagerd oncall --help' for usage."},
		{"too many args", []string{"oncall", "a", "b"}, 2, "pagerd oncall: want at most one schedule name, got 2 arguments"},
		{"too few args", []string{"show"}, 2, "pagerd show: want one incident ID, got 0 arguments"},
		{"flags only", []string{"serve", "now"}, 2, `pagerd serve: unexpected argument "now"`},
		{"bad flag value", []string{"serve", "--log-format", "xml"}, 2, `invalid argument "xml" for "--log-format" flag: want text or json`},
		{"bad --redis-shards", []string{"serve", "--redis-shards", "0"}, 2, `pagerd serve: --redis-shards "0": want a whole number, 1 or more`},
		{"bad --redis-shards word", []string{"serve", "--redis-shards", "x"}, 2, `pagerd serve: --redis-shards "x": want a whole number`},
		{"bad --next", []string{"oncall", "--next", "x"}, 2, "want a whole number, 1 or more"},
		{"--next with --until", []string{"oncall", "--config", exampleConfig, "--next", "2", "--until", "2027-01-01 00:00"}, 2, "--next and --until exclude each other"},
		{"bad --at", []string{"route", "--config", exampleConfig, "--at", "14.03.2027 05:30", "service=checkout"}, 2,
			`pagerd route: --at "14.03.2027 05:30": want RFC 3339 such as 2027-03-14T05:30:00Z`},
		{"bad --at shows the wall-clock form", []string{"oncall", "--at", "tomorrow"}, 2, `"2027-03-14 05:30"`},
		{"bad --until", []string{"oncall", "--until", "soon"}, 2, `pagerd oncall: --until "soon": want RFC 3339`},
		{"--until before --at", []string{"oncall", "--at", "2027-01-02 00:00", "--until", "2027-01-01 00:00", "--tz", "UTC"}, 2, "is not after --at"},
		{"bad --tz", []string{"oncall", "--tz", "Mars/Olympus"}, 2, `--tz "Mars/Olympus" is not a time zone`},
		{"label without =", []string{"route", "checkout"}, 2, `label "checkout" is not NAME=VALUE`},
		{"route without labels", []string{"route"}, 2, "want the alert's labels as NAME=VALUE"},
		{"bad incident ID", []string{"ack", "forty-two"}, 2, `incident ID must be a positive number such as 42, not "forty-two"`},
		{"escalate two incidents", []string{"escalate", "1", "2"}, 2, "pagerd escalate: want one incident ID, got 2 arguments"},
		{"note without text", []string{"note", "42"}, 2, "pagerd note: want an incident ID and the note's text, got 1 argument"},
		{"note with blank text", []string{"note", "42", " "}, 2, "pagerd note: the note is empty"},
		{"silence without a verb", []string{"silence"}, 2, "pagerd silence: say what to do: pagerd silence add, list or expire"},
		{"silence without comment", []string{"silence", "add", "a=b", "--duration", "1h"}, 2, "--comment is required"},
		{"silence without end", []string{"silence", "add", "a=b", "--comment", "c"}, 2, "give --duration or --end"},
		{"silence with a bad matcher", []string{"silence", "add", "a=~(", "--duration", "1h", "--comment", "c"}, 2, `pagerd silence add: matcher "a=~("`},
		{"silence with a bad --end", []string{"silence", "add", "a=b", "--end", "soon", "--comment", "c"}, 2, `--end "soon": want RFC 3339`},
		{"silence expire without ID", []string{"silence", "expire"}, 2, "want at least one silence ID"},
		{"feed-url of what", []string{"feed-url", "team", "payments"}, 2, "want schedule NAME or user NAME"},

		{"unknown user", []string{"oncall", "--config", exampleConfig, "--user", "nobody"}, 1,
			`pagerd oncall: no user "nobody" in config directory "../../deploy/examples/config" (users: alice, bob, carol)`},
		{"unknown schedule", []string{"oncall", "--config", exampleConfig, "nosuch"}, 1, `no schedule "nosuch" in config directory`},
		{"unknown feed user", []string{"feed-url", "--config", exampleConfig, "user", "nobody"}, 1, `no user "nobody" in config directory`},
		{"missing config dir: oncall", []string{"oncall"}, 1, `pagerd oncall: config directory "deploy/examples/config" not found: pass --config DIR or set PAGERD_CONFIG`},
		{"missing config dir: route", []string{"route", "a=b"}, 1, `pagerd route: config directory "deploy/examples/config" not found`},
		{"missing config dir: feed-url", []string{"feed-url", "user", "alice"}, 1, `pagerd feed-url: config directory "deploy/examples/config" not found`},
		{"missing config dir: serve", []string{"serve", "--listen", "127.0.0.1:0"}, 1, `pagerd serve: config directory "deploy/examples/config" not found`},
		{"missing config dir, no token", []string{"incidents"}, 1, `no API token: pass --token or set PAGERD_API_TOKEN`},
		{"invalid config", []string{"oncall", "--config", t.TempDir()}, 1, "is invalid: No config files"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.want {
				t.Errorf("pagerd %q = %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.want, out, errOut)
			}
			if tc.wantStderr == "" && errOut != "" {
				t.Errorf("pagerd %q wrote to stderr: %s", tc.args, errOut)
			}
			if !strings.Contains(errOut, tc.wantStderr) {
				t.Errorf("pagerd %q stderr lacks %q:\n%s", tc.args, tc.wantStderr, errOut)
			}
			if code == 2 && len(tc.args) > 0 && !strings.Contains(errOut, "--help' for usage.") {
				t.Errorf("pagerd %q: a usage error should point at --help:\n%s", tc.args, errOut)
			}
			if strings.Contains(errOut, "<nil>") || strings.Contains(errOut, "parsing time") {
				t.Errorf("pagerd %q: a raw Go error on stderr:\n%s", tc.args, errOut)
			}
		})
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		env  string
		args []string
		want int
	}{
		{"PAGERD_CONFIG is honoured", exampleConfig, []string{"check"}, 0},
		{"--config beats PAGERD_CONFIG", empty, []string{"check", "--config", exampleConfig}, 0},
		{"--config beats PAGERD_CONFIG, the other way", exampleConfig, []string{"check", "--config", empty}, 1},
		{"PAGERD_CONFIG for oncall", exampleConfig, []string{"oncall", "--at", "2026-12-01T12:00:00Z"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(envConfig, tc.env)
			if code, out, errOut := runCLI(t, tc.args...); code != tc.want {
				t.Errorf("PAGERD_CONFIG=%s pagerd %q = %d, want %d\n%s%s", tc.env, tc.args, code, tc.want, out, errOut)
			}
		})
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, errOut := runCLI(t, "completion", shell)
		if code != 0 || !strings.Contains(out, "pagerd") || len(out) < 1000 {
			t.Errorf("pagerd completion %s = %d, %d bytes; want a script\n%s", shell, code, len(out), errOut)
		}
	}
	if _, out, _ := runCLI(t, "completion", "bash"); !strings.Contains(out, "__start_pagerd") {
		t.Errorf("bash completion lacks its entry function __start_pagerd")
	}
}

func TestCompletionOfNames(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"oncall", "--config", exampleConfig, ""}, []string{"ops", "payments-primary"}},
		{[]string{"oncall", "--config", exampleConfig, "--user", ""}, []string{"alice", "bob", "carol"}},
		{[]string{"feed-url", "--config", exampleConfig, ""}, []string{"schedule", "user"}},
		{[]string{"feed-url", "--config", exampleConfig, "user", ""}, []string{"alice", "bob", "carol"}},
		{[]string{"incidents", "-o", ""}, []string{"table", "json"}},
	}
	for _, tc := range tests {
		code, out, errOut := runCLI(t, append([]string{"__complete"}, tc.args...)...)
		if code != 0 {
			t.Errorf("pagerd __complete %q = %d: %s", tc.args, code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w+"\n") {
				t.Errorf("pagerd __complete %q lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
}
