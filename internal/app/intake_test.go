package app_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// firing is an Alertmanager webhook of firing alerts, each given as its
// labels' JSON ("" for an alert without labels).
func firing(labelSets ...string) []byte {
	var alerts []string
	for _, ls := range labelSets {
		if ls == "" {
			ls = "{}"
		}
		alerts = append(alerts, `{"status":"firing","labels":`+ls+`,"annotations":{"summary":"down"},"startsAt":"2026-11-24T01:00:00Z","endsAt":"0001-01-01T00:00:00Z"}`)
	}
	return []byte(`{"version":"4","status":"firing","receiver":"pagerd","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","groupKey":"k","alerts":[` +
		strings.Join(alerts, ",") + `]}`)
}

// A webhook with one invalid alert stores and pages its valid ones and
// answers 207 naming the bad one; a request of only invalid alerts is
// refused; an empty batch is a 200 on both Alertmanager endpoints.
func TestBatchWithAnInvalidAlertPagesTheValidOnes(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", firing(
		`{"alertname":"PaymentsDown","service":"checkout","severity":"critical"}`,
		``,
		`{"alertname":"CartDown","service":"checkout","severity":"page"}`))
	if r.code != http.StatusMultiStatus || !strings.Contains(r.body, `"status":"partial"`) ||
		!strings.Contains(r.body, `{"outcome":"rejected","error":"alerts[1].labels: alert has no labels`) ||
		strings.Count(r.body, `"outcome":"triggered"`) != 2 {
		t.Fatalf("webhook = %d %s, want 207 with two triggered and alerts[1] rejected", r.code, r.body)
	}
	w.twilio.WaitMessages(t, 2, 10*time.Second)
	w.settle()
	titles := ""
	for _, m := range smsTo(w.twilio, alicePhone) {
		titles += m.Body + "\n"
	}
	if !strings.Contains(titles, "PaymentsDown") || !strings.Contains(titles, "CartDown") || len(w.twilio.Messages()) != 2 {
		t.Errorf("pages:\n%s\nwant one for PaymentsDown and one for CartDown", titles)
	}
	// Sent again, as Alertmanager would after a failure: nothing new.
	r = post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", firing(
		`{"alertname":"PaymentsDown","service":"checkout","severity":"critical"}`, `{"alertname":"x","bad-name":"y"}`))
	if r.code != http.StatusMultiStatus || !strings.Contains(r.body, `"deduplicated"`) || !strings.Contains(r.body, `invalid label name \"bad-name\"`) {
		t.Errorf("second webhook = %d %s, want 207: deduplicated, rejected", r.code, r.body)
	}
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", firing(``, ``)); r.code != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "all 2 alerts refused") {
		t.Errorf("webhook of invalid alerts only = %d %s, want 422", r.code, r.body)
	}
	for _, tc := range []struct{ path, body string }{
		{"/v1/webhooks/alertmanager", string(firing())},
		{"/api/v2/alerts", `[]`},
	} {
		if r := post(t, base+tc.path, amToken, "application/json", []byte(tc.body)); r.code != http.StatusOK || !strings.Contains(r.body, `"alerts":[]`) {
			t.Errorf("empty batch on %s = %d %s, want 200", tc.path, r.code, r.body)
		}
	}
	w.settle()
	if n := len(w.twilio.Messages()); n != 2 {
		t.Errorf("%d pages in all, want 2", n)
	}
}

// gzipped is parts, gzip-encoded.
func gzipped(parts ...[]byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for _, p := range parts {
		_, _ = zw.Write(p)
	}
	_ = zw.Close()
	return b.Bytes()
}

// A gzip-encoded webhook pages like a plain one; a zip bomb is refused
// with 413, an unknown encoding with 415.
func TestGzipWebhookPages(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/webhooks/alertmanager", bytes.NewReader(gzipped(fixture(t, "alertmanager-0.25-webhook-firing.json"))))
	req.Header.Set("Authorization", "Bearer "+amToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	if r := do(t, req); r.code != http.StatusOK || !strings.Contains(r.body, `"triggered"`) {
		t.Fatalf("gzip webhook = %d %s, want 200 triggered", r.code, r.body)
	}
	if sms := w.twilio.WaitMessages(t, 1, 10*time.Second); !strings.Contains(sms[0].Body, "CheckoutDown") {
		t.Errorf("page %q, want CheckoutDown", sms[0].Body)
	}

	mib := bytes.Repeat([]byte(" "), 1<<20)
	bomb := gzipped(slices.Repeat([][]byte{mib}, 64)...) // 64 MiB inflated
	for _, tc := range []struct {
		encoding string
		body     []byte
		want     int
	}{{"gzip", bomb, http.StatusRequestEntityTooLarge}, {"deflate", []byte(`{}`), http.StatusUnsupportedMediaType}} {
		req, _ = http.NewRequest(http.MethodPost, base+"/v1/webhooks/alertmanager", bytes.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+amToken)
		req.Header.Set("Content-Encoding", tc.encoding)
		if r := do(t, req); r.code != tc.want {
			t.Errorf("%s body = %d %s, want %d", tc.encoding, r.code, r.body, tc.want)
		}
	}
}

func grafanaFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "router", "ingest", "grafana", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Grafana's webhook contact point pages through pagerd: its alerts group
// and deduplicate as Alertmanager's (the same alert sent by an
// Alertmanager is the same alert), and the page carries Grafana's
// dashboard, panel, silence and image links.
func TestGrafanaWebhookPagesWithItsLinks(t *testing.T) {
	const grafanaToken = "gr4fana"
	w := newWorld(t, "0s")
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + `
integration "grafana" {
  type  = "grafana"
  token = file("grafana.token")
}
`)
	if err := os.WriteFile(filepath.Join(w.dir, "grafana.token"), []byte(grafanaToken), 0o600); err != nil {
		t.Fatal(err)
	}
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	url := base + "/v1/webhooks/grafana"
	firingBody := grafanaFixture(t, "grafana-webhook-firing.json")

	if r := post(t, url, amToken, "application/json", firingBody); r.code != http.StatusForbidden {
		t.Errorf("Alertmanager's token on the Grafana path = %d %s, want 403", r.code, r.body)
	}
	r := post(t, url, grafanaToken, "application/json", firingBody)
	if r.code != http.StatusOK || !strings.Contains(r.body, `"incident":1,"outcome":"triggered"`) || !strings.Contains(r.body, `"incident":1,"outcome":"grouped"`) {
		t.Fatalf("Grafana webhook = %d %s, want both alerts in incident 1", r.code, r.body)
	}
	mail := w.smtp.WaitMessages(t, 1, 10*time.Second)[0]
	for _, want := range []string{
		"CheckoutLatencyHigh",
		"Dashboard: https://grafana.example.com/d/checkout-overview?from=1795479110000&orgId=1&to=1795482740000\n",
		"Panel: https://grafana.example.com/d/checkout-overview?from=1795479110000&orgId=1&to=1795482740000&viewPanel=4\n",
		"Silence: https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=__alert_rule_uid__%3Dcdx81r2ac9a0wd",
		"Image: https://grafana.example.com/public/img/attachments/rWPcyNwHBgZpVkbRWRQE.png\n",
		"Source:   https://grafana.example.com/alerting/grafana/cdx81r2ac9a0wd/view?orgId=1",
	} {
		if !strings.Contains(mail.Text, want) {
			t.Errorf("email text lacks %q:\n%s", want, mail.Text)
		}
	}
	// Grafana sends the group again on its repeat interval: nothing new.
	if r := post(t, url, grafanaToken, "application/json", firingBody); strings.Count(r.body, `"deduplicated"`) != 2 {
		t.Errorf("re-sent Grafana webhook = %s, want both deduplicated", r.body)
	}
	// The same alert through an Alertmanager is the same alert.
	am := firing(`{"alertname":"CheckoutLatencyHigh","grafana_folder":"Payments","service":"checkout","severity":"critical","region":"eu-1"}`)
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", am); !strings.Contains(r.body, `"incident":1,"outcome":"deduplicated"`) {
		t.Errorf("the same alert from Alertmanager = %s, want it deduplicated in incident 1", r.body)
	}
	inc := incident(t, base, 1)
	if links, _ := inc["links"].([]any); len(links) != 4 {
		t.Errorf("incident links = %v, want Grafana's four", inc["links"])
	}
	alerts := fmt.Sprint(inc["alerts"])
	if !strings.Contains(alerts, "valueString") || !strings.Contains(alerts, "0e2b67f7d1c83a90") {
		t.Errorf("stored alerts lack Grafana's values and fingerprint in details: %s", alerts)
	}

	// eu-1 resolves: one alert ends; the incident stays open for us-1.
	if r := post(t, url, grafanaToken, "application/json", grafanaFixture(t, "grafana-webhook-resolved.json")); !strings.Contains(r.body, `"outcome":"alert_resolved"`) {
		t.Errorf("resolved webhook = %s, want alert_resolved", r.body)
	}
	w.settle()
	if n := len(w.twilio.Messages()); n != 1 {
		t.Errorf("%d SMS, want the one page", n)
	}
}

// Labels and annotations with control characters, sent through HTTP, page
// with them escaped: the SMS stays one line, the email's subject too, and
// neither they nor the email's text carry a raw control character or
// bidirectional override.
func TestControlCharactersArePagedEscaped(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", firing(
		`{"alertname":"Checkout\nDown\r\u0000\u001b[31mred\u202egnp.exe","service":"checkout","severity":"critical"}`))
	if r.code != http.StatusOK {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	const title = `Checkout Down \x00\x1b[31mred\u202egnp.exe`
	sms := w.twilio.WaitMessages(t, 1, 10*time.Second)[0].Body
	mail := w.smtp.WaitMessages(t, 1, 10*time.Second)[0]
	for what, got := range map[string]string{"SMS": sms, "email subject": mail.Subject, "email text": mail.Text} {
		if !strings.Contains(got, title) {
			t.Errorf("%s = %q, want it to show %q", what, got, title)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f || r == '\u202e' }) ||
			what != "email text" && strings.Contains(got, "\n") {
			t.Errorf("%s = %q lets a control character through", what, got)
		}
	}
	if want := `  alertname = Checkout Down \x00\x1b[31mred\u202egnp.exe` + "\n"; !strings.Contains(mail.Text, want) {
		t.Errorf("email text lacks the label line %q:\n%s", want, mail.Text)
	}
}

// Nothing falls through: an alert no service matches is stored as
// unrouted and answers so, paging nobody; once a reload on either replica
// gives it a service, its incident moves there and pages, once, and the
// alert sent again is deduplicated in it.
func TestUnroutedIncidentMovesToItsServiceOnReload(t *testing.T) {
	w := newWorld(t, "0s")
	r1 := w.start("r1", w.port)
	r2 := w.start("r2", 0)
	base1 := "http://" + r1.Addr()
	search := firing(`{"alertname":"SearchDown","service":"search","severity":"critical"}`)

	r := post(t, base1+"/v1/webhooks/alertmanager", amToken, "application/json", search)
	if r.code != http.StatusOK || !strings.Contains(r.body, `"incident":1,"outcome":"unrouted"`) {
		t.Fatalf("unrouted alert = %d %s, want outcome unrouted", r.code, r.body)
	}
	if r := post(t, base1+"/v1/webhooks/alertmanager", amToken, "application/json", search); !strings.Contains(r.body, `"outcome":"deduplicated"`) {
		t.Fatalf("unrouted alert again = %s, want deduplicated", r.body)
	}
	w.settle()
	if n := len(w.twilio.Messages()); n != 0 {
		t.Fatalf("an unrouted alert paged %d times", n)
	}

	// The fix: a service for it. Only r2 reloads; r1 runs the old config.
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + `
service "search" {
  escalation = "payments"
  match      = ["service=search"]
  group_by   = ["alertname"]
}
`)
	if err := r2.Reload(); err != nil {
		t.Fatal(err)
	}
	sms := w.twilio.WaitMessages(t, 1, 10*time.Second)
	if sms[0].To != alicePhone || !strings.Contains(sms[0].Body, "SearchDown (search)") || !strings.Contains(sms[0].Body, "ack 1") {
		t.Errorf("page = %+v, want alice paged about incident 1 of service search", sms[0])
	}
	inc := incident(t, base1, 1)
	if inc["service"] != "search" || inc["escalation"] != "payments" || !strings.Contains(fmt.Sprint(inc["timeline"]), "actor:config reload at:2026-11-24T01:12:20Z detail:to service search event:rerouted") {
		t.Errorf("incident 1 = %v %v, timeline %v; want it moved to search", inc["service"], inc["escalation"], inc["timeline"])
	}
	// Sent again, to the replica with the old config: deduplicated, no page.
	if r := post(t, base1+"/v1/webhooks/alertmanager", amToken, "application/json", search); !strings.Contains(r.body, `"incident":1,"outcome":"deduplicated"`) {
		t.Errorf("the alert again = %s, want deduplicated in incident 1", r.body)
	}
	if err := r1.Reload(); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if n := len(w.twilio.Messages()); n != 1 {
		t.Errorf("%d pages, want the one", n)
	}
}
