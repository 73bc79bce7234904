package main

import (
	"strings"
	"testing"
	"time"
)

// The after-the-incident verbs against a real daemon: a post-mortem
// draft, action items added, refused with a clear error for bad input,
// listed as a table, JSON and CSV, and done; the post-mortem marked done.
func TestPostmortemAndActionVerbs(t *testing.T) {
	w := newCommandWorld(t, commandConfig)
	w.ok("declare", "checkout errors for EU users", "--service", "checkout", "--sev", "1", "--by", "alice")
	w.settle()
	w.ok("assign", "1", "manager", "carol", "--by", "alice")
	w.ok("note", "1", "--tag", "root-cause", "memory limit too low", "--by", "alice")
	w.clock.Advance(10 * time.Minute)
	w.ok("resolve", "1", "--by", "carol")
	w.settle()

	for _, tc := range []struct {
		args    []string
		code    int
		wantErr string
	}{
		{[]string{"action", "add", "1", "x", "--owner", "zed"}, 1, `no user "zed" is configured`},
		{[]string{"action", "add", "1", "x", "--owner", "bob", "--due", "15/01/2027"}, 2, `--due "15/01/2027" is not a date`},
		{[]string{"action", "add", "1", "x", "--owner", "bob", "--kind", "chore"}, 2, `unknown action item kind "chore"`},
		{[]string{"action", "add", "9", "x", "--owner", "bob"}, 1, "no such incident (HTTP 404)"},
		{[]string{"action", "add", "1", "x"}, 2, `required flag(s) "owner" not set`},
		{[]string{"action", "done", "7"}, 1, "no such action item (HTTP 404)"},
		{[]string{"actions", "--overdue", "--all"}, 2, "--overdue or --all, not both"},
	} {
		code, _, errOut := w.cli(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.wantErr) {
			t.Errorf("pagerd %q = %d %q, want %d %q", tc.args, code, errOut, tc.code, tc.wantErr)
		}
	}
	if out := w.ok("action", "add", "1", "pin package Y below 1.2.3", "--owner", "bob", "--due", "2027-01-15", "--kind", "tech-debt", "--by", "carol"); out != "action item #1 added to incident #1 for bob (tech-debt, due 2027-01-15)\n" {
		t.Errorf("action add said %q", out)
	}
	table := w.ok("actions")
	if !strings.Contains(table, "ID  INCIDENT  STATUS  KIND       OWNER  DUE         TITLE") || !strings.Contains(table, "1   #1        open    tech-debt  bob    2027-01-15  pin package Y below 1.2.3") {
		t.Errorf("actions =\n%s", table)
	}
	if out := w.ok("actions", "--overdue"); out != "no action items\n" {
		t.Errorf("actions --overdue = %q", out)
	}
	if csv := w.ok("action", "list", "1", "-o", "csv"); !strings.HasPrefix(csv, "id,incident,service,title,owner,kind,due,status,created_at,created_by,done_at,done_by\n1,1,checkout,pin package Y below 1.2.3,bob,tech-debt,2027-01-15,open,") {
		t.Errorf("CSV = %q", csv)
	}
	if js := w.ok("action", "list", "--kind", "tech-debt", "-o", "json"); !strings.Contains(js, `"owner": "bob"`) || !strings.Contains(js, `"status": "open"`) {
		t.Errorf("JSON = %s", js)
	}
	draft := w.ok("postmortem", "1")
	for _, want := range []string{"# Post-mortem: incident #1 — checkout errors for EU users", "| Post-mortem owner | carol (the incident manager); required |",
		"- 2026-12-01 10:00:00 UTC, alice: memory limit too low", "| 1 | pin package Y below 1.2.3 | bob | tech-debt | 2027-01-15 | open |"} {
		if !strings.Contains(draft, want) {
			t.Errorf("draft lacks %q:\n%s", want, draft)
		}
	}
	if out := w.ok("action", "done", "1", "--by", "bob"); out != "action item #1 is done: pin package Y below 1.2.3\n" {
		t.Errorf("action done said %q", out)
	}
	if out := w.ok("action", "done", "1"); out != "action item #1 was already done (by bob)\n" {
		t.Errorf("action done again said %q", out)
	}
	if out := w.ok("postmortem", "1", "--done", "--by", "carol"); out != "the post-mortem of incident #1 is done: nobody is reminded any more\n" {
		t.Errorf("postmortem --done said %q", out)
	}
	if out := w.ok("login", "alice"); !strings.HasPrefix(out, "sign-in link sent to alice by console; it works once, until ") {
		t.Errorf("login said %q", out)
	}
	if !strings.Contains(w.console.String(), "/console/signin/") {
		t.Error("the sign-in link was not printed on the daemon's console")
	}
}
