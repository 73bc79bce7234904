package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*.txt with what the verbs print now")

// TestGoldenOutput holds what the verbs print for people and for scripts,
// byte for byte, to testdata/golden/NAME.txt: a change to a table or a
// document shows up in review as a change to its file (go test -run
// TestGoldenOutput -update rewrites them). Each verb reads the example
// config at a fixed time, or the fake API.
func TestGoldenOutput(t *testing.T) {
	clearEnv(t)
	api := newFakeAPI(t)
	srv := []string{"--server", api.URL, "--token", fakeToken}
	at := []string{"--config", exampleConfig, "--at", "2026-12-01T15:00:00Z", "--tz", "UTC"}
	body := filepath.Join("..", "..", "router", "ingest", "generic", "testdata", "uptime-kuma-down.json")
	cases := []struct {
		name string
		args []string
	}{
		{"route", append([]string{"route", "service=checkout", "severity=critical", "alertname=CheckoutDown"}, at...)},
		{"route_json", append([]string{"route", "service=search", "alertname=Slow", "-o", "json"}, at...)},
		{"route_yaml", append([]string{"route", "service=search", "alertname=Slow", "-o", "yaml"}, at...)},
		{"route_body", append([]string{"route", "--integration", "uptime-kuma", "--body", body}, at...)},
		{"oncall", append([]string{"oncall", "--next", "2"}, at...)},
		{"oncall_json", append([]string{"oncall", "-o", "json"}, at...)},
		{"oncall_user_zone", []string{"oncall", "--config", exampleConfig, "--user", "alice", "--at", "2026-12-01T15:00:00Z"}},
		{"test", []string{"test", "--config", exampleConfig, "-v"}},
		{"test_json", []string{"test", "--config", exampleConfig, "-o", "json", "--run", "search"}},
		{"check", []string{"check", "--config", exampleConfig}},
		// The incidents table shows ages from the wall clock: its columns
		// are held by incidents_test.go instead.
		{"incidents_json", append([]string{"incidents", "-o", "json"}, srv...)},
		{"incidents_yaml", append([]string{"incidents", "-o", "yaml"}, srv...)},
		{"silence_list", append([]string{"silence", "list", "--all", "--tz", "UTC"}, srv...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != 0 {
				t.Fatalf("pagerd %q = %d: %s", tc.args, code, errOut)
			}
			// The repository's paths, not this machine's.
			out = strings.ReplaceAll(out, api.URL, "http://pagerd.test")
			path := filepath.Join("testdata", "golden", tc.name+".txt")
			if *updateGolden {
				must(t, os.WriteFile(path, []byte(out), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestGoldenOutput -update writes it)", err)
			}
			if out != string(want) {
				t.Errorf("pagerd %q prints (go test -run TestGoldenOutput -update accepts it):\n%s\nwant:\n%s", tc.args, out, want)
			}
		})
	}
}
