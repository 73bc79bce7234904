package twilio_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pagerd/pagerd/pagers/twilio"
	"github.com/pagerd/pagerd/policies"
)

func TestTwilioBlock(t *testing.T) {
	t.Setenv("PAGERD_TEST_SID", "AC123")
	dir := t.TempDir()
	for name, content := range map[string]string{
		"main.hcl": `
twilio {
  account_sid = env("PAGERD_TEST_SID")
  auth_token  = file("twilio.token")
  from        = "+15550000000"
}
user "alice" { phone = "+15551230001" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "all" { escalation = "e" }
`,
		"twilio.token": "tok\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags := policies.Load(dir)
	if cfg == nil || len(diags) != 0 {
		t.Fatalf("Load = %v", diags)
	}
	want := twilio.Config{AccountSID: "AC123", AuthToken: "tok", From: "+15550000000"}
	if got, ok := cfg.Block("twilio").(twilio.Config); !ok || got != want {
		t.Errorf("twilio block = %+v, want %+v", cfg.Block("twilio"), want)
	}
	if r := cfg.Users["alice"].NotifyRules(); len(r) != 1 || r[0].Via != "sms" {
		t.Errorf("alice's default rules = %v, want one SMS", r)
	}
}
