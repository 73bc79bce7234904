package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pagerd/pagerd/internal/testenv"
)

// The tests in this file point PagerDuty senders at pagerd by changing
// their URL only: PagerDuty's own Go client, and the real Alertmanager
// 0.25 with pagerduty_configs.

const (
	pdKey     = "pd-routing-key-0001"
	pdSlowKey = "pd-routing-key-slow"
)

// pdIntegrations routes every event of the routing key to the checkout
// service, as a PagerDuty routing key belongs to one service: PagerDuty
// events carry no "service" label for checkout's matchers to match.
const pdIntegrations = `
integration "pd" {
  type    = "pagerduty"
  token   = env("TEST_PD_ROUTING_KEY")
  service = "checkout"
}
integration "pd-slow" {
  type       = "pagerduty"
  token      = env("TEST_PD_SLOW_KEY")
  service    = "checkout"
  rate_limit = "1/h"
}
`

func newPagerDutyWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, "0s")
	t.Setenv("TEST_PD_ROUTING_KEY", pdKey)
	t.Setenv("TEST_PD_SLOW_KEY", pdSlowKey)
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + pdIntegrations)
	return w
}

var receivedRE = regexp.MustCompile(`(?m)^pagerd_alerts_received_total\{integration="([^"]+)",outcome="([a-z_]+)"\} (\S+)$`)

// received reads pagerd's count of alerts an integration sent, by
// outcome (triggered, deduplicated, ignored...).
func received(t *testing.T, base, integration string) map[string]int {
	t.Helper()
	r := get(t, base+"/metrics")
	if r.code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", r.code)
	}
	out := map[string]int{}
	for _, m := range receivedRE.FindAllStringSubmatch(r.body, -1) {
		if m[1] != integration {
			continue
		}
		n, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metric %q: %v", m[0], err)
		}
		out[m[2]] = int(n)
	}
	return out
}

// pdChanges lists a service's change events through the API.
func pdChanges(t *testing.T, base, service string) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/services/"+service+"/changes", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	r := do(t, req)
	var out struct{ Changes []map[string]any }
	if r.code != http.StatusOK || json.Unmarshal([]byte(r.body), &out) != nil {
		t.Fatalf("GET changes of %s: %d %s", service, r.code, r.body)
	}
	return out.Changes
}

// pdToPagerd sends what go-pagerduty posts to events.pagerduty.com through
// http.DefaultClient to base instead, until the test ends. Its package
// function ManageEventWithContext is the client's one call that reads the
// Events API's error object (Client.ManageEventWithContext expects the
// REST API's {"error":{...}} and reports only the status: go-pagerduty
// issue #476), and it has no endpoint option.
func pdToPagerd(t *testing.T, base string) {
	t.Helper()
	to, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	old := http.DefaultClient.Transport
	http.DefaultClient.Transport = pdRedirect{to: to}
	t.Cleanup(func() { http.DefaultClient.Transport = old })
}

type pdRedirect struct{ to *url.URL }

func (r pdRedirect) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == "events.pagerduty.com" {
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host, req.Host = r.to.Scheme, r.to.Host, ""
	}
	return http.DefaultTransport.RoundTrip(req)
}

// pdStoredAlert is the one alert of incident id, as the API shows it.
func pdStoredAlert(t *testing.T, base string, id int) map[string]any {
	t.Helper()
	alerts, _ := incident(t, base, id)["alerts"].([]any)
	if len(alerts) != 1 {
		t.Fatalf("incident %d has %d alerts, want 1: %v", id, len(alerts), alerts)
	}
	a, _ := alerts[0].(map[string]any)
	return a
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGoPagerDutyClientAgainstPagerd(t *testing.T) {
	w := newPagerDutyWorld(t)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	ctx := context.Background()
	client := pagerduty.NewClient("", pagerduty.WithV2EventsAPIEndpoint(base))

	// A trigger without a dedup_key: pagerd makes one up and returns it.
	trigger := &pagerduty.V2Event{
		RoutingKey: pdKey,
		Action:     "trigger",
		Client:     "checkout-monitor",
		ClientURL:  "https://monitor.example.com/checkout",
		Links:      []any{map[string]string{"href": "https://runbooks.example.com/checkout", "text": "Runbook"}},
		Images:     []any{map[string]string{"src": "https://graphs.example.com/checkout.png", "alt": "Error rate"}},
		Payload: &pagerduty.V2Payload{
			Summary: "Checkout error rate above 5%", Source: "checkout-01.example.com", Severity: "critical",
			Component: "api", Group: "checkout", Class: "error rate",
			Details: map[string]any{"error_rate": 0.07, "region": "eu-west-1"},
		},
	}
	resp, err := client.ManageEventWithContext(ctx, trigger)
	if err != nil {
		t.Fatalf("trigger: %v", err)
	}
	if resp.Status != "success" || resp.Message != "Event processed" || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(resp.DedupKey) {
		t.Fatalf("trigger answered %+v, want success with a generated 32-hex dedup_key", resp)
	}
	key := resp.DedupKey
	sms := w.twilio.WaitMessages(t, 1, 10*time.Second)
	if sms[0].To != alicePhone || !strings.Contains(sms[0].Body, "#1") || !strings.Contains(sms[0].Body, "Checkout error rate above 5%") {
		t.Errorf("page = %+v, want alice paged about incident #1 by its summary", sms[0])
	}
	inc := incident(t, base, 1)
	if inc["status"] != "triggered" || inc["service"] != "checkout" || inc["title"] != "Checkout error rate above 5%" {
		t.Errorf("incident 1 = status %v, service %v, title %v", inc["status"], inc["service"], inc["title"])
	}
	stored := pdStoredAlert(t, base, 1)
	wantLabels := map[string]any{"summary": "Checkout error rate above 5%", "source": "checkout-01.example.com",
		"severity": "critical", "component": "api", "group": "checkout", "class": "error rate"}
	if stored["dedup_key"] != key || !reflect.DeepEqual(stored["labels"], wantLabels) {
		t.Errorf("stored alert key %v, labels %v; want %s, %v", stored["dedup_key"], stored["labels"], key, wantLabels)
	}
	if got := asJSON(t, stored["details"]); got != `{"error_rate":0.07,"region":"eu-west-1"}` {
		t.Errorf("stored custom_details = %s", got)
	}
	if got, want := asJSON(t, stored["links"]), `[{"href":"https://runbooks.example.com/checkout","text":"Runbook"},{"href":"https://graphs.example.com/checkout.png","text":"Error rate"}]`; got != want {
		t.Errorf("stored links = %s, want %s", got, want)
	}
	if stored["client"] != "checkout-monitor" || stored["client_url"] != "https://monitor.example.com/checkout" || stored["integration"] != "pd" {
		t.Errorf("stored client %v, client_url %v, integration %v", stored["client"], stored["client_url"], stored["integration"])
	}

	// The same key again: deduplicated, nobody paged twice.
	trigger.DedupKey = key
	if resp, err := client.ManageEventWithContext(ctx, trigger); err != nil || resp.DedupKey != key {
		t.Fatalf("second trigger = %+v, %v; want the same key back", resp, err)
	}
	w.settle()
	if n := len(w.twilio.Messages()); n != 1 {
		t.Fatalf("%d SMS after a duplicate trigger, want 1", n)
	}
	if got := received(t, base, "pd"); got["triggered"] != 1 || got["deduplicated"] != 1 {
		t.Errorf("received by outcome = %v, want one triggered, one deduplicated", got)
	}

	// The sender acknowledges: escalation stops before bob's step.
	if _, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: pdKey, Action: "acknowledge", DedupKey: key}); err != nil {
		t.Fatalf("acknowledge: %v", err)
	}
	inc = incident(t, base, 1)
	if inc["status"] != "acknowledged" || !hasFact(inc, "acknowledged", "pd", "integration") {
		t.Fatalf("incident 1 after the acknowledge event: status %v, timeline %v", inc["status"], inc["timeline"])
	}
	w.clock.Advance(11 * time.Minute)
	a.Engine.Wake()
	w.settle()
	if got := smsTo(w.twilio, bobPhone); len(got) != 0 {
		t.Fatalf("bob was paged after the sender acknowledged: %+v", got)
	}

	// The sender resolves: the incident closes.
	if _, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: pdKey, Action: "resolve", DedupKey: key}); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	inc = incident(t, base, 1)
	if inc["status"] != "resolved" {
		t.Fatalf("incident 1 after the resolve event = %v, want resolved", inc["status"])
	}
	// The resolve carried no payload: the alert keeps what it fired with.
	if alerts, _ := inc["alerts"].([]any); len(alerts) != 1 ||
		!strings.Contains(fmt.Sprint(alerts[0]), "status:resolved") || !strings.Contains(fmt.Sprint(alerts[0]), "summary:") {
		t.Errorf("alert after a bare resolve = %v, want its labels kept and its status resolved", inc["alerts"])
	}

	// Acknowledge and resolve of a key pagerd does not know: accepted and
	// dropped, as PagerDuty does. The exact bytes, once, end to end.
	for _, action := range []string{"acknowledge", "resolve"} {
		r := post(t, base+"/v2/enqueue", "", "application/json",
			[]byte(`{"routing_key":"`+pdKey+`","event_action":"`+action+`","dedup_key":"no-such-alert"}`))
		if want := `{"status":"success","message":"Event processed","dedup_key":"no-such-alert"}`; r.code != http.StatusAccepted || r.body != want {
			t.Errorf("%s of an unknown key = %d %s, want 202 %s", action, r.code, r.body, want)
		}
	}
	if got := received(t, base, "pd"); got["ignored"] != 2 {
		t.Errorf("received by outcome = %v, want the two unknown keys ignored", got)
	}
	if n := sendersIncidentCount(t, base); n != 1 {
		t.Errorf("pagerd has %d incidents, want 1", n)
	}

	// An invalid event: the client sees the 400. Client.ManageEventWithContext
	// reports the status only; the package function reads the errors.
	invalid := &pagerduty.V2Event{RoutingKey: pdKey, Action: "trigger",
		Payload: &pagerduty.V2Payload{Summary: "disk full", Severity: "fatal"}}
	_, err = client.ManageEventWithContext(ctx, invalid)
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Errorf("invalid event through the client = %v, want an APIError with status 400", err)
	}
	pdToPagerd(t, base)
	_, err = pagerduty.ManageEventWithContext(ctx, *invalid)
	var evErr pagerduty.EventsAPIV2Error
	wantErrs := []string{"'payload.source' is missing or blank", "'payload.severity' is invalid (must be one of: critical error warning info)"}
	if !errors.As(err, &evErr) || !evErr.BadRequest() || evErr.Temporary() || evErr.APIError.ErrorObject.Status != "invalid event" ||
		!reflect.DeepEqual(evErr.APIError.ErrorObject.Errors, wantErrs) {
		t.Errorf("invalid event = %v, want a 400 naming %q", err, wantErrs)
	}

	// A routing key no integration has, and one of another type: refused.
	for _, routingKey := range []string{"0123456789abcdef0123456789abcdef", amToken} {
		_, err = pagerduty.ManageEventWithContext(ctx, pagerduty.V2Event{RoutingKey: routingKey, Action: "trigger",
			Payload: &pagerduty.V2Payload{Summary: "s", Source: "h", Severity: "critical"}})
		if !errors.As(err, &evErr) || !evErr.BadRequest() || len(evErr.APIError.ErrorObject.Errors) != 1 ||
			!strings.HasPrefix(evErr.APIError.ErrorObject.Errors[0], "Invalid routing key") {
			t.Errorf("routing key %q = %v, want 400 Invalid routing key", routingKey, err)
		}
	}

	// Over the integration's rate_limit: 429, retried by the sender.
	slow := pagerduty.V2Event{RoutingKey: pdSlowKey, Action: "trigger", DedupKey: "slow",
		Payload: &pagerduty.V2Payload{Summary: "slow", Source: "h", Severity: "warning"}}
	if _, err := pagerduty.ManageEventWithContext(ctx, slow); err != nil {
		t.Fatalf("first event of pd-slow: %v", err)
	}
	r := post(t, base+"/v2/enqueue", "", "application/json", []byte(`{"routing_key":"`+pdSlowKey+`","event_action":"resolve","dedup_key":"slow"}`))
	if want := `{"status":"throttle exceeded","message":"Requests for this service are arriving too quickly.  Please retry later.","errors":["Enhance Your Calm."]}`; r.code != http.StatusTooManyRequests || r.body != want {
		t.Errorf("event over the rate limit = %d %s, want 429 %s", r.code, r.body, want)
	}
	if _, err = pagerduty.ManageEventWithContext(ctx, slow); !errors.As(err, &evErr) || !evErr.RateLimited() || !evErr.Temporary() {
		t.Errorf("event over the rate limit through the client = %v, want a temporary rate-limit error", err)
	}

	// A change event: on checkout's changes, nobody paged, no incident.
	w.settle()
	before := len(w.twilio.Messages())
	incidents := sendersIncidentCount(t, base)
	cr, err := client.CreateChangeEventWithContext(ctx, pagerduty.ChangeEvent{
		RoutingKey: pdKey,
		Payload: pagerduty.ChangeEventPayload{Summary: "Deployed checkout v1.42.0", Source: "deploy-bot",
			CustomDetails: map[string]any{"version": "v1.42.0"}},
		Links: []pagerduty.ChangeEventLink{{Href: "https://ci.example.com/builds/42", Text: "Build 42"}},
	})
	if err != nil || cr.Status != "success" || cr.Message != "Change event processed" {
		t.Fatalf("change event = %+v, %v", cr, err)
	}
	changes := pdChanges(t, base, "checkout")
	if len(changes) != 1 {
		t.Fatalf("checkout has %d changes, want 1: %v", len(changes), changes)
	}
	c := changes[0]
	if c["summary"] != "Deployed checkout v1.42.0" || c["source"] != "deploy-bot" || c["integration"] != "pd" ||
		asJSON(t, c["custom_details"]) != `{"version":"v1.42.0"}` ||
		asJSON(t, c["links"]) != `[{"href":"https://ci.example.com/builds/42","text":"Build 42"}]` {
		t.Errorf("change = %v", c)
	}
	if at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(c["at"])); err != nil || !at.Equal(w.clock.Now()) {
		t.Errorf("change at %v, want pagerd's now %s", c["at"], w.clock.Now())
	}
	w.settle()
	if n := len(w.twilio.Messages()); n != before {
		t.Errorf("a change event sent %d SMS", n-before)
	}
	if n := sendersIncidentCount(t, base); n != incidents {
		t.Errorf("a change event opened an incident: %d, want %d", n, incidents)
	}
}

const pdAlertmanagerConfig = `
route:
  receiver: pagerd
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 24h
receivers:
  - name: pagerd
    pagerduty_configs:
      - routing_key: %s
        url: http://127.0.0.1:%d/v2/enqueue
        send_resolved: true
`

// Alertmanager's own PagerDuty notifier, pointed at pagerd: it pages once,
// and its resolved notification (same dedup_key) closes the incident. See
// senders_test.go for why the clock is the wall clock here.
func TestRealAlertmanagerPagerDutyConfigPagesThroughPagerd(t *testing.T) {
	w := newPagerDutyWorld(t)
	sendersWallClock(w)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	am := testenv.StartAlertmanager(t, fmt.Sprintf(pdAlertmanagerConfig, pdKey, w.port))

	alert := map[string]any{
		"labels":      map[string]string{"alertname": "CheckoutDown", "service": "checkout", "severity": "critical"},
		"annotations": map[string]string{"summary": "checkout is down"},
		"startsAt":    time.Now().UTC().Add(-time.Minute).Format(time.RFC3339Nano),
	}
	sendersPostToAlertmanager(t, am, []map[string]any{alert})
	sendersEventually(t, time.Now().Add(sendersWait), "Alertmanager's PagerDuty event to page alice", func() bool {
		return len(sendersPages(w.twilio, alicePhone)) > 0
	})
	page := sendersPages(w.twilio, alicePhone)[0]
	if !strings.Contains(page.Body, "#1 ") || !strings.Contains(page.Body, "[FIRING:1] CheckoutDown") {
		t.Errorf("page SMS = %q, want incident #1 titled by Alertmanager's summary", page.Body)
	}
	stored := pdStoredAlert(t, base, 1)
	if stored["client"] != "Alertmanager" || stored["integration"] != "pd" ||
		!regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(fmt.Sprint(stored["dedup_key"])) {
		t.Errorf("stored alert = %v, want Alertmanager's event with its group's dedup_key", stored)
	}

	// Resolved in Alertmanager: it sends a resolve event for the same key.
	alert["endsAt"] = time.Now().UTC().Format(time.RFC3339Nano)
	sendersPostToAlertmanager(t, am, []map[string]any{alert})
	sendersEventually(t, time.Now().Add(sendersWait), "incident 1 resolved by Alertmanager's resolve event", func() bool {
		return sendersIncidentStatus(t, base, 1) == "resolved"
	})
	w.settle()

	sendersPagedOnce(t, w, base)
	if got := received(t, base, "pd"); got["triggered"] != 1 || got["resolved"] != 1 || len(got) != 2 {
		t.Errorf("received by outcome = %v, want one triggered and one resolved", got)
	}
}
