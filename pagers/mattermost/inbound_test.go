package mattermost

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/mattermostfake"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/pagertest"
	"github.com/pagerd/pagerd/policies"
)

// inbound serves the Mattermost action route the way the daemon does,
// with a recording Act in place of the router, and posts pages into the
// fake whose buttons call it. alice is mapped by username, carol only by
// the email the bot sees.
type inbound struct {
	fake   *mattermostfake.Fake
	clock  *testenv.Clock
	srv    *httptest.Server
	links  links.Builder
	client *client
	cfg    *policies.Config
	users  map[string]string // username → Mattermost id
	mu     sync.Mutex
	acted  []incident.Request
	filed  map[string]bool // places of pagerd's messages about incident 42
	// manager is incident 42's manager; refuse is who may not add notes.
	manager, refuse string
}

// outgoingToken is the room's outgoing webhook's token.
const outgoingToken = "outgoingtoken0000000000001"

// file makes p a message of pagerd's about incident 42 (as the pager
// files it), in the room's thread "mattermost:room:payments".
func (in *inbound) file(p mattermostfake.Post) {
	in.mu.Lock()
	in.filed["mattermost:"+p.ChannelID+"/"+p.ID] = true
	in.mu.Unlock()
}

func newInbound(t *testing.T, webhookOnly bool) *inbound {
	in := &inbound{clock: testenv.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)), users: map[string]string{}, filed: map[string]bool{}}
	in.fake = mattermostfake.Start(t, in.clock.Now)
	for _, u := range []struct{ name, email string }{{"alice", "alice@example.com"}, {"carol", "Carol@Example.com"}, {"mallory", "mallory@example.com"}} {
		in.users[u.name] = in.fake.AddUser(u.name, u.email)
	}
	c := Config{URL: in.fake.URL(), BotToken: mattermostfake.Token}
	if webhookOnly {
		c = Config{WebhookURL: in.fake.WebhookURL()}
	}
	in.cfg = &policies.Config{
		Blocks: map[string]any{Platform: chat.Config{Settings: c, Rooms: map[string]chat.Room{
			"payments": {Name: "payments", Settings: RoomConfig{ChannelID: roomChannel, Channel: "payments-oncall", OutgoingToken: outgoingToken}},
			"ops":      {Name: "ops", Settings: RoomConfig{ChannelID: opsChannel, OutgoingToken: "outgoingtoken0000000000002"}}}}},
		Users: map[string]*policies.User{
			"alice": {Name: "alice", Contacts: map[string]string{"mattermost_username": "alice"}},
			"carol": {Name: "carol", Contacts: map[string]string{"email": "carol@example.com"}},
		},
	}
	seen := map[string]bool{}
	mux := http.NewServeMux()
	for _, rt := range pagers.Lookup(Platform).Routes {
		mux.HandleFunc(rt.Pattern, func(w http.ResponseWriter, req *http.Request) {
			rt.Serve(w, req, &pagers.Inbound{
				Config: in.cfg, Links: in.links, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: in.clock.Now,
				Act: func(_ context.Context, r incident.Request) (incident.Result, error) {
					in.mu.Lock()
					defer in.mu.Unlock()
					if r.By == in.refuse && r.Action == incident.Note {
						return incident.Result{}, &incident.Refusal{Request: r, Reason: "Only people paged or notified about incident #42 may add a note to it."}
					}
					in.acted = append(in.acted, r)
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
						return 42, "mattermost:room:payments", true, nil
					}
					return 0, "", false, nil
				},
				Incident: func(_ context.Context, id int64) (*incident.Incident, error) {
					in.mu.Lock()
					defer in.mu.Unlock()
					inc := &incident.Incident{ID: id, Title: "CheckoutDown", Service: "checkout", Status: incident.Acknowledged,
						AckedBy: "alice", AckedAt: in.clock.Now()}
					if in.manager != "" {
						inc.Roles = map[incident.Role]string{incident.RoleManager: in.manager}
					}
					return inc, nil
				},
				Once: func(_ context.Context, key string, _ time.Duration) (bool, error) {
					in.mu.Lock()
					defer in.mu.Unlock()
					first := !seen[key]
					seen[key] = true
					return first, nil
				},
				Fail: func(w http.ResponseWriter, _ *http.Request, code int, msg string, _ error) { http.Error(w, msg, code) },
			})
		})
	}
	in.srv = httptest.NewServer(mux)
	t.Cleanup(in.srv.Close)
	in.links = links.Builder{PublicURL: in.srv.URL, TTL: time.Hour,
		Signer: links.Signer{Key: []byte("0123456789abcdef0123456789abcdef"), Now: in.clock.Now}}
	in.client = newClient(c, pagers.Env{Links: func() links.Builder { return in.links }})
	return in
}

// page posts incident 42's page into the room, and returns it.
func (in *inbound) page(t *testing.T) mattermostfake.Post {
	t.Helper()
	n := pagertest.CheckoutPage()
	room := in.cfg.Blocks[Platform].(chat.Config).Rooms["payments"]
	if _, err := in.client.Post(context.Background(), chat.Recipient{Room: &room}, chat.MessageOf(n, "42/page", true)); err != nil {
		t.Fatal(err)
	}
	posts := in.fake.Posts()
	return posts[len(posts)-1]
}

func (in *inbound) requests() []incident.Request {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]incident.Request(nil), in.acted...)
}

// A press carrying the button's token acts as the mapped user, through
// the same typed action as an SMS reply, and tells who pressed; a missing,
// forged or altered token, a token for another channel and a replayed
// press are refused and change nothing.
func TestButtonPress(t *testing.T) {
	in := newInbound(t, false)
	p := in.page(t)
	alice := in.users["alice"]
	other := links.Builder{PublicURL: in.srv.URL, TTL: time.Hour, Signer: links.Signer{Key: []byte("another deployment's key, 32 b!!")}}
	good := p.Actions()[0].Integration.Context["token"].(string)
	altered := []byte(good)
	altered[6] ^= 1
	for _, c := range []struct {
		name string
		how  mattermostfake.Press
		code int
	}{
		{"no token", mattermostfake.Press{Token: " "}, http.StatusUnauthorized},
		{"forged", mattermostfake.Press{Token: other.CallbackToken(42, incident.Ack, "room:payments")}, http.StatusUnauthorized},
		{"altered", mattermostfake.Press{Token: string(altered)}, http.StatusUnauthorized},
		{"an ack link", mattermostfake.Press{Token: in.links.ActionToken(42, incident.Ack, "alice")}, http.StatusUnauthorized},
		{"another channel", mattermostfake.Press{Channel: mattermostfake.ID("chanother", 1)}, http.StatusForbidden},
	} {
		if got := in.fake.Press(t, p, "ack", alice, c.how); got.Code != c.code {
			t.Errorf("%s: %d %s, want %d", c.name, got.Code, got.Body, c.code)
		}
	}
	if len(in.requests()) != 0 {
		t.Fatalf("refused presses acted: %+v", in.requests())
	}
	press := mattermostfake.Press{TriggerID: "trigger-1"}
	if got := in.fake.Press(t, p, "ack", alice, press); got.Code != http.StatusOK || strings.Contains(got.Body, `"update"`) {
		t.Fatalf("press = %d %s; want 200 and no update (the bot edits the post)", got.Code, got.Body)
	}
	want := incident.Request{Incident: 42, Action: incident.Ack, By: "alice", Via: "mattermost", Credential: incident.CredentialAddress}
	if got := in.requests(); len(got) != 1 || got[0] != want {
		t.Fatalf("acted %+v, want %+v", got, want)
	}
	if a := in.fake.Answers(); len(a) != 1 || a[0] != `Incident \#42 acknowledged by alice\.` {
		t.Errorf("answers = %q", a)
	}
	if got := in.fake.Press(t, p, "ack", alice, press); got.Code != http.StatusForbidden || len(in.requests()) != 1 {
		t.Errorf("replayed press = %d %s, want 403 and nothing done", got.Code, got.Body)
	}
	// The user name in the request is not trusted when the bot can ask.
	if got := in.fake.Press(t, p, "resolve", in.users["mallory"], mattermostfake.Press{UserName: "alice"}); !strings.Contains(got.Body, "Who are you?") || len(in.requests()) != 1 {
		t.Errorf("mallory claiming to be alice = %d %s", got.Code, got.Body)
	}
}

// Someone pagerd cannot map is asked who they are and nothing changes;
// someone known by email alone acts; a button older than link_ttl says so.
func TestButtonPressMapsPeople(t *testing.T) {
	in := newInbound(t, false)
	p := in.page(t)
	stranger := in.fake.AddUser("stranger", "")
	if got := in.fake.Press(t, p, "resolve", stranger, mattermostfake.Press{}); got.Code != http.StatusOK {
		t.Fatalf("press = %d %s", got.Code, got.Body)
	}
	if a := in.fake.Answers(); len(in.requests()) != 0 || len(a) != 1 || !strings.Contains(a[0], "Who are you?") || !strings.Contains(a[0], `mattermost\_username = "stranger"`) {
		t.Fatalf("acted %+v, answers %q", in.requests(), a)
	}
	in.fake.Press(t, p, "escalate", in.users["carol"], mattermostfake.Press{})
	if got := in.requests(); len(got) != 1 || got[0].By != "carol" || got[0].Action != incident.Escalate {
		t.Errorf("acted %+v, want carol escalating", got)
	}
	in.clock.Advance(2 * time.Hour)
	if got := in.fake.Press(t, p, "ack", in.users["alice"], mattermostfake.Press{}); got.Code != http.StatusOK || !strings.Contains(got.Body, "expired") || len(in.requests()) != 1 {
		t.Errorf("an expired button = %d %s, acted %d times", got.Code, got.Body, len(in.requests()))
	}
}

// A webhook's post, which the bot cannot edit, is redrawn by the answer
// to its press: the incident as it now stands, its buttons with it.
func TestWebhookPressRedrawsThePost(t *testing.T) {
	in := newInbound(t, true)
	p := in.page(t)
	if !p.Hook || p.Buttons() != "ack resolve escalate assign" {
		t.Fatalf("page = %+v", p)
	}
	if got := in.fake.Press(t, p, "ack", in.users["alice"], mattermostfake.Press{}); got.Code != http.StatusOK {
		t.Fatalf("press = %d %s", got.Code, got.Body)
	}
	if r := in.requests(); len(r) != 1 || r[0].By != "alice" {
		t.Fatalf("acted %+v", r)
	}
	after := in.fake.In("payments-oncall")[0]
	if after.Updates != 1 || after.Buttons() != "resolve assign" || !strings.Contains(after.Attachments(), "Acknowledged by alice at") {
		t.Errorf("post after the press: %d updates, buttons %q, %s", after.Updates, after.Buttons(), after.Attachments())
	}
	// The redrawn buttons work, for the same room.
	if got := in.fake.Press(t, after, "resolve", in.users["alice"], mattermostfake.Press{}); got.Code != http.StatusOK || len(in.requests()) != 2 {
		t.Errorf("press on the redrawn post = %d %s", got.Code, got.Body)
	}
}

// opsChannel is the channel of the room "ops", whose outgoing webhook has
// a token of its own.
var opsChannel = mattermostfake.ID("chanops", 1)

// Take command is a button like the others, carrying a token signed for
// assign: the presser asks to be the incident manager, as "ic 42" does.
// Once someone else has command, pressing it changes nothing.
func TestTakeCommandButton(t *testing.T) {
	in := newInbound(t, false)
	p := in.page(t)
	if got := in.fake.Press(t, p, "assign", in.users["alice"], mattermostfake.Press{}); got.Code != http.StatusOK {
		t.Fatalf("press = %d %s", got.Code, got.Body)
	}
	want := incident.Request{Incident: 42, Action: incident.Assign, By: "alice", Via: "mattermost", Role: incident.RoleManager,
		Assignee: "alice", Credential: incident.CredentialAddress}
	if got := in.requests(); len(got) != 1 || got[0] != want {
		t.Fatalf("acted %+v, want %+v", got, want)
	}
	in.manager = "carol"
	in.fake.Press(t, p, "assign", in.users["alice"], mattermostfake.Press{})
	a := in.fake.Answers()
	if len(in.requests()) != 1 || len(a) != 2 || a[0] != `Incident \#42: alice is now its incident manager\.` ||
		!strings.HasPrefix(a[1], `Incident \#42 already has an incident manager, carol, so nothing changed\.`) {
		t.Errorf("acted %+v, answers %q", in.requests(), a)
	}
}

// A person's reply in the thread of pagerd's post, told by the room's
// outgoing webhook, is their note, naming the thread; the bot marks it
// with a reaction and posts nothing. pagerd's own posts and replies, a
// stranger's reply (a log line) and a reply in a thread pagerd did not
// start are let be; a refused one is answered in the thread. A missing or
// forged token is refused, another room's token too, and a post sent
// again.
func TestThreadReplyIsANote(t *testing.T) {
	in := newInbound(t, false)
	in.fake.Outgoing(roomChannel, outgoingToken, in.srv.URL+MessagesPath)
	p := in.page(t)
	in.file(p)
	in.fake.Settle() // the page itself went to the webhook too
	if d := in.fake.Deliveries(); len(d) != 1 || d[0].Code != http.StatusOK || strings.Contains(d[0].Body, "text") {
		t.Fatalf("pagerd's own post, told back: %+v", d)
	}

	reply := in.fake.Reply(t, p, in.users["alice"], "rolled back abc; cc @bob", mattermostfake.Outgoing{})
	if reply.Code != http.StatusOK || strings.Contains(reply.Body, "text") {
		t.Fatalf("alice's reply = %d %s", reply.Code, reply.Body)
	}
	want := incident.Request{Incident: 42, Action: incident.Note, By: "alice", Via: "mattermost", Text: "rolled back abc; cc @bob",
		Thread: "mattermost:room:payments"}
	if got := in.requests(); len(got) != 1 || got[0] != want {
		t.Fatalf("acted %+v\nwant %+v", got, want)
	}
	if r := in.fake.Reactions(); len(r) != 1 || r[0] != (mattermostfake.Reaction{PostID: reply.PostID, UserID: mattermostfake.BotID, Emoji: "writing_hand"}) {
		t.Errorf("reactions = %+v", r)
	}
	ap := in.fake.Thread(p.ID)[0]
	for name, c := range map[string]struct {
		how  mattermostfake.Outgoing
		code int
	}{
		"forged token":        {mattermostfake.Outgoing{Token: "notthetoken000000000000001"}, http.StatusUnauthorized},
		"no token":            {mattermostfake.Outgoing{Token: " "}, http.StatusUnauthorized},
		"another room's":      {mattermostfake.Outgoing{Token: "outgoingtoken0000000000002"}, http.StatusForbidden},
		"the same post again": {mattermostfake.Outgoing{}, http.StatusForbidden},
	} {
		if got := in.fake.Resend(t, ap, c.how); got.Code != c.code {
			t.Errorf("%s: %d %s, want %d", name, got.Code, got.Body, c.code)
		}
	}
	if len(in.requests()) != 1 {
		t.Fatalf("refused deliveries acted: %+v", in.requests())
	}

	// Posted as a form, the webhook's other content type.
	if d := in.fake.Reply(t, p, in.users["carol"], "error rate normal", mattermostfake.Outgoing{Form: true}); d.Code != http.StatusOK {
		t.Errorf("carol's reply, as a form = %d %s", d.Code, d.Body)
	}
	if got := in.requests(); len(got) != 2 || got[1].By != "carol" || got[1].Text != "error rate normal" {
		t.Errorf("carol's reply, as a form: acted %+v", got)
	}
	// pagerd's own reply in the thread (a fact) goes to the webhook too.
	room := in.cfg.Blocks[Platform].(chat.Config).Rooms["payments"]
	if _, err := in.client.Reply(context.Background(), chat.Recipient{Room: &room}, apiRef(p.ChannelID, p.ID),
		chat.Message{Key: "42/reply", Incident: pagertest.CheckoutPage().Incident, Fact: "Acknowledged by alice (mattermost)"}); err != nil {
		t.Fatal(err)
	}
	stranger := in.fake.AddUser("stranger", "")
	in.fake.Reply(t, p, stranger, "me too", mattermostfake.Outgoing{})
	other := in.page(t) // not filed: a post pagerd keeps no record of
	in.fake.Reply(t, other, in.users["alice"], "unrelated", mattermostfake.Outgoing{})
	in.fake.Settle()
	if got := in.requests(); len(got) != 2 {
		t.Errorf("acted %+v, want alice's and carol's notes only", got)
	}

	in.refuse = "alice"
	refused := in.fake.Reply(t, p, in.users["alice"], "one more", mattermostfake.Outgoing{})
	in.fake.Settle()
	th := in.fake.Thread(p.ID)
	last := th[len(th)-1]
	if refused.Code != http.StatusOK || !strings.Contains(last.Message, "Refused\\. Only people paged") || last.Props["from_webhook"] != "true" {
		t.Errorf("a refused reply: %d %s; the thread ends with %+v", refused.Code, refused.Body, last)
	}
	if got := in.requests(); len(got) != 2 {
		t.Errorf("acted %+v after the refusal and its answer went round", got)
	}
}
