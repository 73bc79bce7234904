package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testBody is a sample body of the repository's test data.
func testBody(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

func TestRouteBody(t *testing.T) {
	generic := func(name string) string { return testBody("router", "ingest", "generic", "testdata", name) }
	pdEvent := filepath.Join(t.TempDir(), "pd.json")
	if err := os.WriteFile(pdEvent, []byte(`{"routing_key": "any", "event_action": "trigger",
	  "payload": {"summary": "Disk full on db1", "source": "db1", "severity": "critical"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"a generic mapping, firing", []string{"--integration", "uptime-kuma", "--body", generic("uptime-kuma-down.json")}, 0,
			[]string{"alert 1 of 1: firing", `(dedup_key "monitor-3")`, `monitor="Checkout API"`, "service:    checkout",
				"link:        https://shop.example.com/api/health", "schedule:payments-primary    → alice"}},
		{"a generic mapping, resolving", []string{"--integration", "zabbix", "--body", generic("zabbix-recovery.json")}, 0,
			[]string{"alert 1 of 1: resolved", "resolves the alert of this fingerprint", "pages nobody"}},
		{"an alertmanager webhook", []string{"--integration", "alertmanager", "--body", testBody("router", "ingest", "alertmanager", "testdata", "alertmanager-0.25-webhook-firing.json")}, 0,
			[]string{"alert 1 of 1: firing", `alertname="CheckoutDown"`, "service:    checkout"}},
		{"the integration's service wins over the labels", []string{"--integration", "datadog", "--body", pdEvent}, 0,
			[]string{`summary="Disk full on db1"`, "service:    checkout"}},
		{"a body the mapping cannot read", []string{"--integration", "uptime-kuma", "--body", testBody("cmd", "pagerd", "testdata", "uptime-kuma-test.json")}, 1,
			[]string{"monitors.hcl:28:", "would refuse this body: labels: Attempt to get attribute from null value"}},
		{"an unknown integration", []string{"--integration", "nope", "--body", pdEvent}, 1, []string{`no integration "nope"`, "uptime-kuma"}},
		{"an integration that posts no alerts", []string{"--integration", "ops-cli", "--body", pdEvent}, 1, []string{"of type api, which posts no alerts"}},
		{"--integration alone", []string{"--integration", "zabbix"}, 2, []string{"--integration and --body go together"}},
		{"labels with --body", []string{"--integration", "zabbix", "--body", pdEvent, "a=b"}, 2, []string{"with --body the labels come from the body"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"route", "--config", exampleConfig, "--at", "2026-12-01T15:00:00Z"}, tc.args...)
			code, out, errOut := runCLI(t, args...)
			if code != tc.wantCode {
				t.Fatalf("pagerd %v = %d, want %d:\n%s%s", args, code, tc.wantCode, out, errOut)
			}
			for _, want := range tc.want {
				if !strings.Contains(out+errOut, want) {
					t.Errorf("pagerd %v lacks %q:\n%s%s", args, want, out, errOut)
				}
			}
		})
	}
}

func TestRouteBodyJSON(t *testing.T) {
	args := []string{"route", "--config", exampleConfig, "--at", "2026-12-01T15:00:00Z", "-o", "json",
		"--integration", "uptime-kuma", "--body", testBody("router", "ingest", "generic", "testdata", "uptime-kuma-down.json")}
	code, out, errOut := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("pagerd %v = %d: %s", args, code, errOut)
	}
	var got struct {
		Integration string
		Alerts      []struct {
			Status      string
			Fingerprint string
			DedupKey    string `json:"dedup_key"`
			Labels      map[string]string
			Route       *struct {
				Service string
				Steps   []json.RawMessage
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if got.Integration != "uptime-kuma" || len(got.Alerts) != 1 {
		t.Fatalf("got %+v", got)
	}
	a := got.Alerts[0]
	if a.Status != "firing" || a.DedupKey != "monitor-3" || a.Labels["service"] != "checkout" || a.Route == nil || a.Route.Service != "checkout" || len(a.Route.Steps) == 0 {
		t.Errorf("alert = %s %s %v, want firing monitor-3 routed to checkout:\n%s", a.Status, a.DedupKey, a.Labels, out)
	}
}
