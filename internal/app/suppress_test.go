package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
)

// The tests in this file drive silences, maintenance windows and
// inhibition rules through HTTP: a muted alert is stored and shown,
// answers "suppressed" and pages nobody; when nothing mutes it any more
// and it still fires, it pages at that moment — on the engine's timer,
// not at the next webhook.

// amAlert is one alert of an Alertmanager webhook: its labels, firing
// unless resolved.
type amAlert struct {
	labels   map[string]string
	resolved bool
}

// amWebhook is an Alertmanager webhook carrying alerts.
func amWebhook(alerts ...amAlert) []byte {
	var list []map[string]any
	for _, a := range alerts {
		status, ends := "firing", "0001-01-01T00:00:00Z"
		if a.resolved {
			status, ends = "resolved", "2026-11-24T01:00:00Z"
		}
		list = append(list, map[string]any{"status": status, "labels": a.labels, "annotations": map[string]string{},
			"startsAt": "2026-11-24T00:00:00Z", "endsAt": ends})
	}
	b, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": "pagerd", "alerts": list,
		"groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"externalURL": "http://am", "groupKey": "k"})
	return b
}

// critical is the labels of a checkout alert that pages: alertname and
// any more labels as name, value pairs.
func critical(alertname string, more ...string) map[string]string {
	l := map[string]string{"alertname": alertname, "service": "checkout", "severity": "critical"}
	for i := 0; i+1 < len(more); i += 2 {
		l[more[i]] = more[i+1]
	}
	return l
}

// sendAlerts posts a webhook of alerts to base and returns each alert's
// outcome, in order.
func sendAlerts(t *testing.T, base string, alerts ...amAlert) []string {
	t.Helper()
	r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", amWebhook(alerts...))
	var out struct {
		Alerts []struct{ Outcome string }
	}
	if r.code != http.StatusOK || json.Unmarshal([]byte(r.body), &out) != nil || len(out.Alerts) != len(alerts) {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	var outcomes []string
	for _, a := range out.Alerts {
		outcomes = append(outcomes, a.Outcome)
	}
	return outcomes
}

// wantOutcomes fails unless got are the outcomes want.
func wantOutcomes(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: outcomes %v, want %v", what, got, want)
	}
}

// apiCall sends a request with the API token and decodes a 2xx answer
// into out (when not nil).
func apiCall(t *testing.T, method, url string, body any, out any) response {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, url, strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	r := do(t, req)
	if out != nil && r.code/100 == 2 {
		if err := json.Unmarshal([]byte(r.body), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, r.body)
		}
	}
	return r
}

// addSilence creates a silence through base's API and returns its id.
func addSilence(t *testing.T, base string, body map[string]any) string {
	t.Helper()
	var out struct{ Silence struct{ ID, State string } }
	if r := apiCall(t, http.MethodPost, base+"/v1/silences", body, &out); r.code != http.StatusCreated || out.Silence.ID == "" {
		t.Fatalf("POST /v1/silences %v = %d %s", body, r.code, r.body)
	}
	return out.Silence.ID
}

func expireSilence(t *testing.T, base, id string) {
	t.Helper()
	if r := apiCall(t, http.MethodPost, base+"/v1/silences/"+id+"/expire?by=alice", nil, nil); r.code != http.StatusOK || !strings.Contains(r.body, `"expired"`) {
		t.Fatalf("expire silence %s = %d %s", id, r.code, r.body)
	}
}

// pages counts the pages (not notices) to a phone, as senders_test does.
func pages(w *world, phone string) int { return len(sendersPages(w.twilio, phone)) }

// wantPages fails unless alice and bob have had that many pages.
func wantPages(t *testing.T, w *world, when string, alice, bob int) {
	t.Helper()
	if a, b := pages(w, alicePhone), pages(w, bobPhone); a != alice || b != bob {
		t.Fatalf("%s: alice paged %d times and bob %d, want %d and %d", when, a, b, alice, bob)
	}
}

// advance moves the clock and lets every replica do what is due.
func (w *world) advance(d time.Duration) {
	w.clock.Advance(d)
	w.settle()
}

// hasFactOf reports whether an incident's timeline has a fact of kind
// whose detail starts with prefix.
func hasFactOf(inc map[string]any, kind, prefix string) bool {
	facts, _ := inc["timeline"].([]any)
	for _, f := range facts {
		m, _ := f.(map[string]any)
		if d, _ := m["detail"].(string); m["event"] == kind && strings.HasPrefix(d, prefix) {
			return true
		}
	}
	return false
}

// suppressedBy is why the API says incident id pages nobody ("" when it
// pages).
func suppressedBy(t *testing.T, base string, id int) string {
	t.Helper()
	s, _ := incident(t, base, id)["suppressed"].(string)
	return s
}

func TestSilenceMutesUntilItEnds(t *testing.T) {
	w := newWorld(t, "0s")
	base := "http://" + w.start("r1", w.port).Addr()
	id := addSilence(t, base, map[string]any{"matchers": []string{"alertname=CheckoutDown", "team=~pay.*"},
		"duration": "1h", "comment": "checkout migration", "created_by": "carol"})

	wantOutcomes(t, "silenced alert", sendAlerts(t, base, amAlert{labels: critical("CheckoutDown", "team", "payments")}), "suppressed")
	w.settle()
	wantPages(t, w, "while silenced", 0, 0)
	inc := incident(t, base, 1)
	muted, _ := inc["suppressed_alerts"].(map[string]any)
	if inc["suppressed"] != "silence:"+id || inc["status"] != "triggered" || len(muted) != 1 {
		t.Errorf("incident = suppressed %v, status %v, suppressed alerts %v; want triggered, silenced by %s", inc["suppressed"], inc["status"], muted, id)
	}
	if !hasFactOf(inc, "alert_suppressed", "CheckoutDown ") || !hasFactOf(inc, "suppressed", "silence:"+id) {
		t.Errorf("timeline does not say which silence: %v", inc["timeline"])
	}
	// Re-sent while silenced: still muted.
	wantOutcomes(t, "re-sent silenced alert", sendAlerts(t, base, amAlert{labels: critical("CheckoutDown", "team", "payments")}), "suppressed")

	// The silence is listed while it lasts, and not once it has ended.
	var list struct {
		Silences []struct{ ID, State, Comment string }
	}
	apiCall(t, http.MethodGet, base+"/v1/silences", nil, &list)
	if len(list.Silences) != 1 || list.Silences[0].State != "active" || list.Silences[0].Comment != "checkout migration" {
		t.Errorf("silences = %+v, want the one active silence", list.Silences)
	}

	w.advance(59 * time.Minute)
	wantPages(t, w, "a minute before the silence ends", 0, 0)
	// The silence ends with nothing sent: the engine's timer pages alice.
	w.advance(2 * time.Minute)
	wantPages(t, w, "after the silence ended", 1, 0)
	if inc := incident(t, base, 1); inc["suppressed"] != nil || !hasFactOf(inc, "unsuppressed", "") {
		t.Errorf("after the silence: suppressed %v, timeline %v", inc["suppressed"], inc["timeline"])
	}
	w.advance(10 * time.Minute)
	wantPages(t, w, "step 2, 10 minutes after paging started", 1, 1)

	apiCall(t, http.MethodGet, base+"/v1/silences", nil, &list)
	if len(list.Silences) != 0 {
		t.Errorf("silences after the end = %+v, want none listed", list.Silences)
	}
	apiCall(t, http.MethodGet, base+"/v1/silences?state=all", nil, &list)
	if len(list.Silences) != 1 || list.Silences[0].State != "expired" {
		t.Errorf("all silences = %+v, want the expired one", list.Silences)
	}
}

// A silence made while an incident pages stops its escalation; expiring
// it pages again at once, escalation starting over.
func TestSilenceStopsAnEscalationAndExpiringItPages(t *testing.T) {
	w := newWorld(t, "0s")
	base := "http://" + w.start("r1", w.port).Addr()
	wantOutcomes(t, "alert", sendAlerts(t, base, amAlert{labels: critical("CheckoutDown")}), "triggered")
	w.settle()
	wantPages(t, w, "step 1", 1, 0)

	id := addSilence(t, base, map[string]any{"matchers": []string{"service=checkout"}, "duration": "2h", "comment": "known", "created_by": "alice"})
	w.settle()
	if got := suppressedBy(t, base, 1); got != "silence:"+id {
		t.Fatalf("incident after a matching silence: suppressed %q, want by %s", got, id)
	}
	w.advance(11 * time.Minute)
	wantPages(t, w, "step 2's time while silenced", 1, 0)

	expireSilence(t, base, id)
	w.settle()
	wantPages(t, w, "the silence expired", 2, 0)
	w.advance(10 * time.Minute)
	wantPages(t, w, "step 2 of the new run", 2, 1)
	// Expiring again changes nothing.
	if r := apiCall(t, http.MethodPost, base+"/v1/silences/"+id+"/expire", nil, nil); !strings.Contains(r.body, `"unchanged"`) {
		t.Errorf("expire again = %d %s, want unchanged", r.code, r.body)
	}
}

// A silence made through one replica is honoured by another at once,
// though that one loaded its silences before; expired through the other,
// the first pages.
func TestSilenceHonouredAcrossReplicas(t *testing.T) {
	w := newWorld(t, "0s")
	base1 := "http://" + w.start("r1", w.port).Addr()
	base2 := "http://" + w.start("r2", 0).Addr()
	// r2 loads its snapshot of silences (none) with this alert.
	wantOutcomes(t, "first alert", sendAlerts(t, base2, amAlert{labels: critical("CheckoutSlow")}), "triggered")
	w.settle()
	wantPages(t, w, "CheckoutSlow", 1, 0)

	id := addSilence(t, base1, map[string]any{"matchers": []string{"alertname=CheckoutDown"}, "duration": "1h", "comment": "c", "created_by": "bob"})
	wantOutcomes(t, "alert through the other replica",
		sendAlerts(t, base2, amAlert{labels: critical("CheckoutDown", "instance", "a")}, amAlert{labels: critical("CheckoutLatency")}),
		"suppressed", "triggered")
	w.settle()
	wantPages(t, w, "silenced alert on r2", 2, 0)

	expireSilence(t, base2, id)
	w.settle()
	wantPages(t, w, "after expiring through r2", 3, 0)
	if got := suppressedBy(t, base1, 2); got != "" {
		t.Errorf("incident 2 still suppressed by %q", got)
	}
}

// An incident pages while one of its firing alerts is not muted.
func TestIncidentWithOneUnmutedAlertPages(t *testing.T) {
	w := newWorld(t, "0s")
	base := "http://" + w.start("r1", w.port).Addr()
	addSilence(t, base, map[string]any{"matchers": []string{"instance=a"}, "duration": "1h", "comment": "c", "created_by": "bob"})
	wantOutcomes(t, "muted alert", sendAlerts(t, base, amAlert{labels: critical("CheckoutDown", "instance", "a")}), "suppressed")
	w.settle()
	wantPages(t, w, "only a muted alert", 0, 0)
	wantOutcomes(t, "unmuted alert joins", sendAlerts(t, base, amAlert{labels: critical("CheckoutDown", "instance", "b")}), "grouped")
	w.settle()
	wantPages(t, w, "an unmuted alert in the incident", 1, 0)
	// The unmuted one resolves: all that fires is muted again.
	wantOutcomes(t, "unmuted alert resolves", sendAlerts(t, base, amAlert{labels: critical("CheckoutDown", "instance", "b"), resolved: true}), "alert_resolved")
	w.advance(11 * time.Minute)
	wantPages(t, w, "step 2 with only the muted alert firing", 1, 0)
	if got := suppressedBy(t, base, 1); !strings.HasPrefix(got, "silence:") {
		t.Errorf("incident = suppressed %q, want by the silence", got)
	}
}

func TestSilenceRequestsRefused(t *testing.T) {
	w := newWorld(t, "0s")
	base := "http://" + w.start("r1", w.port).Addr()
	for _, tc := range []struct {
		body    map[string]any
		want    int
		mention string
	}{
		{map[string]any{"duration": "1h", "comment": "c"}, 422, "at least one"},
		{map[string]any{"matchers": []string{"alertname=~.*"}, "duration": "1h", "comment": "c"}, 422, "silence every alert"},
		{map[string]any{"matchers": []string{"alertname="}, "duration": "1h", "comment": "c"}, 422, "silence every alert"},
		{map[string]any{"matchers": []string{"alertname=~(x"}, "duration": "1h", "comment": "c"}, 422, "matchers[0]"},
		{map[string]any{"matchers": []string{"a=b", "service==checkout"}, "duration": "1h", "comment": "c"}, 422, "write service=checkout"},
		{map[string]any{"matchers": []string{"a=b"}, "comment": "c"}, 422, "ends_at"},
		{map[string]any{"matchers": []string{"a=b"}, "duration": "1h"}, 422, "comment"},
		{map[string]any{"matchers": []string{"a=b"}, "duration": "-1h", "comment": "c"}, 422, "duration"},
		{map[string]any{"matchers": []string{"a=b"}, "ends_at": "2020-01-01T00:00:00Z", "comment": "c"}, 422, "not in the future"},
		{map[string]any{"matchers": []string{"a=b"}, "endsAt": "2030-01-01T00:00:00Z", "comment": "c"}, 400, "endsAt"},
	} {
		if r := apiCall(t, http.MethodPost, base+"/v1/silences", tc.body, nil); r.code != tc.want || !strings.Contains(r.body, tc.mention) {
			t.Errorf("POST %v = %d %s, want %d mentioning %q", tc.body, r.code, r.body, tc.want, tc.mention)
		}
	}
	if r := apiCall(t, http.MethodPost, base+"/v1/silences/nope/expire", nil, nil); r.code != http.StatusNotFound {
		t.Errorf("expire unknown silence = %d %s, want 404", r.code, r.body)
	}
	if r := post(t, base+"/v1/silences", amToken, "application/json", []byte(`{}`)); r.code != http.StatusForbidden {
		t.Errorf("silence with the alertmanager token = %d, want 403", r.code)
	}
}

const maintenanceConfig = `
maintenance "nightly-deploy" {
  services = ["checkout"]
  match    = ["alertname!=DBMigrating"]
  every    = "day"
  at       = "01:30"
  duration = "1h"
}
maintenance "db-migration" {
  match    = ["alertname=DBMigrating"]
  start    = "2026-11-24 01:00"
  duration = "30m"
}
`

// Maintenance windows mute what they cover while open: an alert firing
// in one pages when it closes, and an incident paging when one opens
// stops until it closes.
func TestMaintenanceWindows(t *testing.T) {
	w := newWorld(t, "0s") // the clock stands at 2026-11-24 01:12:20 UTC
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + maintenanceConfig)
	base := "http://" + w.start("r1", w.port).Addr()

	wantOutcomes(t, "alerts", sendAlerts(t, base, amAlert{labels: critical("DBMigrating")}, amAlert{labels: critical("CheckoutDown")}),
		"suppressed", "triggered")
	w.settle()
	wantPages(t, w, "DBMigrating in its window, CheckoutDown not in any", 1, 0)
	if got := suppressedBy(t, base, 1); got != "maintenance:db-migration" {
		t.Errorf("incident 1 suppressed %q, want by maintenance:db-migration", got)
	}
	// 01:22:20: step 2 pages bob for CheckoutDown.
	w.advance(10 * time.Minute)
	wantPages(t, w, "step 2 of CheckoutDown", 1, 1)
	// 01:30: db-migration closes with DBMigrating firing, which pages
	// from its first step; the nightly window opens over CheckoutDown.
	w.advance(8 * time.Minute)
	wantPages(t, w, "db-migration closed", 2, 1)
	if got := suppressedBy(t, base, 2); got != "maintenance:nightly-deploy" {
		t.Errorf("incident 2 at 01:30 suppressed %q, want by maintenance:nightly-deploy", got)
	}
	// 01:40:20 step 2 of DBMigrating; 02:29:20, still in the nightly
	// window; 02:30 it closes and CheckoutDown pages from the first step.
	w.advance(59 * time.Minute)
	wantPages(t, w, "late in the nightly window", 2, 2)
	w.advance(2 * time.Minute)
	wantPages(t, w, "the nightly window closed", 3, 2)
}

// A maintenance window a reload adds mutes the alerts it covers that
// already fire, at once.
func TestReloadedMaintenanceWindowMutesAtOnce(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	wantOutcomes(t, "alert", sendAlerts(t, base, amAlert{labels: critical("CheckoutDown")}), "triggered")
	w.settle()
	wantPages(t, w, "step 1", 1, 0)
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + `
maintenance "emergency" {
  services = ["checkout"]
  start    = "2026-11-24 01:00"
  duration = "1h"
}
`)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if got := suppressedBy(t, base, 1); got != "maintenance:emergency" {
		t.Fatalf("after the reload: suppressed %q, want by maintenance:emergency", got)
	}
	w.advance(11 * time.Minute)
	wantPages(t, w, "step 2's time in the window", 1, 0)
}

const inhibitConfig = `
inhibit "cluster-down" {
  source_match = ["alertname=ClusterDown"]
  target_match = ["alertname=InstanceDown"]
  equal        = ["cluster"]
}
inhibit "dc" {
  source_match = ["scope=dc"]
  target_match = ["team=ops"]
  equal        = ["dc"]
}
`

// An alert is inhibited while a matching source fires with the same
// equal labels, across replicas; when the last source resolves, the
// targets still firing page then.
func TestInhibition(t *testing.T) {
	w := newWorld(t, "0s")
	cfg := strings.Replace(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port), `group_by   = ["alertname"]`, `group_by   = ["alertname", "cluster", "dc"]`, 1)
	w.writeConfig(cfg + inhibitConfig)
	r1 := "http://" + w.start("r1", w.port).Addr()
	r2 := "http://" + w.start("r2", 0).Addr()

	// Source and target in one request, the target first: the source
	// still mutes it (the source is stored first, so it is incident 1 and
	// the target incident 2). Another cluster's InstanceDown pages.
	wantOutcomes(t, "pair", sendAlerts(t, r1,
		amAlert{labels: critical("InstanceDown", "cluster", "eu1", "instance", "a")},
		amAlert{labels: critical("ClusterDown", "cluster", "eu1")},
		amAlert{labels: critical("InstanceDown", "cluster", "us1", "instance", "c")}),
		"suppressed", "triggered", "triggered")
	// Through the other replica, another target of the same source.
	wantOutcomes(t, "second target", sendAlerts(t, r2, amAlert{labels: critical("InstanceDown", "cluster", "eu1", "instance", "b")}), "suppressed")
	w.settle()
	wantPages(t, w, "ClusterDown and us1's InstanceDown", 2, 0)
	if got := suppressedBy(t, r2, 2); got != "inhibited:cluster-down" {
		t.Errorf("eu1's InstanceDown incident suppressed %q, want inhibited:cluster-down", got)
	}

	// ClusterDown resolves: eu1's InstanceDown pages now.
	wantOutcomes(t, "source resolves", sendAlerts(t, r2, amAlert{labels: critical("ClusterDown", "cluster", "eu1"), resolved: true}), "resolved")
	w.settle()
	wantPages(t, w, "the source resolved", 3, 0)

	// ClusterDown fires again: eu1's InstanceDown, paging, stops.
	wantOutcomes(t, "source again", sendAlerts(t, r1, amAlert{labels: critical("ClusterDown", "cluster", "eu1")}), "triggered")
	w.settle()
	wantPages(t, w, "the source fires again", 4, 0)
	if got := suppressedBy(t, r1, 2); got != "inhibited:cluster-down" {
		t.Errorf("eu1's InstanceDown incident suppressed %q, want inhibited:cluster-down again", got)
	}
	w.advance(11 * time.Minute)
	// Step 2 pages bob for us1's InstanceDown and for the new
	// ClusterDown, not for eu1's InstanceDown, muted again.
	if got := pages(w, bobPhone); got != 2 {
		t.Errorf("bob paged %d times at step 2, want 2 (not for the inhibited incident)", got)
	}

	// An alert that matches both sides of a rule does not inhibit itself,
	// nor another like it; it inhibits one that matches the target only.
	wantOutcomes(t, "two-sided", sendAlerts(t, r2,
		amAlert{labels: critical("DCDown", "scope", "dc", "team", "ops", "dc", "1")},
		amAlert{labels: critical("DCDown2", "scope", "dc", "team", "ops", "dc", "1")},
		amAlert{labels: critical("HostDown", "team", "ops", "dc", "1")}),
		"triggered", "triggered", "suppressed")
}

const inhibitedPairRules = `
groups:
  - name: pagerd-inhibited-pair
    interval: 1s
    rules:
      - alert: ClusterDown
        expr: vector(1)
        labels: {cluster: eu1, service: checkout, severity: critical}
      - alert: InstanceDown
        expr: vector(1)
        labels: {cluster: eu1, instance: db1, service: checkout, severity: critical}
`

const inhibitedPairPrometheus = `
global:
  evaluation_interval: 1s
rule_files:
  - ` + testenv.PrometheusRulesFile + `
alerting:
  alertmanagers:
    - api_version: v2
      static_configs:
        - targets: ['%s']
`

// Alertmanager groups the pair by cluster, so both reach pagerd in one
// webhook; it has no inhibition rules of its own: pagerd's mute.
var inhibitedPairAlertmanager = strings.Replace(sendersAlertmanagerConfig,
	"group_by: [alertname]\n  group_wait: 0s", "group_by: [cluster]\n  group_wait: 2s", 1)

// The real Prometheus 2.42 fires a source and a target alert, which the
// real Alertmanager 0.25 sends to pagerd: the target is inhibited and
// pages nobody while the source fires.
func TestRealSendersInhibitedPair(t *testing.T) {
	deadline := time.Now().Add(40 * time.Second)
	w := newWorld(t, "0s")
	sendersWallClock(w)
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + inhibitConfig)
	base := "http://" + w.start("r1", w.port).Addr()
	if !strings.Contains(inhibitedPairAlertmanager, "[cluster]") {
		t.Fatal("the Alertmanager config of the senders tests changed: group the pair by cluster anew")
	}
	am := testenv.StartAlertmanager(t, fmt.Sprintf(inhibitedPairAlertmanager, w.port, amToken))
	testenv.StartPrometheus(t, fmt.Sprintf(inhibitedPairPrometheus, am.Addr), inhibitedPairRules)

	sendersEventually(t, deadline, "the pair to reach pagerd", func() bool {
		r := sendersReceived(t, base)
		return r["triggered"]+r["suppressed"] >= 2
	})
	w.settle()
	if recv := sendersReceived(t, base); recv["triggered"] != 1 || recv["suppressed"] != 1 {
		t.Errorf("alerts received by outcome = %v, want one triggered (ClusterDown), one suppressed (InstanceDown)", recv)
	}
	for id, want := range map[int]string{1: "ClusterDown", 2: "InstanceDown"} {
		if title, _ := incident(t, base, id)["title"].(string); !strings.HasPrefix(title, want) {
			t.Fatalf("incident %d is %q, want %s (sources are stored first)", id, title, want)
		}
	}
	if got := suppressedBy(t, base, 2); got != "inhibited:cluster-down" {
		t.Errorf("InstanceDown's incident suppressed %q, want inhibited:cluster-down", got)
	}
	if got := sendersPages(w.twilio, alicePhone); len(got) != 1 || !strings.Contains(got[0].Body, "ClusterDown") {
		t.Errorf("alice's pages = %+v, want one, about ClusterDown", got)
	}
}

// A missed heartbeat's alert is muted like any other: silenced (through
// the other replica), its incident opens but pages nobody until the
// silence is expired.
func TestMissedHeartbeatSilenced(t *testing.T) {
	w := newHeartbeatWorld(t, heartbeatConfig)
	base1 := "http://" + w.start("r1", w.port).Addr()
	base2 := "http://" + w.start("r2", 0).Addr()
	// Both replicas load their silences (none yet).
	for _, base := range []string{base1, base2} {
		sendAlerts(t, base, amAlert{labels: map[string]string{"alertname": "Warmup"}})
	}
	id := addSilence(t, base2, map[string]any{"matchers": []string{"heartbeat=nightly-backup"}, "duration": "48h",
		"comment": "backups paused", "created_by": "carol"})
	w.advance(25*time.Hour + time.Second)
	var missed int
	for i := 1; i <= 2; i++ {
		if title, _ := incident(t, base1, i)["title"].(string); title == "HeartbeatMissed" {
			missed = i
		}
	}
	if missed == 0 {
		t.Fatal("the missed heartbeat opened no incident")
	}
	if got := suppressedBy(t, base1, missed); got != "silence:"+id {
		t.Fatalf("the missed heartbeat's incident: suppressed %q, want by the silence", got)
	}
	wantPages(t, w, "a silenced missed heartbeat", 0, 0)
	expireSilence(t, base1, id)
	w.settle()
	if got := sendersPages(w.twilio, alicePhone); len(got) != 1 || !strings.Contains(got[0].Body, "HeartbeatMissed") {
		t.Errorf("after the silence: alice's pages = %+v, want one about HeartbeatMissed", got)
	}
}

// An unrouted alert keeps what mutes it when a reload gives it a service,
// and the maintenance windows of that service mute it from then on.
func TestReroutedAlertsStayMuted(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	search := func(name string) amAlert {
		return amAlert{labels: map[string]string{"alertname": name, "service": "search", "severity": "critical"}}
	}
	id := addSilence(t, base, map[string]any{"matchers": []string{"alertname=SearchDown"}, "duration": "2h", "comment": "c", "created_by": "bob"})
	wantOutcomes(t, "unrouted alerts", sendAlerts(t, base, search("SearchDown"), search("SearchSlow")), "suppressed", "unrouted")
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + `
service "search" {
  escalation = "payments"
  match      = ["service=search"]
  group_by   = ["alertname"]
}
maintenance "search-deploy" {
  services = ["search"]
  start    = "2026-11-24 01:00"
  duration = "1h"
}
`)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	w.settle()
	for i, want := range map[int]string{1: "silence:" + id, 2: "maintenance:search-deploy"} {
		if inc := incident(t, base, i); inc["service"] != "search" || inc["suppressed"] != want {
			t.Errorf("incident %d after the reload: service %v, suppressed %v; want search's, muted by %s", i, inc["service"], inc["suppressed"], want)
		}
	}
	wantPages(t, w, "rerouted into a maintenance window, and silenced", 0, 0)
	w.advance(48 * time.Minute) // 02:00:20: the window closed
	wantPages(t, w, "the window closed", 1, 0)
}
