package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/internal/testenv"
)

// commandConfig is a small deployment for the incident command verbs:
// alice and bob are paged on the console, carol manages incidents.
const commandConfig = `
integration "cli" {
  type  = "api"
  token = file("api.token")
}
integration "am" {
  type  = "alertmanager"
  token = file("am.token")
}
user "alice" {}
user "bob" {}
user "carol" {}
schedule "incident-managers" {
  rotation "weekly" {
    users = ["carol"]
    every = "1w"
    start = "2026-11-02 09:00"
  }
}
escalation "payments" {
  step { notify = ["user:alice"] }
  step {
    after  = "10m"
    notify = ["user:bob"]
  }
}
incident_command {
  managers = "schedule:incident-managers"
}
service "checkout" {
  escalation = "payments"
  match      = ["service=checkout"]
  severity   = { page = "SEV1", critical = "SEV2" }
}
service "all" { escalation = "payments" }
`

// commandWorld is a real pagerd (real redis-server, console pages) on a
// driven clock, and the CLI pointed at it.
type commandWorld struct {
	t       *testing.T
	app     *app.App
	clock   *testenv.Clock
	console *testenv.Buffer
	dir     string
}

func newCommandWorld(t *testing.T, config string) *commandWorld {
	t.Helper()
	clearEnv(t)
	t.Setenv("USER", "tester")
	dir := writeConfig(t, config)
	must(t, os.WriteFile(filepath.Join(dir, "api.token"), []byte(fakeToken), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "am.token"), []byte("am-token"), 0o600))
	w := &commandWorld{t: t, clock: testenv.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)), console: &testenv.Buffer{}, dir: dir}
	w.app = startApp(t, dir, w.console, w.clock.Now)
	return w
}

// cli runs a verb against the daemon and returns its exit code and output.
func (w *commandWorld) cli(args ...string) (int, string, string) {
	w.t.Helper()
	return runCLI(w.t, append(args, "--server", "http://"+w.app.Addr(), "--config", w.dir)...)
}

// ok runs a verb that must succeed and returns its stdout.
func (w *commandWorld) ok(args ...string) string {
	w.t.Helper()
	code, out, errOut := w.cli(args...)
	if code != 0 {
		w.t.Fatalf("pagerd %q = %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	return out
}

// settle does everything due now on the driven clock.
func (w *commandWorld) settle() {
	w.t.Helper()
	if err := w.app.Engine.Drain(context.Background()); err != nil {
		w.t.Fatal(err)
	}
}

// show returns `pagerd show ID -o json`.
func (w *commandWorld) show(id int) map[string]any {
	w.t.Helper()
	var inc map[string]any
	if err := json.Unmarshal([]byte(w.ok("show", fmt.Sprint(id), "-o", "json")), &inc); err != nil {
		w.t.Fatal(err)
	}
	return inc
}

func TestDeclareAndSeverity(t *testing.T) {
	w := newCommandWorld(t, commandConfig)
	out := w.ok("declare", "checkout errors for EU users", "--service", "checkout", "--sev", "1", "--by", "alice",
		"--summary", "three customer tickets since 09:10")
	if out != "incident #1 declared on checkout (SEV1): paging its escalation now\n" {
		t.Errorf("declare said %q", out)
	}
	// The same escalation as an alert's: alice now, bob at +10m.
	w.settle()
	if pages := w.console.String(); !strings.Contains(pages, "=== pagerd page via console to alice") ||
		!strings.Contains(pages, "[pagerd] #1 SEV1 checkout errors for EU users (checkout): three customer tickets since 09:10.") ||
		strings.Contains(pages, "to bob") {
		t.Fatalf("after declaring, the console shows:\n%s", pages)
	}
	w.clock.Advance(10 * time.Minute)
	w.settle()
	if !strings.Contains(w.console.String(), "to bob") {
		t.Fatalf("step 2 did not page bob:\n%s", w.console.String())
	}
	inc := w.show(1)
	if inc["severity"] != "SEV1" || inc["declared_by"] != "alice" || inc["status"] != "triggered" {
		t.Errorf("declared incident = %v", inc)
	}
	if table := w.ok("show", "1"); !strings.Contains(table, "severity: SEV1 (set by alice)\ndeclared by: alice\n") {
		t.Errorf("show lacks the severity and who declared:\n%s", table)
	}

	// Changed by a person, by name or number.
	if out := w.ok("severity", "1", "sev2", "--by", "carol"); out != "incident #1 is now SEV2\n" {
		t.Errorf("severity said %q", out)
	}
	if out := w.ok("severity", "#1", "2"); out != "incident #1 is already SEV2\n" {
		t.Errorf("severity again said %q", out)
	}
	if table := w.ok("incidents"); !strings.Contains(table, "1   triggered  SEV2  checkout") {
		t.Errorf("incidents table lacks the severity:\n%s", table)
	}

	// Bad input: a clear error naming the problem, exit 1, nothing changed.
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"declare", "x", "--service", "nope"}, `no service "nope" is configured: use one of checkout, all (HTTP 422)`},
		{[]string{"declare", "x", "--service", "checkout", "--sev", "5"}, `unknown severity "5": use SEV1, SEV2, SEV3, SEV4, or its number (1 is the most severe) (HTTP 422)`},
		{[]string{"declare", strings.Repeat("long ", 50), "--service", "checkout"}, "a title is at most 200 characters"},
		{[]string{"severity", "1", "critical"}, `unknown severity "critical"`},
		{[]string{"severity", "99", "1"}, "no such incident (HTTP 404)"},
	}
	for _, b := range bad {
		code, _, errOut := w.cli(b.args...)
		if code != 1 || !strings.Contains(errOut, b.want) {
			t.Errorf("pagerd %q = %d, %q; want 1 and %q", b.args, code, errOut, b.want)
		}
	}
	if code, _, errOut := w.cli("declare", "x"); code != 2 || !strings.Contains(errOut, `required flag(s) "service" not set`) {
		t.Errorf("declare without --service = %d, %q; want a usage error", code, errOut)
	}
	var list struct{ Incidents []map[string]any }
	if err := json.Unmarshal([]byte(w.ok("incidents", "-o", "json")), &list); err != nil || len(list.Incidents) != 1 {
		t.Fatalf("after bad input, incidents = %v (%v), want only #1", list.Incidents, err)
	}
	if list.Incidents[0]["severity"] != "SEV2" {
		t.Errorf("bad input changed incident #1: %v", list.Incidents[0])
	}

	// Alerts take their severity from the service's rules.
	alert := `{"version":"4","status":"firing","receiver":"pagerd","groupLabels":{},"commonLabels":{},"commonAnnotations":{},
"externalURL":"http://am","alerts":[{"status":"firing","labels":{"alertname":"CheckoutDown","service":"checkout","severity":"page"},
"annotations":{},"startsAt":"2026-12-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"f1"}]}`
	postJSON(t, "http://"+w.app.Addr()+"/v1/webhooks/alertmanager", "am-token", alert)
	if inc := w.show(2); inc["severity"] != "SEV1" || inc["declared_by"] != "" {
		t.Errorf("an alert with severity=page opened %v, want SEV1", inc)
	}
}

// postJSON posts body with token and fails unless it is taken.
func postJSON(t *testing.T, url, token, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s = %d %s", url, resp.StatusCode, b)
	}
}

func TestRolesAndTheManagerRotation(t *testing.T) {
	w := newCommandWorld(t, commandConfig)
	w.ok("declare", "checkout errors for EU users", "--service", "checkout", "--sev", "SEV1", "--by", "alice")
	w.ok("declare", "slow search", "--service", "all", "--sev", "3", "--by", "alice")
	w.settle()
	if table := w.ok("show", "1"); !strings.Contains(table, "roles:   no manager yet: the manager rotation is paged at") {
		t.Errorf("show does not say #1 needs a manager:\n%s", table)
	}

	// Nobody took command of the SEV1 for 5 minutes: carol, on call in
	// the manager rotation, is paged — once, however often the engine
	// wakes. The SEV3 needs no manager.
	w.clock.Advance(4*time.Minute + 59*time.Second)
	w.settle()
	if strings.Contains(w.console.String(), "MANAGER NEEDED") {
		t.Fatalf("the manager rotation was paged early:\n%s", w.console.String())
	}
	w.clock.Advance(time.Second)
	w.settle()
	w.app.Engine.Wake()
	w.settle()
	pages := w.console.String()
	if n := strings.Count(pages, "=== pagerd update via console to carol"); n != 1 ||
		!strings.Contains(pages, "[pagerd] #1 MANAGER NEEDED: checkout errors for EU users (checkout) — SEV1 without an incident manager for 5m: reply 'ic 1' to take command.") {
		t.Fatalf("carol paged %d times for a manager:\n%s", n, pages)
	}
	if strings.Contains(pages, "#2 MANAGER NEEDED") {
		t.Errorf("the SEV3 paged the manager rotation:\n%s", pages)
	}
	inc := w.show(1)
	if !hasEvent(inc, "manager_needed", "told carol via console: manager rotation schedule:incident-managers: SEV1 without an incident manager for 5m") {
		t.Errorf("timeline lacks the manager page: %v", inc["timeline"])
	}

	// Roles by the CLI: each change is a fact, the view shows them.
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"assign", "1", "manager", "carol", "--by", "carol"}, "carol is now incident manager of incident #1\n"},
		{[]string{"assign", "1", "ic", "carol"}, "carol is already incident manager of incident #1\n"},
		{[]string{"assign", "1", "comms", "bob", "--by", "carol"}, "bob is now communications lead of incident #1\n"},
		{[]string{"assign", "1", "scribe", "--by", "alice"}, "alice is now scribe of incident #1\n"},
		{[]string{"assign", "1", "scribe", "--clear"}, "incident #1 has no scribe now\n"},
	}
	for _, st := range steps {
		if out := w.ok(st.args...); out != st.want {
			t.Errorf("pagerd %q said %q, want %q", st.args, out, st.want)
		}
	}
	inc = w.show(1)
	if roles := fmt.Sprint(inc["roles"]); roles != "map[comms:bob manager:carol scribe:]" {
		t.Errorf("roles = %s", roles)
	}
	for _, want := range []string{"manager: carol", "comms: bob", "scribe: alice", "scribe: nobody (was alice)"} {
		if !hasEvent(inc, "role_assigned", want) {
			t.Errorf("timeline lacks role_assigned %q: %v", want, inc["timeline"])
		}
	}
	if table := w.ok("show", "1"); !strings.Contains(table, "roles:   manager carol, comms bob\n") {
		t.Errorf("show lacks the roles:\n%s", table)
	}

	bad := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"assign", "1", "manager", "mallory"}, 1, `no user "mallory" is configured: a role goes to one of the config's users (HTTP 422)`},
		{[]string{"assign", "1", "boss", "carol"}, 1, `unknown role "boss": use manager, comms or scribe (HTTP 422)`},
		{[]string{"assign", "99", "manager", "carol"}, 1, "no such incident (HTTP 404)"},
		{[]string{"assign", "1", "manager", "carol", "--clear"}, 2, "give a user or --clear, not both"},
	}
	for _, b := range bad {
		code, _, errOut := w.cli(b.args...)
		if code != b.code || !strings.Contains(errOut, b.want) {
			t.Errorf("pagerd %q = %d, %q; want %d and %q", b.args, code, errOut, b.code, b.want)
		}
	}
	if roles := fmt.Sprint(w.show(1)["roles"]); roles != "map[comms:bob manager:carol scribe:]" {
		t.Errorf("bad input changed the roles: %s", roles)
	}

	// A resolved incident takes no roles.
	w.ok("resolve", "2")
	if code, _, errOut := w.cli("assign", "2", "manager", "carol"); code != 1 || !strings.Contains(errOut, "incident #2 is resolved: it takes no more updates or roles (HTTP 409)") {
		t.Errorf("assign on a resolved incident = %d, %q", code, errOut)
	}
}

// hasEvent reports whether a `show -o json` incident has a fact of kind
// whose detail contains detail.
func hasEvent(inc map[string]any, kind, detail string) bool {
	facts, _ := inc["timeline"].([]any)
	for _, f := range facts {
		m, _ := f.(map[string]any)
		if d, _ := m["detail"].(string); m["event"] == kind && strings.Contains(d, detail) {
			return true
		}
	}
	return false
}

func TestNotesAndALongTimeline(t *testing.T) {
	w := newCommandWorld(t, commandConfig)
	w.ok("declare", "checkout errors for EU users", "--service", "checkout", "--sev", "2", "--by", "alice")
	if out := w.ok("note", "1", "9:24 found memory-limit errors on checkout-7f9", "--by", "bob"); out != "incident #1 note added\n" {
		t.Errorf("note said %q", out)
	}
	w.ok("note", "1", "--tag", "root-cause", "memory limit 512Mi too low for the new cache", "--by", "bob")
	w.ok("note", "1", "--tag", "resolution", "raised the limit to 1Gi", "--by", "alice")
	// The API's own resource for notes takes the mark too.
	postJSON(t, "http://"+w.app.Addr()+"/v1/incidents/1/notes?by=carol", fakeToken, `{"text": "customers confirm checkout works", "tag": ""}`)

	bad := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"note", "1", strings.Repeat("x", 4097)}, 1, "a note is at most 4 KiB (HTTP 413)"},
		{[]string{"note", "1", "--tag", "blame", "x"}, 2, `unknown note tag "blame": use root-cause or resolution`},
		{[]string{"note", "99", "x"}, 1, "no such incident (HTTP 404)"},
		{[]string{"note", "1", " "}, 2, "the note is empty"},
	}
	for _, b := range bad {
		code, _, errOut := w.cli(b.args...)
		if code != b.code || !strings.Contains(errOut, b.want) {
			t.Errorf("pagerd %q = %d, %q; want %d and %q", b.args, code, errOut, b.code, b.want)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+w.app.Addr()+"/v1/incidents/1/notes", strings.NewReader(`{"text": "x", "tag": "blame"}`))
	req.Header.Set("Authorization", "Bearer "+fakeToken)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a note with an unknown tag = %v, %v; want 422", resp, err)
	}

	table := w.ok("show", "1")
	for _, want := range []string{
		"note                by bob via api  9:24 found memory-limit errors on checkout-7f9\n",
		"note                by bob via api  [root_cause] memory limit 512Mi too low for the new cache\n",
		"note                by alice via api  [resolution] raised the limit to 1Gi\n",
		"note                by carol via api  customers confirm checkout works\n",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("show lacks %q:\n%s", want, table)
		}
	}
	if n := strings.Count(table, "  note  "); n > 4 {
		t.Errorf("bad notes were added: %d notes", n)
	}

	// A timeline longer than a page: show says where it stopped, timeline
	// prints every fact, nothing dropped.
	var before struct{ Facts []map[string]any }
	if err := json.Unmarshal([]byte(w.ok("timeline", "1", "-o", "json")), &before); err != nil {
		t.Fatal(err)
	}
	base := len(before.Facts) // triggered, the page, the four notes
	for i := range 1100 {
		if _, err := w.app.Store.Act(context.Background(), incidentNote(1, fmt.Sprintf("reading %d", i)), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	table = w.ok("show", "1")
	if !strings.Contains(table, "more lines: pagerd timeline 1 prints every fact") {
		t.Errorf("show of a long timeline does not say how to see the rest:\n%s", table[len(table)-300:])
	}
	var all struct{ Facts []map[string]any }
	if err := json.Unmarshal([]byte(w.ok("timeline", "1", "-o", "json")), &all); err != nil {
		t.Fatal(err)
	}
	if n := len(all.Facts); n != base+1100 || all.Facts[n-1]["detail"] != "reading 1099" || all.Facts[0]["event"] != "triggered" {
		t.Errorf("timeline has %d facts, want %d ending with reading 1099", n, base+1100)
	}
	if lines := strings.Count(w.ok("timeline", "1"), "\n"); lines != base+1100 {
		t.Errorf("timeline printed %d lines, want %d", lines, base+1100)
	}
	after := all.Facts[base+1100-3]["id"].(string)
	if out := w.ok("timeline", "1", "--after", after); strings.Count(out, "\n") != 2 || !strings.Contains(out, "reading 1098") {
		t.Errorf("timeline --after %s = %q, want the last two", after, out)
	}
}

// incidentNote is a note by dave through the test itself.
func incidentNote(id int64, text string) incident.Request {
	return incident.Request{Incident: id, Action: incident.Note, By: "dave", Via: "test", Text: text}
}

func TestStakeholdersShowsTheMatrix(t *testing.T) {
	clearEnv(t)
	code, out, errOut := runCLI(t, "stakeholders", "checkout", "--config", exampleConfig)
	if code != 0 {
		t.Fatalf("stakeholders = %d: %s", code, errOut)
	}
	for _, want := range []string{
		`service checkout: stakeholders "payments", for incidents of SEV1 or SEV2 (shown: SEV1)`,
		"declared      manage closely  carol                         email        message, internal wording\n",
		"state change  keep informed   eng-payments@example.com      email        email digest, internal wording\n",
		"update        keep satisfied  status page (keep satisfied)  status page  the status page, public wording, 1 subscriber\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stakeholders lacks %q:\n%s", want, out)
		}
	}
	var doc stakeholdersJSON
	code, out, _ = runCLI(t, "stakeholders", "checkout", "--config", exampleConfig, "--sev", "4", "-o", "json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("stakeholders -o json = %d %v:\n%s", code, err, out)
	}
	if doc.Engaged || doc.Severity != "SEV4" || len(doc.Deliveries) != 0 || fmt.Sprint(doc.Quadrants["keep_informed"].Emails) != "[eng-payments@example.com]" {
		t.Errorf("stakeholders --sev 4 = %+v", doc)
	}
	if _, out, _ := runCLI(t, "stakeholders", "catch-all", "--config", exampleConfig); !strings.Contains(out, "no stakeholders block covers it") {
		t.Errorf("stakeholders catch-all = %q", out)
	}
	if code, _, errOut := runCLI(t, "stakeholders", "nope", "--config", exampleConfig); code != 1 || !strings.Contains(errOut, `no service "nope"`) {
		t.Errorf("stakeholders nope = %d %q", code, errOut)
	}
}

func TestStatusUpdatesAndTheirCadence(t *testing.T) {
	w := newCommandWorld(t, commandConfig)
	w.ok("declare", "checkout errors for EU users", "--service", "checkout", "--sev", "1", "--by", "alice")
	w.ok("assign", "1", "manager", "carol")
	w.settle()
	out := w.ok("update", "1", "--status", "investigating", "EU checkout failing; gateway timeouts", "--by", "carol")
	if !strings.HasPrefix(out, "incident #1: update #1 posted (investigating); next update at ") {
		t.Errorf("update said %q", out)
	}
	out = w.ok("update", "1", "--status", "identified", "bad deploy abc123", "--public", "We found the cause.", "--by", "carol")
	if !strings.HasPrefix(out, "incident #1: update #2 posted (identified)") {
		t.Errorf("update 2 said %q", out)
	}
	table := w.ok("show", "1")
	for _, want := range []string{
		"update:  identified (#2, ", "next update: ",
		"status updates:\n", "investigating  by carol  EU checkout failing; gateway timeouts\n",
		"identified     by carol  bad deploy abc123\n      public: We found the cause.\n",
		"status_update       by carol via api  [identified] bad deploy abc123\n",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("show lacks %q:\n%s", want, table)
		}
	}
	inc := w.show(1)
	if ups, _ := inc["status_updates"].([]any); len(ups) != 2 || inc["update_state"] != "identified" || inc["next_update_at"] != "2026-12-01T10:30:00Z" {
		t.Errorf("show -o json: %d updates, state %v, next %v", len(ups), inc["update_state"], inc["next_update_at"])
	}

	// Due at 10:30 (SEV1: every 30m from the last update): the manager is
	// reminded then, once; at 10:40 the manager rotation (no comms lead).
	w.clock.Set(time.Date(2026, 12, 1, 10, 29, 59, 0, time.UTC))
	w.settle()
	if strings.Contains(w.console.String(), "UPDATE DUE") {
		t.Fatal("reminded before the update was due")
	}
	w.clock.Set(time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC))
	w.app.Engine.Wake()
	w.settle()
	w.settle()
	if n := strings.Count(w.console.String(), "#1 UPDATE DUE"); n != 1 {
		t.Errorf("%d reminders, want 1:\n%s", n, w.console.String())
	}
	w.clock.Set(time.Date(2026, 12, 1, 10, 40, 0, 0, time.UTC))
	w.app.Engine.Wake()
	w.settle()
	if !strings.Contains(w.console.String(), "#1 UPDATE OVERDUE: checkout errors for EU users (checkout) — the status update due at 10:30 UTC (SEV1: every 30m) is 10m late; the manager is carol, and it has no communications lead") {
		t.Errorf("overdue notice to the rotation missing:\n%s", w.console.String())
	}

	bad := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"update", "1", "--status", "fixed", "x"}, 2, `unknown update status "fixed": use investigating, identified, monitoring or resolved`},
		{[]string{"update", "1", "x"}, 2, `required flag(s) "status" not set`},
		{[]string{"update", "1", "--status", "monitoring", strings.Repeat("y", 4097)}, 1, "an update's text is at most 4 KiB (HTTP 413)"},
		{[]string{"update", "9", "--status", "monitoring", "x"}, 1, "no such incident (HTTP 404)"},
	}
	for _, b := range bad {
		code, _, errOut := w.cli(b.args...)
		if code != b.code || !strings.Contains(errOut, b.want) {
			t.Errorf("pagerd %q = %d, %q; want %d and %q", b.args, code, errOut, b.code, b.want)
		}
	}
	if out := w.ok("update", "1", "--status", "resolved", "rolled back"); out != "incident #1: update #3 posted (resolved); the incident is resolved\n" {
		t.Errorf("resolving update said %q", out)
	}
	if code, _, errOut := w.cli("update", "1", "--status", "monitoring", "late"); code != 1 || !strings.Contains(errOut, "incident #1 is resolved: it takes no more updates or roles (HTTP 409)") {
		t.Errorf("update on a resolved incident = %d %q", code, errOut)
	}
	if inc := w.show(1); inc["status"] != "resolved" || inc["next_update_at"] != nil {
		t.Errorf("after resolving: %v, next update %v", inc["status"], inc["next_update_at"])
	}
}
