package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/slackfake"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/pagertest"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

const (
	roomChannel = "C0PAYMENTS1"
	aliceID     = "U0ALICE001"
)

// rig is the Slack pager against the fake, reached through slack-go, with
// the real store keeping its message log and rate limits on a driven
// clock: waiting moves the clock instead of sleeping.
type rig struct {
	t     *testing.T
	fake  *slackfake.Fake
	clock *testenv.Clock
	st    *store.Store
	pager pagers.Pager
	id    int64
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, clock: testenv.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))}
	r.fake = slackfake.Start(t, r.clock.Now)
	srv := testenv.StartRedis(t)
	r.st = store.New(srv.Client(t), "slack")
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
	env := pagers.Env{Limits: r.st, Messages: r.st, Now: r.clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error { r.clock.Advance(d); return ctx.Err() }}
	p, err := pagers.Lookup(Platform).Build(r.config(), env)
	if err != nil || p == nil {
		t.Fatalf("build = %v, %v", p, err)
	}
	r.pager = p
	return r
}

func (r *rig) config() *policies.Config {
	return &policies.Config{Blocks: map[string]any{Platform: chat.Config{
		Settings: Config{BotToken: slackfake.Token, SigningSecret: slackfake.Secret, APIURL: r.fake.APIURL()},
		Rooms:    map[string]chat.Room{"#payments": {Name: "#payments", Settings: RoomConfig{Channel: roomChannel}}},
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
		n.User, n.Address = "alice", aliceID
	}
	return n
}

func (r *rig) send(n pagers.Notification) (pagers.Receipt, error) {
	r.t.Helper()
	return r.pager.Send(context.Background(), n)
}

func actionIDs(blocks string) []string {
	var out []string
	for _, part := range strings.Split(blocks, `"action_id":"`)[1:] {
		out = append(out, part[:strings.Index(part, `"`)])
	}
	return out
}

// A page to a room is one Block Kit message with the incident's buttons
// and pagerd's key in its metadata; sending it again (a retry, another
// replica) posts nothing more; a post a crash kept from being recorded is
// found by its key rather than posted twice.
func TestPageToARoomIsPostedOnce(t *testing.T) {
	r := newRig(t)
	n := r.page("#payments")
	rcpt, err := r.send(n)
	if err != nil {
		t.Fatal(err)
	}
	msgs := r.fake.In(roomChannel)
	if len(msgs) != 1 {
		t.Fatalf("room has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if rcpt.ProviderID != roomChannel+"/"+m.TS || m.Incident != r.id || m.Key == "" {
		t.Errorf("receipt %q, message %+v; want the message's channel/ts and pagerd's metadata", rcpt.ProviderID, m)
	}
	if got := strings.Join(actionIDs(m.Blocks), " "); got != "pagerd_ack pagerd_resolve pagerd_escalate pagerd_assign pagerd_source" {
		t.Errorf("buttons = %s", got)
	}
	for _, want := range []string{"CRITICAL CheckoutDown (checkout)", "checkout is down", "Escalate now", "Triggered at"} {
		if !strings.Contains(m.Blocks, want) {
			t.Errorf("blocks lack %q: %s", want, m.Blocks)
		}
	}
	if _, err := r.send(n); err != nil || len(r.fake.In(roomChannel)) != 1 {
		t.Fatalf("sent again: %v, %d messages; want still 1", err, len(r.fake.In(roomChannel)))
	}
	// A crash between the post and its record: the log says it was being
	// posted; the next attempt finds it by its metadata.
	key := "slack:page:" + n.Key
	if err := r.st.KeepMessage(context.Background(), r.id, key, `{"to":"room:#payments"}`); err != nil {
		t.Fatal(err)
	}
	calls := len(r.fake.Calls())
	rcpt2, err := r.send(n)
	if err != nil || rcpt2.ProviderID != rcpt.ProviderID || len(r.fake.In(roomChannel)) != 1 {
		t.Fatalf("after a crash: %q, %v, %d messages; want %q found, 1 message", rcpt2.ProviderID, err, len(r.fake.In(roomChannel)), rcpt.ProviderID)
	}
	if got := r.fake.Calls()[calls:]; strings.Join(got, " ") != "conversations.history" {
		t.Errorf("after a crash it called %v, want one look-up", got)
	}
}

// A message follows its incident: acknowledged, it is edited in place
// (the Acknowledge and Escalate buttons go, who and when show) and the
// fact is replied in its thread, once however often the event comes;
// resolved, its buttons go.
func TestMessagesFollowTheIncident(t *testing.T) {
	r := newRig(t)
	if _, err := r.send(r.page("#payments")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.send(r.page("")); err != nil {
		t.Fatal(err)
	}
	dm := r.fake.In(slackfake.DM(aliceID))
	if len(dm) != 1 || !strings.Contains(dm[0].Blocks, "pagerd_ack") {
		t.Fatalf("alice's direct messages = %+v, want the page with its buttons", dm)
	}
	inc := r.page("").Incident
	follow := func(kind incident.Kind, id, actor string) {
		t.Helper()
		inc.Status = "acknowledged"
		inc.AckedBy, inc.AckedAt = "bob", r.clock.Now()
		if kind == incident.KindResolved {
			inc.Status, inc.ResolvedBy, inc.ResolvedAt = "resolved", actor, r.clock.Now()
		}
		ev := incident.Event{ID: id, Incident: r.id, Service: "checkout",
			Fact: incident.Fact{At: r.clock.Now(), Kind: kind, Actor: actor, Via: "slack"}}
		if _, err := r.send(pagers.Notification{Kind: pagers.KindFollow, Channel: Platform, Incident: inc, Event: &ev}); err != nil {
			t.Fatal(err)
		}
	}
	follow(incident.KindAcknowledged, "1-1", "bob")
	follow(incident.KindAcknowledged, "1-1", "bob") // delivered again
	for _, ch := range []string{roomChannel, slackfake.DM(aliceID)} {
		m := r.fake.In(ch)[0]
		if got := strings.Join(actionIDs(m.Blocks), " "); m.Edits != 2 || got != "pagerd_resolve pagerd_assign pagerd_source" || !strings.Contains(m.Blocks, "Acknowledged by bob at") {
			t.Errorf("%s after the ack: %d edits, buttons %q, blocks %s", ch, m.Edits, got, m.Blocks)
		}
		thread := r.fake.Thread(ch, m.TS)
		if len(thread) != 1 || !strings.Contains(thread[0].Text, "Acknowledged by bob (slack)") {
			t.Errorf("%s thread = %+v, want one reply saying who acknowledged", ch, thread)
		}
	}
	r.clock.Advance(time.Minute)
	follow(incident.KindResolved, "2-1", "alice")
	m := r.fake.In(roomChannel)[0]
	if ids := actionIDs(m.Blocks); len(ids) != 1 || !strings.Contains(m.Blocks, "Resolved by alice at") {
		t.Errorf("after the resolution: buttons %v, blocks %s; want only the source link", ids, m.Blocks)
	}
	if n := len(r.fake.Thread(roomChannel, m.TS)); n != 2 {
		t.Errorf("thread has %d replies, want 2", n)
	}
}

// A label cannot mention the channel or carry a link, and a long summary
// is cut with a pointer to the rest, within Slack's 3000 characters.
func TestLabelsAreDefusedAndLongSummariesCut(t *testing.T) {
	r := newRig(t)
	n := r.page("#payments")
	n.Incident.Title = "<!channel> @here <https://evil.example|click> www.evil.example"
	n.Incident.Summary = strings.Repeat("disk full & < > ", 400)
	if _, err := r.send(n); err != nil {
		t.Fatal(err)
	}
	var doc []map[string]any
	m := r.fake.In(roomChannel)[0]
	if err := json.Unmarshal([]byte(m.Blocks), &doc); err != nil {
		t.Fatal(err)
	}
	text := doc[0]["text"].(map[string]any)["text"].(string)
	for _, bad := range []string{"<!channel>", "@here", "<https://", "https://evil", "www.evil"} {
		if strings.Contains(text, bad) || strings.Contains(m.Text, bad) {
			t.Errorf("%q got through: %s", bad, text)
		}
	}
	if !strings.Contains(text, "&lt;!channel&gt;") || len([]rune(text)) > 3000 ||
		!strings.HasSuffix(text, "(cut: <http://prometheus.example.com/graph?g0.expr=up|the rest at the source>)") {
		t.Errorf("section (%d runes) = …%s", len([]rune(text)), text[max(0, len(text)-200):])
	}
}

// Slack's 429s are waited out, for every replica, without one request
// inside a Retry-After; a page whose wait is longer than a page may hold
// a worker is given back (pagers.Later); a 5xx is transient, an unknown
// person permanent.
func TestRateLimitsAndFailures(t *testing.T) {
	r := newRig(t)
	r.fake.Throttle(2, 1)
	if _, err := r.send(r.page("#payments")); err != nil {
		t.Fatalf("page through two 429s of 1s: %v", err)
	}
	r.fake.Throttle(1, 30)
	n := r.page("#payments")
	n.Key += ":second"
	_, err := r.send(n)
	if wait, ok := pagers.LaterOf(err); !ok || wait < 29*time.Second {
		t.Fatalf("a page behind a 30s Retry-After = %v; want it given back for 30s", err)
	}
	r.clock.Advance(30 * time.Second)
	if _, err := r.send(n); err != nil {
		t.Fatal(err)
	}
	if v := r.fake.Violations(); len(v) > 0 || r.fake.RateLimited() != 3 {
		t.Errorf("violations %v after %d 429s; want none after 3", v, r.fake.RateLimited())
	}
	if got := len(r.fake.In(roomChannel)); got != 2 {
		t.Errorf("room has %d messages, want 2", got)
	}

	r.fake.Fail(1)
	n.Key += ":third"
	if _, err := r.send(n); err == nil || pagers.IsPermanent(err) {
		t.Errorf("a 500 = %v, want a transient error", err)
	}
	r.fake.Refuse(aliceID, "channel_not_found")
	if _, err := r.send(r.page("")); !pagers.IsPermanent(err) || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("a direct message Slack refuses = %v, want a permanent error naming why", err)
	}
	bad := r.page("#nope")
	if _, err := r.send(bad); !pagers.IsPermanent(err) {
		t.Errorf("an unknown room = %v, want permanent", err)
	}
}

// An informed room's message is posted on the first event and followed
// after, with a reply per event; a room that hears of an incident only
// after it ended stays quiet.
func TestInformedRoom(t *testing.T) {
	r := newRig(t)
	inc := r.page("#payments").Incident
	update := func(kind incident.Kind, id string) {
		t.Helper()
		ev := incident.Event{ID: id, Incident: r.id, Fact: incident.Fact{At: r.clock.Now(), Kind: kind, Actor: "alice", Via: "api", Detail: "rolled back"}}
		n := pagers.Notification{Kind: pagers.KindUpdate, Channel: Platform, Destination: "#payments", Incident: inc, Event: &ev, Key: "event:" + id}
		if _, err := r.send(n); err != nil {
			t.Fatal(err)
		}
	}
	update(incident.KindTriggered, "1-1")
	update(incident.KindNote, "2-1")
	msgs := r.fake.In(roomChannel)
	if len(msgs) != 1 || msgs[0].Edits != 1 {
		t.Fatalf("room = %+v, want one message, edited once", msgs)
	}
	if th := r.fake.Thread(roomChannel, msgs[0].TS); len(th) != 1 || !strings.Contains(th[0].Text, "Note by alice (api): rolled back") {
		t.Errorf("thread = %+v", th)
	}
	inc.ID, inc.Status = 777, "resolved"
	update(incident.KindResolved, "3-1")
	if len(r.fake.Messages()) != 2 {
		t.Errorf("a resolved incident the room never heard of was posted: %+v", r.fake.Messages())
	}
}

// pagerd's check of X-Slack-Signature agrees with slack-go's
// SecretsVerifier, and refuses a changed body, another secret and a stale
// timestamp.
func TestSignatureMatchesSlackGo(t *testing.T) {
	now := time.Now()
	body := []byte("payload=%7B%22type%22%3A%22block_actions%22%7D")
	h := make(map[string][]string)
	slackfake.Sign(h, slackfake.Secret, now, body)
	if err := check(h, slackfake.Secret, body, now); err != nil {
		t.Fatalf("check = %v", err)
	}
	sv, err := slackVerifier(h, slackfake.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sv.Write(body); err != nil || sv.Ensure() != nil {
		t.Errorf("slack-go refuses pagerd's signature: %v", sv.Ensure())
	}
	for name, c := range map[string]struct {
		body   []byte
		secret string
		now    time.Time
		want   error
	}{
		"changed body":  {append(body, 'x'), slackfake.Secret, now, errBadSig},
		"other secret":  {body, "another-secret-of-32-characters!", now, errBadSig},
		"six minutes":   {body, slackfake.Secret, now.Add(6 * time.Minute), errStale},
		"from a future": {body, slackfake.Secret, now.Add(-6 * time.Minute), errStale},
	} {
		if err := check(h, c.secret, c.body, c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: check = %v, want %v", name, err, c.want)
		}
	}
	if err := check(map[string][]string{}, slackfake.Secret, body, now); !errors.Is(err, errUnsigned) {
		t.Errorf("unsigned: %v", err)
	}
}

// Every message pagerd posts about an incident is filed where a reply's
// event names it (its channel and timestamp), its replies are not. A note
// written in one message's thread is replied in every other thread, not
// in its own; once someone takes command, the messages show the manager
// and no longer offer to take it.
func TestThreadsAndTakingCommand(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for _, dest := range []string{"#payments", ""} {
		if _, err := r.send(r.page(dest)); err != nil {
			t.Fatal(err)
		}
	}
	room, dm := r.fake.In(roomChannel)[0], r.fake.In(slackfake.DM(aliceID))[0]
	id, thread, ok, err := r.st.MessageAt(ctx, "slack:"+roomChannel+"/"+room.TS)
	if err != nil || !ok || id != r.id || !strings.HasPrefix(thread, "slack:page:") {
		t.Fatalf("the room's message is filed as %d %q %v %v", id, thread, ok, err)
	}
	inc := r.page("").Incident
	send := func(ev incident.Event) {
		t.Helper()
		ev.Incident, ev.Service, ev.At = r.id, "checkout", r.clock.Now()
		if _, err := r.send(pagers.Notification{Kind: pagers.KindFollow, Channel: Platform, Incident: inc, Event: &ev}); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(time.Second)
	}
	send(incident.Event{ID: "1-1", Thread: thread, Fact: incident.Fact{Kind: incident.KindNote, Actor: "alice", Via: "slack", Detail: "rolled back"}})
	if th := r.fake.Thread(roomChannel, room.TS); len(th) != 0 {
		t.Errorf("the note was echoed in the thread it was written in: %+v", th)
	}
	if th := r.fake.Thread(dm.Channel, dm.TS); len(th) != 1 || !strings.Contains(th[0].Text, "Note by alice (slack): rolled back") {
		t.Errorf("alice's direct message thread = %+v, want the note", th)
	}
	if _, _, ok, _ := r.st.MessageAt(ctx, "slack:"+dm.Channel+"/"+r.fake.Thread(dm.Channel, dm.TS)[0].TS); ok {
		t.Error("a reply of pagerd's is filed: Slack's replies name their thread's first message")
	}

	inc.Manager = "alice"
	send(incident.Event{ID: "2-1", Fact: incident.Fact{Kind: incident.KindRoleAssigned, Actor: "alice", Via: "slack", Detail: "manager: alice", Tag: "manager"}})
	for _, m := range []slackfake.Message{r.fake.In(roomChannel)[0], r.fake.In(slackfake.DM(aliceID))[0]} {
		if got := strings.Join(actionIDs(m.Blocks), " "); got != "pagerd_ack pagerd_resolve pagerd_escalate pagerd_source" || !strings.Contains(m.Blocks, `*Manager*\nalice`) {
			t.Errorf("%s after alice took command: buttons %q, blocks %s", m.Channel, got, m.Blocks)
		}
		if th := r.fake.Thread(m.Channel, m.TS); !strings.Contains(th[len(th)-1].Text, "Role assigned by alice (slack): manager: alice") {
			t.Errorf("%s thread = %+v", m.Channel, th)
		}
	}
}
