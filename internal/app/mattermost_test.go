package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	pagerdincident "github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/mattermostfake"
	"github.com/pagerd/pagerd/links"
)

// mmRoom is the channel id of the Mattermost room "payments".
var mmRoom = mattermostfake.ID("chanpayments", 1)

// mattermostConfig is the e2e config with a Mattermost bot on the fake
// (or, webhookOnly, its incoming webhook alone): the room "payments" is
// paged by step 1 with alice; bob, paged by step 2, is reached by
// Mattermost direct message.
func mattermostConfig(w *world, fake *mattermostfake.Fake, webhookOnly bool) string {
	cfg := fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port)
	cfg = strings.Replace(cfg, `  step { notify = ["user:alice"] }`, `  step { notify = ["user:alice", "mattermost:payments"] }`, 1)
	cfg = strings.Replace(cfg, `user "alice" {`, `user "alice" {
  mattermost_username = "alice"`, 1)
	cfg = strings.Replace(cfg, `user "bob" {
  phone = "`+bobPhone+`"
  notify {
    after = "0m"
    via   = "sms"
  }`, `user "bob" {
  phone               = "`+bobPhone+`"
  mattermost_username = "bob"
  notify {
    after = "0m"
    via   = "mattermost"
  }`, 1)
	block := `
mattermost {
  url       = "` + fake.URL() + `"
  bot_token = env("TEST_MATTERMOST_TOKEN")
  room "payments" { channel_id = "` + mmRoom + `" }
}
`
	if webhookOnly {
		block = `
mattermost {
  webhook_url = env("TEST_MATTERMOST_HOOK")
  room "payments" { channel = "payments-oncall" }
}
`
	}
	return cfg + block
}

// newMattermostWorld is a world whose replicas talk to a Mattermost fake
// on the test's clock, with alice and bob as its users.
func newMattermostWorld(t *testing.T, webhookOnly bool) (w *world, fake *mattermostfake.Fake, alice, bob string) {
	w = newWorld(t, "0s")
	fake = mattermostfake.Start(t, w.clock.Now)
	alice = fake.AddUser("alice", "alice@example.com")
	bob = fake.AddUser("bob", "bob@example.com")
	t.Setenv("TEST_MATTERMOST_TOKEN", mattermostfake.Token)
	t.Setenv("TEST_MATTERMOST_HOOK", fake.WebhookURL())
	w.sleep = func(ctx context.Context, d time.Duration) error { w.clock.Advance(d); return ctx.Err() }
	w.writeConfig(mattermostConfig(w, fake, webhookOnly))
	return w, fake, alice, bob
}

// Alertmanager alert → a post in the room with buttons → a press carrying
// the button's signed token → the incident is acknowledged by the mapped
// user, nobody is paged any more, the post is patched in place and the
// fact replied in its thread → Resolve → patched again. Presses with a
// missing, forged or altered token, or from another channel, change
// nothing; a replayed press (to the other replica) is refused. Two
// replicas run: each post and reply is made once.
func TestMattermostRoomAckAndResolveFromThePost(t *testing.T) {
	w, fake, alice, bob := newMattermostWorld(t, false)
	a := w.start("r1", w.port)
	other := w.start("r2", 0)
	base := "http://" + a.Addr()
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "the room paged", func() bool { return len(fake.In(mmRoom)) == 1 })
	p := fake.In(mmRoom)[0]
	if p.Buttons() != "ack resolve escalate" || !strings.Contains(p.Attachments(), `**#1 SEV2 CheckoutDown \\(checkout\\)**`) {
		t.Fatalf("room post = %+v %s", p, p.Attachments())
	}
	w.twilio.WaitMessages(t, 1, 10*time.Second) // alice by SMS, as her rules say

	token, _ := p.Actions()[0].Integration.Context["token"].(string)
	altered := []byte(token)
	altered[5] ^= 1
	foreign := links.Signer{Key: []byte("another deployment's link secret")}
	for name, c := range map[string]struct {
		how  mattermostfake.Press
		code int
	}{
		"no token": {mattermostfake.Press{Token: " "}, http.StatusUnauthorized},
		"forged": {mattermostfake.Press{Token: foreign.SignCallback(links.Callback{IncidentID: 1, Action: pagerdincident.Ack,
			Where: "room:payments", Expires: w.clock.Now().Add(time.Hour)})}, http.StatusUnauthorized},
		"altered":         {mattermostfake.Press{Token: string(altered)}, http.StatusUnauthorized},
		"another channel": {mattermostfake.Press{Channel: mattermostfake.ID("chanother", 1)}, http.StatusForbidden},
	} {
		if r := fake.Press(t, p, "ack", alice, c.how); r.Code != c.code {
			t.Errorf("%s press = %d %s, want %d", name, r.Code, r.Body, c.code)
		}
	}
	if st := incident(t, base, 1)["status"]; st != "triggered" {
		t.Fatalf("status after refused presses = %v", st)
	}

	press := mattermostfake.Press{TriggerID: "trigger-ack"}
	if r := fake.Press(t, p, "ack", alice, press); r.Code != http.StatusOK {
		t.Fatalf("press = %d %s", r.Code, r.Body)
	}
	inc := incident(t, base, 1)
	if inc["status"] != "acknowledged" || !hasFact(inc, "acknowledged", "alice", "mattermost") {
		t.Fatalf("after the press: %v %v", inc["status"], inc["timeline"])
	}
	// The same press again, to the other replica: the ack button's token
	// (the post may have lost that button by now) with its trigger id.
	press.URL, press.Token = "http://"+other.Addr()+"/v1/mattermost/action", token
	if r := fake.Press(t, p, "resolve", alice, press); r.Code != http.StatusForbidden {
		t.Errorf("replayed press = %d %s, want 403", r.Code, r.Body)
	}
	if ans := fake.Answers(); len(ans) != 1 || ans[0] != `Incident \#1 acknowledged by alice\.` {
		t.Errorf("answers to the presser = %q", ans)
	}
	eventually(t, "the room post patched and its thread told", func() bool {
		p := fake.In(mmRoom)[0]
		th := fake.Thread(p.ID)
		return p.Edits >= 1 && p.Buttons() == "resolve" && strings.Contains(p.Attachments(), "Acknowledged by alice at") &&
			len(th) == 1 && strings.Contains(th[0].Message, `Acknowledged by alice \(mattermost\)`)
	})

	// Step 2 (bob) would be due now: the acknowledgement stopped it.
	w.clock.Advance(11 * time.Minute)
	w.settle()
	if dm := fake.In(mattermostfake.DM(bob)); len(dm) != 0 || len(smsTo(w.twilio, bobPhone)) != 0 {
		t.Errorf("bob paged after the ack: %d direct messages, %d SMS", len(dm), len(smsTo(w.twilio, bobPhone)))
	}

	if r := fake.Press(t, fake.In(mmRoom)[0], "resolve", alice, mattermostfake.Press{}); r.Code != http.StatusOK {
		t.Fatalf("resolve press = %d %s", r.Code, r.Body)
	}
	eventually(t, "the room post patched again", func() bool {
		p := fake.In(mmRoom)[0]
		return p.Buttons() == "" && strings.Contains(p.Attachments(), "Resolved by alice at") && len(fake.Thread(p.ID)) == 2
	})
	if st := incident(t, base, 1)["status"]; st != "resolved" {
		t.Errorf("status = %v, want resolved", st)
	}
	if len(fake.In(mmRoom)) != 1 || len(fake.Violations()) != 0 {
		t.Errorf("room has %d posts (want 1), violations %v", len(fake.In(mmRoom)), fake.Violations())
	}
}

// With an incoming webhook alone, the room's post cannot be edited: the
// press's answer redraws it (Mattermost replaces the post with it), each
// fact is a follow-up post, and bob, escalated to by hand, is paged in
// his direct messages through the webhook.
func TestMattermostWebhookOnlyPressRedrawsThePost(t *testing.T) {
	w, fake, alice, _ := newMattermostWorld(t, true)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	eventually(t, "the room paged", func() bool { return len(fake.In("payments-oncall")) == 1 })
	p := fake.In("payments-oncall")[0]
	if !p.Hook || p.Buttons() != "ack resolve escalate" {
		t.Fatalf("room post = %+v", p)
	}
	if r := fake.Press(t, p, "escalate", alice, mattermostfake.Press{}); r.Code != http.StatusOK {
		t.Fatalf("escalate press = %d %s", r.Code, r.Body)
	}
	eventually(t, "bob paged by direct message", func() bool { return len(fake.In("@bob")) == 1 })
	if r := fake.Press(t, fake.In("payments-oncall")[0], "ack", alice, mattermostfake.Press{}); r.Code != http.StatusOK {
		t.Fatalf("ack press = %d %s", r.Code, r.Body)
	}
	p = fake.In("payments-oncall")[0]
	if p.Updates != 2 || p.Buttons() != "resolve" || !strings.Contains(p.Attachments(), "Acknowledged by alice at") {
		t.Errorf("post after the presses: %d updates, buttons %q, %s", p.Updates, p.Buttons(), p.Attachments())
	}
	if inc := incident(t, base, 1); inc["status"] != "acknowledged" || !hasFact(inc, "acknowledged", "alice", "mattermost") {
		t.Fatalf("after the press: %v %v", inc["status"], inc["timeline"])
	}
	eventually(t, "follow-ups in the room", func() bool {
		var facts []string
		for _, p := range fake.In("payments-oncall")[1:] {
			facts = append(facts, p.Message)
		}
		all := strings.Join(facts, "\n")
		return strings.Contains(all, `Acknowledged by alice \(mattermost\)`) && strings.Contains(all, "Escalated")
	})
	if calls := strings.Join(fake.Calls(), " "); strings.Contains(calls, "/api/v4/") {
		t.Errorf("a webhook-only setup called the API: %s", calls)
	}
}
