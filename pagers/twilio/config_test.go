package twilio_test

import (
	"os"
	"path/filepath"
	"strings"
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

func TestTwilioAPIURL(t *testing.T) {
	tests := []struct {
		apiURL  string
		want    string // the Config's APIURL; "" with wantErr
		wantErr string // in the diagnostic's detail
	}{
		{apiURL: "http://127.0.0.1:8099", want: "http://127.0.0.1:8099"},
		{apiURL: "https://twilio-proxy.internal/twilio/", want: "https://twilio-proxy.internal/twilio/"},
		{apiURL: "api.twilio.com", wantErr: "is not an absolute URL"},
		{apiURL: "ftp://twilio-proxy.internal", wantErr: "is not an http or https URL"},
		{apiURL: "https://user:pw@twilio-proxy.internal", wantErr: "carries a user name or password"},
		{apiURL: "https://twilio-proxy.internal/?x=1", wantErr: "has a query or fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.apiURL, func(t *testing.T) {
			dir := t.TempDir()
			src := `
twilio {
  account_sid = file("sid")
  auth_token  = file("token")
  from        = "+15550000000"
  api_url     = "` + tt.apiURL + `"
}
user "alice" { phone = "+15551230001" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "all" { escalation = "e" }
`
			for name, content := range map[string]string{"main.hcl": src, "sid": "AC123", "token": "tok"} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg, diags := policies.Load(dir)
			if tt.wantErr != "" {
				if cfg != nil || !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("Load(api_url = %q) = %v, want an error containing %q", tt.apiURL, diags, tt.wantErr)
				}
				if d := diags[0]; d.Subject == nil || d.Subject.Start.Line != 6 {
					t.Errorf("diagnostic %v at %v, want the api_url line, 6", d, d.Subject)
				}
				return
			}
			if cfg == nil || len(diags) != 0 {
				t.Fatalf("Load = %v", diags)
			}
			if got := cfg.Block("twilio").(twilio.Config).APIURL; got != tt.want {
				t.Errorf("APIURL = %q, want %q", got, tt.want)
			}
		})
	}
}
