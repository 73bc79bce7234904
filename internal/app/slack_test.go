package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/slackfake"
)

const (
	slackRoom  = "C0PAYMENTS1"
	aliceSlack = "U0ALICE001"
	bobSlack   = "U0BOB00001"
)

// slackConfig is the e2e config with a Slack app on the fake: the room
// #payments-oncall is paged by step 1 with alice; bob, paged by step 2, is
// reached by Slack direct message.
func slackConfig(w *world, fake *slackfake.Fake) string {
	cfg := fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port)
	cfg = strings.Replace(cfg, `  step { notify = ["user:alice"] }`, `  step { notify = ["user:alice", "slack:#payments-oncall"] }`, 1)
	cfg = strings.Replace(cfg, `user "alice" {`, `user "alice" {
  slack_id = "`+aliceSlack+`"`, 1)
	cfg = strings.Replace(cfg, `user "bob" {
  phone = "`+bobPhone+`"
  notify {
    after = "0m"
    via   = "sms"
  }`, `user "bob" {
  phone    = "`+bobPhone+`"
  slack_id = "`+bobSlack+`"
  notify {
    after = "0m"
    via   = "slack"
  }`, 1)
	return cfg + `
slack {
  bot_token      = env("TEST_SLACK_TOKEN")
  signing_secret = env("TEST_SLACK_SECRET")
  api_url        = "` + fake.APIURL() + `"
  room "#payments-oncall" { channel = "` + slackRoom + `" }
}
`
}

// newSlackWorld is a world whose replicas talk to a Slack fake on the
// test's clock, and wait out Slack's limits by moving that clock.
func newSlackWorld(t *testing.T) (*world, *slackfake.Fake) {
	w := newWorld(t, "0s")
	fake := slackfake.Start(t, w.clock.Now)
	t.Setenv("TEST_SLACK_TOKEN", slackfake.Token)
	t.Setenv("TEST_SLACK_SECRET", slackfake.Secret)
	w.sleep = func(ctx context.Context, d time.Duration) error { w.clock.Advance(d); return ctx.Err() }
	w.writeConfig(slackConfig(w, fake))
	return w, fake
}

func buttons(m slackfake.Message) string {
	var ids []string
	for _, part := range strings.Split(m.Blocks, `"action_id":"`)[1:] {
		ids = append(ids, part[:strings.Index(part, `"`)])
	}
	return strings.Join(ids, " ")
}

// Alertmanager alert → room message with buttons → a signed press of
// Acknowledge → the incident is acknowledged by the mapped user, nobody
// is paged any more, the message is edited in place and the fact replied
// in its thread → Resolve → edited again. Badly signed, stale and
// replayed presses change nothing (the replay goes to the other replica).
// Two replicas run: each message and reply is posted once.
func TestSlackRoomAckAndResolveFromTheMessage(t *testing.T) {
	w, fake := newSlackWorld(t)
	a := w.start("r1", w.port)
	other := w.start("r2", 0)
	base := "http://" + a.Addr()
	interactive := base + "/v1/slack/interactive"
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "the room paged", func() bool { return len(fake.In(slackRoom)) == 1 })
	msg := fake.In(slackRoom)[0]
	if buttons(msg) != "pagerd_ack pagerd_resolve pagerd_escalate pagerd_source" || msg.Incident != 1 ||
		!strings.Contains(msg.Blocks, "*#1 SEV2 CheckoutDown (checkout)*\\ncheckout is down (acceptance)") {
		t.Fatalf("room message = %+v", msg)
	}
	w.twilio.WaitMessages(t, 1, 10*time.Second) // alice by SMS, as her rules say

	for name, s := range map[string]slackfake.Signing{
		"unsigned":     {None: true},
		"wrong secret": {Secret: "0000000000000000deadbeefdeadbeef"},
		"stale":        {At: w.clock.Now().Add(-10 * time.Minute)},
	} {
		if r := fake.Press(t, interactive, msg, "ack", aliceSlack, s); r.Code != http.StatusUnauthorized {
			t.Errorf("%s press = %d %s, want 401", name, r.Code, r.Body)
		}
	}
	if st := incident(t, base, 1)["status"]; st != "triggered" {
		t.Fatalf("status after refused presses = %v", st)
	}

	at := w.clock.Now()
	if r := fake.Press(t, interactive, msg, "ack", aliceSlack, slackfake.Signing{At: at}); r.Code != http.StatusOK {
		t.Fatalf("press = %d %s", r.Code, r.Body)
	}
	inc := incident(t, base, 1)
	if inc["status"] != "acknowledged" || !hasFact(inc, "acknowledged", "alice", "slack") {
		t.Fatalf("after the press: %v %v", inc["status"], inc["timeline"])
	}
	if r := fake.Press(t, "http://"+other.Addr()+"/v1/slack/interactive", msg, "ack", aliceSlack, slackfake.Signing{At: at}); r.Code != http.StatusForbidden {
		t.Errorf("replayed press = %d %s, want 403", r.Code, r.Body)
	}
	if ans := fake.Answers(); len(ans) != 1 || ans[0].Text != "Incident #1 acknowledged by alice." {
		t.Errorf("answers to the presser = %+v", ans)
	}
	eventually(t, "the room message edited and its thread told", func() bool {
		m := fake.In(slackRoom)[0]
		th := fake.Thread(slackRoom, m.TS)
		return m.Edits >= 1 && buttons(m) == "pagerd_resolve pagerd_source" && strings.Contains(m.Blocks, "Acknowledged by alice at") &&
			len(th) == 1 && strings.Contains(th[0].Text, "Acknowledged by alice (slack)")
	})

	// Step 2 (bob) would be due now: the acknowledgement stopped it.
	w.clock.Advance(11 * time.Minute)
	w.settle()
	if dm := fake.In(slackfake.DM(bobSlack)); len(dm) != 0 || len(smsTo(w.twilio, bobPhone)) != 0 {
		t.Errorf("bob paged after the ack: %d direct messages, %d SMS", len(dm), len(smsTo(w.twilio, bobPhone)))
	}
	if n := len(w.twilio.Messages()); n != 1 {
		t.Errorf("%d SMS in all, want alice's page only (she acknowledged: no notice to her)", n)
	}

	if r := fake.Press(t, interactive, msg, "resolve", aliceSlack, slackfake.Signing{}); r.Code != http.StatusOK {
		t.Fatalf("resolve press = %d %s", r.Code, r.Body)
	}
	eventually(t, "the room message edited again", func() bool {
		m := fake.In(slackRoom)[0]
		return buttons(m) == "pagerd_source" && strings.Contains(m.Blocks, "Resolved by alice at") && len(fake.Thread(slackRoom, m.TS)) == 2
	})
	if st := incident(t, base, 1)["status"]; st != "resolved" {
		t.Errorf("status = %v, want resolved", st)
	}
	if len(fake.In(slackRoom)) != 1 || len(fake.Violations()) != 0 {
		t.Errorf("room has %d messages (want 1), violations %v", len(fake.In(slackRoom)), fake.Violations())
	}
}

// A person paged by Slack direct message whose message Slack refuses is
// paged through their next channel at once, and the timeline says why;
// one whose message goes out gets it with the incident's buttons.
func TestSlackDirectMessageFallsBack(t *testing.T) {
	w, fake := newSlackWorld(t)
	cfg := slackConfig(w, fake)
	cfg = strings.Replace(cfg, `  step { notify = ["user:alice", "slack:#payments-oncall"] }`, `  step { notify = ["user:bob", "user:carol"] }`, 1)
	w.writeConfig(cfg + `user "carol" {
  slack_id = "U0CAROL001"
  notify { via = "slack" }
}
`)
	fake.Refuse(bobSlack, "channel_not_found")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	eventually(t, "bob paged by SMS instead", func() bool { return len(smsTo(w.twilio, bobPhone)) == 1 })
	eventually(t, "the timeline says why", func() bool {
		return strings.Contains(fmt.Sprint(incident(t, base, 1)["timeline"]), "slack failed")
	})
	if tl := fmt.Sprint(incident(t, base, 1)["timeline"]); !strings.Contains(tl, "paged bob via sms") || !strings.Contains(tl, "channel_not_found") {
		t.Errorf("timeline = %s", tl)
	}
	dm := fake.In(slackfake.DM("U0CAROL001"))
	if len(dm) != 1 || buttons(dm[0]) != "pagerd_ack pagerd_resolve pagerd_escalate pagerd_source" {
		t.Fatalf("carol's direct messages = %+v", dm)
	}
	// carol was paged, so she may acknowledge from her direct message.
	if r := fake.Press(t, base+"/v1/slack/interactive", dm[0], "ack", "U0CAROL001", slackfake.Signing{}); r.Code != http.StatusOK {
		t.Fatalf("press = %d %s", r.Code, r.Body)
	}
	eventually(t, "carol's message edited", func() bool {
		m := fake.In(slackfake.DM("U0CAROL001"))[0]
		return buttons(m) == "pagerd_resolve pagerd_source" && strings.Contains(m.Blocks, "Acknowledged by carol")
	})
}

// 50 incidents for one room, kept informed by its service, go out in the
// order they opened, one a second as Slack wants, and through 429s Slack
// adds, without a single request made inside a Retry-After.
func TestSlackRoomRateLimitFiftyInOrder(t *testing.T) {
	w, fake := newSlackWorld(t)
	cfg := slackConfig(w, fake)
	cfg = strings.Replace(cfg, `  step { notify = ["user:alice", "slack:#payments-oncall"] }`, `  step { notify = ["user:carol"] }`, 1)
	// Fifty incidents at once are an alert storm; this test counts the
	// room's message of each, so it does not fold them.
	cfg = strings.Replace(cfg, `  group_by   = ["alertname"]`, `  group_by   = ["alertname"]
  subscribers = ["slack:#payments-oncall"]
  storm { incidents = 0 }`, 1)
	w.writeConfig(cfg + `user "carol" {}` + "\n")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	fake.Throttle(3, 2)
	var alerts []string
	for i := range 50 {
		alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"Down%02d","service":"checkout","severity":"critical"},"annotations":{},"startsAt":"2026-11-24T01:00:00Z","endsAt":"0001-01-01T00:00:00Z"}`, i))
	}
	body := `{"version":"4","status":"firing","receiver":"pagerd","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","groupKey":"k","alerts":[` +
		strings.Join(alerts, ",") + `]}`
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", []byte(body)); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "50 messages in the room", func() bool { return len(fake.In(slackRoom)) >= 50 })
	msgs := fake.In(slackRoom)
	for i, m := range msgs {
		if m.Incident != int64(i+1) {
			t.Fatalf("message %d is about incident %d, want %d: not in order", i, m.Incident, i+1)
		}
		if i > 0 && m.Posted.Sub(msgs[i-1].Posted) < time.Second {
			t.Errorf("messages %d and %d %s apart, under Slack's second", i-1, i, m.Posted.Sub(msgs[i-1].Posted))
		}
	}
	if v := fake.Violations(); len(v) != 0 {
		t.Errorf("%d requests inside a Retry-After: %v", len(v), v)
	}
	if n := fake.RateLimited(); n < 3 {
		t.Errorf("%d 429s answered, want at least the 3 asked for", n)
	}
	if len(msgs) != 50 {
		t.Errorf("%d messages, want 50", len(msgs))
	}
}

// A room Slack holds back for a minute does not hold up anyone's page:
// the room's send is given back and made when Slack allows, not counted
// as a failure, while alice is paged at once.
func TestSlackRoomHeldBackDoesNotHoldPeople(t *testing.T) {
	w, fake := newSlackWorld(t)
	fake.Throttle(1, 60)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.twilio.WaitMessages(t, 1, 10*time.Second)
	w.settle()
	if n := len(fake.In(slackRoom)); n != 0 {
		t.Fatalf("room has %d messages inside Slack's Retry-After", n)
	}
	if tl := fmt.Sprint(incident(t, base, 1)["timeline"]); strings.Contains(tl, "notify_failed") {
		t.Errorf("a held-back room is on the timeline as a failure: %s", tl)
	}
	w.clock.Advance(time.Minute)
	w.settle()
	if n := len(fake.In(slackRoom)); n != 1 || len(fake.Violations()) != 0 {
		t.Errorf("after the Retry-After: %d messages (want 1), violations %v", n, fake.Violations())
	}
	if !strings.Contains(fmt.Sprint(incident(t, base, 1)["timeline"]), "paged slack:#payments-oncall via slack") {
		t.Errorf("timeline = %v", incident(t, base, 1)["timeline"])
	}
}

// A room Slack will not take (the app not invited, the channel gone) is on
// the timeline, and nobody's page waits for it.
func TestSlackUnreachableRoomIsOnTheTimeline(t *testing.T) {
	w, fake := newSlackWorld(t)
	cfg := slackConfig(w, fake)
	cfg = strings.Replace(cfg, `  group_by   = ["alertname"]`, `  group_by   = ["alertname"]
  subscribers = ["slack:#payments-oncall"]`, 1)
	w.writeConfig(cfg)
	fake.Refuse(slackRoom, "not_in_channel")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.twilio.WaitMessages(t, 1, 10*time.Second)
	eventually(t, "both failures on the timeline", func() bool {
		tl := fmt.Sprint(incident(t, base, 1)["timeline"])
		return strings.Contains(tl, "could not tell slack:#payments-oncall of triggered") &&
			strings.Contains(tl, "could not reach slack:#payments-oncall") && strings.Contains(tl, "invite the app")
	})
}
