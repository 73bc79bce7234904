package router

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/schedules"
)

func mustMatchers(t *testing.T, ss ...string) labels.Matchers {
	t.Helper()
	var ms labels.Matchers
	for _, s := range ss {
		m, err := labels.ParseMatcher(s)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

// decide says what mutes an alert and when that may change: the silence
// that lasts longest, else an open maintenance window; the earliest end
// or start of any that concerns the alert.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return now.Add(d) }
	snap := &silenceSnapshot{version: "7", silences: []compiledSilence{
		{id: "short", start: at(-time.Hour), end: at(time.Hour), matchers: mustMatchers(t, "alertname=A")},
		{id: "long", start: at(-time.Hour), end: at(3 * time.Hour), matchers: mustMatchers(t, "alertname=A", "env=prod")},
		{id: "later", start: at(30 * time.Minute), end: at(5 * time.Hour), matchers: mustMatchers(t, "alertname=B")},
	}}
	cfg := &policies.Config{Maintenance: []*policies.Maintenance{
		{Name: "deploy", Services: []string{"checkout"}, Window: schedules.Window{Start: at(-time.Minute), Duration: 2 * time.Hour}},
		{Name: "tonight", Matchers: mustMatchers(t, "alertname=C"), Window: schedules.Window{Start: at(10 * time.Hour), Duration: time.Hour}},
	}}
	tests := []struct {
		name, service string
		lset          map[string]string
		why           string
		reviewAt      time.Time
	}{
		{"the longest silence", "other", map[string]string{"alertname": "A", "env": "prod"}, "silence:long", at(3 * time.Hour)},
		{"one silence", "other", map[string]string{"alertname": "A"}, "silence:short", at(time.Hour)},
		{"a silence that starts later", "other", map[string]string{"alertname": "B"}, "", at(30 * time.Minute)},
		{"a silence before the window it is in", "checkout", map[string]string{"alertname": "A"}, "silence:short", at(time.Hour)},
		{"an open window", "checkout", map[string]string{"alertname": "B"}, "maintenance:deploy", at(30 * time.Minute)},
		{"a window that opens later", "other", map[string]string{"alertname": "C"}, "", at(10 * time.Hour)},
		{"nothing", "other", map[string]string{"alertname": "D"}, "", time.Time{}},
	}
	for _, tc := range tests {
		d := decide(cfg, snap, tc.service, tc.lset, now)
		if d.Why != tc.why || !d.ReviewAt.Equal(tc.reviewAt) || d.Silences != "7" {
			t.Errorf("%s: decide = %+v, want why %q, review at %s", tc.name, d, tc.why, tc.reviewAt)
		}
	}
}

// Each rule an alert matches gives it a token per side, keyed by the
// rule and the values of its equal labels: alerts with the same values
// share the key; one matching both sides is 'b' and 'T'.
func TestInhibitTokens(t *testing.T) {
	cfg := &policies.Config{Inhibits: []*policies.InhibitRule{
		{Name: "cluster", Source: mustMatchers(t, "alertname=ClusterDown"), Target: mustMatchers(t, "severity=~warning|critical"), Equal: []string{"cluster"}},
	}}
	src := inhibitTokens(cfg, map[string]string{"alertname": "ClusterDown", "cluster": "eu1"})
	tgt := inhibitTokens(cfg, map[string]string{"alertname": "InstanceDown", "cluster": "eu1", "severity": "critical"})
	both := inhibitTokens(cfg, map[string]string{"alertname": "ClusterDown", "cluster": "eu1", "severity": "critical"})
	other := inhibitTokens(cfg, map[string]string{"alertname": "InstanceDown", "cluster": "us1", "severity": "critical"})
	none := inhibitTokens(cfg, map[string]string{"alertname": "InstanceDown", "cluster": "eu1"})
	key := strings.TrimPrefix(src, "o:")
	if !strings.HasPrefix(src, "o:cluster:") || tgt != "t:"+key || both != "b:"+key+" T:"+key || other == "t:"+key || none != "" {
		t.Errorf("tokens: source %q, target %q, both %q, other cluster %q, neither %q", src, tgt, both, other, none)
	}
}
