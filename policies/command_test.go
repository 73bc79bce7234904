package policies_test

import (
	"testing"
	"time"
)

const commandConfig = `
user "alice" { email = "alice@example.com" }
schedule "ic" {
  rotation "weekly" {
    users = ["alice"]
    every = "1w"
    start = "2026-11-02 09:00"
  }
}
escalation "e" {
  step { notify = ["user:alice"] }
}
incident_command {
  severities = ["P1", "P2", "P3"]
  managers   = "schedule:ic"
}
service "checkout" {
  escalation     = "e"
  match          = ["service=checkout"]
  severity       = { Critical = "P1" }
  severity_label = "priority"
  managers       = "user:alice"
}
service "search" {
  escalation = "e"
  match      = ["service=search"]
}
service "all" { escalation = "e" }
`

func TestSeverityRules(t *testing.T) {
	cfg := mustLoad(t, commandConfig)
	tests := []struct {
		service string
		labels  map[string]string
		want    string
	}{
		{"checkout", map[string]string{"priority": "critical"}, "P1"},
		{"checkout", map[string]string{"priority": "CRITICAL"}, "P1"},
		{"checkout", map[string]string{"severity": "critical"}, ""}, // the service reads priority
		{"checkout", map[string]string{"priority": "warning"}, ""},  // its own map replaces the defaults
		// Defaults by position: critical is the second severity,
		// warnings and errors the third; info would be a fourth.
		{"search", map[string]string{"severity": "critical"}, "P2"},
		{"search", map[string]string{"severity": "warning"}, "P3"},
		{"search", map[string]string{"severity": "info"}, ""},
		{"search", map[string]string{}, ""},
	}
	for _, tt := range tests {
		if got := cfg.SeverityOf(cfg.Service(tt.service), tt.labels); got != tt.want {
			t.Errorf("SeverityOf(%s, %v) = %q, want %q", tt.service, tt.labels, got, tt.want)
		}
	}
	if got := cfg.ManagersOf("checkout").String(); got != "user:alice" {
		t.Errorf("ManagersOf(checkout) = %s, want the service's own", got)
	}
	if got := cfg.ManagersOf("search").String(); got != "schedule:ic" {
		t.Errorf("ManagersOf(search) = %s, want incident_command's", got)
	}
	c := cfg.Command
	if c.Cadence["P1"] != 30*time.Minute || c.Cadence["P2"] != time.Hour || c.Cadence["P3"] != 4*time.Hour {
		t.Errorf("default cadence = %v, want 30m, 1h, 4h by position", c.Cadence)
	}
	if !cfg.NeedsManager("P2") || cfg.NeedsManager("P3") || cfg.NeedsManager("") {
		t.Errorf("ManagerNeeded = %v, want the two most severe", c.ManagerNeeded)
	}
}

func TestParseSeverity(t *testing.T) {
	cfg := mustLoad(t, `
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "all" { escalation = "e" }
`)
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"SEV1", "SEV1", true},
		{"sev2", "SEV2", true},
		{"3", "SEV3", true},
		{" 4 ", "SEV4", true},
		{"SEV5", "", false},
		{"0", "", false},
		{"critical", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := cfg.ParseSeverity(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseSeverity(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if r := cfg.SeverityRank("SEV3"); r != 3 {
		t.Errorf("SeverityRank(SEV3) = %d, want 3", r)
	}
}
