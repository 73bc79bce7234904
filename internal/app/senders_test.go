package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/internal/twiliofake"
)

// The tests in this file put pagerd behind the real senders from Debian's
// packages (prometheus-alertmanager 0.25, prometheus 2.42), which stamp
// alerts with the wall clock. The world's fake clock stands at a fixed date;
// sendersWallClock moves it to the wall clock's now before pagerd starts,
// and it stays frozen there: every time a sender stamps is then at or after
// pagerd's now, so a firing alert never looks already over (Prometheus's
// endsAt is only seconds ahead), and no escalation timer comes due during
// the test, which keeps "paged exactly once" deterministic on a slow
// machine. Lapsing at endsAt is covered by TestPrometheusAPIv2AlertLapsesAtEndsAt.

// sendersWait bounds each wait on a real sender: they notify within a second
// or two, but a loaded 2-core CI machine can stall them.
const sendersWait = 20 * time.Second

func sendersWallClock(w *world) {
	w.clock.Set(time.Now().UTC())
}

// sendersEventually polls cond every 50ms until it holds or the deadline
// passes.
func sendersEventually(t *testing.T, deadline time.Time, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sendersIncidentStatus is incident id's status, or "" while it does not
// exist.
func sendersIncidentStatus(t *testing.T, base string, id int) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v1/incidents/%d", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	r := do(t, req)
	switch r.code {
	case http.StatusOK:
	case http.StatusNotFound:
		return ""
	default:
		t.Fatalf("GET incident %d: %d %s", id, r.code, r.body)
	}
	var inc struct{ Status string }
	if err := json.Unmarshal([]byte(r.body), &inc); err != nil {
		t.Fatalf("GET incident %d: %v in %s", id, err, r.body)
	}
	return inc.Status
}

// sendersIncidentCount is how many incidents pagerd has stored, open or not.
func sendersIncidentCount(t *testing.T, base string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/incidents?status=all", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	r := do(t, req)
	var list struct{ Incidents []json.RawMessage }
	if r.code != http.StatusOK || json.Unmarshal([]byte(r.body), &list) != nil {
		t.Fatalf("GET incidents: %d %s", r.code, r.body)
	}
	return len(list.Incidents)
}

// sendersReceived reads pagerd's count of alerts received on the
// alertmanager integration, by outcome (triggered, deduplicated, ...).
func sendersReceived(t *testing.T, base string) map[string]int {
	t.Helper()
	return received(t, base, "alertmanager")
}

// sendersPages are the SMS to a number that page about an incident
// ("[pagerd] #<id> ..."), leaving out the acknowledged and resolved FYIs and
// any shift notice.
func sendersPages(f *twiliofake.Fake, to string) []twiliofake.Message {
	var out []twiliofake.Message
	for _, m := range smsTo(f, to) {
		if strings.HasPrefix(m.Body, "[pagerd] #") && !strings.Contains(m.Body, "RESOLVED") && !strings.Contains(m.Body, "ACKNOWLEDGED") {
			out = append(out, m)
		}
	}
	return out
}

const sendersAlertmanagerConfig = `
route:
  receiver: pagerd
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 24h
receivers:
  - name: pagerd
    webhook_configs:
      - url: http://127.0.0.1:%d/v1/webhooks/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: %s
`

// sendersPostToAlertmanager posts alerts to Alertmanager's own intake API,
// as Prometheus would.
func sendersPostToAlertmanager(t *testing.T, am *testenv.Alertmanager, alerts []map[string]any) {
	t.Helper()
	body, err := json.Marshal(alerts)
	if err != nil {
		t.Fatal(err)
	}
	if r := post(t, am.URL+"/api/v2/alerts", "", "application/json", body); r.code != http.StatusOK {
		t.Fatalf("POST to Alertmanager /api/v2/alerts = %d %s", r.code, r.body)
	}
}

func TestRealAlertmanagerPagesThroughPagerd(t *testing.T) {
	w := newWorld(t, "0s")
	sendersWallClock(w)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	am := testenv.StartAlertmanager(t, fmt.Sprintf(sendersAlertmanagerConfig, w.port, amToken))

	startsAt := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339Nano)
	alert := map[string]any{
		"labels":      map[string]string{"alertname": "CheckoutDown", "service": "checkout", "severity": "critical"},
		"annotations": map[string]string{"summary": "checkout is down"},
		"startsAt":    startsAt,
	}
	sendersPostToAlertmanager(t, am, []map[string]any{alert})

	sendersEventually(t, time.Now().Add(sendersWait), "Alertmanager's webhook to page alice", func() bool {
		return len(sendersPages(w.twilio, alicePhone)) > 0
	})
	page := sendersPages(w.twilio, alicePhone)[0]
	if !strings.Contains(page.Body, "#1 ") || !strings.Contains(page.Body, "CheckoutDown") {
		t.Errorf("page SMS = %q, want incident #1 about CheckoutDown", page.Body)
	}
	if s := sendersIncidentStatus(t, base, 1); s != "triggered" {
		t.Fatalf("incident 1 status = %q, want triggered", s)
	}

	// Alertmanager resolves an alert posted again with endsAt now, and
	// tells its receivers at the next group_interval (send_resolved).
	alert["endsAt"] = time.Now().UTC().Format(time.RFC3339Nano)
	sendersPostToAlertmanager(t, am, []map[string]any{alert})
	sendersEventually(t, time.Now().Add(sendersWait), "incident 1 resolved by Alertmanager's resolved notification", func() bool {
		return sendersIncidentStatus(t, base, 1) == "resolved"
	})
	sendersEventually(t, time.Now().Add(sendersWait), "the resolved notice to alice", func() bool {
		for _, m := range smsTo(w.twilio, alicePhone) {
			if strings.HasPrefix(m.Body, "[pagerd] #1 RESOLVED") {
				return true
			}
		}
		return false
	})

	sendersPagedOnce(t, w, base)
	recv := sendersReceived(t, base)
	if recv["triggered"] != 1 || recv["resolved"] != 1 {
		t.Errorf("alerts received by outcome = %v, want one triggered and one resolved", recv)
	}
	inc := incident(t, base, 1)
	if timeline := fmt.Sprint(inc["timeline"]); !strings.Contains(timeline, "resolved") {
		t.Errorf("timeline lacks the resolution: %s", timeline)
	}
}

const sendersPrometheusConfig = `
global:
  evaluation_interval: 1s
rule_files:
  - ` + testenv.PrometheusRulesFile + `
alerting:
  alertmanagers:
    - api_version: v2
      timeout: 5s
      authorization:
        credentials: %s
      static_configs:
        - targets: ['127.0.0.1:%d']
`

const sendersPrometheusRules = `
groups:
  - name: pagerd-test
    interval: 1s
    rules:
      - alert: CheckoutAlwaysFiring
        expr: vector(1)
        labels:
          service: checkout
          severity: critical
        annotations:
          summary: checkout is always down in this test
`

func TestRealPrometheusSendsToPagerdAsAlertmanager(t *testing.T) {
	// Prometheus sends nothing in its first ~5s: its discovery manager
	// throttles target updates, static ones included. The waits share one
	// bound so the test stays within 30s even on a stalled machine.
	deadline := time.Now().Add(30 * time.Second)
	w := newWorld(t, "0s")
	sendersWallClock(w)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	testenv.StartPrometheus(t, fmt.Sprintf(sendersPrometheusConfig, amToken, w.port), sendersPrometheusRules)

	sendersEventually(t, deadline, "Prometheus's alert to page alice", func() bool {
		return len(sendersPages(w.twilio, alicePhone)) > 0
	})
	if s := sendersIncidentStatus(t, base, 1); s != "triggered" {
		t.Fatalf("incident 1 status = %q, want triggered", s)
	}
	inc := incident(t, base, 1)
	if inc["service"] != "checkout" || !strings.Contains(fmt.Sprint(inc["title"], inc["group_labels"]), "CheckoutAlwaysFiring") {
		t.Errorf("incident 1 = service %v, title %v, group labels %v; want checkout's CheckoutAlwaysFiring",
			inc["service"], inc["title"], inc["group_labels"])
	}

	// Prometheus re-sends the firing alert at every evaluation (1s; testenv
	// sets the resend delay below that); each re-send must be
	// deduplicated, not page again.
	const resends = 3
	sendersEventually(t, deadline, fmt.Sprintf("%d re-sends from Prometheus", resends), func() bool {
		return sendersReceived(t, base)["deduplicated"] >= resends
	})
	w.settle()

	sendersPagedOnce(t, w, base)
	if s := sendersIncidentStatus(t, base, 1); s != "triggered" {
		t.Errorf("incident 1 status = %q after the re-sends, want still triggered", s)
	}
	if recv := sendersReceived(t, base); recv["triggered"] != 1 || len(recv) != 2 {
		t.Errorf("alerts received by outcome = %v, want one triggered, the rest deduplicated", recv)
	}
}

// sendersPagedOnce checks what one alert from a real sender must have
// done: one incident, alice paged once, bob (step 2) never.
func sendersPagedOnce(t *testing.T, w *world, base string) {
	t.Helper()
	if got := sendersPages(w.twilio, alicePhone); len(got) != 1 {
		t.Errorf("alice was paged %d times, want once: %+v", len(got), got)
	}
	if got := smsTo(w.twilio, bobPhone); len(got) != 0 {
		t.Errorf("bob was paged: %+v", got)
	}
	if n := sendersIncidentCount(t, base); n != 1 {
		t.Errorf("pagerd stored %d incidents, want 1", n)
	}
}
