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
	"github.com/pagerd/pagerd/internal/slackfake"
	"github.com/pagerd/pagerd/internal/telegramfake"
	"github.com/pagerd/pagerd/links"
)

// Incident command from chat, end to end through HTTP with real Redis and
// two replicas: the Take command button on an incident's message, and
// people's replies in the threads of its messages as their notes. One
// test per platform that says who pressed or wrote.

// countFacts counts an incident's facts of kind, as the API shows them.
func countFacts(inc map[string]any, kind string) int {
	return len(factDetails(inc, kind))
}

// slackBotReplies are the replies pagerd posted in the thread of the
// message at ts (not people's).
func slackBotReplies(fake *slackfake.Fake, channel, ts string) []string {
	var out []string
	for _, m := range fake.Thread(channel, ts) {
		if m.User == "" {
			out = append(out, m.Text)
		}
	}
	return out
}

// Slack: the room paged for an incident, and #checkout-status kept
// informed of it. A badly signed press of Take command changes nothing; a
// signed one makes alice the incident manager — the role_assigned fact by
// her through slack, her answer, both messages redrawn without the button
// and with the manager, the fact in their threads; the same press again
// (to the other replica) is refused. alice's reply in the paged message's
// thread is her note: on the timeline, told to her alone, replied in the
// informed room's thread and not in its own. Forged, stale and replayed
// events change nothing; Slack retrying the event (signed anew) adds no
// second note; a stranger's reply is asked who they are.
func TestSlackTakeCommandAndThreadNotes(t *testing.T) {
	w, fake := newSlackWorld(t)
	cfg := strings.Replace(slackConfig(w, fake), `  room "#payments-oncall" { channel = "`+slackRoom+`" }`,
		`  room "#payments-oncall" { channel = "`+slackRoom+`" }
  room "#checkout-status" { channel = "`+statusRoom+`" }`, 1)
	w.writeConfig(strings.Replace(cfg, `  group_by   = ["alertname"]`, `  group_by   = ["alertname"]
  subscribers = ["slack:#checkout-status"]`, 1))
	a := w.start("r1", w.port)
	other := w.start("r2", 0)
	base := "http://" + a.Addr()
	interactive, events := base+"/v1/slack/interactive", base+"/v1/slack/events"
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "the room paged and the status room told", func() bool {
		return len(fake.In(slackRoom)) == 1 && len(fake.In(statusRoom)) == 1
	})
	msg := fake.In(slackRoom)[0]
	if got := buttons(msg); got != "pagerd_ack pagerd_resolve pagerd_escalate pagerd_assign pagerd_source" {
		t.Fatalf("room message buttons = %q", got)
	}
	if r := fake.VerifyURL(t, events, "challenge-4711", slackfake.Signing{}); r.Code != http.StatusOK || !strings.Contains(r.Body, "challenge-4711") {
		t.Errorf("url_verification = %d %s", r.Code, r.Body)
	}

	// Take command.
	if r := fake.Press(t, interactive, msg, "assign", aliceSlack, slackfake.Signing{Secret: "0000000000000000deadbeefdeadbeef"}); r.Code != http.StatusUnauthorized {
		t.Errorf("badly signed press = %d %s, want 401", r.Code, r.Body)
	}
	if roles := incident(t, base, 1)["roles"]; roles != nil {
		t.Fatalf("roles after a forged press = %v", roles)
	}
	at := w.clock.Now()
	if r := fake.Press(t, interactive, msg, "assign", aliceSlack, slackfake.Signing{At: at}); r.Code != http.StatusOK {
		t.Fatalf("press = %d %s", r.Code, r.Body)
	}
	inc := incident(t, base, 1)
	if roles := fmt.Sprint(inc["roles"]); roles != "map[manager:alice]" || !hasFactDetail(inc, "role_assigned", "alice", "slack", "manager: alice") {
		t.Fatalf("after Take command: roles %s, timeline %v", roles, inc["timeline"])
	}
	if r := fake.Press(t, "http://"+other.Addr()+"/v1/slack/interactive", msg, "assign", aliceSlack, slackfake.Signing{At: at}); r.Code != http.StatusForbidden {
		t.Errorf("replayed press = %d %s, want 403", r.Code, r.Body)
	}
	if ans := fake.Answers(); len(ans) != 1 || ans[0].Text != "Incident #1: alice is now its incident manager." {
		t.Errorf("answers to the presser = %+v", ans)
	}
	for _, ch := range []string{slackRoom, statusRoom} {
		eventually(t, ch+" redrawn with the manager and told", func() bool {
			m := fake.In(ch)[0]
			th := slackBotReplies(fake, ch, m.TS)
			return !strings.Contains(buttons(m), "pagerd_assign") && strings.Contains(m.Blocks, `*Manager*\nalice`) &&
				len(th) > 0 && strings.Contains(th[len(th)-1], "Role assigned by alice (slack): manager: alice")
		})
	}
	if got := buttons(fake.In(slackRoom)[0]); got != "pagerd_ack pagerd_resolve pagerd_escalate pagerd_source" {
		t.Errorf("room message buttons with a manager = %q", got)
	}

	// A reply in the thread is a note.
	for name, s := range map[string]slackfake.Signing{
		"badly signed": {Secret: "0000000000000000deadbeefdeadbeef"},
		"stale":        {At: w.clock.Now().Add(-10 * time.Minute)},
	} {
		if r := fake.ReplyInThread(t, events, msg, aliceSlack, "forged: "+name, s, slackfake.Event{}); r.Code != http.StatusUnauthorized {
			t.Errorf("%s reply = %d %s, want 401", name, r.Code, r.Body)
		}
	}
	note := fake.ReplyInThread(t, events, msg, aliceSlack, "rolled back <https://git.example.com/c/abc|abc>", slackfake.Signing{At: w.clock.Now()}, slackfake.Event{})
	if note.Code != http.StatusOK {
		t.Fatalf("reply = %d %s", note.Code, note.Body)
	}
	inc = incident(t, base, 1)
	if !hasFactDetail(inc, "note", "alice", "slack", "rolled back abc (https://git.example.com/c/abc)") || countFacts(inc, "note") != 1 {
		t.Fatalf("timeline after the reply: %v", inc["timeline"])
	}
	// The very request again is a replay; Slack retrying it, signed anew
	// after its 3 seconds, is the same event.
	if r := fake.Replay(t, "http://"+other.Addr()+"/v1/slack/events"); r.Code != http.StatusForbidden {
		t.Errorf("replayed event = %d %s, want 403", r.Code, r.Body)
	}
	w.clock.Advance(3 * time.Second)
	if r := fake.ReplyInThread(t, events, msg, aliceSlack, "rolled back <https://git.example.com/c/abc|abc>", slackfake.Signing{},
		slackfake.Event{ID: note.EventID, Retry: 1, Target: "http://" + other.Addr() + "/v1/slack/events"}); r.Code != http.StatusOK {
		t.Errorf("retried event = %d %s, want 200", r.Code, r.Body)
	}
	if r := fake.ReplyInThread(t, events, msg, "U0STRANGER1", "who's on this?", slackfake.Signing{}, slackfake.Event{}); r.Code != http.StatusOK {
		t.Errorf("a stranger's reply = %d %s", r.Code, r.Body)
	}
	if n := countFacts(incident(t, base, 1), "note"); n != 1 {
		t.Errorf("%d notes, want alice's one", n)
	}
	eph := fake.Ephemerals()
	if len(eph) != 2 || eph[0] != (slackfake.Ephemeral{Channel: slackRoom, User: aliceSlack, ThreadTS: msg.TS, Text: "Note added to incident #1."}) ||
		eph[1].User != "U0STRANGER1" || !strings.HasPrefix(eph[1].Text, "Who are you?") {
		t.Errorf("ephemeral answers = %+v", eph)
	}
	status := fake.In(statusRoom)[0]
	eventually(t, "the note in the status room's thread", func() bool {
		th := slackBotReplies(fake, statusRoom, status.TS)
		return strings.Contains(th[len(th)-1], "Note by alice (slack): rolled back abc")
	})
	// Events reach the room's message in order: once it tells of the
	// acknowledgement that came after the note, the note was passed over.
	if r := fake.Press(t, interactive, msg, "ack", aliceSlack, slackfake.Signing{}); r.Code != http.StatusOK {
		t.Fatalf("ack press = %d %s", r.Code, r.Body)
	}
	eventually(t, "the acknowledgement in the room's thread", func() bool {
		th := slackBotReplies(fake, slackRoom, msg.TS)
		return strings.Contains(th[len(th)-1], "Acknowledged by alice (slack)")
	})
	if th := slackBotReplies(fake, slackRoom, msg.TS); len(th) != 2 || strings.Contains(strings.Join(th, "\n"), "Note by") {
		t.Errorf("the room's thread, where alice wrote her note: %q; want the role and the acknowledgement, not the note again", th)
	}
	if v := fake.Violations(); len(v) != 0 {
		t.Errorf("requests inside a Retry-After: %v", v)
	}
}

// mmBotReplies are the replies the bot posted in the thread of post root.
func mmBotReplies(fake *mattermostfake.Fake, root string) []string {
	var out []string
	for _, p := range fake.Thread(root) {
		if p.UserID == mattermostfake.BotID {
			out = append(out, p.Message)
		}
	}
	return out
}

// Mattermost: the bot posts the incident in the room "payments" (paged)
// and "status" (kept informed). A press of Take command with a forged
// token changes nothing; alice's makes her the manager, both posts are
// patched to show it and lose the button, the fact is replied in their
// threads; the same press again is refused. The room's outgoing webhook
// tells pagerd of every post in its channel — the bot's own are let be —
// and alice's reply in the paged post's thread is her note, marked with
// the bot's reaction, replied in the status post's thread and not in its
// own. A forged token, another channel's and the same post again change
// nothing.
func TestMattermostTakeCommandAndThreadNotes(t *testing.T) {
	w, fake, alice, _ := newMattermostWorld(t, false)
	mmStatus := mattermostfake.ID("chanstatus", 1)
	const outgoingToken = "outgoingtoken0000000000001"
	t.Setenv("TEST_MATTERMOST_OUTGOING", outgoingToken)
	cfg := strings.Replace(mattermostConfig(w, fake, false), `  room "payments" { channel_id = "`+mmRoom+`" }`, `  room "payments" {
    channel_id     = "`+mmRoom+`"
    outgoing_token = env("TEST_MATTERMOST_OUTGOING")
  }
  room "status" { channel_id = "`+mmStatus+`" }`, 1)
	w.writeConfig(strings.Replace(cfg, `  group_by   = ["alertname"]`, `  group_by   = ["alertname"]
  subscribers = ["mattermost:status"]`, 1))
	fake.Outgoing(mmRoom, outgoingToken, fmt.Sprintf("http://127.0.0.1:%d/v1/mattermost/messages", w.port))
	a := w.start("r1", w.port)
	other := w.start("r2", 0)
	base := "http://" + a.Addr()
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "the room paged and the status room told", func() bool {
		return len(fake.In(mmRoom)) == 1 && len(fake.In(mmStatus)) == 1
	})
	p := fake.In(mmRoom)[0]
	if p.Buttons() != "ack resolve escalate assign" {
		t.Fatalf("room post buttons = %q", p.Buttons())
	}

	// Take command.
	foreign := links.Signer{Key: []byte("another deployment's link secret")}
	forged := foreign.SignCallback(links.Callback{IncidentID: 1, Action: pagerdincident.Assign, Where: "room:payments", Expires: w.clock.Now().Add(time.Hour)})
	if r := fake.Press(t, p, "assign", alice, mattermostfake.Press{Token: forged}); r.Code != http.StatusUnauthorized {
		t.Errorf("forged press = %d %s, want 401", r.Code, r.Body)
	}
	if roles := incident(t, base, 1)["roles"]; roles != nil {
		t.Fatalf("roles after a forged press = %v", roles)
	}
	press := mattermostfake.Press{TriggerID: "trigger-take-command"}
	if r := fake.Press(t, p, "assign", alice, press); r.Code != http.StatusOK {
		t.Fatalf("press = %d %s", r.Code, r.Body)
	}
	inc := incident(t, base, 1)
	if roles := fmt.Sprint(inc["roles"]); roles != "map[manager:alice]" || !hasFactDetail(inc, "role_assigned", "alice", "mattermost", "manager: alice") {
		t.Fatalf("after Take command: roles %s, timeline %v", roles, inc["timeline"])
	}
	// The same press again, to the other replica: Take command's token
	// (the post may have lost that button by now) with its trigger id.
	press.URL, press.Token = "http://"+other.Addr()+"/v1/mattermost/action", p.Actions()[3].Integration.Context["token"].(string)
	if r := fake.Press(t, p, "ack", alice, press); r.Code != http.StatusForbidden {
		t.Errorf("replayed press = %d %s, want 403", r.Code, r.Body)
	}
	if ans := fake.Answers(); len(ans) != 1 || ans[0] != `Incident \#1: alice is now its incident manager\.` {
		t.Errorf("answers to the presser = %q", ans)
	}
	for _, ch := range []string{mmRoom, mmStatus} {
		eventually(t, ch+" patched with the manager and told", func() bool {
			p := fake.In(ch)[0]
			th := mmBotReplies(fake, p.ID)
			return p.Buttons() == "ack resolve escalate" && strings.Contains(p.Attachments(), `"title":"Manager","value":"alice"`) &&
				len(th) > 0 && strings.Contains(th[len(th)-1], `Role assigned by alice \(mattermost\): manager: alice`)
		})
	}

	// A reply in the thread is a note.
	fake.Settle() // the bot's posts went round the outgoing webhook: let be
	note := fake.Reply(t, p, alice, "rolled back abc", mattermostfake.Outgoing{})
	if note.Code != http.StatusOK || strings.Contains(note.Body, "text") {
		t.Fatalf("alice's reply = %d %s; want 200 and nothing posted", note.Code, note.Body)
	}
	inc = incident(t, base, 1)
	if !hasFactDetail(inc, "note", "alice", "mattermost", "rolled back abc") || countFacts(inc, "note") != 1 {
		t.Fatalf("timeline after the reply: %v", inc["timeline"])
	}
	if r := fake.Reactions(); len(r) != 1 || r[0].PostID != note.PostID || r[0].Emoji != "writing_hand" {
		t.Errorf("reactions = %+v, want the bot's on alice's reply", r)
	}
	var reply mattermostfake.Post
	for _, q := range fake.Thread(p.ID) {
		if q.ID == note.PostID {
			reply = q
		}
	}
	for name, c := range map[string]struct {
		how  mattermostfake.Outgoing
		code int
	}{
		"forged token":          {mattermostfake.Outgoing{Token: "notthetoken000000000000001"}, http.StatusUnauthorized},
		"another channel":       {mattermostfake.Outgoing{Channel: mmStatus}, http.StatusForbidden},
		"the same post again":   {mattermostfake.Outgoing{URL: "http://" + other.Addr() + "/v1/mattermost/messages"}, http.StatusForbidden},
		"as a form, once again": {mattermostfake.Outgoing{Form: true}, http.StatusForbidden},
	} {
		if got := fake.Resend(t, reply, c.how); got.Code != c.code {
			t.Errorf("%s: %d %s, want %d", name, got.Code, got.Body, c.code)
		}
	}
	if n := countFacts(incident(t, base, 1), "note"); n != 1 {
		t.Errorf("%d notes, want alice's one", n)
	}
	status := fake.In(mmStatus)[0]
	eventually(t, "the note in the status post's thread", func() bool {
		th := mmBotReplies(fake, status.ID)
		return strings.Contains(th[len(th)-1], `Note by alice \(mattermost\): rolled back abc`)
	})
	// Events reach the room's post in order: once it tells of the
	// acknowledgement that came after the note, the note was passed over.
	if r := fake.Press(t, fake.In(mmRoom)[0], "ack", alice, mattermostfake.Press{}); r.Code != http.StatusOK {
		t.Fatalf("ack press = %d %s", r.Code, r.Body)
	}
	eventually(t, "the acknowledgement in the room's thread", func() bool {
		th := mmBotReplies(fake, p.ID)
		return strings.Contains(th[len(th)-1], `Acknowledged by alice \(mattermost\)`)
	})
	if th := mmBotReplies(fake, p.ID); len(th) != 2 || strings.Contains(strings.Join(th, "\n"), "Note by") {
		t.Errorf("the room's thread, where alice wrote her note: %q; want the role and the acknowledgement, not the note again", th)
	}
	fake.Settle()
	if n := countFacts(incident(t, base, 1), "note"); n != 1 || len(fake.Violations()) != 0 {
		t.Errorf("%d notes once every post went round the webhook, violations %v", n, fake.Violations())
	}
}

// tgBotReplies are the bot's replies to message id in chat (not people's).
func tgBotReplies(fake *telegramfake.Fake, chat, id int64) []string {
	var out []string
	for _, m := range fake.Replies(chat, id) {
		if !m.Typed {
			out = append(out, m.Visible())
		}
	}
	return out
}

// Telegram: the bot sends the incident to the room "payments" (paged)
// and "status" (kept informed). Take command's callback data forged, or
// pressed in another chat, changes nothing; pressed by alice it makes
// her the manager, both messages are edited to show it and lose the
// button, the fact is their reply; the same update again acts no more.
// alice's reply to the room's message is her note: the bot reacts to it,
// the status message gets it as a reply and the room's message does not.
// An update without the webhook's secret changes nothing; delivered again,
// it adds no second note.
func TestTelegramTakeCommandAndReplyNotes(t *testing.T) {
	const tgStatus = int64(-1009876543210)
	w := newWorld(t, "0s")
	fake := telegramfake.Start(t, w.clock.Now)
	t.Setenv("TEST_TELEGRAM_TOKEN", telegramfake.Token)
	t.Setenv("TEST_TELEGRAM_SECRET", telegramfake.Secret)
	w.sleep = func(ctx context.Context, d time.Duration) error { w.clock.Advance(d); return ctx.Err() }
	cfg := strings.Replace(telegramConfig(w, fake), fmt.Sprintf(`  room "payments" { chat_id = "%d" }`, tgRoom),
		fmt.Sprintf(`  room "payments" { chat_id = "%d" }
  room "status" { chat_id = "%d" }`, tgRoom, tgStatus), 1)
	w.writeConfig(strings.Replace(cfg, `  group_by   = ["alertname"]`, `  group_by   = ["alertname"]
  subscribers = ["telegram:status"]`, 1))
	a := w.start("r1", w.port)
	other := w.start("r2", 0)
	base := "http://" + a.Addr()
	hook := base + "/v1/telegram/webhook"
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "the room paged and the status room told", func() bool {
		return len(fake.In(tgRoom)) == 1 && len(fake.In(tgStatus)) == 1
	})
	msg := fake.In(tgRoom)[0]
	if msg.Buttons() != "Acknowledge Resolve Escalate now Take command" {
		t.Fatalf("room message buttons = %q", msg.Buttons())
	}
	if data, _ := msg.Data("Take command"); len(data) > 64 {
		t.Errorf("Take command's callback data is %d bytes, over Telegram's 64", len(data))
	}

	// Take command.
	alice := telegramfake.Presser{ID: tgAlice, Username: "alice"}
	foreign := links.Signer{Key: []byte("another deployment's link secret")}
	for name, c := range map[string]struct {
		how  telegramfake.Send
		code int
	}{
		"wrong secret": {telegramfake.Send{Secret: "not-the-webhook-secret-at-all-0"}, http.StatusUnauthorized},
		"forged data": {telegramfake.Send{Data: foreign.SignCallback(links.Callback{IncidentID: 1, Action: pagerdincident.Assign,
			Expires: w.clock.Now().Add(time.Hour)})}, http.StatusForbidden},
		"another chat": {telegramfake.Send{Chat: -1009999999999}, http.StatusForbidden},
	} {
		if r := fake.Press(t, hook, msg, "Take command", alice, c.how); r.Code != c.code {
			t.Errorf("%s press = %d %s, want %d", name, r.Code, r.Body, c.code)
		}
	}
	if roles := incident(t, base, 1)["roles"]; roles != nil {
		t.Fatalf("roles after refused presses = %v", roles)
	}
	press := telegramfake.Send{UpdateID: 700}
	if r := fake.Press(t, hook, msg, "Take command", alice, press); r.Code != http.StatusOK {
		t.Fatalf("press = %d %s", r.Code, r.Body)
	}
	inc := incident(t, base, 1)
	if roles := fmt.Sprint(inc["roles"]); roles != "map[manager:alice]" || !hasFactDetail(inc, "role_assigned", "alice", "telegram", "manager: alice") {
		t.Fatalf("after Take command: roles %s, timeline %v", roles, inc["timeline"])
	}
	if r := fake.Press(t, "http://"+other.Addr()+"/v1/telegram/webhook", msg, "Take command", alice, press); r.Code != http.StatusOK || r.Method != "" {
		t.Errorf("the update again = %d %s, want 200 and nothing done", r.Code, r.Body)
	}
	if ans := fake.Answers(); len(ans) != 1 || ans[0].Text != "Incident #1: alice is now its incident manager." {
		t.Errorf("answers to the presser = %+v", ans)
	}
	for _, chat := range []int64{tgRoom, tgStatus} {
		eventually(t, fmt.Sprint(chat, " edited with the manager and told"), func() bool {
			m := fake.In(chat)[0]
			rs := tgBotReplies(fake, chat, m.ID)
			return m.Buttons() == "Acknowledge Resolve Escalate now" && strings.Contains(m.Visible(), "Manager: alice") &&
				len(rs) > 0 && strings.HasPrefix(rs[len(rs)-1], "Role assigned by alice (telegram): manager: alice")
		})
	}

	// A reply to the message is a note.
	if r := fake.Reply(t, hook, msg, alice, "forged", telegramfake.Send{NoSecret: true}); r.Code != http.StatusUnauthorized {
		t.Errorf("a reply without the secret = %d, want 401", r.Code)
	}
	noteUpdate := telegramfake.Send{UpdateID: 800}
	if r := fake.Reply(t, hook, msg, alice, "rolled back abc", noteUpdate); r.Code != http.StatusOK || r.Method != "setMessageReaction" {
		t.Fatalf("alice's reply = %d %s", r.Code, r.Body)
	}
	inc = incident(t, base, 1)
	if !hasFactDetail(inc, "note", "alice", "telegram", "rolled back abc") || countFacts(inc, "note") != 1 {
		t.Fatalf("timeline after the reply: %v", inc["timeline"])
	}
	// Telegram delivering it again, to the other replica: the note's
	// delivery is stored with it, so nothing is noted twice; the reaction
	// is set again, as Telegram may not have had it.
	if r := fake.Reply(t, "http://"+other.Addr()+"/v1/telegram/webhook", msg, alice, "rolled back abc", noteUpdate); r.Code != http.StatusOK || r.Method != "setMessageReaction" {
		t.Errorf("the update again = %d %s, want 200 and the same reaction", r.Code, r.Body)
	}
	if n := countFacts(incident(t, base, 1), "note"); n != 1 || len(fake.Reactions()) != 1 || fake.Reactions()[0].Emoji != "✍" {
		t.Errorf("%d notes, reactions %+v; want alice's one, marked once", n, fake.Reactions())
	}
	status := fake.In(tgStatus)[0]
	eventually(t, "the note replied to the status message", func() bool {
		rs := tgBotReplies(fake, tgStatus, status.ID)
		return strings.HasPrefix(rs[len(rs)-1], "Note by alice (telegram): rolled back abc")
	})
	// Events reach the room's message in order: once it tells of the
	// acknowledgement that came after the note, the note was passed over.
	if r := fake.Press(t, hook, fake.In(tgRoom)[0], "Acknowledge", alice, telegramfake.Send{}); r.Code != http.StatusOK {
		t.Fatalf("ack press = %d %s", r.Code, r.Body)
	}
	eventually(t, "the acknowledgement replied to the room's message", func() bool {
		rs := tgBotReplies(fake, tgRoom, msg.ID)
		return strings.HasPrefix(rs[len(rs)-1], "Acknowledged by alice (telegram)")
	})
	if rs := tgBotReplies(fake, tgRoom, msg.ID); len(rs) != 2 || strings.Contains(strings.Join(rs, "\n"), "Note by") {
		t.Errorf("the bot's replies to the room's message, which alice's note replied to: %q; want the role and the acknowledgement only", rs)
	}
	if v := fake.Violations(); len(v) != 0 {
		t.Errorf("requests inside a retry_after: %v", v)
	}
}
