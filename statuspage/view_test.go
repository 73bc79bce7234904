package statuspage

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"

	_ "github.com/pagerd/pagerd/pagers/all"
)

const viewConfig = `
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "checkout" {
  escalation = "e"
  match      = ["service=checkout"]
}
service "search" {
  escalation = "e"
  match      = ["service=search"]
}
service "db" {
  escalation = "e"
  match      = ["service=db"]
}
service "all" { escalation = "e" }
component "Checkout API" {
  group    = "Payments"
  services = ["checkout"]
}
component "Card payments" {
  group    = "Payments"
  services = ["checkout", "db"]
}
component "Search" { services = ["search"] }
status_page "public" {
  title      = "Example Status"
  components = ["Checkout API", "Card payments", "Search"]
}
maintenance "db-upgrade" {
  services = ["db"]
  start    = "2026-12-01 22:00"
  duration = "2h"
  announce = "We are upgrading the payments database."
}
maintenance "quiet-batch" {
  services = ["search"]
  start    = "2026-12-01 22:00"
  duration = "2h"
}
`

// loadConfig loads HCL from a temporary directory.
func loadConfig(t testing.TB, hcl string) *policies.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := policies.Load(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// published is a page incident with updates at the given minutes after
// t0: "status:Component=state,...".
func published(id int64, title string, updates ...string) *incident.PageIncident {
	p := &incident.PageIncident{ID: id, Code: fmt.Sprintf("c%d", id), Pages: []string{"public"}, Title: title, Components: map[string]string{}}
	for i, u := range updates {
		var min int
		var rest string
		fmt.Sscanf(u, "%d %s", &min, &rest)
		status, comps, _ := strings.Cut(rest, ":")
		up := incident.PageUpdate{N: i + 1, At: t0.Add(time.Duration(min) * time.Minute), Status: incident.UpdateState(status), Components: map[string]string{}}
		for _, c := range strings.FieldsFunc(comps, func(r rune) bool { return r == ',' }) {
			name, state, _ := strings.Cut(c, "=")
			name = strings.ReplaceAll(name, "_", " ")
			up.Components[name] = state
			p.Components[name] = state
		}
		p.Updates = append(p.Updates, up)
		p.Status = up.Status
		p.UpdatedAt = up.At
		if i == 0 {
			p.CreatedAt = up.At
		}
		if up.Status == incident.StateResolved {
			p.ResolvedAt = up.At
		}
	}
	return p
}

func TestBuildStatesAndIndicator(t *testing.T) {
	cfg := loadConfig(t, viewConfig)
	page := cfg.Page("public")
	tests := []struct {
		name      string
		incidents []*incident.PageIncident
		now       time.Time
		want      string // indicator, then each component's state
		active    int
	}{
		{"nothing", nil, t0, "none operational operational operational", 0},
		{"one degraded", []*incident.PageIncident{published(1, "Slow", "0 investigating:Search=degraded_performance")}, t0.Add(time.Hour),
			"minor operational operational degraded_performance", 1},
		{"the worst of two wins, per component and overall", []*incident.PageIncident{
			published(1, "Slow", "0 investigating:Search=degraded_performance,Checkout_API=partial_outage"),
			published(2, "Down", "5 identified:Checkout_API=major_outage"),
		}, t0.Add(time.Hour), "critical major_outage operational degraded_performance", 2},
		{"resolved incidents affect nothing now", []*incident.PageIncident{
			published(1, "Down", "0 investigating:Checkout_API=major_outage", "30 resolved:Checkout_API=operational"),
		}, t0.Add(time.Hour), "none operational operational operational", 0},
		{"an announced maintenance window in progress", nil, time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC),
			"maintenance operational under_maintenance operational", 0},
		{"an incident outranks maintenance", []*incident.PageIncident{published(1, "Slow", "0 investigating:Card_payments=degraded_performance")},
			time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC), "minor operational degraded_performance operational", 1},
		{"not on this page", []*incident.PageIncident{{ID: 9, Pages: []string{"internal"}, Status: incident.StateInvestigating,
			Components: map[string]string{"Search": "major_outage"}}}, t0, "none operational operational operational", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Build(cfg, page, tt.incidents, tt.now)
			got := v.Indicator
			for _, c := range v.Components {
				got += " " + c.State
			}
			if got != tt.want || len(v.Active) != tt.active {
				t.Errorf("Build = %q with %d active, want %q with %d", got, len(v.Active), tt.want, tt.active)
			}
			if v.Description != descriptions[v.Indicator] {
				t.Errorf("description %q", v.Description)
			}
		})
	}
}

func TestBuildGroupsMaintenanceAndUpdates(t *testing.T) {
	cfg := loadConfig(t, viewConfig)
	v := Build(cfg, cfg.Page("public"), []*incident.PageIncident{
		published(1, "Checkout down", "0 investigating:Checkout_API=major_outage", "10 identified:", "20 monitoring:Checkout_API=degraded_performance"),
	}, t0.Add(time.Hour))
	var groups []string
	for _, g := range v.Groups {
		var names []string
		for _, c := range g.Components {
			names = append(names, c.Name)
		}
		groups = append(groups, fmt.Sprintf("%q=%s:%v", g.Name, g.State, names))
	}
	want := []string{`"Payments"=degraded_performance:[Checkout API Card payments]`, `""=operational:[Search]`}
	if !slices.Equal(groups, want) {
		t.Errorf("groups %v, want %v", groups, want)
	}
	// Only the announced window, scheduled: the quiet one is not shown.
	if len(v.Maintenance) != 1 || v.Maintenance[0].Name != "db-upgrade" || v.Maintenance[0].Status != "scheduled" ||
		v.Maintenance[0].Components[0].Name != "Card payments" {
		t.Errorf("maintenance %+v", v.Maintenance)
	}
	iv := v.Active[0]
	if iv.Impact != "critical" || len(iv.Newest) != 3 || iv.Newest[0].Status != incident.StateMonitoring {
		t.Fatalf("incident view %+v", iv)
	}
	// Newest first; each says which component changed from what to what.
	var changes []string
	for _, u := range iv.Newest {
		changes = append(changes, fmt.Sprint(u.N, u.Changed))
	}
	wantChanges := []string{
		"3 [{Checkout API checkout-api major_outage degraded_performance}]",
		"2 []",
		"1 [{Checkout API checkout-api operational major_outage}]",
	}
	if !slices.Equal(changes, wantChanges) {
		t.Errorf("changes %q, want %q", changes, wantChanges)
	}
	if len(v.Days) != HistoryDays || !v.Days[0].Day.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || len(v.Days[0].Incidents) != 1 {
		t.Errorf("days: %d, first %v with %d incidents", len(v.Days), v.Days[0].Day, len(v.Days[0].Incidents))
	}
}

func TestUptimeBars(t *testing.T) {
	cfg := loadConfig(t, viewConfig)
	// Yesterday: two hours of major outage, then an hour partial, then
	// resolved. Today: an hour degraded, still going.
	yesterday := t0.Add(-24 * time.Hour)
	down := published(1, "Down", "0 investigating:Checkout_API=major_outage", "120 monitoring:Checkout_API=partial_outage", "180 resolved:Checkout_API=operational")
	for i := range down.Updates {
		down.Updates[i].At = down.Updates[i].At.Add(-24 * time.Hour)
	}
	down.CreatedAt, down.ResolvedAt = yesterday, yesterday.Add(3*time.Hour)
	slow := published(2, "Slow", "0 investigating:Checkout_API=degraded_performance")
	now := t0.Add(time.Hour)
	v := Build(cfg, cfg.Page("public"), []*incident.PageIncident{down, slow}, now)
	c := v.Components[0]
	if len(c.Bars) != HistoryDays {
		t.Fatalf("%d bars", len(c.Bars))
	}
	today, before := c.Bars[HistoryDays-1], c.Bars[HistoryDays-2]
	wantDown := 2*time.Hour + time.Duration(0.3*float64(time.Hour))
	if before.Worst != policies.StateMajor || before.Down != wantDown || math.Abs(before.Uptime-(1-wantDown.Hours()/24)) > 1e-9 ||
		!slices.Equal(before.Incidents, []string{"Down"}) {
		t.Errorf("yesterday's bar %+v", before)
	}
	// Degraded performance colours the bar but counts as up.
	if today.Worst != policies.StateDegraded || today.Down != 0 || today.Uptime != 1 || today.Future {
		t.Errorf("today's bar %+v", today)
	}
	elapsed := now.Sub(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(HistoryDays - 1)))
	if want := 1 - wantDown.Hours()/elapsed.Hours(); math.Abs(c.Uptime-want) > 1e-9 {
		t.Errorf("uptime %.6f, want %.6f", c.Uptime, want)
	}
	if other := v.Components[2]; other.Uptime != 1 || other.Bars[HistoryDays-2].Worst != policies.StateOperational {
		t.Errorf("Search was never touched: %+v", other.Bars[HistoryDays-2])
	}
}
