package command_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/policies"

	_ "github.com/pagerd/pagerd/pagers/all"
)

const matrixConfig = `
user "dana" {
  email = "dana@example.com"
  phone = "+15550000004"
}
user "erin" { phone = "+15550000005" }
user "bob" {
  email = "bob@example.com"
  phone = "+15550000002"
  notify { via = "voice" }
}
team "support" { members = ["erin", "bob"] }
escalation "e" {
  step { notify = ["user:bob"] }
}
webhook "statusbot" {
  url    = "https://hooks.example.com/pagerd"
  secret = file("statusbot.key")
}
service "checkout" {
  escalation = "e"
  match      = ["service=checkout"]
}
service "all" { escalation = "e" }
stakeholders "checkout" {
  services = ["checkout"]
  manage_closely {
    people = ["user:dana", "user:bob"]
  }
  keep_informed {
    rooms  = ["webhook:statusbot"]
    emails = ["eng@example.com"]
    people = ["team:support", "user:dana"]
  }
  keep_satisfied {
    emails = ["key-accounts@example.com"]
    people = ["user:dana"]
  }
  monitor {
    on = ["resolved"]
  }
}
`

func loadConfig(t *testing.T, src string) *policies.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "statusbot.key"), []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := policies.LoadDir(dir)
	if l.Config == nil {
		var b strings.Builder
		_ = l.WriteDiagnostics(&b)
		t.Fatalf("config invalid:\n%s", b.String())
	}
	return l.Config
}

// TestPlan holds the documented defaults of each quadrant: who hears at
// which moment, through what, in which wording — each person once, in
// the most engaged quadrant that hears then.
func TestPlan(t *testing.T) {
	cfg := loadConfig(t, matrixConfig)
	sh := cfg.StakeholdersFor("checkout")
	if sh == nil || cfg.StakeholdersFor("all") != nil {
		t.Fatalf("StakeholdersFor: checkout %v, all %v", sh, cfg.StakeholdersFor("all"))
	}
	if !sh.Engages("SEV1") || !sh.Engages("SEV2") || sh.Engages("SEV3") || sh.Engages("") {
		t.Errorf("severities = %v, want the two most severe", sh.Severities)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		moment policies.Moment
		want   []string
	}{
		// Bob's rule calls him; a notice goes by text instead.
		{policies.MomentDeclared, []string{"manage_closely dana sms internal", "manage_closely bob sms internal"}},
		{policies.MomentUpdate, []string{"manage_closely dana sms internal", "manage_closely bob sms internal",
			"keep_satisfied status page (keep satisfied) status page public [dana@example.com key-accounts@example.com]"}},
		// erin has no email: her first channel; dana is told once, as
		// manage closely says, but only when manage closely hears.
		{policies.MomentStateChange, []string{"keep_informed webhook:statusbot webhook internal",
			"keep_informed erin sms internal", "keep_informed bob email internal digest",
			"keep_informed dana email internal digest", "keep_informed eng@example.com email internal digest"}},
		{policies.MomentResolved, []string{"manage_closely dana sms internal", "manage_closely bob sms internal",
			"keep_informed webhook:statusbot webhook internal", "keep_informed erin sms internal",
			"keep_informed eng@example.com email internal digest",
			"keep_satisfied status page (keep satisfied) status page public [dana@example.com key-accounts@example.com]",
			"monitor status page (monitor) status page public []"}},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range command.Plan(cfg, sh, []policies.Moment{tt.moment}, now) {
			s := fmt.Sprintf("%s %s %s", d.Quadrant, d.Who, d.Via)
			if d.Public {
				s += " public"
			} else {
				s += " internal"
			}
			if d.Digest {
				s += " digest"
			}
			if d.StatusPage {
				s += fmt.Sprint(" ", d.Subscribers)
			}
			got = append(got, s)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Plan(%s) =\n%q\nwant\n%q", tt.moment, got, tt.want)
		}
	}
}
