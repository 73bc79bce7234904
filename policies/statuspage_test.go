package policies_test

import (
	"slices"
	"testing"

	. "github.com/pagerd/pagerd/policies"
)

const pageConfig = `
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
incident_command { severities = ["P1", "P2", "P3"] }
service "checkout" {
  escalation = "e"
  match      = ["service=checkout"]
}
service "search" {
  escalation = "e"
  match      = ["service=search"]
}
service "all" { escalation = "e" }
component "Checkout API" {
  group    = "Payments"
  services = ["checkout"]
}
component "Search" { services = ["search", "checkout"] }
status_page "public" {
  title      = "Status"
  components = ["Search", "Checkout API"]
  component_state = { P3 = "partial_outage" }
}
status_page "internal" {
  title      = "Internal"
  components = ["Search"]
  public     = false
  public_url = "https://internal.example.com/status/"
}
`

func TestComponentID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Checkout API", "checkout-api"},
		{"  API (v2) / EU ", "api-v2-eu"},
		{"Zahlungen & Käufe", "zahlungen-käufe"},
		{"123", "123"},
		{"!!!", ""},
	}
	for _, tt := range tests {
		if got := ComponentID(tt.in); got != tt.want {
			t.Errorf("ComponentID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStatusPageDefaults(t *testing.T) {
	cfg := mustLoad(t, pageConfig)
	pub, internal := cfg.Page("public"), cfg.Page("internal")
	if pub == nil || internal == nil || cfg.Page("nope") != nil {
		t.Fatalf("pages: %v %v", pub, internal)
	}
	if !pub.Public || internal.Public {
		t.Errorf("public = %v, %v; want true, false", pub.Public, internal.Public)
	}
	if pub.PublicURL != "http://localhost:8080/status/public" || internal.PublicURL != "https://internal.example.com/status" {
		t.Errorf("public URLs %q, %q", pub.PublicURL, internal.PublicURL)
	}
	// A public page prompts for the two most severe; an internal one never.
	if pub.Prompt != "P2" || internal.Prompt != "" || pub.AutoPublish != "" {
		t.Errorf("prompt %q/%q, auto %q", pub.Prompt, internal.Prompt, pub.AutoPublish)
	}
	for sev, want := range map[string]string{"P1": StateMajor, "P2": StatePartial, "P3": StatePartial, "": StateDegraded} {
		if got := pub.StateFor(sev); got != want {
			t.Errorf("StateFor(%q) = %q, want %q", sev, got, want)
		}
	}
	if got := internal.StateFor("P3"); got != StateDegraded {
		t.Errorf("internal StateFor(P3) = %q, want the default %q", got, StateDegraded)
	}
	// No smtp block: nothing to subscribe with.
	if len(pub.Subscriptions) != 0 {
		t.Errorf("subscriptions %v, want none without smtp", pub.Subscriptions)
	}
}

func TestComponentsOfService(t *testing.T) {
	cfg := mustLoad(t, pageConfig)
	tests := []struct {
		page, service string
		want          []string
	}{
		{"public", "checkout", []string{"Search", "Checkout API"}}, // the page's order
		{"public", "search", []string{"Search"}},
		{"public", "all", nil},
		{"internal", "checkout", []string{"Search"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range cfg.ComponentsOf(cfg.Page(tt.page), tt.service) {
			got = append(got, c.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ComponentsOf(%s, %s) = %q, want %q", tt.page, tt.service, got, tt.want)
		}
	}
	var pages []string
	for _, p := range cfg.PagesOf("checkout") {
		pages = append(pages, p.Name)
	}
	if !slices.Equal(pages, []string{"public", "internal"}) {
		t.Errorf("PagesOf(checkout) = %q", pages)
	}
	if len(cfg.PagesOf("all")) != 0 {
		t.Errorf("PagesOf(all) = %v, want none", cfg.PagesOf("all"))
	}
}

func TestAtLeast(t *testing.T) {
	cfg := mustLoad(t, pageConfig)
	tests := []struct {
		sev, threshold string
		want           bool
	}{
		{"P1", "P1", true}, {"P1", "P2", true}, {"P2", "P1", false}, {"", "P1", false}, {"P1", "", false}, {"X", "P3", false},
	}
	for _, tt := range tests {
		if got := cfg.AtLeast(tt.sev, tt.threshold); got != tt.want {
			t.Errorf("AtLeast(%q, %q) = %v, want %v", tt.sev, tt.threshold, got, tt.want)
		}
	}
}
