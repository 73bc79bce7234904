package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads base's /metrics as a Prometheus server would.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	r := get(t, base+"/metrics")
	if r.code != http.StatusOK {
		t.Fatalf("GET /metrics = %d: %s", r.code, r.body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, r.body)
	}
	return fams
}

// sample finds the series of family name whose labels include want; ok is
// false when there is none. A histogram's value is its count, and sum its
// sum.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (value, sum float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, 0, false
	}
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), 0, true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), 0, true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), m.Histogram.GetSampleSum(), true
		}
	}
	return 0, 0, false
}

// TestMetricsAfterAnIncident runs one incident end to end through a
// real Redis — paged, a failing provider falling back, acknowledged,
// resolved — and a config reload that fails, then reads what a
// Prometheus server would scrape. It leaves the scrape in metricsScrape
// for the dashboard and alerting-rule tests beside it.
func TestMetricsAfterAnIncident(t *testing.T) {
	fams := incidentScrape(t)
	t.Run("dashboard", func(t *testing.T) { checkDashboard(t, fams) })
	t.Run("alerting rules", func(t *testing.T) { checkRules(t, fams) })
	type want struct {
		name    string
		labels  map[string]string
		value   float64 // for a histogram, its count
		sum     float64 // a histogram's sum, when not 0
		atLeast bool    // value is a lower bound
	}
	for _, w := range []want{
		{name: "pagerd_alerts_received_total", labels: map[string]string{"integration": "alertmanager", "outcome": "triggered"}, value: 1},
		{name: "pagerd_alerts_received_total", labels: map[string]string{"integration": "alertmanager", "outcome": "rejected"}, value: 1},
		{name: "pagerd_http_requests_total", labels: map[string]string{"route": "POST /v1/webhooks/alertmanager", "code": "200"}, value: 1},
		{name: "pagerd_http_requests_total", labels: map[string]string{"route": "POST /v1/webhooks/alertmanager", "code": "207"}, value: 1},
		{name: "pagerd_http_requests_total", labels: map[string]string{"route": "POST /v1/webhooks/alertmanager", "code": "401"}, value: 1},
		{name: "pagerd_http_request_duration_seconds", labels: map[string]string{"route": "POST /v1/webhooks/alertmanager"}, value: 3},
		// alice: SMS and email at once; bob at +10m: his SMS refused, so
		// he is called instead.
		{name: "pagerd_pages_total", labels: map[string]string{"channel": "sms", "provider": "twilio", "outcome": "sent"}, value: 1},
		{name: "pagerd_pages_total", labels: map[string]string{"channel": "email", "provider": "smtp", "outcome": "sent"}, value: 1},
		{name: "pagerd_pages_total", labels: map[string]string{"channel": "sms", "provider": "twilio", "outcome": "failed"}, value: 1},
		{name: "pagerd_pages_total", labels: map[string]string{"channel": "sms", "provider": "twilio", "outcome": "fallback"}, value: 1},
		{name: "pagerd_pages_total", labels: map[string]string{"channel": "voice", "provider": "twilio", "outcome": "sent"}, value: 1},
		// Everyone paged hears of the acknowledgement (but alice, who
		// made it) and of the resolution: bob twice by SMS (the call's
		// notices go by text).
		{name: "pagerd_notices_total", labels: map[string]string{"channel": "sms", "provider": "twilio", "outcome": "sent"}, value: 2},
		{name: "pagerd_incident_time_to_acknowledge_seconds", labels: map[string]string{"service": "checkout"}, value: 1, sum: 10*60 + 30},
		{name: "pagerd_escalations_exhausted_total", labels: map[string]string{"service": "checkout"}, value: 0},
		{name: "pagerd_incident_time_to_resolve_seconds", labels: map[string]string{"service": "checkout"}, value: 1, sum: 20 * 60},
		{name: "pagerd_engine_timer_lateness_seconds", value: 1, atLeast: true},
		{name: "pagerd_engine_busy_workers", value: 0},
		{name: "pagerd_engine_timers_due", value: 0},
		{name: "pagerd_state_up", value: 1},
		{name: "pagerd_incidents_open", labels: map[string]string{"service": "unrouted", "status": "triggered"}, value: 1},
		{name: "pagerd_redis_command_duration_seconds", labels: map[string]string{"command": "evalsha"}, value: 10, atLeast: true},
		{name: "pagerd_config_reloads_total", labels: map[string]string{"result": "success"}, value: 1},
		{name: "pagerd_config_reloads_total", labels: map[string]string{"result": "failure"}, value: 1},
		{name: "pagerd_config_last_reload_successful", value: 0},
		{name: "pagerd_config_last_reload_success_timestamp_seconds", value: 1, atLeast: true},
		{name: "pagerd_build_info", value: 1},
	} {
		got, sum, ok := sample(fams, w.name, w.labels)
		switch {
		case !ok:
			t.Errorf("%s%v: no such series", w.name, w.labels)
		case w.atLeast && got < w.value, !w.atLeast && got != w.value:
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		case w.sum != 0 && sum != w.sum:
			t.Errorf("%s%v sum = %v, want %v", w.name, w.labels, sum, w.sum)
		}
	}
	// The checkout incident is resolved: no longer open.
	if v, _, ok := sample(fams, "pagerd_incidents_open", map[string]string{"service": "checkout"}); ok {
		t.Errorf("pagerd_incidents_open{service=checkout} = %v after it resolved, want no series", v)
	}
	// Status codes are numbers, as Prometheus's conventions want.
	for _, m := range fams["pagerd_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "code" && strings.Trim(l.GetValue(), "0123456789") != "" {
				t.Errorf("code label %q is not numeric", l.GetValue())
			}
		}
	}
}

// incidentScrape is TestMetricsAfterAnIncident's run, and its scrape.
func incidentScrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	start := w.clock.Now()

	// While the incident is triggered, the open gauge says so.
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != http.StatusOK {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	post(t, base+"/v1/webhooks/alertmanager", "wrong", "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	// One good alert that no service takes, and one without labels: 207.
	mixed := `{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Other"},"startsAt":"2026-11-24T01:00:00Z"},` +
		`{"status":"firing","labels":{},"startsAt":"2026-11-24T01:00:00Z"}]}`
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", []byte(mixed)); r.code != http.StatusMultiStatus {
		t.Fatalf("mixed webhook = %d %s, want 207", r.code, r.body)
	}
	w.settle()
	if v, _, _ := sample(scrape(t, base), "pagerd_incidents_open", map[string]string{"service": "checkout", "status": "triggered"}); v != 1 {
		t.Errorf("pagerd_incidents_open{checkout,triggered} = %v while it pages, want 1", v)
	}

	w.twilio.FailNext(1, http.StatusBadRequest) // bob's number refuses texts
	w.clock.Set(start.Add(10 * time.Minute))
	w.settle()
	w.twilio.WaitCalls(t, 1, 10*time.Second)

	// Acknowledged before the policy runs out at +11m.
	w.clock.Set(start.Add(10*time.Minute + 30*time.Second))
	act(t, base, 1, "ack", "alice")
	w.settle()
	if v, _, _ := sample(scrape(t, base), "pagerd_incidents_open", map[string]string{"service": "checkout", "status": "acknowledged"}); v != 1 {
		t.Errorf("pagerd_incidents_open{checkout,acknowledged} = %v once acknowledged, want 1", v)
	}
	w.clock.Set(start.Add(20 * time.Minute))
	act(t, base, 1, "resolve", "alice")
	w.settle()

	// A config that does not load keeps the old one and says so.
	w.writeConfig("this is not HCL {")
	if err := a.Reload(); err == nil {
		t.Fatal("a broken config reloaded")
	}
	var fams map[string]*dto.MetricFamily
	// Timings are observed from the event stream, by whichever replica
	// reads it: wait for them rather than for a fixed time.
	eventually(t, "the acknowledgement and resolution to be timed", func() bool {
		fams = scrape(t, base)
		_, _, acked := sample(fams, "pagerd_incident_time_to_acknowledge_seconds", nil)
		_, _, resolved := sample(fams, "pagerd_incident_time_to_resolve_seconds", nil)
		return acked && resolved
	})
	return fams
}

// act takes action on incident id through the API, as by.
func act(t *testing.T, base string, id int, action, by string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/v1/incidents/%d/%s?by=%s", base, id, action, by), nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if r := do(t, req); r.code != http.StatusOK {
		t.Fatalf("%s incident %d = %d %s", action, id, r.code, r.body)
	}
}

// familyNames lists the scrape's metric names, sorted, for messages.
func familyNames(fams map[string]*dto.MetricFamily) string {
	var names []string
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// metricName finds the names of pagerd's metrics in PromQL (or in any
// text about it).
var metricName = regexp.MustCompile(`\bpagerd_[a-z0-9_]+`)

// exported reports whether name is a series the scrape has: a family's
// name, or a histogram's _bucket, _sum or _count.
func exported(fams map[string]*dto.MetricFamily, name string) bool {
	if fams[name] != nil {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if f := fams[strings.TrimSuffix(name, suffix)]; strings.HasSuffix(name, suffix) && f != nil && f.GetType() == dto.MetricType_HISTOGRAM {
			return true
		}
	}
	return false
}

// promtool is Debian's, from the prometheus package scripts/test.sh
// installs.
const promtool = "/usr/bin/promtool"

// promtoolCheckRules runs promtool check rules on file.
func promtoolCheckRules(t *testing.T, file string) {
	t.Helper()
	if _, err := os.Stat(promtool); err != nil {
		t.Fatalf("%s: %v (apt-get install prometheus, or run ./scripts/test.sh)", promtool, err)
	}
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules %s: %v\n%s", file, err, out)
	}
}

// checkDashboard holds the shipped Grafana dashboard to the scrape: it is
// JSON, every query names only metrics pagerd exports, and every panel's
// query is PromQL that Prometheus parses.
func checkDashboard(t *testing.T, fams map[string]*dto.MetricFamily) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "pagerd-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) == 0 {
		t.Fatalf("dashboard has uid %q, title %q and %d panels, want all three", dash.UID, dash.Title, len(dash.Panels))
	}
	var texts []string
	for _, v := range dash.Templating.List {
		texts = append(texts, v.Definition)
	}
	// Grafana's variables, as a query of the last hour would have them.
	vars := strings.NewReplacer("$__rate_interval", "5m", "$__range", "1h", "$job", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	ids := map[int]bool{}
	queries := 0
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for i, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q: query %d is empty", p.Title, i)
				continue
			}
			texts = append(texts, tg.Expr)
			queries++
			expr, _ := json.Marshal(vars.Replace(tg.Expr)) // a JSON string is a YAML string
			fmt.Fprintf(&rules, "      - record: panel_%d_%d\n        expr: %s\n", p.ID, i, expr)
		}
	}
	for _, text := range texts {
		for _, name := range metricName.FindAllString(text, -1) {
			if !exported(fams, name) {
				t.Errorf("the dashboard queries %s, which pagerd does not export (it does: %s)", name, familyNames(fams))
			}
		}
	}
	file := filepath.Join(t.TempDir(), "dashboard-queries.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	promtoolCheckRules(t, file)
	t.Logf("%d panels, %d queries, all parsed by promtool and naming exported metrics", len(dash.Panels), queries)
}

// checkRules holds the shipped alerting rules to promtool and to the
// scrape: every pagerd metric they (or their annotations) name exists.
func checkRules(t *testing.T, fams map[string]*dto.MetricFamily) {
	file := filepath.Join("..", "..", "deploy", "prometheus", "pagerd-rules.yml")
	promtoolCheckRules(t, file)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	names := metricName.FindAllString(string(raw), -1)
	if len(names) == 0 {
		t.Fatal("the rules name no pagerd metric")
	}
	for _, name := range names {
		if !exported(fams, name) {
			t.Errorf("the alerting rules name %s, which pagerd does not export", name)
		}
	}
}
