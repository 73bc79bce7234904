package postmortem

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 12, 1, 9, 12, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// sampleDraft is a SEV1 incident worked the way the seed's workflow goes:
// paged, acknowledged, a manager, notes marked for the post-mortem,
// status updates with public wording, stakeholders told, resolved, and
// action items — with text that would break a Markdown table.
func sampleDraft() Draft {
	inc := &incident.Incident{
		ID: 42, Service: "checkout", Escalation: "payments", Title: "CheckoutErrors region=eu",
		Summary: "5xx above 5% for EU users", Status: incident.Resolved,
		CreatedAt: t0, AckedAt: at(3*time.Minute + 12*time.Second), AckedBy: "alice",
		ResolvedAt: at(72 * time.Minute), ResolvedBy: "carol", AlertsTotal: 3,
		Severity: "SEV1", Roles: map[incident.Role]string{incident.RoleManager: "carol", incident.RoleScribe: "bob"},
	}
	timeline := []incident.Fact{
		{At: t0, Kind: incident.KindTriggered, Detail: "CheckoutErrors region=eu"},
		{At: at(5 * time.Second), Kind: incident.KindNotified, Detail: "paged alice via sms (SM1)"},
		{At: at(3*time.Minute + 12*time.Second), Kind: incident.KindAcknowledged, Actor: "alice", Via: "sms"},
		{At: at(5 * time.Minute), Kind: incident.KindRoleAssigned, Actor: "carol", Via: "sms", Detail: "manager: carol", Tag: "manager"},
		{At: at(6 * time.Minute), Kind: incident.KindRoleAssigned, Actor: "carol", Via: "console", Detail: "scribe: bob", Tag: "scribe"},
		{At: at(8 * time.Minute), Kind: incident.KindStatusUpdate, Actor: "carol", Via: "api", Detail: "Checkout fails for some EU users; looking.", Tag: "investigating"},
		{At: at(8 * time.Minute), Kind: incident.KindStakeholders, Detail: "told dave (manage closely, email), #checkout (keep informed)"},
		{At: at(12 * time.Minute), Kind: incident.KindNote, Actor: "alice", Via: "cli", Detail: "memory-limit errors on checkout-7f9 | OOMKilled", Tag: "root_cause"},
		{At: at(20 * time.Minute), Kind: incident.KindStatusUpdate, Actor: "carol", Via: "api", Detail: "Payment pods run out of memory since the 09:00 deploy.", Tag: "identified"},
		{At: at(30 * time.Minute), Kind: incident.KindNote, Actor: "bob", Via: "slack", Detail: "reverted commit abc123; redeploying", Tag: "resolution"},
		{At: at(45 * time.Minute), Kind: incident.KindStatusUpdate, Actor: "carol", Via: "api", Detail: "Error rate back to normal; watching.", Tag: "monitoring"},
		{At: at(50 * time.Minute), Kind: incident.KindNote, Actor: "alice", Via: "cli", Detail: "dashboards green"},
		{At: at(72 * time.Minute), Kind: incident.KindStatusUpdate, Actor: "carol", Via: "api", Detail: "Resolved: the deploy was reverted.", Tag: "resolved"},
		{At: at(72 * time.Minute), Kind: incident.KindResolved, Actor: "carol", Via: "api", Detail: "status update #4"},
		{At: at(72 * time.Minute), Kind: incident.KindPostmortemOwner, Detail: "carol owns the post-mortem (the incident manager); required for SEV1", Tag: "required"},
		{At: at(80 * time.Minute), Kind: incident.KindActionAdded, Actor: "carol", Via: "cli", Tag: "tech-debt",
			Detail: "action #7 for bob, due 2027-01-15: pin package Y below 1.2.3"},
		{At: t0.Add(25 * time.Hour), Kind: incident.KindPostmortemDue, Detail: "told carol via email: post-mortem: reminder 1"},
	}
	updates := []incident.StatusUpdate{
		{N: 1, At: at(8 * time.Minute), By: "carol", State: incident.StateInvestigating, Text: "Checkout fails for some EU users; looking.",
			PublicText: "Some payments in Europe fail. We are investigating."},
		{N: 2, At: at(20 * time.Minute), By: "carol", State: incident.StateIdentified, Text: "Payment pods run out of memory since the 09:00 deploy."},
		{N: 3, At: at(45 * time.Minute), By: "carol", State: incident.StateMonitoring, Text: "Error rate back to normal; watching.",
			PublicText: "A fix is in place; we are monitoring."},
		{N: 4, At: at(72 * time.Minute), By: "carol", State: incident.StateResolved, Text: "Resolved: the deploy was reverted."},
	}
	return Draft{
		Incident: inc, Timeline: timeline, Updates: updates,
		Actions: []incident.ActionItem{
			{ID: 7, Incident: 42, Service: "checkout", Title: "pin package Y below 1.2.3", Owner: "bob", Kind: incident.ActionTechDebt, Due: "2027-01-15"},
			{ID: 8, Incident: 42, Service: "checkout", Title: "alert on memory | not on 5xx", Owner: "alice", Kind: incident.ActionDetection, Due: "2026-12-03"},
			{ID: 9, Incident: 42, Service: "checkout", Title: "runbook for reverts", Owner: "carol", Kind: incident.ActionProcess,
				DoneAt: at(30 * time.Hour), DoneBy: "carol"},
		},
		Paged:      []incident.Reached{{User: "alice", Channel: "sms"}, {Destination: "audit", Channel: "webhook"}},
		Postmortem: incident.Postmortem{Incident: 42, Owner: "carol", OwnerWhy: "the incident manager", Required: true, NamedAt: at(72 * time.Minute)},
		Services:   []string{"checkout", "payments"},
		Now:        t0.Add(3 * 24 * time.Hour),
	}
}

// The draft of a worked incident says everything pagerd knows, in the six
// sections, exactly as the golden file has it.
func TestRenderGolden(t *testing.T) {
	golden(t, "draft.md", Render(sampleDraft()))
}

// A draft of an incident nobody worked on carries a prompt in every
// section, and says nothing it does not know.
func TestRenderGoldenBlank(t *testing.T) {
	golden(t, "draft-blank.md", Render(Draft{
		Incident: &incident.Incident{ID: 3, Service: "batch", Title: "NightlyBackupMissed", Status: incident.Resolved,
			CreatedAt: t0, ResolvedAt: at(90 * time.Second), AlertsTotal: 1},
		Timeline: []incident.Fact{{At: t0, Kind: incident.KindTriggered, Detail: "NightlyBackupMissed"},
			{At: at(90 * time.Second), Kind: incident.KindResolved, Detail: "its alerts ended"}},
		Services: []string{"batch"},
		Now:      at(time.Hour),
	}))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("draft differs from %s (go test -update to accept):\n--- got:\n%s", path, got)
	}
	for _, section := range []string{"## Summary", "## Impact", "## Root Cause", "## Resolution", "## Timeline", "## Action Items"} {
		if !strings.Contains(got, "\n"+section+"\n") {
			t.Errorf("draft lacks section %q", section)
		}
	}
}

func TestOwner(t *testing.T) {
	cfg := &policies.Config{
		Users: map[string]*policies.User{"alice": {Name: "alice"}, "bob": {Name: "bob"}, "carol": {Name: "carol"}},
		Escalations: map[string]*policies.Escalation{"payments": {Name: "payments", Steps: []policies.EscalationStep{
			{Targets: []policies.Target{{Kind: "webhook", Name: "audit"}, {Kind: policies.TargetUser, Name: "bob"}}}}}},
	}
	tests := []struct {
		name    string
		inc     incident.Incident
		want    string
		wantWhy string
	}{
		{"the manager first", incident.Incident{Roles: map[incident.Role]string{incident.RoleManager: "carol"}, ResolvedBy: "alice"},
			"carol", "the incident manager"},
		{"who resolved it", incident.Incident{ResolvedBy: "alice", AckedBy: "bob"}, "alice", "who resolved it"},
		{"not an integration", incident.Incident{ResolvedBy: "ops-cli", AckedBy: "bob"}, "bob", "who acknowledged it"},
		{"who declared it", incident.Incident{ResolvedBy: "alerts", DeclaredBy: "carol"}, "carol", "who declared it"},
		{"who is on call", incident.Incident{Service: "checkout", Escalation: "payments", ResolvedBy: "alerts"}, "bob",
			"on call for checkout (user:bob)"},
		{"nobody", incident.Incident{Escalation: "gone"}, "", "nobody could be named: no manager, no person resolved or acknowledged it, and its escalation reaches nobody"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := Owner(cfg, &tc.inc)
			if got != tc.want || why != tc.wantWhy {
				t.Errorf("Owner = %q (%q), want %q (%q)", got, why, tc.want, tc.wantWhy)
			}
		})
	}
}

func TestParseDue(t *testing.T) {
	now := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		in, want    string
		wantOverdue time.Time
		wantErr     string
	}{
		{"", "", time.Time{}, ""},
		{"2027-01-15", "2027-01-15", time.Date(2027, 1, 16, 0, 0, 0, 0, time.UTC), ""},
		{" 2026-12-01 ", "2026-12-01", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), ""}, // today is fine
		{"2026-11-30", "", time.Time{}, "due date 2026-11-30 is in the past: today is 2026-12-01 (UTC)"},
		{"2027-13-01", "", time.Time{}, `due date "2027-13-01" is not a date: write it like 2027-01-15`},
		{"15/01/2027", "", time.Time{}, `due date "15/01/2027" is not a date: write it like 2027-01-15`},
		{"tomorrow", "", time.Time{}, `due date "tomorrow" is not a date: write it like 2027-01-15`},
	}
	for _, tc := range tests {
		got, overdue, err := ParseDue(tc.in, now)
		if (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
			t.Errorf("ParseDue(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			continue
		}
		if got != tc.want || !overdue.Equal(tc.wantOverdue) {
			t.Errorf("ParseDue(%q) = %q, %v; want %q, %v", tc.in, got, overdue, tc.want, tc.wantOverdue)
		}
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 40 * time.Second: "40s", 3*time.Minute + 12*time.Second: "3m 12s", 72 * time.Minute: "1h 12m",
		26*time.Hour + 5*time.Second: "1d 2h", 90*time.Minute + 499*time.Millisecond: "1h 30m",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %q, want %q", d, got, want)
		}
	}
}

// The CSV export has a header and one row per item, in the JSON's
// columns, and a title that a spreadsheet would run as a formula is
// defused.
func TestExportCSV(t *testing.T) {
	now := time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC)
	items := []incident.ActionItem{
		{ID: 7, Incident: 42, Service: "checkout", Title: "pin package Y below 1.2.3, for now", Owner: "bob", Kind: incident.ActionTechDebt,
			Due: "2027-01-15", CreatedAt: t0, CreatedBy: "carol"},
		{ID: 8, Incident: 42, Service: "checkout", Title: "=HYPERLINK(\"x\")", Owner: "alice", Kind: incident.ActionFix,
			CreatedAt: t0, CreatedBy: "carol", DoneAt: at(time.Hour), DoneBy: "alice"},
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, items, now); err != nil {
		t.Fatal(err)
	}
	want := "id,incident,service,title,owner,kind,due,status,created_at,created_by,done_at,done_by\n" +
		"7,42,checkout,\"pin package Y below 1.2.3, for now\",bob,tech-debt,2027-01-15,overdue,2026-12-01T09:12:00Z,carol,,\n" +
		"8,42,checkout,\"'=HYPERLINK(\"\"x\"\")\",alice,fix,,done,2026-12-01T09:12:00Z,carol,2026-12-01T10:12:00Z,alice\n"
	if b.String() != want {
		t.Errorf("CSV =\n%s\nwant\n%s", b.String(), want)
	}
}
