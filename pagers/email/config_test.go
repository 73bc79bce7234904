package email_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pagerd/pagerd/pagers/email"
	"github.com/pagerd/pagerd/policies"
)

func TestSMTPBlock(t *testing.T) {
	t.Setenv("PAGERD_TEST_AUTH", "auth")
	dir := t.TempDir()
	err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(`
smtp {
  host     = "mail.example.com"
  port     = 587
  from     = "pagerd@example.com"
  username = "pagerd"
  password = env("PAGERD_TEST_AUTH")
  tls      = "mandatory"
}
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "all" { escalation = "e" }
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := policies.Load(dir)
	if cfg == nil || len(diags) != 0 {
		t.Fatalf("Load = %v", diags)
	}
	want := email.Config{Host: "mail.example.com", Port: 587, Username: "pagerd", Password: "auth", From: "pagerd@example.com", TLS: "mandatory"}
	if got, ok := cfg.Block("smtp").(email.Config); !ok || got != want {
		t.Errorf("smtp block = %+v, want %+v", cfg.Block("smtp"), want)
	}
	if r := cfg.Users["alice"].NotifyRules(); len(r) != 1 || r[0].Via != "email" {
		t.Errorf("alice's default rules = %v, want one email", r)
	}
}
