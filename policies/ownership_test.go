package policies_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/pagerd/pagerd/policies"
)

// ownershipConfig routes: ledger (a service block, owned by payments,
// with alternatives) first, then the "services" map (its table and its
// default), then a catch-all.
const ownershipConfig = `
user "alice" {
  email    = "alice@example.com"
  timezone = "Europe/Berlin"
}
user "bob" { email = "bob@example.com" }
user "carol" { email = "carol@example.com" }
escalation "payments" {
  step { notify = ["user:alice"] }
}
escalation "search" {
  step { notify = ["user:bob"] }
}
escalation "sre" {
  step { notify = ["user:carol"] }
}
team "payments" {
  members    = ["alice"]
  lead       = "bob"
  escalation = "payments"
}
team "search" {
  members    = ["bob"]
  escalation = "search"
}
team "sre" {
  members    = ["carol"]
  lead       = "carol"
  escalation = "sre"
}
service "ledger" {
  owner     = "team:payments"
  match_any = [["service=ledger"], ["team=payments", "namespace=~ledger-.*"]]
}
ownership "services" {
  label   = "service"
  match   = ["env!=staging"]
  owners  = { checkout = "team:payments", search = "team:search", billing = "escalation:sre" }
  default = "team:sre"
}
service "rest" { escalation = "sre" }
`

func TestOwnershipRouting(t *testing.T) {
	cfg := mustLoad(t, ownershipConfig)
	tests := []struct {
		labels                    map[string]string
		service, escalation, team string
	}{
		{map[string]string{"service": "ledger"}, "ledger", "payments", "payments"},
		// The second alternative: both of its matchers.
		{map[string]string{"team": "payments", "namespace": "ledger-eu"}, "ledger", "payments", "payments"},
		{map[string]string{"team": "payments", "namespace": "cart"}, "rest", "sre", ""},
		{map[string]string{"service": "checkout"}, "checkout", "payments", "payments"},
		{map[string]string{"service": "search"}, "search", "search", "search"},
		// An escalation as owner: no team.
		{map[string]string{"service": "billing"}, "billing", "sre", ""},
		// The default owner takes every other value, named by it.
		{map[string]string{"service": "inventory"}, "inventory", "sre", "sre"},
		// The map's own matchers hold, and an alert without the label
		// goes on.
		{map[string]string{"service": "checkout", "env": "staging"}, "rest", "sre", ""},
		{map[string]string{"alertname": "DiskFull"}, "rest", "sre", ""},
	}
	for _, tt := range tests {
		svc := cfg.Route(tt.labels)
		if svc == nil {
			t.Errorf("Route(%v) = nil, want %s", tt.labels, tt.service)
			continue
		}
		if svc.Name != tt.service || svc.Escalation != tt.escalation || svc.Owner != tt.team {
			t.Errorf("Route(%v) = %s (escalation %s, owner %q), want %s (%s, %q)", tt.labels, svc.Name, svc.Escalation, svc.Owner, tt.service, tt.escalation, tt.team)
		}
	}
	// An incident's service is found again by its name, the default's too.
	for name, owner := range map[string]string{"checkout": "payments", "inventory": "sre", "ledger": "payments", "rest": ""} {
		if svc := cfg.Service(name); svc == nil || svc.Name != name || svc.Owner != owner {
			t.Errorf("Service(%q) = %+v, want owner %q", name, svc, owner)
		}
	}
	// The owner team's lead is the last resort, before the step's teams'.
	pol := cfg.Escalation("payments")
	if people, why := cfg.LastResort(cfg.Service("checkout"), pol, time.Now()); strings.Join(people, ",") != "bob" || !strings.Contains(why, `lead of team "payments", which owns service "checkout"`) {
		t.Errorf("LastResort(checkout) = %v %q, want bob as payments' lead", people, why)
	}
	if people, _ := cfg.LastResort(cfg.Service("inventory"), cfg.Escalation("sre"), time.Now()); strings.Join(people, ",") != "carol" {
		t.Errorf("LastResort(inventory) = %v, want carol, sre's lead", people)
	}
	// The members of a team whose policy it is may act on what it pages.
	if got := cfg.OwningTeam("payments", "alice"); got != "payments" {
		t.Errorf("OwningTeam(payments, alice) = %q, want payments", got)
	}
	if loc := cfg.Users["alice"].Location; loc == nil || loc.String() != "Europe/Berlin" {
		t.Errorf("alice's time zone = %v, want Europe/Berlin", loc)
	}
}

// Owners load from a Backstage catalog and a CSV beside the config; the
// owners attribute wins over both.
func TestOwnershipFromFiles(t *testing.T) {
	dir := WriteDir(t, map[string]string{
		"main.hcl": strings.Replace(ownershipConfig, `owners  = {`, `catalog = ["catalog/*.yaml"]
  csv     = "owners.csv"
  owners  = {`, 1),
		"catalog/a.yaml": "kind: Component\nmetadata:\n  name: cart\nspec:\n  owner: group:default/search\n---\nkind: Component\nmetadata:\n  name: checkout\nspec:\n  owner: search\n",
		"owners.csv":     "value,owner\nsuggest,team:payments\nwallet,payments\n",
	})
	l := LoadDir(dir)
	if l.Config == nil {
		t.Fatalf("invalid: %v", l.Diags)
	}
	want := map[string]string{"cart": "search", "checkout": "payments", "suggest": "payments", "wallet": "payments"}
	for value, team := range want {
		if svc := l.Config.Route(map[string]string{"service": value}); svc == nil || svc.Owner != team || svc.Name != value {
			t.Errorf("Route(service=%s) = %+v, want owned by %s", value, svc, team)
		}
	}
	// A reload reads the files again.
	if err := os.WriteFile(filepath.Join(dir, "owners.csv"), []byte("wallet,search\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if svc := LoadDir(dir).Config.Route(map[string]string{"service": "wallet"}); svc == nil || svc.Owner != "search" {
		t.Errorf("after the CSV changed, wallet is %+v, want search's", svc)
	}
}

// FuzzOwnershipFiles holds the catalog and CSV readers to never panic and
// to point every problem at a place in the file, whatever the file holds.
func FuzzOwnershipFiles(f *testing.F) {
	f.Add("value,owner\ncheckout,payments\n", "kind: Component\nmetadata:\n  name: cart\nspec:\n  owner: group:default/payments\n")
	f.Add("a,b,c\n\"unterminated", "---\n- [\n")
	f.Add("é,payments\n", "metadata: {name: 'x'}\nspec: {owner: \"payments\"}\n---\nspec: 3\n")
	f.Fuzz(func(t *testing.T, csvText, yamlText string) {
		dir := WriteDir(t, map[string]string{
			"main.hcl": `
pagerd { unrouted = "record" }
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
team "payments" {
  members    = ["alice"]
  escalation = "e"
}
ownership "m" {
  label   = "service"
  csv     = "owners.csv"
  catalog = ["catalog.yaml"]
}
`,
			"owners.csv":   csvText,
			"catalog.yaml": yamlText,
		})
		l := LoadDir(dir)
		for _, d := range l.Diags {
			if d.Subject == nil {
				t.Errorf("diagnostic without a place: %s: %s", d.Summary, d.Detail)
			}
		}
	})
}
