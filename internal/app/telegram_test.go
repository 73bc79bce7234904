package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	pagerdincident "github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/telegramfake"
	"github.com/pagerd/pagerd/links"
)

// The Telegram chats of the e2e tests: the room "payments" (a
// supergroup), and alice's and bob's private chats with the bot.
const (
	tgRoom  = int64(-1001234567890)
	tgAlice = int64(111111111)
	tgBob   = int64(222222222)
)

// telegramConfig is the e2e config with a Telegram bot on the fake: the
// room "payments" is paged by step 1 with alice; bob, paged by step 2, is
// reached in his private chat with the bot.
func telegramConfig(w *world, fake *telegramfake.Fake) string {
	cfg := fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port)
	cfg = strings.Replace(cfg, `  step { notify = ["user:alice"] }`, `  step { notify = ["user:alice", "telegram:payments"] }`, 1)
	cfg = strings.Replace(cfg, `user "alice" {`, fmt.Sprintf(`user "alice" {
  telegram_id = "%d"`, tgAlice), 1)
	cfg = strings.Replace(cfg, `user "bob" {
  phone = "`+bobPhone+`"
  notify {
    after = "0m"
    via   = "sms"
  }`, fmt.Sprintf(`user "bob" {
  phone       = "`+bobPhone+`"
  telegram_id = "%d"
  notify {
    after = "0m"
    via   = "telegram"
  }`, tgBob), 1)
	return cfg + fmt.Sprintf(`
telegram {
  bot_token      = env("TEST_TELEGRAM_TOKEN")
  webhook_secret = env("TEST_TELEGRAM_SECRET")
  api_url        = "%s"
  room "payments" { chat_id = "%d" }
}
`, fake.URL(), tgRoom)
}

// Alertmanager alert → a message in the room with an inline keyboard → a
// press whose callback data is the button's signed token → the incident
// is acknowledged by the mapped user, nobody is paged any more, the
// message is edited in place and the fact sent as a reply to it →
// Resolve → edited again. Updates without the webhook's secret or with a
// wrong one, forged callback data and a token from another chat change
// nothing; the same update delivered again (to the other replica) acts no
// more. Two replicas run: each message and reply is sent once.
func TestTelegramRoomAckAndResolveFromTheMessage(t *testing.T) {
	w := newWorld(t, "0s")
	fake := telegramfake.Start(t, w.clock.Now)
	t.Setenv("TEST_TELEGRAM_TOKEN", telegramfake.Token)
	t.Setenv("TEST_TELEGRAM_SECRET", telegramfake.Secret)
	w.sleep = func(ctx context.Context, d time.Duration) error { w.clock.Advance(d); return ctx.Err() }
	w.writeConfig(telegramConfig(w, fake))
	a := w.start("r1", w.port)
	other := w.start("r2", 0)
	base := "http://" + a.Addr()
	hook := base + "/v1/telegram/webhook"
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "the room paged", func() bool { return len(fake.In(tgRoom)) == 1 })
	msg := fake.In(tgRoom)[0]
	if msg.Buttons() != "Acknowledge Resolve Escalate now" || !strings.Contains(msg.Text, "<b>#1 SEV2 CheckoutDown (checkout)</b>\ncheckout is down (acceptance)") {
		t.Fatalf("room message = %+v", msg)
	}
	w.twilio.WaitMessages(t, 1, 10*time.Second) // alice by SMS, as her rules say

	alice := telegramfake.Presser{ID: tgAlice, Username: "alice"}
	foreign := links.Signer{Key: []byte("another deployment's link secret")}
	for name, c := range map[string]struct {
		how  telegramfake.Send
		code int
	}{
		"no secret":    {telegramfake.Send{NoSecret: true}, http.StatusUnauthorized},
		"wrong secret": {telegramfake.Send{Secret: "not-the-webhook-secret-at-all-0"}, http.StatusUnauthorized},
		"forged data": {telegramfake.Send{Data: foreign.SignCallback(links.Callback{IncidentID: 1, Action: pagerdincident.Ack,
			Expires: w.clock.Now().Add(time.Hour)})}, http.StatusForbidden},
		"another chat": {telegramfake.Send{Chat: -1009999999999}, http.StatusForbidden},
	} {
		if r := fake.Press(t, hook, msg, "Acknowledge", alice, c.how); r.Code != c.code {
			t.Errorf("%s press = %d %s, want %d", name, r.Code, r.Body, c.code)
		}
	}
	if st := incident(t, base, 1)["status"]; st != "triggered" {
		t.Fatalf("status after refused presses = %v", st)
	}

	press := telegramfake.Send{UpdateID: 500}
	if r := fake.Press(t, hook, msg, "Acknowledge", alice, press); r.Code != http.StatusOK {
		t.Fatalf("press = %d %s", r.Code, r.Body)
	}
	inc := incident(t, base, 1)
	if inc["status"] != "acknowledged" || !hasFact(inc, "acknowledged", "alice", "telegram") {
		t.Fatalf("after the press: %v %v", inc["status"], inc["timeline"])
	}
	// Telegram delivering the update again, to the other replica.
	if r := fake.Press(t, "http://"+other.Addr()+"/v1/telegram/webhook", msg, "Acknowledge", alice, press); r.Code != http.StatusOK || r.Method != "" {
		t.Errorf("the update again = %d %s, want 200 and nothing done", r.Code, r.Body)
	}
	if ans := fake.Answers(); len(ans) != 1 || ans[0].Text != "Incident #1 acknowledged by alice." {
		t.Errorf("answers to the presser = %+v", ans)
	}
	eventually(t, "the room message edited and replied to", func() bool {
		m := fake.In(tgRoom)[0]
		rs := fake.Replies(tgRoom, m.ID)
		return m.Edits >= 1 && m.Buttons() == "Resolve" && strings.Contains(m.Text, "Acknowledged by alice at") &&
			len(rs) == 1 && strings.HasPrefix(rs[0].Visible(), "Acknowledged by alice (telegram)")
	})

	// Step 2 (bob) would be due now: the acknowledgement stopped it.
	w.clock.Advance(11 * time.Minute)
	w.settle()
	if dm := fake.In(tgBob); len(dm) != 0 || len(smsTo(w.twilio, bobPhone)) != 0 {
		t.Errorf("bob paged after the ack: %d Telegram messages, %d SMS", len(dm), len(smsTo(w.twilio, bobPhone)))
	}

	if r := fake.Press(t, hook, fake.In(tgRoom)[0], "Resolve", alice, telegramfake.Send{}); r.Code != http.StatusOK {
		t.Fatalf("resolve press = %d %s", r.Code, r.Body)
	}
	eventually(t, "the room message edited again", func() bool {
		m := fake.In(tgRoom)[0]
		return m.Keyboard == nil && strings.Contains(m.Text, "Resolved by alice at") && len(fake.Replies(tgRoom, m.ID)) == 2
	})
	if st := incident(t, base, 1)["status"]; st != "resolved" {
		t.Errorf("status = %v, want resolved", st)
	}
	if len(fake.In(tgRoom)) != 1 || len(fake.Violations()) != 0 {
		t.Errorf("room has %d messages (want 1), violations %v", len(fake.In(tgRoom)), fake.Violations())
	}
}

// A person paged in their private chat with the bot gets the incident's
// buttons and may act from there; one Telegram refuses (they never
// started the bot) is paged through their next channel at once, and the
// timeline says why.
func TestTelegramDirectMessageAndFallback(t *testing.T) {
	const tgCarol = int64(333333333)
	w := newWorld(t, "0s")
	fake := telegramfake.Start(t, w.clock.Now)
	t.Setenv("TEST_TELEGRAM_TOKEN", telegramfake.Token)
	t.Setenv("TEST_TELEGRAM_SECRET", telegramfake.Secret)
	w.sleep = func(ctx context.Context, d time.Duration) error { w.clock.Advance(d); return ctx.Err() }
	cfg := strings.Replace(telegramConfig(w, fake), `  step { notify = ["user:alice", "telegram:payments"] }`, `  step { notify = ["user:bob", "user:carol"] }`, 1)
	w.writeConfig(cfg + fmt.Sprintf(`user "carol" {
  telegram_id = "%d"
  notify { via = "telegram" }
}
`, tgCarol))
	fake.Refuse(tgBob, http.StatusForbidden, "Forbidden: bot can't initiate conversation with a user")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	eventually(t, "bob paged by SMS instead", func() bool { return len(smsTo(w.twilio, bobPhone)) == 1 })
	if tl := fmt.Sprint(incident(t, base, 1)["timeline"]); !strings.Contains(tl, "paged bob via sms") || !strings.Contains(tl, "press Start") {
		t.Errorf("timeline = %s", tl)
	}
	eventually(t, "carol paged in her private chat", func() bool { return len(fake.In(tgCarol)) == 1 })
	dm := fake.In(tgCarol)[0]
	if dm.Buttons() != "Acknowledge Resolve Escalate now" {
		t.Fatalf("carol's message = %+v", dm)
	}
	carol := telegramfake.Presser{ID: tgCarol, Username: "carol"}
	if r := fake.Press(t, base+"/v1/telegram/webhook", dm, "Acknowledge", carol, telegramfake.Send{}); r.Code != http.StatusOK {
		t.Fatalf("press = %d %s", r.Code, r.Body)
	}
	eventually(t, "carol's message edited", func() bool {
		m := fake.In(tgCarol)[0]
		return m.Buttons() == "Resolve" && strings.Contains(m.Text, "Acknowledged by carol")
	})
}
