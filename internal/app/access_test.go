package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/twiliofake"
)

// A configured user may act on an incident by SMS only as the service's
// responders rule allows — by default, when they were paged or notified
// about it, or are on a team its escalation policy names. A refusal is
// answered by SMS, saying who may, and recorded on the timeline; the
// incident stays as it was.
func TestSMSActionsOnlyByResponders(t *testing.T) {
	w := newWorld(t, "0s")
	base := "http://" + w.start("r1", w.port).Addr()
	smsURL := fmt.Sprintf("http://127.0.0.1:%d/v1/twilio/sms", w.port)
	reply := func(from, body string) string {
		t.Helper()
		req, _ := twiliofake.NewSignedRequest(twilioAuth, smsURL, twiliofake.InboundSMS(twilioSID, from, "+15559999999", body))
		r := do(t, req)
		if r.code != http.StatusOK {
			t.Fatalf("SMS %q from %s = %d %s", body, from, r.code, r.body)
		}
		return r.body
	}
	reload := func(edit func(string) string) {
		t.Helper()
		w.writeConfig(edit(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port)))
		if err := w.apps[0].Reload(); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(by, body, want string, id int) {
		t.Helper()
		if got := reply(by, body); !strings.Contains(got, "<Message>Refused. "+want+"</Message>") {
			t.Errorf("SMS %q = %s, want it refused: %s", body, got, want)
		}
		if st := incident(t, base, id)["status"]; st != "triggered" {
			t.Errorf("incident %d after a refused %q is %v, want triggered", id, body, st)
		}
	}

	// Step 1 pages alice; bob's step is 10 minutes away, and the policy
	// names no team.
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.twilio.WaitMessages(t, 1, 10*time.Second)
	w.settle()
	team := "Only people paged or notified about incident #1, or on a team its escalation policy names, may "
	refused(bobPhone, "ack 1", team+"acknowledge it.", 1)
	refused(bobPhone, "resolve 1", team+"resolve it.", 1)
	refused(bobPhone, "esc 1", team+"escalate it.", 1)
	inc := incident(t, base, 1)
	for _, action := range []string{"ack", "resolve", "escalate"} {
		if !hasFactDetail(inc, "action_refused", "bob", "sms", action+" refused: not paged or notified about it") {
			t.Errorf("timeline lacks bob's refused %s by SMS: %v", action, inc["timeline"])
		}
	}
	if got := reply(alicePhone, "ack 1"); !strings.Contains(got, "Incident #1 acknowledged by alice.") {
		t.Errorf("alice's ack = %s, want it acknowledged", got)
	}

	// A team the policy names owns the incident: its members may act.
	withTeam := func(hcl string) string {
		return strings.Replace(hcl, `notify = ["user:bob"]`, `notify = ["team:payments"]`, 1)
	}
	reload(withTeam)
	if got := reply(bobPhone, "resolve 1"); !strings.Contains(got, "Incident #1 resolved by bob.") {
		t.Errorf("bob's resolve once his team is on the policy = %s, want it resolved", got)
	}

	// responders = "paged" narrows that to who was paged; "anyone"
	// widens it to every configured user.
	responders := func(rule string) func(string) string {
		return func(hcl string) string {
			return strings.Replace(withTeam(hcl), `group_by   = ["alertname"]`, `group_by   = ["alertname"]`+"\n  responders = \""+rule+"\"", 1)
		}
	}
	reload(responders("paged"))
	second := strings.ReplaceAll(string(fixture(t, "alertmanager-0.25-webhook-firing.json")), "CheckoutDown", "CheckoutSlow")
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", []byte(second))
	w.twilio.WaitMessages(t, 3, 10*time.Second) // alice's page, the resolved notice, this page
	w.settle()
	refused(bobPhone, "ack 2", "Only people paged or notified about incident #2 may acknowledge it.", 2)
	reload(responders("anyone"))
	if got := reply(bobPhone, "ack 2"); !strings.Contains(got, "Incident #2 acknowledged by bob.") {
		t.Errorf("bob's ack under responders = \"anyone\" = %s, want it acknowledged", got)
	}
	// The API's token acts for anyone, whatever the rule.
	reload(responders("paged"))
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/incidents/2/resolve?by=carol", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if r := do(t, req); r.code != http.StatusOK || !strings.Contains(r.body, `"resolved"`) {
		t.Errorf("API resolve by carol = %d %s, want resolved", r.code, r.body)
	}
}

// hasFactDetail is hasFact whose detail starts with prefix.
func hasFactDetail(inc map[string]any, kind, actor, via, prefix string) bool {
	facts, _ := inc["timeline"].([]any)
	for _, f := range facts {
		m, _ := f.(map[string]any)
		d, _ := m["detail"].(string)
		if m["event"] == kind && m["actor"] == actor && m["via"] == via && strings.HasPrefix(d, prefix) {
			return true
		}
	}
	return false
}
