package console

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/policies"
)

// The session cookie is Secure exactly when the console is served over
// https, and a form is accepted only with its session's token.
func TestSecureCookieAndCSRF(t *testing.T) {
	for _, tc := range []struct {
		publicURL string
		want      bool
	}{
		{"https://pagerd.example.com", true},
		{"HTTPS://pagerd.example.com", true},
		{"http://127.0.0.1:8080", false},
		{"", false},
	} {
		c := &Console{Config: func() *policies.Config {
			return &policies.Config{Settings: policies.Settings{PublicURL: tc.publicURL}}
		}}
		if got := c.secure(); got != tc.want {
			t.Errorf("secure() with public_url %q = %v, want %v", tc.publicURL, got, tc.want)
		}
	}
	s := &session{}
	s.CSRF = "token-of-the-session"
	for body, want := range map[string]bool{
		"csrf=token-of-the-session&text=x": true,
		"csrf=token-of-another&text=x":     false,
		"csrf=&text=x":                     false,
		"text=x":                           false,
	} {
		r := httptest.NewRequest("POST", "/console/incidents/1/note", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got := csrfOK(r, s); got != want {
			t.Errorf("csrfOK(%q) = %v, want %v", body, got, want)
		}
	}
	for next, want := range map[string]string{
		"/console/actions": "/console/actions", "//evil.example/console/": "", "https://evil.example/": "", "/console/\r\nx": "",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
