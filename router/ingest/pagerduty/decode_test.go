package pagerduty

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest"
)

var now = time.Date(2026, 11, 24, 1, 12, 20, 0, time.UTC)

var generatedKey = regexp.MustCompile(`^[0-9a-f]{32}$`)

func fixture(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func decodeOne(t *testing.T, body string) ingest.Alert {
	t.Helper()
	b, err := DecodeEvent(strings.NewReader(body), now)
	if err != nil {
		t.Fatalf("DecodeEvent(%s): %v", body, err)
	}
	if len(b.Alerts) != 1 || len(b.Changes) != 0 {
		t.Fatalf("DecodeEvent(%s) = %d alerts, %d changes; want one alert", body, len(b.Alerts), len(b.Changes))
	}
	return b.Alerts[0]
}

// The body go-pagerduty 1.8.0's ManageEventWithContext sent, every field
// set: each lands on the alert.
func TestGoPagerDutyTriggerFixture(t *testing.T) {
	b, err := DecodeEvent(fixture(t, "go-pagerduty-1.8.0-trigger.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	if b.Token != "0123456789abcdef0123456789abcdef" {
		t.Errorf("Token = %q", b.Token)
	}
	got := b.Alerts[0]
	if !generatedKey.MatchString(got.DedupKey) {
		t.Errorf("DedupKey = %q, want 32 generated hex digits", got.DedupKey)
	}
	got.DedupKey = ""
	want := ingest.Alert{
		Action: incident.AlertTrigger,
		Labels: map[string]string{
			"summary": "Checkout error rate above 5%", "source": "checkout-01.example.com", "severity": "critical",
			"component": "api", "group": "checkout", "class": "error rate",
		},
		Annotations: map[string]string{"summary": "Checkout error rate above 5%"},
		// "+0000", PagerDuty's own example offset, is not RFC 3339.
		StartsAt: mustTime(t, "2026-11-24T01:12:14.578Z"),
		Links: []incident.Link{
			{Href: "https://runbooks.example.com/checkout", Text: "Runbook"},
			{Href: "https://graphs.example.com/checkout.png", Text: "Error rate"},
			{Href: "https://graphs.example.com/checkout", Text: "Error rate"},
		},
		Details:   json.RawMessage(`{"error_rate":0.07,"region":"eu-west-1"}`),
		Client:    "checkout-monitor",
		ClientURL: "https://monitor.example.com/checkout",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// What Alertmanager 0.25's pagerduty_configs sent for one alert firing,
// then resolved: its dedup_key (a hash of the group) addresses both.
func TestAlertmanagerFixtures(t *testing.T) {
	const key = "c2aecb5aef403bda365b185720f4c3034955bffdb3b73d5536719b3f877a6521"
	for _, tc := range []struct {
		file    string
		action  incident.AlertAction
		summary string
		endsAt  time.Time
	}{
		{"alertmanager-0.25-pagerduty-trigger.json", incident.AlertTrigger, "[FIRING:1] CheckoutDown (checkout critical)", time.Time{}},
		{"alertmanager-0.25-pagerduty-resolve.json", incident.AlertResolve, "[RESOLVED] CheckoutDown (checkout critical)", now},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := DecodeEvent(fixture(t, tc.file), now)
			if err != nil {
				t.Fatal(err)
			}
			a := b.Alerts[0]
			wantLabels := map[string]string{"summary": tc.summary, "source": "Alertmanager", "severity": "error"}
			if a.Action != tc.action || a.DedupKey != key || !reflect.DeepEqual(a.Labels, wantLabels) {
				t.Errorf("action, key, labels = %s, %s, %v; want %s, %s, %v", a.Action, a.DedupKey, a.Labels, tc.action, key, wantLabels)
			}
			if !a.StartsAt.Equal(now) || !a.EndsAt.Equal(tc.endsAt) {
				t.Errorf("StartsAt, EndsAt = %s, %s; want %s, %s", a.StartsAt, a.EndsAt, now, tc.endsAt)
			}
			if a.Client != "Alertmanager" || a.ClientURL != "http://vm:19093/#/alerts?receiver=pd" {
				t.Errorf("Client, ClientURL = %q, %q", a.Client, a.ClientURL)
			}
			var details map[string]string
			if err := json.Unmarshal(a.Details, &details); err != nil || details["num_firing"] == "" {
				t.Errorf("Details = %s (%v), want Alertmanager's custom_details", a.Details, err)
			}
		})
	}
}

func TestDecodeEventActions(t *testing.T) {
	const trigger = `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}`
	tests := []struct {
		name     string
		body     string
		action   incident.AlertAction
		key      string // "" means a generated one
		labels   map[string]string
		startsAt time.Time
		endsAt   time.Time
	}{
		{"trigger without key", trigger + `}`, incident.AlertTrigger, "",
			map[string]string{"summary": "s", "source": "h", "severity": "info"}, now, time.Time{}},
		{"trigger with empty key", trigger + `,"dedup_key":""}`, incident.AlertTrigger, "", nil, now, time.Time{}},
		{"trigger with blank key", trigger + `,"dedup_key":"  "}`, incident.AlertTrigger, "", nil, now, time.Time{}},
		{"trigger with null key", trigger + `,"dedup_key":null}`, incident.AlertTrigger, "", nil, now, time.Time{}},
		{"trigger with key", trigger + `,"dedup_key":"srv01/mysql"}`, incident.AlertTrigger, "srv01/mysql", nil, now, time.Time{}},
		{"key of 255 characters", trigger + `,"dedup_key":"` + strings.Repeat("é", 255) + `"}`, incident.AlertTrigger, strings.Repeat("é", 255), nil, now, time.Time{}},
		{"acknowledge with key only", `{"routing_key":"k","event_action":"acknowledge","dedup_key":"d"}`, incident.AlertAcknowledge, "d",
			map[string]string{}, now, time.Time{}},
		{"resolve with key only", `{"routing_key":"k","event_action":"resolve","dedup_key":"d"}`, incident.AlertResolve, "d",
			map[string]string{}, now, now},
		// PagerDuty uses a payload for triggers only: what an acknowledge
		// or resolve carries is kept where it makes sense, never refused.
		{"resolve with a payload breaking the trigger rules",
			`{"routing_key":"k","event_action":"resolve","dedup_key":"d","payload":{"summary":"","source":7,"severity":"bogus","timestamp":"soon"},"links":[{"text":"no href"}],"images":"x"}`,
			incident.AlertResolve, "d", map[string]string{"severity": "bogus"}, now, now},
		{"resolve with a timestamp", `{"routing_key":"k","event_action":"resolve","dedup_key":"d","payload":{"timestamp":"2026-11-24T01:00:00Z"}}`,
			incident.AlertResolve, "d", map[string]string{}, mustTime(t, "2026-11-24T01:00:00Z"), mustTime(t, "2026-11-24T01:00:00Z")},
		{"resolve with a timestamp pagerd cannot keep", `{"routing_key":"k","event_action":"resolve","dedup_key":"d","payload":{"timestamp":"0000-01-01T00:00:00+23:59"}}`,
			incident.AlertResolve, "d", map[string]string{}, now, now},
		{"acknowledge with a payload that is not an object", `{"routing_key":"k","event_action":"acknowledge","dedup_key":"d","payload":"x"}`,
			incident.AlertAcknowledge, "d", map[string]string{}, now, time.Time{}},
		{"empty optional fields are no labels",
			`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"warning","component":"","group":null,"class":"c"}}`,
			incident.AlertTrigger, "", map[string]string{"summary": "s", "source": "h", "severity": "warning", "class": "c"}, now, time.Time{}},
		{"label values as sent",
			`{"routing_key":"k","event_action":"trigger","payload":{"summary":" Disk <full> & slow ","source":"h","severity":"error","group":" "}}`,
			incident.AlertTrigger, "", map[string]string{"summary": " Disk <full> & slow ", "source": "h", "severity": "error", "group": " "}, now, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := decodeOne(t, tc.body)
			if a.Action != tc.action {
				t.Errorf("Action = %s, want %s", a.Action, tc.action)
			}
			if tc.key == "" && !generatedKey.MatchString(a.DedupKey) || tc.key != "" && a.DedupKey != tc.key {
				t.Errorf("DedupKey = %q, want %q (empty: generated)", a.DedupKey, tc.key)
			}
			if tc.labels != nil && !reflect.DeepEqual(a.Labels, tc.labels) {
				t.Errorf("Labels = %v, want %v", a.Labels, tc.labels)
			}
			if a.Annotations == nil || a.Annotations["summary"] != a.Labels["summary"] {
				t.Errorf("Annotations = %v, want the summary label's value", a.Annotations)
			}
			if !a.StartsAt.Equal(tc.startsAt) || !a.EndsAt.Equal(tc.endsAt) {
				t.Errorf("StartsAt, EndsAt = %s, %s; want %s, %s", a.StartsAt, a.EndsAt, tc.startsAt, tc.endsAt)
			}
		})
	}
}

func TestGeneratedKeysDiffer(t *testing.T) {
	body := `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`
	if a, b := decodeOne(t, body).DedupKey, decodeOne(t, body).DedupKey; a == b {
		t.Errorf("two triggers without a key got the same key %q", a)
	}
}

func TestTimestamps(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2015-07-17T08:42:58.315+0000", "2015-07-17T08:42:58.315Z"}, // PagerDuty's own example
		{"2015-07-17T08:42:58Z", "2015-07-17T08:42:58Z"},
		{"2015-07-17T10:42:58.123456789+02:00", "2015-07-17T08:42:58.123456789Z"},
		{"2015-07-17T10:42:58+0200", "2015-07-17T08:42:58Z"},
		{"2015-07-17T03:42:58-05", "2015-07-17T08:42:58Z"},
		{"2015-07-17T08:42:58", "2015-07-17T08:42:58Z"}, // no offset: UTC
		{"2015-07-17T08:42:58.5", "2015-07-17T08:42:58.5Z"},
	}
	for _, tc := range tests {
		body := `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","timestamp":"` + tc.in + `"}}`
		a := decodeOne(t, body)
		if want := mustTime(t, tc.want); !a.StartsAt.Equal(want) || a.StartsAt.Location() != time.UTC {
			t.Errorf("timestamp %q: StartsAt = %s, want %s in UTC", tc.in, a.StartsAt, want)
		}
	}
}

func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	var de *ingest.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error = %v (%T), want a *ingest.DecodeError", err, err)
	}
	if de.Kind != ingest.Invalid || de.Index != -1 || de.HTTPStatus() != 422 {
		t.Errorf("kind, index, status = %v, %d, %d; want Invalid, -1, 422", de.Kind, de.Index, de.HTTPStatus())
	}
	if de.Error() != strings.Join(de.Problems, "; ") {
		t.Errorf("Error() = %q, want the problems joined", de.Error())
	}
	return de.Problems
}

func TestDecodeEventProblems(t *testing.T) {
	const env = `"routing_key":"k","event_action":"trigger"`
	trigger := func(payload string) string { return `{` + env + `,"payload":{` + payload + `}}` }
	const ok = `"summary":"s","source":"h","severity":"info"`
	tests := []struct {
		name string
		body string
		want []string
	}{
		// What PagerDuty answered an empty event with.
		{"empty event", `{}`, []string{"'routing_key' cannot be blank", "'event_action' is missing or blank"}},
		{"null", `null`, []string{"'routing_key' cannot be blank", "'event_action' is missing or blank"}},
		{"blank routing key", `{"routing_key":" ","event_action":"acknowledge","dedup_key":"d"}`, []string{"'routing_key' cannot be blank"}},
		{"routing key not a string", `{"routing_key":12,"event_action":"acknowledge","dedup_key":"d"}`, []string{"'routing_key' must be a string"}},
		{"unknown action", `{"routing_key":"k","event_action":"fire"}`, []string{"'event_action' is invalid (must be one of: trigger acknowledge resolve)"}},
		{"action in capitals", `{"routing_key":"k","event_action":"TRIGGER"}`, []string{"'event_action' is invalid (must be one of: trigger acknowledge resolve)"}},
		{"action not a string", `{"routing_key":"k","event_action":["trigger"]}`, []string{"'event_action' must be a string"}},
		{"acknowledge without key", `{"routing_key":"k","event_action":"acknowledge"}`, []string{"'dedup_key' is missing or blank"}},
		{"resolve with blank key", `{"routing_key":"k","event_action":"resolve","dedup_key":" "}`, []string{"'dedup_key' is missing or blank"}},
		{"key too long", `{` + env + `,"dedup_key":"` + strings.Repeat("k", 256) + `","payload":{` + ok + `}}`, []string{"'dedup_key' is too long (maximum is 255 characters)"}},
		{"key not a string", `{"routing_key":"k","event_action":"resolve","dedup_key":7}`, []string{"'dedup_key' must be a string"}},
		{"trigger without payload", `{` + env + `}`, []string{"'payload' is missing or blank"}},
		{"trigger with null payload", `{` + env + `,"payload":null}`, []string{"'payload' is missing or blank"}},
		{"payload not an object", `{` + env + `,"payload":"disk full"}`, []string{"'payload' must be an object"}},
		{"empty payload", trigger(``), []string{"'payload.summary' is missing or blank", "'payload.source' is missing or blank", "'payload.severity' is missing or blank"}},
		{"summary blank", trigger(`"summary":"  ","source":"h","severity":"info"`), []string{"'payload.summary' is missing or blank"}},
		{"summary too long", trigger(`"summary":"` + strings.Repeat("é", 1025) + `","source":"h","severity":"info"`), []string{"'payload.summary' is too long (maximum is 1024 characters)"}},
		{"summary not a string", trigger(`"summary":{"text":"s"},"source":"h","severity":"info"`), []string{"'payload.summary' must be a string"}},
		{"unknown severity", trigger(`"summary":"s","source":"h","severity":"high"`), []string{"'payload.severity' is invalid (must be one of: critical error warning info)"}},
		{"severity in capitals", trigger(`"summary":"s","source":"h","severity":"Critical"`), []string{"'payload.severity' is invalid (must be one of: critical error warning info)"}},
		{"bad timestamp", trigger(ok + `,"timestamp":"yesterday"`), []string{"'payload.timestamp' is not a valid ISO 8601 timestamp"}},
		{"date without time", trigger(ok + `,"timestamp":"2026-11-24"`), []string{"'payload.timestamp' is not a valid ISO 8601 timestamp"}},
		{"timestamp as a number", trigger(ok + `,"timestamp":1700000000`), []string{"'payload.timestamp' must be a string"}},
		// Valid ISO 8601, but outside the years 0000-9999 once in UTC.
		{"timestamp past year 9999 in UTC", trigger(ok + `,"timestamp":"9999-12-31T23:59:59-23:59"`), []string{"'payload.timestamp' is out of range: in UTC it must fall in the years 0000 to 9999"}},
		{"timestamp before year 0 in UTC", trigger(ok + `,"timestamp":"0000-01-01T00:00:00+2359"`), []string{"'payload.timestamp' is out of range: in UTC it must fall in the years 0000 to 9999"}},
		{"component not a string", trigger(ok + `,"component":1`), []string{"'payload.component' must be a string"}},
		{"image without src", `{` + env + `,"payload":{` + ok + `},"images":[{"src":"https://i"},{"href":"https://x","alt":"a"}]}`, []string{"'images[1].src' is missing or blank"}},
		{"link without href", `{` + env + `,"payload":{` + ok + `},"links":[{"text":"runbook"}]}`, []string{"'links[0].href' is missing or blank"}},
		{"link null", `{` + env + `,"payload":{` + ok + `},"links":[null]}`, []string{"'links[0]' must be an object"}},
		{"links not an array", `{` + env + `,"payload":{` + ok + `},"links":{"href":"https://x"}}`, []string{"'links' must be an array"}},
		{"client not a string", `{` + env + `,"payload":{` + ok + `},"client":true}`, []string{"'client' must be a string"}},
		{"every problem at once, in order",
			`{"routing_key":"","event_action":"trigger","dedup_key":"` + strings.Repeat("k", 300) + `","payload":{"summary":"","severity":"fatal","timestamp":"now"},"links":[{}],"images":[{}]}`,
			[]string{
				"'routing_key' cannot be blank",
				"'dedup_key' is too long (maximum is 255 characters)",
				"'payload.summary' is missing or blank",
				"'payload.source' is missing or blank",
				"'payload.severity' is invalid (must be one of: critical error warning info)",
				"'payload.timestamp' is not a valid ISO 8601 timestamp",
				"'links[0].href' is missing or blank",
				"'images[0].src' is missing or blank",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := DecodeEvent(strings.NewReader(tc.body), now)
			if b != nil {
				t.Errorf("DecodeEvent returned a batch with its error")
			}
			if got := problemsOf(t, err); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

// A body that is not one JSON object is malformed: a 400 that names no
// field.
func TestDecodeMalformed(t *testing.T) {
	for _, body := range []string{``, ` `, `not json`, `{"routing_key":"k",}`, `[]`, `"event"`, `{"routing_key":"k"`, `{} {}`} {
		for name, decode := range map[string]func(string) error{
			"event":  func(s string) error { _, err := DecodeEvent(strings.NewReader(s), now); return err },
			"change": func(s string) error { _, err := DecodeChange(strings.NewReader(s), now); return err },
		} {
			var de *ingest.DecodeError
			if err := decode(body); !errors.As(err, &de) || de.Kind != ingest.Malformed || de.HTTPStatus() != 400 || len(de.Problems) != 0 {
				t.Errorf("%s %q: error = %v, want a malformed-JSON DecodeError (400, no problems)", name, body, err)
			}
		}
	}
}

func TestGoPagerDutyChangeFixture(t *testing.T) {
	b, err := DecodeChange(fixture(t, "go-pagerduty-1.8.0-change.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	want := &ingest.Batch{Token: "0123456789abcdef0123456789abcdef", Changes: []incident.Change{{
		At:      mustTime(t, "2026-11-24T01:00:00Z"),
		Summary: "Deployed checkout v1.42.0",
		Source:  "deploy-bot",
		Links:   []incident.Link{{Href: "https://ci.example.com/builds/42", Text: "Build 42"}},
		Details: json.RawMessage(`{"version":"v1.42.0"}`),
	}}}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("got  %+v\nwant %+v", b, want)
	}
}

func TestDecodeChange(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     incident.Change
		problems []string
	}{
		{"summary only", `{"routing_key":"k","payload":{"summary":"deployed"}}`,
			incident.Change{At: now, Summary: "deployed"}, nil},
		{"images become links", `{"routing_key":"k","payload":{"summary":"deployed","timestamp":"2026-11-24T02:00:00+0100"},"images":[{"src":"https://i/x.png","alt":"graph"}]}`,
			incident.Change{At: mustTime(t, "2026-11-24T01:00:00Z"), Summary: "deployed", Links: []incident.Link{{Href: "https://i/x.png", Text: "graph"}}}, nil},
		// A change event has no event_action, severity or source to require.
		{"severity and event_action ignored", `{"routing_key":"k","event_action":"bogus","payload":{"summary":"s","severity":"bogus"}}`,
			incident.Change{At: now, Summary: "s"}, nil},
		{"empty", `{}`, incident.Change{}, []string{"'routing_key' cannot be blank", "'payload' is missing or blank"}},
		{"payload not an object", `{"routing_key":"k","payload":[]}`, incident.Change{}, []string{"'payload' must be an object"}},
		{"no summary", `{"routing_key":"k","payload":{"source":"ci"}}`, incident.Change{}, []string{"'payload.summary' is missing or blank"}},
		{"summary too long", `{"routing_key":"k","payload":{"summary":"` + strings.Repeat("x", 1025) + `"}}`, incident.Change{},
			[]string{"'payload.summary' is too long (maximum is 1024 characters)"}},
		{"bad timestamp and link", `{"routing_key":"k","payload":{"summary":"s","timestamp":"noon"},"links":[{"text":"t"}]}`, incident.Change{},
			[]string{"'payload.timestamp' is not a valid ISO 8601 timestamp", "'links[0].href' is missing or blank"}},
		{"timestamp past year 9999 in UTC", `{"routing_key":"k","payload":{"summary":"s","timestamp":"9999-12-31T23:59:59-23:59"}}`, incident.Change{},
			[]string{"'payload.timestamp' is out of range: in UTC it must fall in the years 0000 to 9999"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := DecodeChange(strings.NewReader(tc.body), now)
			if tc.problems != nil {
				if got := problemsOf(t, err); !reflect.DeepEqual(got, tc.problems) {
					t.Errorf("problems:\n got  %q\n want %q", got, tc.problems)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Alerts) != 0 || len(b.Changes) != 1 || b.Token != "k" {
				t.Fatalf("batch = %+v, want one change with token k", b)
			}
			if !reflect.DeepEqual(b.Changes[0], tc.want) {
				t.Errorf("got  %+v\nwant %+v", b.Changes[0], tc.want)
			}
		})
	}
}
