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

func TestCheck(t *testing.T) {
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
		{"unknown escalation is an error with its position", []string{"check", bad}, 1, "bad.hcl:2:"},
		{"missing directory", []string{"check", filepath.Join(bad, "missing")}, 1, ""},
		{"two directories", []string{"check", "a", "b"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("pagerd %v = %d\n%s%s\nwant exit %d mentioning %q", tc.args, code, out, errOut, tc.wantCode, tc.want)
			}
		})
	}
}

func TestRouteDryRun(t *testing.T) {
	code, out, errOut := runCLI(t, "route", "--config", exampleConfig, "--at", "2026-12-01T15:00:00Z",
		"alertname=CheckoutDown", "service=checkout", "severity=critical")
	if code != 0 {
		t.Fatalf("route = %d: %s", code, errOut)
	}
	for _, want := range []string{"service:    checkout", "escalation: payments", "schedule:payments-primary", "step 2 at +10m0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("route output lacks %q:\n%s", want, out)
		}
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
	if code, _, _ := runCLI(t, "oncall", "--config", exampleConfig, "--next", "2", "--until", "2027-01-01"); code != 2 {
		t.Errorf("--next with --until exit = %d, want 2", code)
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, errOut := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command = %d %q", code, errOut)
	}
}
