package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The tests in this file send JSON of monitors pagerd has no format for
// through integrations of type "generic", whose HCL mapping makes alerts
// of it.

const (
	checksToken = "checks-s3cret"
	zabbixToken = "zabbix-s3cret"
)

// checksIntegration is the mapping of issue 8.
const checksIntegration = `
integration "checks" {
  type  = "generic"
  token = env("TEST_CHECKS_TOKEN")
  mapping {
    labels    = { service = body.service, severity = lower(body.level), alertname = body.check }
    status    = body.state == "ok" ? "resolved" : "firing"
    dedup_key = body.check_id
    summary   = "${body.host}: ${body.message}"
  }
}
`

// shippedIntegration is the block of integration name in the example
// config, as shipped.
func shippedIntegration(t *testing.T, file, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", "config", file))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?ms)^integration "` + regexp.QuoteMeta(name) + `" \{\n.*?^\}\n`).Find(b)
	if block == nil {
		t.Fatalf("no integration %q in %s", name, file)
	}
	return string(block)
}

func newGenericWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, "0s")
	t.Setenv("TEST_CHECKS_TOKEN", checksToken)
	zabbix := shippedIntegration(t, "monitors.hcl", "zabbix")
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + checksIntegration + zabbix)
	if err := os.MkdirAll(filepath.Join(w.dir, "secrets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "secrets", "zabbix.token"), []byte(zabbixToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestGenericMappingPagesAndResolves(t *testing.T) {
	w := newGenericWorld(t)
	a := w.start("r1", w.port)
	url := "http://" + a.Addr() + "/v1/webhooks/generic"
	failing := `{"service": "checkout", "level": "CRITICAL", "state": "failing", "check_id": "chk-42",
	  "check": "HealthCheck", "host": "web-3", "message": "HTTP 503 on /health"}`

	r := post(t, url, checksToken, "application/json", []byte(failing))
	if r.code != http.StatusOK || !strings.Contains(r.body, `"dedup_key":"chk-42"`) || !strings.Contains(r.body, `"outcome":"triggered"`) {
		t.Fatalf("failing check = %d %s, want 200 triggered", r.code, r.body)
	}
	sms := w.twilio.WaitMessages(t, 1, sendersWait)
	if sms[0].To != alicePhone || !strings.Contains(sms[0].Body, "HealthCheck") {
		t.Errorf("page = %+v, want alice paged about HealthCheck", sms[0])
	}
	inc := incident(t, "http://"+a.Addr(), 1)
	if inc["summary"] != "web-3: HTTP 503 on /health" {
		t.Errorf("incident summary = %v, want the mapping's summary", inc["summary"])
	}
	if r := post(t, url, checksToken, "application/json", []byte(failing)); !strings.Contains(r.body, `"deduplicated"`) {
		t.Errorf("same check again = %s, want deduplicated", r.body)
	}

	// The check passes: its level changed, but its key is the same.
	ok := strings.NewReplacer(`"CRITICAL"`, `"INFO"`, `"failing"`, `"ok"`).Replace(failing)
	if r := post(t, url, checksToken, "application/json", []byte(ok)); r.code != http.StatusOK || !strings.Contains(r.body, `"outcome":"resolved"`) {
		t.Fatalf("passing check = %d %s, want 200 resolved", r.code, r.body)
	}
	if got := incident(t, "http://"+a.Addr(), 1)["status"]; got != "resolved" {
		t.Errorf("incident status = %v, want resolved", got)
	}
}

func TestGenericMappingRefusesWhatItCannotMap(t *testing.T) {
	w := newGenericWorld(t)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	url := base + "/v1/webhooks/generic"
	tests := []struct {
		name, token, body string
		want              int
		mention           string
	}{
		{"a field the body lacks", checksToken, `{"service": "checkout", "level": "x", "state": "failing", "check_id": "k", "check": "C", "host": "h"}`,
			422, `summary: Unsupported attribute: This object does not have an attribute named \"message\"`},
		{"a label that is an object", checksToken, `{"service": {"n": 1}, "level": "x", "state": "s", "check_id": "k", "check": "C", "host": "h", "message": "m"}`,
			422, `labels[\"service\"]: must be a string, not object`},
		// One bad element costs only itself: the other is stored (207).
		{"an array element that fails", checksToken, `[{"service": "checkout", "level": "x", "state": "s", "check_id": "k", "check": "C", "host": "h", "message": "m"}, {}]`,
			207, `{"outcome":"rejected","error":"alerts[1].labels`},
		{"every array element fails", checksToken, `[{}, {"service": 1}]`, 422, "all 2 alerts refused"},
		{"not JSON", checksToken, `{"service":`, 400, "malformed JSON"},
		{"an alertmanager token", amToken, `{}`, 403, "type alertmanager"},
	}
	for _, tc := range tests {
		r := post(t, url, tc.token, "application/json", []byte(tc.body))
		if r.code != tc.want || !strings.Contains(r.body, tc.mention) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, r.code, r.body, tc.want, tc.mention)
		}
	}
	if n := sendersIncidentCount(t, base); n != 1 {
		t.Errorf("stored %d incidents, want only the good element's", n)
	}
	w.settle()
	if n := len(w.twilio.Messages()); n != 0 {
		t.Errorf("refused requests paged %d times", n)
	}
}

// The Zabbix mapping pagerd ships, as shipped: a problem pages, Zabbix's
// acknowledgement acknowledges, the recovery resolves.
func TestShippedZabbixMapping(t *testing.T) {
	w := newGenericWorld(t)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	url := base + "/v1/webhooks/generic"
	body := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "router", "ingest", "generic", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if r := post(t, url, zabbixToken, "application/json", body("zabbix-problem.json")); !strings.Contains(r.body, `"triggered"`) {
		t.Fatalf("problem = %d %s, want triggered", r.code, r.body)
	}
	w.twilio.WaitMessages(t, 1, sendersWait)
	if r := post(t, url, zabbixToken, "application/json", body("zabbix-acknowledged.json")); !strings.Contains(r.body, `"acknowledged"`) {
		t.Fatalf("acknowledgement = %d %s, want acknowledged", r.code, r.body)
	}
	if inc := incident(t, base, 1); inc["status"] != "acknowledged" || !hasFact(inc, "acknowledged", "zabbix", "integration") {
		t.Errorf("after Zabbix's acknowledgement: status %v, timeline %v", inc["status"], inc["timeline"])
	}
	if r := post(t, url, zabbixToken, "application/json", body("zabbix-recovery.json")); !strings.Contains(r.body, `"outcome":"resolved"`) {
		t.Fatalf("recovery = %d %s, want resolved", r.code, r.body)
	}
	if got := incident(t, base, 1)["status"]; got != "resolved" {
		t.Errorf("status after recovery = %v, want resolved", got)
	}
}
