package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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
	"github.com/pagerd/pagerd/router/store"
)

// roomChannel is the channel id of the room "payments".
var roomChannel = mattermostfake.ID("chanpayments", 1)

// rig is the Mattermost pager against the fake, with the real store
// keeping its message log and rate limits on a driven clock: waiting
// moves the clock instead of sleeping.
type rig struct {
	t     *testing.T
	fake  *mattermostfake.Fake
	clock *testenv.Clock
	st    *store.Store
	pager pagers.Pager
	links links.Builder
	id    int64
	alice string // alice's Mattermost user id
}

// newRig builds the pager, with the fake's bot or (webhookOnly) its
// incoming webhook alone.
func newRig(t *testing.T, webhookOnly bool) *rig {
	t.Helper()
	r := &rig{t: t, clock: testenv.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))}
	r.fake = mattermostfake.Start(t, r.clock.Now)
	r.alice = r.fake.AddUser("alice", "alice@example.com")
	r.links = links.Builder{PublicURL: "https://pagerd.example.com", TTL: time.Hour,
		Signer: links.Signer{Key: []byte("0123456789abcdef0123456789abcdef"), Now: r.clock.Now}}
	srv := testenv.StartRedis(t)
	r.st = store.New(srv.Client(t), "mattermost")
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
	c := Config{URL: r.fake.URL(), BotToken: mattermostfake.Token}
	if webhookOnly {
		c = Config{WebhookURL: r.fake.WebhookURL()}
	}
	env := pagers.Env{Limits: r.st, Messages: r.st, Now: r.clock.Now, Links: func() links.Builder { return r.links },
		Sleep: func(ctx context.Context, d time.Duration) error { r.clock.Advance(d); return ctx.Err() }}
	p, err := pagers.Lookup(Platform).Build(r.config(c), env)
	if err != nil || p == nil {
		t.Fatalf("build = %v, %v", p, err)
	}
	r.pager = p
	return r
}

func (r *rig) config(c Config) *policies.Config {
	return &policies.Config{Blocks: map[string]any{Platform: chat.Config{
		Settings: c,
		Rooms: map[string]chat.Room{"payments": {Name: "payments", Settings: RoomConfig{
			ChannelID: roomChannel, Channel: "payments-oncall"}}},
	}}}
}

// page is pagertest's page, about the rig's incident, to the room or (dest
// "") to alice by direct message.
func (r *rig) page(dest string) pagers.Notification {
	n := pagertest.CheckoutPage()
	n.Incident.ID, n.Channel = r.id, Platform
	n.Key = fmt.Sprintf("%d:0:0:step:%s", r.id, dest)
	if dest != "" {
		n.Destination, n.User, n.Address, n.AckURL = dest, "", "", ""
	} else {
		n.User, n.Address = "alice", "alice"
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
		Fact: incident.Fact{At: r.clock.Now(), Kind: kind, Actor: actor, Via: "mattermost"}}
	if _, err := r.send(pagers.Notification{Kind: pagers.KindFollow, Channel: Platform, Incident: inc, Event: &ev}); err != nil {
		r.t.Fatal(err)
	}
}

func acked(inc pagers.Incident, by string, at time.Time) pagers.Incident {
	inc.Status, inc.AckedBy, inc.AckedAt = "acknowledged", by, at
	return inc
}

func resolved(inc pagers.Incident, by string, at time.Time) pagers.Incident {
	inc.Status, inc.ResolvedBy, inc.ResolvedAt = "resolved", by, at
	return inc
}

// A page to a room is one post with the incident's buttons, each carrying
// a callback token for its action, and pagerd's key in its properties;
// sending it again posts nothing more; a post a crash kept from being
// recorded is found by its key rather than posted twice.
func TestPageToARoomIsPostedOnce(t *testing.T) {
	r := newRig(t, false)
	n := r.page("payments")
	rcpt, err := r.send(n)
	if err != nil {
		t.Fatal(err)
	}
	posts := r.fake.In(roomChannel)
	if len(posts) != 1 {
		t.Fatalf("room has %d posts, want 1", len(posts))
	}
	p := posts[0]
	if rcpt.ProviderID != roomChannel+"/"+p.ID || p.Key() == "" || p.Hook {
		t.Errorf("receipt %q, post %+v; want the post's channel/id and pagerd's key", rcpt.ProviderID, p)
	}
	if p.Buttons() != "ack resolve escalate assign" {
		t.Errorf("buttons = %q", p.Buttons())
	}
	for _, a := range p.Actions() {
		cb, err := r.links.Signer.VerifyCallback(a.Integration.Context["token"].(string))
		if err != nil || cb.IncidentID != r.id || string(cb.Action) != a.ID || cb.Where != "room:payments" ||
			a.Integration.URL != "https://pagerd.example.com"+ActionPath {
			t.Errorf("button %s: %+v to %s (%v)", a.ID, cb, a.Integration.URL, err)
		}
	}
	for _, want := range []string{`**#1 CRITICAL CheckoutDown \\(checkout\\)**`, "checkout is down", "Escalate now", "Triggered at", "[Source](http://prometheus.example.com/graph?g0.expr=up)"} {
		if !strings.Contains(p.Attachments(), want) {
			t.Errorf("attachments lack %q: %s", want, p.Attachments())
		}
	}
	if _, err := r.send(n); err != nil || len(r.fake.In(roomChannel)) != 1 {
		t.Fatalf("sent again: %v, %d posts; want still 1", err, len(r.fake.In(roomChannel)))
	}
	// A crash between the post and its record: the next attempt finds it.
	if err := r.st.KeepMessage(context.Background(), r.id, "mattermost:page:"+n.Key, `{"to":"room:payments"}`); err != nil {
		t.Fatal(err)
	}
	calls := len(r.fake.Calls())
	rcpt2, err := r.send(n)
	if err != nil || rcpt2.ProviderID != rcpt.ProviderID || len(r.fake.In(roomChannel)) != 1 {
		t.Fatalf("after a crash: %q, %v, %d posts; want %q found", rcpt2.ProviderID, err, len(r.fake.In(roomChannel)), rcpt.ProviderID)
	}
	if got := r.fake.Calls()[calls:]; len(got) != 1 || got[0] != "GET /api/v4/channels/"+roomChannel+"/posts" {
		t.Errorf("after a crash it called %v, want one look-up", got)
	}
}

// With the bot, a message follows its incident: patched in place (the
// buttons that no longer apply go, who and when show) and the fact
// replied in its thread, once however often the event comes; a person is
// paged in the bot's direct channel with them.
func TestMessagesFollowTheIncident(t *testing.T) {
	r := newRig(t, false)
	if _, err := r.send(r.page("payments")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.send(r.page("")); err != nil {
		t.Fatal(err)
	}
	dmChannel := mattermostfake.DM(r.alice)
	if dm := r.fake.In(dmChannel); len(dm) != 1 || dm[0].Buttons() != "ack resolve escalate assign" {
		t.Fatalf("alice's direct messages = %+v", dm)
	}
	inc := acked(r.page("").Incident, "bob", r.clock.Now())
	r.follow(inc, incident.KindAcknowledged, "1-1", "bob")
	r.follow(inc, incident.KindAcknowledged, "1-1", "bob") // delivered again
	for _, ch := range []string{roomChannel, dmChannel} {
		p := r.fake.In(ch)[0]
		if p.Edits != 2 || p.Buttons() != "resolve assign" || !strings.Contains(p.Attachments(), "Acknowledged by bob at") {
			t.Errorf("%s after the ack: %d edits, buttons %q, %s", ch, p.Edits, p.Buttons(), p.Attachments())
		}
		if p.Key() == "" {
			t.Errorf("%s: the patch lost pagerd's key: %v", ch, p.Props)
		}
		th := r.fake.Thread(p.ID)
		if len(th) != 1 || !strings.Contains(th[0].Message, `Acknowledged by bob \(mattermost\)`) || th[0].Key() == "" {
			t.Errorf("%s thread = %+v, want one reply saying who acknowledged", ch, th)
		}
	}
	r.clock.Advance(time.Minute)
	r.follow(resolved(inc, "alice", r.clock.Now()), incident.KindResolved, "2-1", "alice")
	p := r.fake.In(roomChannel)[0]
	if p.Buttons() != "" || !strings.Contains(p.Attachments(), "Resolved by alice at") || len(r.fake.Thread(p.ID)) != 2 {
		t.Errorf("after the resolution: buttons %q, %d replies, %s", p.Buttons(), len(r.fake.Thread(p.ID)), p.Attachments())
	}
}

// With an incoming webhook alone, messages go to the room's channel by
// name and to people as "@username", and every change is a follow-up
// message naming its incident: a webhook's post cannot be edited.
func TestWebhookOnlyFollowsUp(t *testing.T) {
	r := newRig(t, true)
	if _, err := r.send(r.page("payments")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.send(r.page("")); err != nil {
		t.Fatal(err)
	}
	room, dm := r.fake.In("payments-oncall"), r.fake.In("@alice")
	if len(room) != 1 || !room[0].Hook || room[0].Buttons() != "ack resolve escalate assign" || len(dm) != 1 {
		t.Fatalf("room %+v, alice %+v", room, dm)
	}
	inc := acked(r.page("").Incident, "bob", r.clock.Now())
	r.follow(inc, incident.KindAcknowledged, "1-1", "bob")
	r.follow(inc, incident.KindAcknowledged, "1-1", "bob")
	room = r.fake.In("payments-oncall")
	if len(room) != 2 || room[0].Edits != 0 || !strings.HasPrefix(room[1].Message, `**#1 CheckoutDown \(checkout\)**: Acknowledged by bob \(mattermost\)`) {
		t.Errorf("room after the ack = %+v, want the page untouched and one follow-up", room)
	}
	if calls := strings.Join(r.fake.Calls(), " "); strings.Contains(calls, "/api/v4/") {
		t.Errorf("a webhook-only setup called the API: %s", calls)
	}
	// Mattermost unreachable: transient, and the webhook's key (its
	// secret) is in no error.
	r.fake.Close()
	n := r.page("payments")
	n.Key += ":down"
	if _, err := r.send(n); err == nil || pagers.IsPermanent(err) || strings.Contains(err.Error(), mattermostfake.HookKey) {
		t.Errorf("Mattermost unreachable = %v; want a transient error without the webhook's key", err)
	}
}

// A label cannot mention anyone or a channel, carry a link or markup, and
// a long summary is cut with a pointer to the rest, within Mattermost's
// limits.
func TestLabelsAreDefusedAndLongSummariesCut(t *testing.T) {
	r := newRig(t, false)
	n := r.page("payments")
	n.Incident.Title = "<!channel> @here @bob ~town-square [click](https://evil.example) **bold** www.evil.example"
	n.Incident.Summary = strings.Repeat("disk full & < > _ ", 1000)
	if _, err := r.send(n); err != nil {
		t.Fatal(err)
	}
	var atts []attachment
	if err := json.Unmarshal([]byte(r.fake.In(roomChannel)[0].Attachments()), &atts); err != nil {
		t.Fatal(err)
	}
	text, fallback := atts[0].Text, atts[0].Fallback
	for _, bad := range []string{"<!channel>", "@here", "@bob", "~town", "[click](", "https://evil", "www.evil", "**bold**"} {
		if strings.Contains(text, bad) {
			t.Errorf("%q got through: %s", bad, text[:300])
		}
	}
	for _, bad := range []string{"<!channel>", "@here", "@bob", "~town", "https://evil", "www.evil"} {
		if strings.Contains(fallback, bad) {
			t.Errorf("%q got through the fallback: %s", bad, fallback)
		}
	}
	if !strings.Contains(text, `&lt;\!channel&gt;`) || len([]rune(text)) > dialect.MessageLimit ||
		!strings.Contains(text, "(cut: [the rest at the source](http://prometheus.example.com/graph?g0.expr=up))") {
		t.Errorf("text (%d runes) = …%s", len([]rune(text)), text[max(0, len(text)-300):])
	}
}

// 429s are waited out without a request inside a Retry-After; a page whose
// wait is longer than a page may hold is given back; a 5xx is transient;
// a person or room Mattermost does not know is permanent.
func TestRateLimitsAndFailures(t *testing.T) {
	r := newRig(t, false)
	r.fake.Throttle(2, 1)
	if _, err := r.send(r.page("payments")); err != nil {
		t.Fatalf("page through two 429s of 1s: %v", err)
	}
	r.fake.Throttle(1, 30)
	n := r.page("payments")
	n.Key += ":second"
	_, err := r.send(n)
	if wait, ok := pagers.LaterOf(err); !ok || wait < 29*time.Second {
		t.Fatalf("a page behind a 30s Retry-After = %v; want it given back for 30s", err)
	}
	r.clock.Advance(30 * time.Second)
	if _, err := r.send(n); err != nil {
		t.Fatal(err)
	}
	if v := r.fake.Violations(); len(v) > 0 || r.fake.RateLimited() != 3 || len(r.fake.In(roomChannel)) != 2 {
		t.Errorf("violations %v after %d 429s, %d posts; want none after 3, 2 posts", v, r.fake.RateLimited(), len(r.fake.In(roomChannel)))
	}
	r.fake.Fail(1)
	n.Key += ":third"
	if _, err := r.send(n); err == nil || pagers.IsPermanent(err) {
		t.Errorf("a 500 = %v, want a transient error", err)
	}
	dm := r.page("")
	dm.Address = "nobody"
	if _, err := r.send(dm); !pagers.IsPermanent(err) || !strings.Contains(err.Error(), "mattermost_username") {
		t.Errorf("a direct message to an unknown username = %v, want a permanent error naming why", err)
	}
	r.fake.Refuse(roomChannel)
	n.Key += ":fourth"
	if _, err := r.send(n); !pagers.IsPermanent(err) || !strings.Contains(err.Error(), "add the bot to the channel") {
		t.Errorf("a channel the bot may not post to = %v", err)
	}
	if _, err := r.send(r.page("nope")); !pagers.IsPermanent(err) {
		t.Errorf("an unknown room = %v, want permanent", err)
	}
}

// A post the bot made is filed where a reply names it (its channel and
// id: a reply's root_id); the bot's replies are not, nor a webhook's
// posts, whose ids pagerd never learns.
func TestPostsAreFiledForReplies(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, false)
	if _, err := r.send(r.page("payments")); err != nil {
		t.Fatal(err)
	}
	p := r.fake.In(roomChannel)[0]
	if id, thread, ok, err := r.st.MessageAt(ctx, "mattermost:"+roomChannel+"/"+p.ID); err != nil || !ok || id != r.id || !strings.HasPrefix(thread, "mattermost:page:") {
		t.Fatalf("the room's post is filed as %d %q %v %v", id, thread, ok, err)
	}
	r.follow(r.page("").Incident, incident.KindEscalated, "1-1", "alice")
	reply := r.fake.Thread(p.ID)[0]
	if _, _, ok, _ := r.st.MessageAt(ctx, "mattermost:"+roomChannel+"/"+reply.ID); ok {
		t.Error("the bot's reply is filed")
	}

	for _, c := range []struct {
		ref   chat.Ref
		reply bool
		want  string
	}{
		{apiRef(roomChannel, p.ID), false, roomChannel + "/" + p.ID},
		{apiRef(roomChannel, p.ID), true, ""},
		{chat.Ref(hookRef + "1/mattermost:page:x"), false, ""},
	} {
		if got := place(c.ref, c.reply); got != c.want {
			t.Errorf("place(%q, %v) = %q, want %q", c.ref, c.reply, got, c.want)
		}
	}
}
