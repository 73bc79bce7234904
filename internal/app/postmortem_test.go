package app_test

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// postmortemBlocks add to configTemplate: carol, told by email, manages
// incidents; every event goes to the audit webhook; drafts are written
// into a directory (%s).
const postmortemBlocks = `
user "carol" {
  email = "carol@example.com"
  notify {
    after = "0m"
    via   = "email"
  }
}
postmortem {
  directory = "%s"
}
webhook "audit" {
  url    = "%s/hook"
  secret = file("hook.key")
}
`

// api sends one API request with the API token and returns the answer.
func api(t *testing.T, method, url, body string) response {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, req)
}

// The seed's workflow after paging, through HTTP on real Redis and SMTP:
// a declared SEV1 is acknowledged, carol takes command and resolves it;
// she is named the post-mortem's owner, reminded by email a day later,
// and no more once it is done; the draft matches the golden file,
// is written into the directory and kept up to date; action items are
// refused for bad input, listed, exported, reminded weekly once overdue
// (by SMS to bob) until done, and their events reach the webhook.
func TestPostmortemAndActionItems(t *testing.T) {
	w := newWorld(t, "0s")
	audit := newReceiver(t, 0)
	must(t, os.WriteFile(filepath.Join(w.dir, "hook.key"), []byte(hookSecret), 0o600))
	drafts := t.TempDir()
	cfg := fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + fmt.Sprintf(postmortemBlocks, drafts, audit.srv.URL)
	cfg = strings.Replace(cfg, `  group_by   = ["alertname"]`, `  group_by   = ["alertname"]
  subscribers = ["webhook:audit"]`, 1)
	// alice is paged by SMS alone: two channels at once would make the
	// order of her notices, and so the draft's timeline, a race.
	cfg = strings.Replace(cfg, `  notify {
    after = "0m"
    via   = "email"
  }
}
user "bob"`, `}
user "bob"`, 1)
	w.writeConfig(cfg)
	base := "http://" + w.start("r1", w.port).Addr()

	if r := api(t, "POST", base+"/v1/incidents", `{"title": "checkout errors for EU users", "service": "checkout", "severity": "SEV1", "by": "alice"}`); r.code != 201 {
		t.Fatalf("declare = %d %s", r.code, r.body)
	}
	w.twilio.WaitMessages(t, 1, 10*time.Second) // alice paged
	w.clock.Advance(2 * time.Minute)
	for _, step := range []struct{ path, body string }{
		{"/v1/incidents/1/ack?by=alice", ""},
		{"/v1/incidents/1/roles?by=alice", `{"role": "manager", "user": "carol"}`},
		{"/v1/incidents/1/note?by=alice", `{"text": "9:24 memory-limit errors on checkout-7f9"}`},
	} {
		w.clock.Advance(time.Minute)
		if r := api(t, "POST", base+step.path, step.body); r.code != 200 {
			t.Fatalf("POST %s = %d %s", step.path, r.code, r.body)
		}
	}
	w.settle()
	if r := api(t, "POST", base+"/v1/incidents/1/postmortem/done?by=carol", ""); r.code != 422 || !strings.Contains(r.body, "its post-mortem comes once it is resolved") {
		t.Errorf("post-mortem done while open = %d %s, want 422", r.code, r.body)
	}
	w.clock.Advance(40 * time.Minute)
	if r := api(t, "POST", base+"/v1/incidents/1/resolve?by=carol", ""); r.code != 200 {
		t.Fatalf("resolve = %d %s", r.code, r.body)
	}
	w.settle()

	// carol, the manager, owns it: the timeline says so at once, and she
	// is not mailed on top of the resolution's notices.
	if inc := incident(t, base, 1); !hasFactDetail(inc, "postmortem_owner", "", "", "carol owns the post-mortem (the incident manager); required for SEV1") &&
		!strings.Contains(fmt.Sprint(inc["timeline"]), "detail:carol owns the post-mortem (the incident manager); required for SEV1 event:postmortem_owner") {
		t.Errorf("no postmortem_owner fact naming carol: %v", inc["timeline"])
	}
	if n := len(mailsTo(t, w, "carol@example.com")); n != 0 {
		t.Errorf("carol got %d mails at the resolution, want none yet", n)
	}

	// Action items: bad input is refused with a 4xx naming it, nothing stored.
	for _, bad := range []struct {
		path, body string
		code       int
		want       string
	}{
		{"/v1/incidents/1/actions", `{"title": "x", "owner": "zed"}`, 422, `no user \"zed\" is configured`},
		{"/v1/incidents/1/actions", `{"title": "x", "owner": "bob", "due": "2026-13-01"}`, 422, `is not a date: write it like 2027-01-15`},
		{"/v1/incidents/1/actions", `{"title": "x", "owner": "bob", "due": "2026-11-01"}`, 422, `is in the past`},
		{"/v1/incidents/1/actions", `{"title": "x", "owner": "bob", "kind": "chore"}`, 422, `unknown action item kind \"chore\"`},
		{"/v1/incidents/1/actions", `{"title": " ", "owner": "bob"}`, 422, `needs a title`},
		{"/v1/incidents/7/actions", `{"title": "x", "owner": "bob"}`, 404, `no such incident`},
		{"/v1/incidents/1/actions", `{"title": "x", "owner": "bob", "colour": "red"}`, 400, `unknown field`},
		{"/v1/actions/9/done", ``, 404, `no such action item`},
	} {
		if r := api(t, "POST", base+bad.path, bad.body); r.code != bad.code || !strings.Contains(r.body, bad.want) {
			t.Errorf("POST %s %s = %d %s, want %d %q", bad.path, bad.body, r.code, r.body, bad.code, bad.want)
		}
	}
	w.clock.Advance(5 * time.Minute)
	if r := api(t, "POST", base+"/v1/incidents/1/actions?by=carol", `{"title": "pin package Y below 1.2.3", "owner": "bob", "due": "2026-11-30", "kind": "tech-debt"}`); r.code != 201 ||
		!strings.Contains(r.body, `"id": 1`) || !strings.Contains(r.body, `"status": "open"`) {
		t.Fatalf("add action = %d %s", r.code, r.body)
	}
	if r := api(t, "POST", base+"/v1/incidents/1/actions?by=carol", `{"title": "runbook for reverts", "owner": "carol", "kind": "process"}`); r.code != 201 {
		t.Fatalf("add action = %d %s", r.code, r.body)
	}

	// The draft, as the API serves it, is the golden file.
	r := api(t, "GET", base+"/v1/incidents/1/postmortem.md", "")
	if r.code != 200 {
		t.Fatalf("postmortem.md = %d %s", r.code, r.body)
	}
	goldenFile(t, "postmortem-e2e.md", mailIDRE.ReplaceAllString(sidRE.ReplaceAllString(r.body, "SM…"), "pagerd.…@example.com"))

	// The directory holds it under a stable name, brought up to date
	// with the action items.
	path := filepath.Join(drafts, "2026-11-24-incident-1.md")
	eventually(t, "the draft with its action items in "+path, func() bool {
		b, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(b), "| 2 | runbook for reverts | carol | process |")
	})
	if inc := incident(t, base, 1); !strings.Contains(fmt.Sprint(inc["timeline"]), "detail:draft written to "+path+" event:postmortem_written") {
		t.Errorf("no postmortem_written fact: %v", inc["timeline"])
	}

	// A day after resolution, carol is reminded by email; once done,
	// never again.
	w.clock.Advance(24 * time.Hour)
	w.settle()
	msgs := waitMails(t, w, "carol@example.com", 1)
	if !strings.Contains(msgs[0].Subject, "#1 POSTMORTEM DUE") ||
		!strings.Contains(msgs[0].Text, "you own the post-mortem of this SEV1 incident (the incident manager) and it is not done yet (reminder 1)") {
		t.Errorf("reminder = %q: %s", msgs[0].Subject, msgs[0].Text)
	}
	if r := api(t, "POST", base+"/v1/incidents/1/postmortem/done?by=carol", ""); r.code != 200 || !strings.Contains(r.body, `"outcome": "done"`) {
		t.Fatalf("post-mortem done = %d %s", r.code, r.body)
	}
	w.clock.Set(time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC))
	w.settle()
	if n := len(smsTo(w.twilio, bobPhone)); n != 0 {
		t.Errorf("bob got %d texts before his item was overdue", n)
	}
	w.clock.Set(time.Date(2026, 12, 1, 0, 0, 30, 0, time.UTC))
	w.apps[0].Engine.Wake()
	w.settle()

	// bob's item became overdue at midnight after 2026-11-30: one text,
	// then one a week, until it is done.
	overdueTexts := func() int {
		n := 0
		for _, m := range smsTo(w.twilio, bobPhone) {
			if strings.Contains(m.Body, "ACTION OVERDUE") {
				n++
			}
		}
		return n
	}
	if n := overdueTexts(); n != 1 {
		t.Fatalf("bob got %d overdue texts, want 1: %v", n, smsTo(w.twilio, bobPhone))
	}
	if got := smsTo(w.twilio, bobPhone); !strings.Contains(got[len(got)-1].Body, "action #1 (tech-debt, incident #1) for bob, due 2026-11-30: pin package Y below 1.2.3 is overdue") {
		t.Errorf("bob's text = %q", got[len(got)-1].Body)
	}
	r = api(t, "GET", base+"/v1/actions?status=overdue", "")
	if r.code != 200 || !strings.Contains(r.body, `"title": "pin package Y below 1.2.3"`) || strings.Contains(r.body, "runbook") {
		t.Errorf("overdue items = %d %s", r.code, r.body)
	}
	req, _ := http.NewRequest("GET", base+"/v1/incidents/1/actions?status=all", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Accept", "text/csv")
	if r := do(t, req); r.code != 200 || !strings.HasPrefix(r.body, "id,incident,service,title,owner,kind,due,status,") ||
		!strings.Contains(r.body, "\n1,1,checkout,pin package Y below 1.2.3,bob,tech-debt,2026-11-30,overdue,") {
		t.Errorf("CSV = %d %s", r.code, r.body)
	}
	w.clock.Advance(3 * 24 * time.Hour)
	w.settle()
	if n := overdueTexts(); n != 1 {
		t.Errorf("bob got %d overdue texts within the week, want 1", n)
	}
	w.clock.Advance(4 * 24 * time.Hour)
	w.settle()
	if n := overdueTexts(); n != 2 {
		t.Errorf("bob got %d overdue texts after a week, want 2", n)
	}
	if r := api(t, "POST", base+"/v1/actions/1/done?by=bob", ""); r.code != 200 || !strings.Contains(r.body, `"status": "done"`) {
		t.Fatalf("action done = %d %s", r.code, r.body)
	}
	w.clock.Advance(14 * 24 * time.Hour)
	w.settle()
	if n := overdueTexts(); n != 2 {
		t.Errorf("bob got %d overdue texts after the item was done, want 2", n)
	}
	if n := len(mailsTo(t, w, "carol@example.com")); n != 1 {
		t.Errorf("carol got %d mails after the post-mortem was done, want 1", n)
	}

	// The webhook heard every step after the incident, in order.
	want := []string{"incident.action_added", "incident.action_added", "incident.postmortem_done", "incident.action_done"}
	eventually(t, "the after-incident events at the webhook", func() bool {
		var got []string
		for _, ty := range strings.Fields(audit.types()) {
			if strings.Contains(ty, "postmortem") || strings.Contains(ty, "action") {
				got = append(got, ty)
			}
		}
		return strings.Join(got, " ") == strings.Join(want, " ")
	})
}

// waitMails waits until the SMTP server holds at least n messages to
// addr, and returns them all.
func waitMails(t *testing.T, w *world, addr string, n int) []testenv.SMTPMessage {
	t.Helper()
	var out []testenv.SMTPMessage
	eventually(t, fmt.Sprintf("%d mails to %s", n, addr), func() bool {
		out = mailsTo(t, w, addr)
		return len(out) >= n
	})
	return out
}

// sidRE matches Twilio message SIDs, which differ on every run.
var sidRE = regexp.MustCompile(`SM[0-9a-f]{32}`)

// mailIDRE matches the Message-IDs of pages by email.
var mailIDRE = regexp.MustCompile(`pagerd\.[0-9a-f]{32}@example\.com`)

// goldenFile compares got with testdata/name; -update rewrites it.
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		must(t, os.MkdirAll("testdata", 0o755))
		must(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update to accept):\n%s", path, got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
