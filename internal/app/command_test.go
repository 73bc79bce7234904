package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

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
