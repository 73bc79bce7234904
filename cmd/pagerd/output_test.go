package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Documented keys of each -o json object: a key added, renamed or dropped
// breaks scripts, so it must show up here (and in the verb's help).
var (
	incidentKeys = []string{"id", "status", "service", "escalation", "title", "summary", "source_url", "group_labels",
		"created_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "alerts_firing", "alerts_total", "suppressed",
		"folded_into", "flapping", "storm", "severity", "roles", "declared_by", "update_state", "last_update_at", "next_update_at"}
	showKeys       = append(slices.Clone(incidentKeys), "suppressed_alerts", "alerts", "timeline", "recent_changes", "folded", "status_updates")
	silenceKeys    = []string{"id", "state", "matchers", "starts_at", "ends_at", "created_by", "comment", "updated_at", "expired_by"}
	eventKeys      = []string{"at", "event", "actor", "via", "detail", "tag"}
	oncallKeys     = []string{"at", "until", "shifts"}
	shiftKeys      = []string{"schedule", "user", "layer", "override", "start", "end"}
	routeKeys      = []string{"at", "labels", "routed", "service", "owner", "group", "escalation", "repeat", "informs", "suppressed", "suppressed_until", "storm", "flapping", "steps", "exhausted"}
	stepKeys       = []string{"step", "round", "at", "offset_seconds", "targets", "notifications"}
	targetKeys     = []string{"target", "users", "destination"}
	checkKeys      = []string{"valid", "summary", "errors", "warnings", "diagnostics", "tests"}
	diagnosticKeys = []string{"severity", "summary", "detail", "file", "line", "column"}
)

func TestJSONOutput(t *testing.T) {
	clearEnv(t)
	api := newFakeAPI(t)
	srv := []string{"--server", api.URL, "--token", fakeToken}
	bad := writeConfig(t, "service \"x\" {\n  escalation = \"nope\"\n}\n")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		// want maps a path into the document ("incidents.0.id") to its
		// value as JSON, or, for keys:PATH, to the object's sorted keys.
		want map[string]string
	}{
		{"incidents", append([]string{"incidents", "-o", "json"}, srv...), 0, map[string]string{
			"keys:":                       `["incidents"]`,
			"keys:incidents.0":            keysJSON(incidentKeys),
			"incidents.0.id":              `42`,
			"incidents.0.status":          `"acknowledged"`,
			"incidents.0.created_at":      `"2026-11-27T10:00:00.123Z"`,
			"incidents.0.acknowledged_at": `"2026-11-27T10:05:00Z"`,
			"incidents.0.resolved_at":     `null`,
			"incidents.0.resolved_by":     `""`,
			"incidents.0.source_url":      `""`,
			"incidents.0.group_labels":    `{"alertname":"CheckoutDown"}`,
			"incidents.0.alerts_firing":   `2`,
			"incidents.0.alerts_total":    `3`,
			"incidents.0.acknowledged_by": `"alice"`,
			"incidents.0.escalation":      `"payments"`,
		}},
		{"show", append([]string{"show", "42", "--output", "json"}, srv...), 0, map[string]string{
			"keys:":                    keysJSON(showKeys),
			"keys:timeline.0":          keysJSON(eventKeys),
			"id":                       `42`,
			"alerts.0.fingerprint":     `"a4968fcd8858e3e5"`,
			"timeline.0.at":            `"2026-11-27T10:00:00.5Z"`,
			"timeline.1.event":         `"acknowledged"`,
			"timeline.1.actor":         `"alice"`,
			"timeline.1.via":           `"api"`,
			"recent_changes.0.summary": `"deploy 42"`,
			"suppressed":               `""`,
			"suppressed_alerts":        `{"0f3a9d1e2b4c5d6e":"silence:6f1c"}`,
		}},
		{"silence list", append([]string{"silence", "list", "--all", "-o", "json"}, srv...), 0, map[string]string{
			"keys:":                 `["silences"]`,
			"keys:silences.0":       keysJSON(silenceKeys),
			"silences.0.matchers":   `["alertname=\"CheckoutDown\""]`,
			"silences.0.ends_at":    `"2026-11-27T12:00:00Z"`,
			"silences.0.expired_by": `""`,
			"silences.1.state":      `"expired"`,
			"silences.1.expired_by": `"bob"`,
		}},
		{"silence add", append([]string{"silence", "add", "a=b", "--end", "2026-11-27T12:00:00Z", "--comment", "c", "-o", "json"}, srv...), 0, map[string]string{
			"keys:": keysJSON(silenceKeys),
			"id":    `"6f1c"`,
			"state": `"active"`,
		}},
		{"oncall", []string{"oncall", "--config", exampleConfig, "payments-primary", "--at", "2026-12-01 12:00", "--tz", "America/New_York", "-o", "json"}, 0, map[string]string{
			"keys:":             keysJSON(oncallKeys),
			"keys:shifts.0":     keysJSON(shiftKeys),
			"at":                `"2026-12-01T12:00:00-05:00"`,
			"until":             `null`,
			"shifts.0.user":     `"alice"`,
			"shifts.0.layer":    `"weekly"`,
			"shifts.0.start":    `"2026-11-30T09:00:00-05:00"`,
			"shifts.0.end":      `"2026-12-07T09:00:00-05:00"`,
			"shifts.0.override": `false`,
		}},
		{"oncall --until, an override", []string{"oncall", "--config", exampleConfig, "payments-primary", "--at", "2026-12-24 00:00", "--until", "2026-12-26 00:00", "--tz", "America/New_York", "-o", "json"}, 0, map[string]string{
			"until":             `"2026-12-26T00:00:00-05:00"`,
			"shifts.0.start":    `"2026-12-24T00:00:00-05:00"`,
			"shifts.0.user":     `"bob"`,
			"shifts.0.override": `true`,
			"shifts.0.layer":    `""`,
		}},
		{"oncall, nobody", []string{"oncall", "--config", exampleConfig, "payments-primary", "--user", "carol", "-o", "json"}, 0, map[string]string{
			"shifts": `[]`,
		}},
		{"route", []string{"route", "--config", exampleConfig, "--at", "2026-12-01T15:00:00Z", "-o", "json", "alertname=CheckoutDown", "service=checkout", "severity=critical"}, 0, map[string]string{
			"keys:":                    keysJSON(routeKeys),
			"keys:steps.0":             keysJSON(stepKeys),
			"keys:steps.0.targets.0":   keysJSON(targetKeys),
			"at":                       `"2026-12-01T15:00:00Z"`,
			"routed":                   `true`,
			"service":                  `"checkout"`,
			"escalation":               `"payments"`,
			"repeat":                   `2`,
			"group":                    `{"alertname":"CheckoutDown","cluster":""}`,
			"labels.severity":          `"critical"`,
			"steps.0.step":             `1`,
			"steps.0.targets.0.target": `"schedule:payments-primary"`,
			"steps.0.targets.0.users":  `["alice"]`,
			"steps.0.notifications":    `[{"to":"alice","via":"sms","at":"2026-12-01T15:00:00Z","offset_seconds":0},{"to":"alice","via":"email","at":"2026-12-01T15:05:00Z","offset_seconds":300}]`,
			"steps.2.round":            `1`,
			"steps.1.offset_seconds":   `600`,
			"steps.1.at":               `"2026-12-01T15:10:00Z"`,
		}},
		{"route, unrouted", []string{"route", "--config", writeConfig(t, onlyCheckout), "-o", "json", "service=other"}, 0, map[string]string{
			"keys:":   keysJSON(routeKeys),
			"routed":  `false`,
			"service": `""`,
			"group":   `{}`,
			"steps":   `[]`,
		}},
		{"check, valid", []string{"check", "--config", exampleConfig, "-o", "json"}, 0, map[string]string{
			"keys:":                  keysJSON(checkKeys),
			"keys:diagnostics.0":     keysJSON(diagnosticKeys),
			"valid":                  `true`,
			"errors":                 `0`,
			"warnings":               `9`,
			"diagnostics.0.severity": `"warning"`,
			"diagnostics.0.file":     fmt.Sprintf("%q", filepath.Join(exampleConfig, "pagerd.hcl")),
			"tests.passed":           `true`,
			"tests.summary":          `"policy tests: 11 passed"`,
		}},
		{"check, invalid", []string{"check", bad, "-o", "json"}, 1, map[string]string{
			"valid":                  `false`,
			"summary":                `"config invalid: 1 error"`,
			"errors":                 `1`,
			"diagnostics.0.severity": `"error"`,
			"diagnostics.0.file":     fmt.Sprintf("%q", filepath.Join(bad, "pagerd.hcl")),
			"diagnostics.0.line":     `2`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.wantCode || errOut != "" {
				t.Fatalf("pagerd %q = %d, want %d\nstderr: %s", tc.args, code, tc.wantCode, errOut)
			}
			var doc any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("pagerd %q is not JSON: %v\n%s", tc.args, err, out)
			}
			for path, want := range tc.want {
				var got string
				if p, ok := strings.CutPrefix(path, "keys:"); ok {
					obj, _ := lookup(doc, p).(map[string]any)
					keys := []string{}
					for k := range obj {
						keys = append(keys, k)
					}
					slices.Sort(keys)
					got = mustJSON(keys)
				} else {
					got = mustJSON(lookup(doc, path))
				}
				if !jsonEqual(got, want) {
					t.Errorf("pagerd %q: %s = %s, want %s", tc.args, path, got, want)
				}
			}
		})
	}
}

// lookup follows a dotted path of object keys and array indexes.
func lookup(doc any, path string) any {
	if path == "" {
		return doc
	}
	for _, part := range strings.Split(path, ".") {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[part]
		case []any:
			var i int
			if _, err := fmt.Sscan(part, &i); err != nil || i >= len(v) {
				return "<missing>"
			}
			doc = v[i]
		default:
			return "<missing>"
		}
	}
	return doc
}

func keysJSON(keys []string) string {
	return mustJSON(slices.Sorted(slices.Values(keys)))
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func jsonEqual(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

func TestOutputFlag(t *testing.T) {
	clearEnv(t)
	for _, verb := range [][]string{{"incidents"}, {"oncall"}, {"route", "a=b"}, {"check"}, {"test"}, {"changes", "x"}, {"silence", "list"}} {
		args := append(slices.Clone(verb), "-o", "xml")
		code, _, errOut := runCLI(t, args...)
		if code != 2 || !strings.Contains(errOut, `invalid argument "xml" for "-o, --output" flag: want table, json or yaml`) {
			t.Errorf("pagerd %q = %d, want 2 naming table, json and yaml:\n%s", args, code, errOut)
		}
		help := append(slices.Clone(verb[:len(verb)-min(len(verb)-1, 1)]), "--help")
		if verb[0] == "silence" {
			help = []string{"silence", "list", "--help"}
		}
		if _, out, _ := runCLI(t, help...); !strings.Contains(out, "-o, --output table|json|yaml") || !strings.Contains(out, "With -o json it prints") {
			t.Errorf("pagerd %s --help does not document -o json and yaml:\n%s", verb[0], out)
		}
	}
	// show's own output is incident command's to shape: table or JSON.
	if code, _, errOut := runCLI(t, "show", "42", "-o", "yaml"); code != 2 || !strings.Contains(errOut, "want table or json") {
		t.Errorf("pagerd show -o yaml = %d: %s", code, errOut)
	}
}

// -o yaml is -o json in YAML: the same keys, values and types, for every
// verb that offers both.
func TestYAMLOutputIsTheJSON(t *testing.T) {
	clearEnv(t)
	api := newFakeAPI(t)
	srv := []string{"--server", api.URL, "--token", fakeToken}
	body := filepath.Join("..", "..", "router", "ingest", "generic", "testdata", "uptime-kuma-down.json")
	for _, args := range [][]string{
		append([]string{"incidents"}, srv...),
		append([]string{"silence", "list", "--all"}, srv...),
		{"oncall", "--config", exampleConfig, "--at", "2026-12-01T15:00:00Z", "--next", "2"},
		{"route", "--config", exampleConfig, "--at", "2026-12-01T15:00:00Z", "service=checkout", "severity=critical", "alertname=X"},
		{"route", "--config", exampleConfig, "--at", "2026-12-01T15:00:00Z", "--integration", "uptime-kuma", "--body", body},
		{"check", "--config", exampleConfig},
		{"test", "--config", exampleConfig},
	} {
		_, asJSON, _ := runCLI(t, append(slices.Clone(args), "-o", "json")...)
		code, asYAML, errOut := runCLI(t, append(slices.Clone(args), "-o", "yaml")...)
		if code != 0 {
			t.Fatalf("pagerd %q -o yaml = %d: %s", args, code, errOut)
		}
		var fromJSON, fromYAML any
		if err := json.Unmarshal([]byte(asJSON), &fromJSON); err != nil {
			t.Fatalf("pagerd %q -o json: %v", args, err)
		}
		if err := yaml.Unmarshal([]byte(asYAML), &fromYAML); err != nil {
			t.Fatalf("pagerd %q -o yaml is not YAML: %v\n%s", args, err, asYAML)
		}
		// Through JSON once more: YAML reads 3 as an int, JSON as a float.
		if got := mustJSON(fromYAML); !jsonEqual(got, mustJSON(fromJSON)) {
			t.Errorf("pagerd %q: -o yaml holds\n%s\nwhere -o json holds\n%s", args, got, mustJSON(fromJSON))
		}
		if strings.HasPrefix(strings.TrimSpace(asYAML), "{") {
			t.Errorf("pagerd %q -o yaml is in flow style:\n%s", args, asYAML)
		}
	}
}
