package telegram

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/telegramfake"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/pagertest"
	"github.com/pagerd/pagerd/policies"
)

// inbound serves the Telegram webhook the way the daemon does, with a
// recording Act in place of the router, and sends pages into the fake
// whose buttons the test presses. alice is mapped by her telegram_id;
// mallory is no pagerd user.
type inbound struct {
	fake   *telegramfake.Fake
	clock  *testenv.Clock
	srv    *httptest.Server
	links  links.Builder
	client *client
	cfg    *policies.Config
	logs   *bytes.Buffer
	mu     sync.Mutex
	acted  []incident.Request
	// filed are the places of the bot's messages about incident 42;
	// refuse is who may not add notes to it.
	filed  map[string]bool
	refuse string
	// storeDown makes the next action fail, as a Redis error would.
	storeDown bool
}

// file makes m a message of the bot's about incident 42 (as the pager
// files it), of the thread "telegram:room:payments".
func (in *inbound) file(m telegramfake.Message) {
	in.mu.Lock()
	in.filed["telegram:"+strconv.FormatInt(m.Chat, 10)+"/"+strconv.FormatInt(m.ID, 10)] = true
	in.mu.Unlock()
}

var (
	alice   = telegramfake.Presser{ID: aliceID, Username: "alice_tg"}
	mallory = telegramfake.Presser{ID: 666666666, Username: "mallory"}
)

func newInbound(t *testing.T) *inbound {
	in := &inbound{clock: testenv.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)), logs: &bytes.Buffer{}, filed: map[string]bool{}}
	in.fake = telegramfake.Start(t, in.clock.Now)
	c := Config{BotToken: telegramfake.Token, WebhookSecret: telegramfake.Secret, APIURL: in.fake.URL()}
	in.cfg = &policies.Config{
		Blocks: map[string]any{Platform: chat.Config{Settings: c, Rooms: testRooms()}},
		Users: map[string]*policies.User{
			"alice": {Name: "alice", Contacts: map[string]string{"telegram_id": strconv.FormatInt(aliceID, 10)}},
		},
	}
	seen := map[string]bool{}
	delivered := map[string]bool{} // as the store keeps a note's delivery with it
	log := slog.New(slog.NewTextHandler(in.logs, nil))
	mux := http.NewServeMux()
	for _, rt := range pagers.Lookup(Platform).Routes {
		mux.HandleFunc(rt.Pattern, func(w http.ResponseWriter, req *http.Request) {
			rt.Serve(w, req, &pagers.Inbound{
				Config: in.cfg, Links: in.links, Log: log, Now: in.clock.Now,
				Act: func(_ context.Context, r incident.Request) (incident.Result, error) {
					in.mu.Lock()
					defer in.mu.Unlock()
					if r.By == in.refuse && r.Action == incident.Note {
						return incident.Result{}, &incident.Refusal{Request: r, Reason: "Only people paged or notified about incident #42 may add a note to it."}
					}
					in.acted = append(in.acted, r)
					if in.storeDown {
						in.storeDown = false
						return incident.Result{}, errors.New("redis: connection refused")
					}
					if r.Delivery != "" && delivered[r.Delivery] {
						return incident.Result{Outcome: incident.OutcomeRepeated, Before: incident.Triggered}, nil
					}
					delivered[r.Delivery] = r.Delivery != ""
					out := map[incident.Action]incident.Outcome{incident.Note: incident.OutcomeNoted, incident.Assign: incident.OutcomeAssigned}[r.Action]
					if out == "" {
						out = incident.OutcomeAcknowledged
					}
					return incident.Result{Outcome: out, Before: incident.Triggered}, nil
				},
				MessageAt: func(_ context.Context, place string) (int64, string, bool, error) {
					in.mu.Lock()
					defer in.mu.Unlock()
					if in.filed[place] {
						return 42, "telegram:room:payments", true, nil
					}
					return 0, "", false, nil
				},
				Once: func(_ context.Context, key string, _ time.Duration) (bool, error) {
					in.mu.Lock()
					defer in.mu.Unlock()
					first := !seen[key]
					seen[key] = true
					return first, nil
				},
				Fail: func(w http.ResponseWriter, _ *http.Request, code int, msg string, cause error) {
					log.Warn("request failed", "status", code, "error", msg, "cause", cause)
					http.Error(w, msg, code)
				},
			})
		})
	}
	in.srv = httptest.NewServer(mux)
	t.Cleanup(in.srv.Close)
	in.links = links.Builder{PublicURL: in.srv.URL, TTL: time.Hour, Signer: links.Signer{Key: testKey, Now: in.clock.Now}}
	in.client = newClient(c, pagers.Env{Links: func() links.Builder { return in.links }})
	return in
}

func (in *inbound) webhook() string { return in.srv.URL + WebhookPath }

// page sends incident 42's page into the room, and returns it.
func (in *inbound) page(t *testing.T) telegramfake.Message {
	t.Helper()
	room := testRooms()["payments"]
	if _, err := in.client.Post(context.Background(), chat.Recipient{Room: &room}, chat.MessageOf(pagertest.CheckoutPage(), "42/page", true)); err != nil {
		t.Fatal(err)
	}
	return in.fake.In(roomChat)[0]
}

func (in *inbound) requests() []incident.Request {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]incident.Request(nil), in.acted...)
}

// An update without the webhook's secret, or with a wrong one, is refused
// (401) and changes nothing; the secret is in no log line.
func TestWebhookSecret(t *testing.T) {
	in := newInbound(t)
	m := in.page(t)
	for name, how := range map[string]telegramfake.Send{
		"no secret":    {NoSecret: true},
		"wrong secret": {Secret: "fake-webhook-secret_0123456789abcdeF"},
		"empty":        {Secret: " "},
	} {
		if got := in.fake.Press(t, in.webhook(), m, "Acknowledge", alice, how); got.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, got.Code, got.Body)
		}
	}
	if len(in.requests()) != 0 || len(in.fake.Answers()) != 0 {
		t.Errorf("refused updates acted: %+v", in.requests())
	}
	if logs := in.logs.String(); !strings.Contains(logs, "bad X-Telegram-Bot-Api-Secret-Token") || strings.Contains(logs, telegramfake.Secret) {
		t.Errorf("logs = %s", logs)
	}
}

// A press whose callback data is the button's token acts as the mapped
// user, through the same typed action as an SMS reply, and tells who
// pressed; Telegram delivering the update again acts no more. Forged or
// altered data, an ack link's token, and a token for another chat are
// refused (403) and change nothing, with a log line.
func TestButtonPress(t *testing.T) {
	in := newInbound(t)
	m := in.page(t)
	good, _ := m.Data("Acknowledge")
	altered := []byte(good)
	altered[7] ^= 1
	other := links.Signer{Key: []byte("another deployment's key, 32 b!!"), Now: in.clock.Now}
	forged := other.SignCallback(links.Callback{IncidentID: 42, Action: incident.Ack, Where: chatTag(strconv.FormatInt(roomChat, 10)), Expires: in.clock.Now().Add(time.Hour)})
	for name, how := range map[string]telegramfake.Send{
		"no data":      {Data: " "},
		"forged":       {Data: forged},
		"altered":      {Data: string(altered)},
		"an ack link":  {Data: in.links.ActionToken(42, incident.Ack, "alice")},
		"another chat": {Chat: -1009999999999},
	} {
		if got := in.fake.Press(t, in.webhook(), m, "Acknowledge", alice, how); got.Code != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", name, got.Code, got.Body)
		}
	}
	if len(in.requests()) != 0 {
		t.Fatalf("refused presses acted: %+v", in.requests())
	}
	if n := strings.Count(in.logs.String(), "status=403"); n != 5 {
		t.Errorf("%d log lines of refused presses, want 5:\n%s", n, in.logs)
	}
	press := telegramfake.Send{UpdateID: 1000}
	if got := in.fake.Press(t, in.webhook(), m, "Acknowledge", alice, press); got.Code != http.StatusOK || got.Method != "answerCallbackQuery" {
		t.Fatalf("press = %d %s", got.Code, got.Body)
	}
	want := incident.Request{Incident: 42, Action: incident.Ack, By: "alice", Via: "telegram", Credential: incident.CredentialAddress}
	if got := in.requests(); len(got) != 1 || got[0] != want {
		t.Fatalf("acted %+v, want %+v", got, want)
	}
	if a := in.fake.Answers(); len(a) != 1 || a[0].Text != "Incident #42 acknowledged by alice." || a[0].Alert {
		t.Errorf("answers = %+v", a)
	}
	if got := in.fake.Press(t, in.webhook(), m, "Acknowledge", alice, press); got.Code != http.StatusOK || len(in.requests()) != 1 {
		t.Errorf("the update again = %d %s, acted %d times; want 200 and nothing more", got.Code, got.Body, len(in.requests()))
	}
}

// Someone pagerd cannot map is asked who they are and nothing changes; a
// button older than link_ttl says so, and what to type instead.
func TestButtonPressMapsPeople(t *testing.T) {
	in := newInbound(t)
	m := in.page(t)
	if got := in.fake.Press(t, in.webhook(), m, "Resolve", mallory, telegramfake.Send{}); got.Code != http.StatusOK {
		t.Fatalf("press = %d %s", got.Code, got.Body)
	}
	a := in.fake.Answers()
	if len(in.requests()) != 0 || len(a) != 1 || !a[0].Alert || !strings.Contains(a[0].Text, `telegram_id = "666666666"`) {
		t.Fatalf("acted %+v, answers %+v", in.requests(), a)
	}
	in.fake.Press(t, in.webhook(), m, "Escalate now", alice, telegramfake.Send{})
	if got := in.requests(); len(got) != 1 || got[0].By != "alice" || got[0].Action != incident.Escalate {
		t.Errorf("acted %+v, want alice escalating", got)
	}
	in.clock.Advance(2 * time.Hour)
	in.fake.Press(t, in.webhook(), m, "Acknowledge", alice, telegramfake.Send{})
	if a := in.fake.Answers(); len(in.requests()) != 1 || !strings.Contains(a[len(a)-1].Text, "expired") || !strings.Contains(a[len(a)-1].Text, "/ack 42") {
		t.Errorf("an expired button: answers %+v, acted %d times", a, len(in.requests()))
	}
}

// Commands typed to the bot act like presses ("/ack@bot 42" in a group),
// and /start tells the ids the config needs; the answer replies to the
// command.
func TestCommands(t *testing.T) {
	in := newInbound(t)
	for _, c := range []struct {
		chat int64
		who  telegramfake.Presser
		text string
		want []string
	}{
		{roomChat, alice, "/ack@pagerd_bot 42", []string{"Incident #42 acknowledged by alice."}},
		{roomChat, mallory, "/resolve 42", []string{"Who are you?", `telegram_id = "666666666"`}},
		{mallory.ID, mallory, "/start", []string{"Your Telegram user id is 666666666", "Try: ack 42"}},
		{roomChat, mallory, "/id@pagerd_bot", []string{"This chat's id is -1001234567890", `chat_id = "-1001234567890"`}},
		{roomChat, alice, "/oncall", []string{"No schedules are configured."}},
		{roomChat, alice, "/dance", []string{"Not understood."}},
	} {
		got := in.fake.Command(t, in.webhook(), c.chat, c.who, c.text, telegramfake.Send{})
		if got.Code != http.StatusOK || got.Method != "sendMessage" {
			t.Errorf("%s: %d %s", c.text, got.Code, got.Body)
			continue
		}
		msgs := in.fake.Messages()
		last := msgs[len(msgs)-1]
		for _, w := range c.want {
			if !last.Answer || last.Chat != c.chat || last.ReplyTo != msgs[len(msgs)-2].ID || !strings.Contains(strings.ReplaceAll(last.Visible(), wordJoiner, ""), w) {
				t.Errorf("%s: answered %+v, want it to say %q", c.text, last, w)
			}
		}
	}
	if got := in.requests(); len(got) != 1 || got[0].By != "alice" || got[0].Action != incident.Ack || got[0].Incident != 42 {
		t.Errorf("acted %+v, want alice's ack only", got)
	}
	// Nothing pagerd needs: no answer, no act.
	if got := in.fake.Command(t, in.webhook(), roomChat, alice, "hello all", telegramfake.Send{}); got.Code != http.StatusOK || got.Method != "" {
		t.Errorf("a plain message = %d %q", got.Code, got.Body)
	}
}

// Take command is a button like the others, its callback data a token
// signed for assign within 64 bytes: the presser asks to be the incident
// manager, as "/ic 42" does; an expired one says to send that.
func TestTakeCommandButton(t *testing.T) {
	in := newInbound(t)
	m := in.page(t)
	if got := in.fake.Press(t, in.webhook(), m, "Take command", alice, telegramfake.Send{}); got.Code != http.StatusOK {
		t.Fatalf("press = %d %s", got.Code, got.Body)
	}
	want := incident.Request{Incident: 42, Action: incident.Assign, By: "alice", Via: "telegram", Role: incident.RoleManager,
		Assignee: "alice", Credential: incident.CredentialAddress}
	if got := in.requests(); len(got) != 1 || got[0] != want {
		t.Fatalf("acted %+v, want %+v", got, want)
	}
	in.clock.Advance(2 * time.Hour)
	in.fake.Press(t, in.webhook(), m, "Take command", alice, telegramfake.Send{})
	if a := in.fake.Answers(); len(a) != 2 || a[0].Text != "Incident #42: alice is now its incident manager." || !strings.HasSuffix(a[1].Text, "Send /ic 42 instead.") {
		t.Errorf("answers = %+v", a)
	}
}

// A person's reply to one of the bot's messages about an incident — in a
// group, or in their private chat — is their note, naming the thread;
// the bot reacts to it and repeats nothing. A reply to a message the bot
// keeps no record of, a bot's, and a stranger's in a group are let be (a
// stranger in a private chat is asked who they are); a refusal is
// answered as a reply. An update delivered again carries the first's
// delivery, which the store notes once (the reaction is set again, in
// case it was lost); one whose first delivery failed is noted when it
// comes again. One without the secret is refused.
func TestReplyIsANote(t *testing.T) {
	in := newInbound(t)
	m := in.page(t)
	in.file(m)
	if got := in.fake.Reply(t, in.webhook(), m, alice, "rolled back abc", telegramfake.Send{NoSecret: true}); got.Code != http.StatusUnauthorized {
		t.Errorf("no secret = %d, want 401", got.Code)
	}
	reply := in.fake.Reply(t, in.webhook(), m, alice, "rolled back abc", telegramfake.Send{UpdateID: 900})
	if reply.Code != http.StatusOK || reply.Method != "setMessageReaction" {
		t.Fatalf("reply = %d %s", reply.Code, reply.Body)
	}
	want := incident.Request{Incident: 42, Action: incident.Note, By: "alice", Via: "telegram", Text: "rolled back abc", Thread: "telegram:room:payments",
		Delivery: "telegram:update:" + botID(telegramfake.Token) + ":900"}
	if got := in.requests(); len(got) != 1 || got[0] != want {
		t.Fatalf("acted %+v\nwant %+v", got, want)
	}
	typed := in.fake.Replies(roomChat, m.ID)
	if r := in.fake.Reactions(); len(r) != 1 || r[0] != (telegramfake.Reaction{Chat: roomChat, MessageID: typed[len(typed)-1].ID, Emoji: "✍"}) {
		t.Errorf("reactions = %+v", r)
	}
	if got := in.fake.Reply(t, in.webhook(), m, alice, "rolled back abc", telegramfake.Send{UpdateID: 900}); got.Code != http.StatusOK || got.Method != "setMessageReaction" {
		t.Errorf("the update again = %d %s, want 200 and the same reaction", got.Code, got.Body)
	}
	if got := in.requests(); len(got) != 2 || got[1] != want {
		t.Fatalf("acted %+v, want the note and its delivery again", got)
	}
	in.mu.Lock()
	in.storeDown = true
	in.mu.Unlock()
	if got := in.fake.Reply(t, in.webhook(), m, alice, "second thought", telegramfake.Send{UpdateID: 901}); got.Code != http.StatusServiceUnavailable {
		t.Fatalf("a reply while the store fails = %d %s, want 503", got.Code, got.Body)
	}
	if got := in.fake.Reply(t, in.webhook(), m, alice, "second thought", telegramfake.Send{UpdateID: 901}); got.Code != http.StatusOK || got.Method != "setMessageReaction" {
		t.Errorf("the failed update again = %d %s, want it noted", got.Code, got.Body)
	}
	const taken = 4 // the note, its delivery again, the failed delivery and its retry

	unfiled := telegramfake.Message{Chat: roomChat, ID: 9999}
	in.fake.Reply(t, in.webhook(), unfiled, alice, "a reply to someone else", telegramfake.Send{})
	in.fake.Reply(t, in.webhook(), m, telegramfake.Presser{ID: 777, Username: "otherbot", Bot: true}, "a bot", telegramfake.Send{})
	if got := in.fake.Reply(t, in.webhook(), m, mallory, "me too", telegramfake.Send{}); got.Code != http.StatusOK || got.Method != "" {
		t.Errorf("a stranger's reply in a group = %d %s, want nothing said", got.Code, got.Body)
	}
	if !strings.Contains(in.logs.String(), "by someone who is no pagerd user, ignored") {
		t.Errorf("no log line for the stranger: %s", in.logs)
	}
	dm := telegramfake.Message{Chat: mallory.ID, ID: m.ID}
	in.file(dm)
	if got := in.fake.Reply(t, in.webhook(), dm, mallory, "me too", telegramfake.Send{}); got.Method != "sendMessage" || !strings.Contains(got.Body, "Who are you?") {
		t.Errorf("a stranger's reply in their private chat = %d %s", got.Code, got.Body)
	}
	in.refuse = "alice"
	if got := in.fake.Reply(t, in.webhook(), m, alice, "one more", telegramfake.Send{}); got.Method != "sendMessage" || !strings.Contains(got.Body, "Refused. Only people paged") {
		t.Errorf("a refused reply = %d %s", got.Code, got.Body)
	}
	if got := in.requests(); len(got) != taken {
		t.Errorf("acted %+v, want alice's first notes only", got)
	}
}
