package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/slackfake"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/internal/twiliofake"
)

const carolPhone = "+15550000003"

// commandBlocks add incident command to configTemplate: carol is the
// manager rotation.
const commandBlocks = `
user "carol" {
  phone = "` + carolPhone + `"
}
incident_command {
  managers = "user:carol"
}
`

// smsReply sends body from a phone to pagerd's Twilio webhook, signed,
// and returns the reply TwiML.
func (w *world) smsReply(from, body string) string {
	w.t.Helper()
	smsURL := fmt.Sprintf("http://127.0.0.1:%d/v1/twilio/sms", w.port)
	req, _ := twiliofake.NewSignedRequest(twilioAuth, smsURL, twiliofake.InboundSMS(twilioSID, from, "+15559999999", body))
	r := do(w.t, req)
	if r.code != http.StatusOK {
		w.t.Fatalf("SMS %q from %s = %d %s", body, from, r.code, r.body)
	}
	return r.body
}

// A severe incident nobody takes command of pages the manager rotation
// by SMS; its member replies 'ic 1' and is the manager. Notes come by
// SMS too. Someone neither paged nor in the rotation is refused.
func TestTakeCommandAndNotesBySMS(t *testing.T) {
	w := newWorld(t, "0s")
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + commandBlocks)
	base := "http://" + w.start("r1", w.port).Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.twilio.WaitMessages(t, 1, 10*time.Second) // alice paged
	w.settle()
	if inc := incident(t, base, 1); inc["severity"] != "SEV2" || inc["manager_needed_at"] != "2026-11-24T01:17:20Z" {
		t.Fatalf("a critical alert opened %v %v, want SEV2 needing a manager by 01:17:20", inc["severity"], inc["manager_needed_at"])
	}
	w.clock.Advance(5 * time.Minute)
	w.apps[0].Engine.Wake()
	w.settle()
	got := smsTo(w.twilio, carolPhone)
	if len(got) != 1 || !strings.Contains(got[0].Body, "#1 MANAGER NEEDED") || !strings.Contains(got[0].Body, "reply 'ic 1' to take command") {
		t.Fatalf("carol's texts = %+v, want one asking her to take command", got)
	}

	if r := w.smsReply(bobPhone, "ic 1"); !strings.Contains(r, "Refused. Only people paged or notified about incident #1") {
		t.Errorf("bob's 'ic 1' = %s, want it refused: he is neither paged nor in the rotation", r)
	}
	if r := w.smsReply(carolPhone, "IC 1"); !strings.Contains(r, "Incident #1: carol is now its incident manager.") {
		t.Errorf("carol's 'ic 1' = %s", r)
	}
	if r := w.smsReply(carolPhone, "ic 1"); !strings.Contains(r, "You are already the incident manager of incident #1.") {
		t.Errorf("carol's second 'ic 1' = %s", r)
	}
	if r := w.smsReply(alicePhone, "note 1 memory-limit errors on checkout-7f9 since 01:10"); !strings.Contains(r, "Note added to incident #1.") {
		t.Errorf("alice's note = %s", r)
	}
	if r := w.smsReply(alicePhone, "note 1"); !strings.Contains(r, "Empty note.") {
		t.Errorf("an empty note = %s", r)
	}
	if r := w.smsReply(alicePhone, "note 9 x"); !strings.Contains(r, "Incident #9 not found.") {
		t.Errorf("a note on no incident = %s", r)
	}
	inc := incident(t, base, 1)
	if roles := fmt.Sprint(inc["roles"]); roles != "map[manager:carol]" || inc["manager_needed_at"] != nil {
		t.Errorf("roles = %s, manager_needed_at = %v", roles, inc["manager_needed_at"])
	}
	if !hasFact(inc, "role_assigned", "carol", "sms") || !hasFactDetail(inc, "note", "alice", "sms", "memory-limit errors on checkout-7f9") {
		t.Errorf("timeline lacks carol taking command or alice's note: %v", inc["timeline"])
	}
	// Taking command changes nothing about paging: carol is told nothing
	// more, and she is not sent acknowledgement notices.
	w.settle()
	if n := len(smsTo(w.twilio, carolPhone)); n != 1 {
		t.Errorf("carol got %d texts, want 1", n)
	}
}

const (
	danaPhone  = "+15550000004"
	statusRoom = "C0STATUS001"
)

// workflowConfig is the Slack world with incident command: carol manages
// incidents, dana (engineering management) is managed closely, the
// #checkout-status room, a mailing list and a webhook that is down are
// kept informed, customers are kept satisfied through the status page.
func workflowConfig(w *world, fake *slackfake.Fake, brokenURL string) string {
	cfg := strings.Replace(slackConfig(w, fake), `  room "#payments-oncall" { channel = "`+slackRoom+`" }`,
		`  room "#payments-oncall" { channel = "`+slackRoom+`" }
  room "#checkout-status" { channel = "`+statusRoom+`" }`, 1)
	return cfg + `
user "carol" { phone = "` + carolPhone + `" }
user "dana" {
  phone = "` + danaPhone + `"
  email = "dana@example.com"
}
webhook "broken" {
  url    = "` + brokenURL + `"
  secret = env("TEST_SLACK_SECRET")
}
incident_command {
  managers = "user:carol"
  cadence  = { SEV1 = "30m" }
}
stakeholders "checkout" {
  services = ["checkout"]
  manage_closely {
    people = ["user:dana"]
  }
  keep_informed {
    rooms  = ["slack:#checkout-status", "webhook:broken"]
    emails = ["eng@example.com"]
  }
  keep_satisfied {
    emails = ["customers@example.com"]
  }
  monitor {}
}
`
}

// apiPost posts a JSON body to the API with the CLI's token.
func apiPost(t *testing.T, url, body string) response {
	t.Helper()
	return post(t, url, apiToken, "application/json", []byte(body))
}

// mailsTo are the emails sent to addr so far.
func mailsTo(t *testing.T, w *world, addr string) []testenv.SMTPMessage {
	t.Helper()
	all, err := w.smtp.Messages()
	if err != nil {
		t.Fatal(err)
	}
	var out []testenv.SMTPMessage
	for _, m := range all {
		if slices.Contains(m.EnvelopeTo, addr) {
			out = append(out, m)
		}
	}
	return out
}

// stakeholderFacts are the details of the incident's facts of kind, in order.
func factDetails(inc map[string]any, kind string) []string {
	var out []string
	facts, _ := inc["timeline"].([]any)
	for _, f := range facts {
		m, _ := f.(map[string]any)
		if m["event"] == kind {
			out = append(out, fmt.Sprint(m["detail"]))
		}
	}
	return out
}

// The incident manager's workflow, end to end through HTTP with real
// Redis, real SMTP and the Slack fake: declare → page → acknowledge → no
// manager: the rotation is paged, takes command by SMS → notes by SMS and
// from Slack → status updates reach each quadrant as configured, and
// nobody else → a late update reminds the manager, then tells the
// communications lead (driven clock) → resolved by the last update.
func TestIncidentCommandWorkflow(t *testing.T) {
	w, fake := newSlackWorld(t)
	closed := testenv.FreePort(t) // nothing listens: the webhook fails
	w.writeConfig(workflowConfig(w, fake, fmt.Sprintf("http://127.0.0.1:%d/hook", closed)))
	base := "http://" + w.start("r1", w.port).Addr()

	// Declared by hand (customer reports): paged through checkout's
	// escalation like an alert's incident — alice by SMS, the room.
	r := apiPost(t, base+"/v1/incidents?by=alice", `{"title": "checkout errors for EU users", "service": "checkout", "severity": "1"}`)
	if r.code != http.StatusCreated || !strings.Contains(r.body, `"incident": 1`) {
		t.Fatalf("declare = %d %s", r.code, r.body)
	}
	eventually(t, "alice paged", func() bool { return len(smsTo(w.twilio, alicePhone)) == 1 })
	eventually(t, "the room paged", func() bool { return len(fake.In(slackRoom)) == 1 })
	// Management hears of the SEV1 at once, directly; nobody else yet.
	eventually(t, "dana told of the declaration", func() bool { return len(smsTo(w.twilio, danaPhone)) == 1 })
	if got := smsTo(w.twilio, danaPhone)[0].Body; !strings.Contains(got, "#1 TRIGGERED by alice: checkout errors for EU users (checkout)") {
		t.Errorf("dana's text = %q", got)
	}
	eventually(t, "the declaration summed up", func() bool {
		return len(factDetails(incident(t, base, 1), "stakeholders_notified")) == 1
	})
	if n := len(fake.In(statusRoom)) + len(mailsTo(t, w, "eng@example.com")); n != 0 {
		t.Errorf("keep informed heard of the declaration (%d messages); they hear of changes of state", n)
	}

	if got := w.smsReply(alicePhone, "ack 1"); !strings.Contains(got, "Incident #1 acknowledged by alice.") {
		t.Fatalf("alice's ack = %s", got)
	}
	// Five minutes without a manager: the rotation (carol) is paged; she
	// takes command by SMS.
	w.clock.Advance(5 * time.Minute)
	w.apps[0].Engine.Wake()
	w.settle()
	if got := smsTo(w.twilio, carolPhone); len(got) != 1 || !strings.Contains(got[0].Body, "MANAGER NEEDED") {
		t.Fatalf("carol's texts = %+v", got)
	}
	if got := w.smsReply(carolPhone, "ic 1"); !strings.Contains(got, "carol is now its incident manager") {
		t.Fatalf("carol's 'ic 1' = %s", got)
	}
	if r := apiPost(t, base+"/v1/incidents/1/roles?by=carol", `{"role": "comms", "user": "bob"}`); r.code != http.StatusOK {
		t.Fatalf("comms lead = %d %s", r.code, r.body)
	}

	// Facts from SMS and from Slack, on one timeline.
	if got := w.smsReply(alicePhone, "note 1 9:24 memory-limit errors on checkout-7f9"); !strings.Contains(got, "Note added") {
		t.Errorf("alice's SMS note = %s", got)
	}
	if a := fake.Command(t, base+"/v1/slack/command", aliceSlack, "note 1 reverted commit abc; redeploying", slackfake.Signing{}); a.Code != http.StatusOK || !strings.Contains(a.Body, "Note added to incident #1.") {
		t.Errorf("Slack note = %d %s", a.Code, a.Body)
	}

	// Update 1, investigating: a state change. dana by SMS, the room, the
	// list's digest; the status page gets the public wording; the broken
	// webhook fails without holding anything back.
	r = apiPost(t, base+"/v1/incidents/1/updates?by=carol", `{"status": "investigating", "text": "EU checkout failing since 09:10; gateway timeouts"}`)
	if r.code != http.StatusOK || !strings.Contains(r.body, `"updates": 1`) {
		t.Fatalf("update 1 = %d %s", r.code, r.body)
	}
	// Slack's rate limits moved the clock a little: read the times back.
	var posted struct {
		Now struct {
			LastUpdateAt time.Time `json:"last_update_at"`
			NextUpdateAt time.Time `json:"next_update_at"`
		}
	}
	if err := json.Unmarshal([]byte(r.body), &posted); err != nil {
		t.Fatal(err)
	}
	due := posted.Now.NextUpdateAt
	if due.Sub(posted.Now.LastUpdateAt) != 30*time.Minute {
		t.Fatalf("update 1 at %v: next due %v, want 30m later (SEV1's cadence)", posted.Now.LastUpdateAt, due)
	}
	eventually(t, "update 1 told", func() bool {
		return len(factDetails(incident(t, base, 1), "stakeholders_notified")) == 2
	})
	inc := incident(t, base, 1)
	told := factDetails(inc, "stakeholders_notified")[1]
	for _, want := range []string{"dana via sms (manage closely)", "slack:#checkout-status via slack (keep informed)",
		"eng@example.com via email digest (keep informed)"} {
		if !strings.Contains(told, want) {
			t.Errorf("update 1 was not told to %q: %s", want, told)
		}
	}
	if failed := factDetails(inc, "stakeholder_failed"); len(failed) != 1 || !strings.Contains(failed[0], "could not tell webhook:broken") {
		t.Errorf("the broken webhook's failure = %q", failed)
	}
	if page := factDetails(inc, "status_page"); len(page) != 1 || !strings.Contains(page[0],
		"for the status page (keep satisfied, monitor; 1 subscriber): investigating — EU checkout failing since 09:10; gateway timeouts; no status page is configured yet") {
		t.Errorf("status page hand-off = %q", page)
	}
	if got := smsTo(w.twilio, danaPhone); len(got) != 2 || !strings.Contains(got[1].Body, "STATUS UPDATE by carol") || !strings.Contains(got[1].Body, "investigating: EU checkout failing") {
		t.Errorf("dana's texts = %+v", got)
	}
	if got := fake.In(statusRoom); len(got) != 1 || !strings.Contains(got[0].Text, "#1 SEV1 checkout errors for EU users") {
		t.Errorf("#checkout-status = %+v", got)
	}
	mail := mailsTo(t, w, "eng@example.com")
	if len(mail) != 1 || !strings.Contains(mail[0].Subject, "STATUS UPDATE") ||
		!strings.Contains(mail[0].Text, "Status updates:\n  2026-11-24 01:17 UTC investigating: EU checkout failing since 09:10; gateway timeouts (carol)") {
		t.Errorf("eng@ digest = %+v", mail)
	}

	// The cadence: SEV1 every 30m. When it is due carol is reminded; ten
	// minutes late, bob (comms) is told. Never twice.
	w.clock.Set(due.Add(-time.Second))
	w.apps[0].Engine.Wake()
	w.settle()
	if got := smsTo(w.twilio, carolPhone); len(got) != 1 {
		t.Fatalf("carol reminded early: %+v", got)
	}
	w.clock.Set(due)
	w.apps[0].Engine.Wake()
	w.settle()
	if got := smsTo(w.twilio, carolPhone); len(got) != 2 || !strings.Contains(got[1].Body, "#1 UPDATE DUE") ||
		!strings.Contains(got[1].Body, "pagerd update 1 --status STATE TEXT") {
		t.Fatalf("carol's reminder = %+v", got)
	}
	if view := incident(t, base, 1); view["update_overdue"] != true || view["next_update_at"] != due.UTC().Format(time.RFC3339) {
		t.Errorf("views say next update %v, overdue %v", view["next_update_at"], view["update_overdue"])
	}
	// bob's first rule is a Slack direct message: he is told there.
	bobDM := slackfake.DM(bobSlack)
	bobBefore := len(fake.In(bobDM))
	w.clock.Set(due.Add(10*time.Minute - time.Second))
	w.apps[0].Engine.Wake()
	w.settle()
	if got := fake.In(bobDM); len(got) != bobBefore {
		t.Fatalf("bob told before the update was overdue: %+v", got)
	}
	w.clock.Set(due.Add(10 * time.Minute))
	w.apps[0].Engine.Wake()
	w.settle()
	// The message shows the incident; the notice is its reply.
	got := fake.In(bobDM)
	if len(got) != bobBefore+1 {
		t.Fatalf("bob's direct messages = %+v", got)
	}
	if replies := fake.Thread(bobDM, got[len(got)-1].TS); len(replies) != 1 || !strings.Contains(replies[0].Text, "Update overdue") ||
		!strings.Contains(replies[0].Text, "as communications lead, post it or get it posted") {
		t.Fatalf("the overdue notice to bob = %+v", replies)
	}
	if n := len(smsTo(w.twilio, carolPhone)); n != 2 {
		t.Errorf("carol got %d texts, want 2", n)
	}

	// Update 2, identified, with public wording: same state change rules.
	r = apiPost(t, base+"/v1/incidents/1/updates?by=carol", `{"status": "identified", "text": "bad deploy abc123 doubled the cache; memory limit 512Mi", "public_text": "We found the cause and are fixing it."}`)
	if r.code != http.StatusOK {
		t.Fatalf("update 2 = %d %s", r.code, r.body)
	}
	eventually(t, "update 2 told", func() bool { return len(factDetails(incident(t, base, 1), "stakeholders_notified")) == 3 })
	if page := factDetails(incident(t, base, 1), "status_page"); len(page) != 2 || !strings.Contains(page[1], "identified — We found the cause and are fixing it.") {
		t.Errorf("the status page got %q, want the public wording", page)
	}
	if mail := mailsTo(t, w, "eng@example.com"); len(mail) != 2 || !strings.Contains(mail[1].Text, "investigating: EU checkout") ||
		!strings.Contains(mail[1].Text, "identified: bad deploy abc123") {
		t.Errorf("second digest = %+v", mail)
	}

	// Update 3, identified again: an update, not a change of state —
	// dana hears, the room and the list do not.
	apiPost(t, base+"/v1/incidents/1/updates?by=carol", `{"status": "identified", "text": "rollback 60% done"}`)
	eventually(t, "update 3 told", func() bool { return len(factDetails(incident(t, base, 1), "stakeholders_notified")) == 4 })
	if n, m := len(fake.In(statusRoom)), len(mailsTo(t, w, "eng@example.com")); m != 2 {
		t.Errorf("keep informed heard of an update without a change of state: %d room messages, %d mails", n, m)
	}

	// Resolved by the last update: every quadrant that hears of a
	// resolution hears once — not again from the resolution itself.
	r = apiPost(t, base+"/v1/incidents/1/updates?by=carol", `{"status": "resolved", "text": "rolled back; error rate normal since 10:02", "public_text": "The issue is resolved."}`)
	if r.code != http.StatusOK || !strings.Contains(r.body, `"status": "resolved"`) {
		t.Fatalf("update 4 = %d %s", r.code, r.body)
	}
	eventually(t, "update 4 told", func() bool { return len(factDetails(incident(t, base, 1), "stakeholders_notified")) == 5 })
	w.settle()
	if r := apiPost(t, base+"/v1/incidents/1/updates", `{"status": "monitoring", "text": "late"}`); r.code != http.StatusConflict {
		t.Errorf("an update on a resolved incident = %d %s, want 409", r.code, r.body)
	}
	inc = incident(t, base, 1)
	if inc["status"] != "resolved" || inc["resolved_by"] != "carol" {
		t.Errorf("after the resolved update the incident is %v by %v", inc["status"], inc["resolved_by"])
	}
	if got := smsTo(w.twilio, danaPhone); len(got) != 5 {
		t.Errorf("dana got %d texts, want 5 (declared, four updates)", len(got))
	}
	if mail := mailsTo(t, w, "eng@example.com"); len(mail) != 3 {
		t.Errorf("eng@ got %d digests, want 3 (three states)", len(mail))
	}
	// Nobody else: customers hear through the status page, never from
	// pagerd directly; dana by her rules (SMS), not by email.
	for _, addr := range []string{"customers@example.com", "dana@example.com"} {
		if got := mailsTo(t, w, addr); len(got) != 0 {
			t.Errorf("%s got %d emails, want none", addr, len(got))
		}
	}
	if page := factDetails(inc, "status_page"); len(page) != 4 || !strings.Contains(page[3], "resolved — The issue is resolved.") {
		t.Errorf("status page hand-offs = %q", page)
	}
	if n := len(factDetails(inc, "stakeholder_failed")); n != 3 {
		t.Errorf("%d stakeholder failures, want one per change of state told to the broken webhook", n)
	}
	// The API shows the matrix the console and the CLI show.
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/services/checkout/stakeholders?severity=1", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if r := do(t, req); r.code != http.StatusOK || !strings.Contains(r.body, `"who": "eng@example.com"`) || !strings.Contains(r.body, `"engaged": true`) {
		t.Errorf("GET stakeholders = %d %s", r.code, r.body)
	}
	req, _ = http.NewRequest(http.MethodGet, base+"/v1/services/checkout/stakeholders?severity=SEV9", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if r := do(t, req); r.code != http.StatusUnprocessableEntity {
		t.Errorf("GET stakeholders of SEV9 = %d %s, want 422", r.code, r.body)
	}
	for _, kind := range []string{"role_assigned", "status_update", "manager_needed", "update_due", "update_overdue", "note"} {
		if len(factDetails(inc, kind)) == 0 {
			t.Errorf("timeline lacks %s: %v", kind, inc["timeline"])
		}
	}
}

// Bad input to the incident command API is refused with a 4xx naming the
// problem, and changes nothing.
func TestCommandAPIRefusesBadInput(t *testing.T) {
	w := newWorld(t, "0s")
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + commandBlocks)
	base := "http://" + w.start("r1", w.port).Addr()
	if r := apiPost(t, base+"/v1/incidents?by=alice", `{"title": "checkout down for EU", "service": "checkout", "severity": "2"}`); r.code != http.StatusCreated {
		t.Fatalf("declare = %d %s", r.code, r.body)
	}
	w.settle()
	before := incident(t, base, 1)
	tests := []struct {
		path, body string
		code       int
		want       string
	}{
		{"/v1/incidents", `{"title": "x", "service": "nope"}`, 422, `no service \"nope\" is configured`},
		{"/v1/incidents", `{"title": "", "service": "checkout"}`, 422, "a declared incident needs a title"},
		{"/v1/incidents", `{"title": "x", "service": "checkout", "sev": "1"}`, 400, `unknown field \"sev\"`},
		{"/v1/incidents", `{"title": "x"`, 400, "the body is {"},
		{"/v1/incidents/1/severity", `{"severity": "SEV7"}`, 422, `unknown severity \"SEV7\"`},
		{"/v1/incidents/1/roles", `{"role": "manager"}`, 400, "say who"},
		{"/v1/incidents/1/roles", `{"role": "boss", "user": "bob"}`, 422, `unknown role \"boss\"`},
		{"/v1/incidents/1/roles", `{"role": "scribe", "user": "mallory"}`, 422, `no user \"mallory\" is configured`},
		{"/v1/incidents/1/updates", `{"status": "fixed", "text": "x"}`, 422, `unknown update status \"fixed\"`},
		{"/v1/incidents/1/updates", `{"status": "identified", "text": "  "}`, 422, "an update needs a text"},
		{"/v1/incidents/1/updates", `{"status": "identified", "text": "` + strings.Repeat("x", 4097) + `"}`, 413, "at most 4 KiB"},
		{"/v1/incidents/1/notes", `{"text": "` + strings.Repeat("x", 4097) + `"}`, 413, "a note is at most 4 KiB"},
		{"/v1/incidents/1/notes", `{"text": "x", "tag": "blame"}`, 422, `unknown note tag \"blame\"`},
		{"/v1/incidents/9/updates", `{"status": "identified", "text": "x"}`, 404, "no such incident"},
		{"/v1/incidents/x/roles", `{"role": "manager", "user": "bob"}`, 400, "incident id must be a positive number"},
	}
	for _, tt := range tests {
		r := apiPost(t, base+tt.path, tt.body)
		if r.code != tt.code || !strings.Contains(r.body, tt.want) {
			t.Errorf("POST %s %.60s = %d %s, want %d with %q", tt.path, tt.body, r.code, r.body, tt.code, tt.want)
		}
	}
	after := incident(t, base, 1)
	for _, k := range []string{"severity", "roles", "updates", "update_state"} {
		if fmt.Sprint(before[k]) != fmt.Sprint(after[k]) {
			t.Errorf("bad input changed %s: %v → %v", k, before[k], after[k])
		}
	}
	if b, a := len(before["timeline"].([]any)), len(after["timeline"].([]any)); a != b {
		t.Errorf("bad input added %d facts", a-b)
	}
	var list struct{ Incidents []any }
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/incidents", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if err := json.Unmarshal([]byte(do(t, req).body), &list); err != nil || len(list.Incidents) != 1 {
		t.Errorf("bad declarations opened incidents: %d (%v)", len(list.Incidents), err)
	}
}
