package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/telegramfake"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/pagertest"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// The chats of the tests: the room "payments" (a supergroup), the room
// "status" (a public channel written by its @name) and alice's private
// chat with the bot.
const (
	roomChat    = int64(-1001234567890)
	channelChat = int64(-1009876543210)
	aliceID     = int64(111111111)
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func testRooms() map[string]chat.Room {
	return map[string]chat.Room{
		"payments": {Name: "payments", Settings: RoomConfig{ChatID: strconv.FormatInt(roomChat, 10)}},
		"status":   {Name: "status", Settings: RoomConfig{ChatID: "@pagerd_status"}},
	}
}

// rig is the Telegram pager against the fake, with the real store
// keeping its message log and rate limits on a driven clock: waiting
// moves the clock instead of sleeping.
type rig struct {
	t     *testing.T
	fake  *telegramfake.Fake
	clock *testenv.Clock
	st    *store.Store
	pager pagers.Pager
	links links.Builder
	id    int64
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, clock: testenv.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))}
	r.fake = telegramfake.Start(t, r.clock.Now)
	r.fake.AddChannel("@pagerd_status", channelChat)
	r.links = links.Builder{PublicURL: "https://pagerd.example.com", TTL: time.Hour, Signer: links.Signer{Key: testKey, Now: r.clock.Now}}
	srv := testenv.StartRedis(t)
	r.st = store.New(srv.Client(t), "telegram")
	r.st.Clock = r.clock.Now
	ctx := context.Background()
	if err := r.st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := r.st.Ingest(ctx, []store.AlertWrite{{
		Fingerprint: "fp1", Action: incident.AlertTrigger, Doc: json.RawMessage(`{}`), Name: "CheckoutDown fp1",
		Service: "checkout", Escalation: "payments", GroupID: "checkout:g", Title: "CheckoutDown",
		GroupLabels: map[string]string{"alertname": "CheckoutDown"}, Retention: time.Hour,
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.id = res[0].IncidentID
	env := pagers.Env{Limits: r.st, Messages: r.st, Now: r.clock.Now, Links: func() links.Builder { return r.links },
		Sleep: func(ctx context.Context, d time.Duration) error { r.clock.Advance(d); return ctx.Err() }}
	cfg := &policies.Config{Blocks: map[string]any{Platform: chat.Config{
		Settings: Config{BotToken: telegramfake.Token, WebhookSecret: telegramfake.Secret, APIURL: r.fake.URL()},
		Rooms:    testRooms(),
	}}}
	p, err := pagers.Lookup(Platform).Build(cfg, env)
	if err != nil || p == nil {
		t.Fatalf("build = %v, %v", p, err)
	}
	r.pager = p
	return r
}

// page is pagertest's page, about the rig's incident, to a room or (dest
// "") to alice in her private chat.
func (r *rig) page(dest string) pagers.Notification {
	n := pagertest.CheckoutPage()
	n.Incident.ID, n.Channel = r.id, Platform
	n.Key = fmt.Sprintf("%d:0:0:step:%s", r.id, dest)
	if dest != "" {
		n.Destination, n.User, n.Address, n.AckURL = dest, "", "", ""
	} else {
		n.User, n.Address = "alice", strconv.FormatInt(aliceID, 10)
	}
	return n
}

func (r *rig) send(n pagers.Notification) (pagers.Receipt, error) {
	r.t.Helper()
	return r.pager.Send(context.Background(), n)
}

// follow hands the pager an event of the incident, which stands as inc.
func (r *rig) follow(inc pagers.Incident, kind incident.Kind, id, actor string) {
	r.t.Helper()
	ev := incident.Event{ID: id, Incident: r.id, Service: "checkout",
		Fact: incident.Fact{At: r.clock.Now(), Kind: kind, Actor: actor, Via: "telegram"}}
	if _, err := r.send(pagers.Notification{Kind: pagers.KindFollow, Channel: Platform, Incident: inc, Event: &ev}); err != nil {
		r.t.Fatal(err)
	}
}

// A page to a room is one HTML message with an inline keyboard whose
// buttons each carry a token for their action, the incident and the
// chat, within Telegram's 64 bytes; sending it again sends nothing more. A
// channel written as @name is answered with its id, which the message's
// reference keeps.
func TestPageToARoomIsSentOnce(t *testing.T) {
	r := newRig(t)
	n := r.page("payments")
	rcpt, err := r.send(n)
	if err != nil {
		t.Fatal(err)
	}
	msgs := r.fake.In(roomChat)
	if len(msgs) != 1 {
		t.Fatalf("room has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if rcpt.ProviderID != fmt.Sprintf("%d/%d", roomChat, m.ID) {
		t.Errorf("receipt %q, want the message's chat/id", rcpt.ProviderID)
	}
	if m.Buttons() != "Acknowledge Resolve Escalate now Take command" {
		t.Errorf("buttons = %q", m.Buttons())
	}
	for _, row := range m.Keyboard {
		for _, b := range row {
			cb, err := r.links.Signer.VerifyCallback(b.Data)
			if err != nil || cb.IncidentID != r.id || chat.ButtonText(cb.Action) != b.Text || cb.Where != chatTag(strconv.FormatInt(roomChat, 10)) || len(b.Data) > 64 {
				t.Errorf("button %q: %+v (%v), %d bytes", b.Text, cb, err, len(b.Data))
			}
		}
	}
	for _, want := range []string{"🔴 <b>#1 CRITICAL CheckoutDown (checkout)</b>", "\ncheckout is down\n", "<i>Triggered at Mon 2 Nov 09:00 UTC</i>",
		`<a href="http://prometheus.example.com/graph?g0.expr=up">Source</a>`, "Service: checkout · Severity: critical · Firing: 3 alerts"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q: %s", want, m.Text)
		}
	}
	if _, err := r.send(n); err != nil || len(r.fake.In(roomChat)) != 1 {
		t.Fatalf("sent again: %v, %d messages; want still 1", err, len(r.fake.In(roomChat)))
	}
	rcpt, err = r.send(r.page("status"))
	if err != nil || len(r.fake.In(channelChat)) != 1 || !strings.HasPrefix(rcpt.ProviderID, strconv.FormatInt(channelChat, 10)+"/") {
		t.Errorf("to @pagerd_status: %q, %v", rcpt.ProviderID, err)
	}
}

// A message follows its incident: edited in place (the buttons that no
// longer apply go, who and when show) and the fact sent as a reply to it,
// once however often the event comes; a person is paged in their private
// chat with the bot.
func TestMessagesFollowTheIncident(t *testing.T) {
	r := newRig(t)
	if _, err := r.send(r.page("payments")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.send(r.page("")); err != nil {
		t.Fatal(err)
	}
	if dm := r.fake.In(aliceID); len(dm) != 1 || dm[0].Buttons() != "Acknowledge Resolve Escalate now Take command" {
		t.Fatalf("alice's private chat = %+v", dm)
	}
	inc := r.page("").Incident
	inc.Status, inc.AckedBy, inc.AckedAt = "acknowledged", "bob", r.clock.Now()
	r.follow(inc, incident.KindAcknowledged, "1-1", "bob")
	r.follow(inc, incident.KindAcknowledged, "1-1", "bob") // delivered again
	for _, c := range []int64{roomChat, aliceID} {
		m := r.fake.In(c)[0]
		if m.Edits < 1 || m.Buttons() != "Resolve Take command" || !strings.Contains(m.Text, "🟡 <b>#1") || !strings.Contains(m.Text, "<i>Acknowledged by bob at") {
			t.Errorf("chat %d after the ack: %d edits, buttons %q, %s", c, m.Edits, m.Buttons(), m.Text)
		}
		rs := r.fake.Replies(c, m.ID)
		if len(rs) != 1 || !strings.HasPrefix(rs[0].Visible(), "Acknowledged by bob (telegram)") || rs[0].Keyboard != nil {
			t.Errorf("chat %d replies = %+v, want one saying who acknowledged", c, rs)
		}
	}
	r.clock.Advance(time.Minute)
	inc.Status, inc.ResolvedBy, inc.ResolvedAt = "resolved", "alice", r.clock.Now()
	r.follow(inc, incident.KindResolved, "2-1", "alice")
	m := r.fake.In(roomChat)[0]
	if m.Keyboard != nil || !strings.Contains(m.Text, "Resolved by alice at") || len(r.fake.Replies(roomChat, m.ID)) != 2 {
		t.Errorf("after the resolution: keyboard %v, %d replies, %s", m.Keyboard, len(r.fake.Replies(roomChat, m.ID)), m.Text)
	}
	if v := r.fake.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}

// A label cannot mention anyone, carry a link, a command or markup; a long
// summary is cut, with a pointer to the rest, within Telegram's 4096
// characters counted as it counts them (the fake refuses HTML it would
// not parse and messages over the limit).
func TestLabelsAreEscapedAndLongSummariesCut(t *testing.T) {
	r := newRig(t)
	n := r.page("payments")
	n.Incident.Title = `<b>x</b> & "q" @channel @bob /start https://evil.example evil.example`
	n.Incident.Summary = strings.Repeat("🔥 disk <full> & ", 1000)
	if _, err := r.send(n); err != nil {
		t.Fatal(err)
	}
	m := r.fake.In(roomChat)[0]
	seen := m.Visible()
	for _, bad := range []string{"@channel", "@bob", "/start", "https://evil", "evil.example", "<b>x"} {
		if !strings.Contains(bad, "<") && strings.Contains(seen, bad) {
			t.Errorf("%q got through: %s", bad, seen[:200])
		}
	}
	if !strings.Contains(seen, `<b>x</b> & "q"`) {
		t.Errorf("the title does not read as written: %s", seen[:200])
	}
	if n := len(utf16.Encode([]rune(seen))); n > 4096 || n < 2000 || !strings.Contains(seen, "… (cut: the rest is at Source)") {
		t.Errorf("text is %d UTF-16 units: …%s", n, seen[len(seen)-200:])
	}
}

// 429s are waited out with their retry_after and no request inside one; a
// page whose wait is longer than a page may hold is given back; a 5xx or
// no answer is transient, and says nothing of the bot's token; a person
// who never started the bot, and an unknown room, are permanent.
func TestRateLimitsAndFailures(t *testing.T) {
	r := newRig(t)
	r.fake.Throttle(1, 1)
	if _, err := r.send(r.page("payments")); err != nil {
		t.Fatalf("page through a 429 of 1s: %v", err)
	}
	r.clock.Advance(roomRate.Per)
	r.fake.Throttle(1, 30)
	n := r.page("payments")
	n.Key += ":second"
	_, err := r.send(n)
	if wait, ok := pagers.LaterOf(err); !ok || wait < 29*time.Second {
		t.Fatalf("a page behind a 30s retry_after = %v; want it given back for 30s", err)
	}
	r.clock.Advance(30 * time.Second)
	if _, err := r.send(n); err != nil {
		t.Fatal(err)
	}
	if v := r.fake.Violations(); len(v) > 0 || r.fake.RateLimited() != 2 || len(r.fake.In(roomChat)) != 2 {
		t.Errorf("violations %v after %d 429s, %d messages; want none after 2, 2 messages", v, r.fake.RateLimited(), len(r.fake.In(roomChat)))
	}
	r.clock.Advance(roomRate.Per)
	r.fake.Fail(1)
	n.Key += ":third"
	if _, err := r.send(n); err == nil || pagers.IsPermanent(err) {
		t.Errorf("a 502 = %v, want a transient error", err)
	}
	r.fake.Refuse(aliceID, 403, "Forbidden: bot can't initiate conversation with a user")
	if _, err := r.send(r.page("")); !pagers.IsPermanent(err) || !strings.Contains(err.Error(), "press Start") {
		t.Errorf("a person who never started the bot = %v, want a permanent error saying what to do", err)
	}
	if _, err := r.send(r.page("nope")); !pagers.IsPermanent(err) {
		t.Errorf("an unknown room = %v, want permanent", err)
	}
	r.fake.Close()
	n.Key += ":fourth"
	r.clock.Advance(roomRate.Per)
	_, err = r.send(n)
	if err == nil || pagers.IsPermanent(err) || strings.Contains(err.Error(), telegramfake.Token) || strings.Contains(err.Error(), "AAFake") {
		t.Errorf("Telegram unreachable = %v; want a transient error without the token", err)
	}
}

// The longest token a button can carry — Take command's as well, the
// largest incident id, the longest chat name, an expiry far ahead — fits
// Telegram's 64 bytes.
func TestCallbackDataFits(t *testing.T) {
	b := links.Builder{TTL: 100 * 365 * 24 * time.Hour, Signer: links.Signer{Key: testKey}}
	for _, a := range []incident.Action{incident.Ack, incident.Resolve, incident.Escalate, incident.Assign} {
		tok := b.CallbackToken(math.MaxInt64, a, chatTag("-1009999999999999999"))
		if len(tok) > maxCallbackData {
			t.Errorf("%s: %d bytes, over %d: %s", a, len(tok), maxCallbackData, tok)
		}
	}
}

func TestContact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"123456789", ""},
		{"@alice", "is a username"},
		{"-1001234567890", "is a group's chat id"},
		{"alice", "is not a Telegram user id"},
		{"0123", "is not a Telegram user id"},
	} {
		if got := contact.Check(c.in); (c.want == "" && got != "") || !strings.HasPrefix(got, c.want) {
			t.Errorf("Check(%q) = %q, want %q…", c.in, got, c.want)
		}
	}
}

func TestEscape(t *testing.T) {
	j := wordJoiner
	for _, c := range []struct{ in, want string }{
		{`a<b>&"c"`, "a&lt;b&gt;&amp;&quot;c&quot;"},
		{"@bob and x@y", "@" + j + "bob and x@" + j + "y"},
		{"/start now, a/b", "/" + j + "start now, a/b"},
		{"evil.example. end.", "evil." + j + "example. end."},
		{"v1.2 at 10.5%", "v1." + j + "2 at 10." + j + "5%"},
	} {
		if got := escape(c.in); got != c.want {
			t.Errorf("escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
