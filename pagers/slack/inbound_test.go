package slack

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/slackfake"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// inbound serves the Slack routes the way the daemon does, with a
// recording Act in place of the router and a config where alice is
// mapped by member id and carol only by email.
type inbound struct {
	fake  *slackfake.Fake
	clock *testenv.Clock
	srv   *httptest.Server
	mu    sync.Mutex
	acted []incident.Request
	// storeDown makes the next action fail, as a Redis error would.
	storeDown bool
}

func newInbound(t *testing.T) *inbound {
	in := &inbound{clock: testenv.NewClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))}
	in.fake = slackfake.Start(t, in.clock.Now)
	r := &rig{fake: in.fake}
	cfg := r.config()
	cfg.Users = map[string]*policies.User{
		"alice": {Name: "alice", Contacts: map[string]string{"slack_id": aliceID}},
		"carol": {Name: "carol", Contacts: map[string]string{"email": "Carol@Example.com"}},
	}
	seen := map[string]bool{}
	delivered := map[string]bool{} // as the store keeps a note's delivery with it
	mux := http.NewServeMux()
	for _, rt := range pagers.Lookup(Platform).Routes {
		mux.HandleFunc(rt.Pattern, func(w http.ResponseWriter, req *http.Request) {
			rt.Serve(w, req, &pagers.Inbound{
				Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: in.clock.Now,
				Act: func(_ context.Context, r incident.Request) (incident.Result, error) {
					in.mu.Lock()
					defer in.mu.Unlock()
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
					if place == "slack:"+button.Channel+"/"+button.TS {
						return 42, "slack:room:#payments", true, nil
					}
					return 0, "", false, nil
				},
				Open: func(context.Context, int64) ([]*incident.Incident, error) {
					return []*incident.Incident{{ID: 42, Title: "CheckoutDown <!here>", Service: "checkout", Status: incident.Triggered}}, nil
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
	return in
}

func (in *inbound) requests() []incident.Request {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]incident.Request(nil), in.acted...)
}

var button = slackfake.Message{Channel: roomChannel, TS: "1.000001", Incident: 42}

// A press signed with the signing secret acts as the mapped user, through
// the same typed action as an SMS reply, and answers who pressed; a bad,
// missing, stale or replayed signature is refused and changes nothing.
func TestButtonPress(t *testing.T) {
	in := newInbound(t)
	url := in.srv.URL + InteractivePath
	for _, c := range []struct {
		name string
		s    slackfake.Signing
		code int
	}{
		{"unsigned", slackfake.Signing{None: true}, http.StatusUnauthorized},
		{"another secret", slackfake.Signing{Secret: "not-the-signing-secret-of-the-app"}, http.StatusUnauthorized},
		{"six minutes old", slackfake.Signing{At: in.clock.Now().Add(-6 * time.Minute)}, http.StatusUnauthorized},
	} {
		if got := in.fake.Press(t, url, button, "ack", aliceID, c.s); got.Code != c.code {
			t.Errorf("%s: %d %s, want %d", c.name, got.Code, got.Body, c.code)
		}
	}
	if len(in.requests()) != 0 {
		t.Fatalf("refused presses acted: %+v", in.requests())
	}
	at := in.clock.Now().Add(-4 * time.Minute)
	if got := in.fake.Press(t, url, button, "ack", aliceID, slackfake.Signing{At: at}); got.Code != http.StatusOK {
		t.Fatalf("signed press = %d %s", got.Code, got.Body)
	}
	want := incident.Request{Incident: 42, Action: incident.Ack, By: "alice", Via: "slack", Credential: incident.CredentialAddress}
	if got := in.requests(); len(got) != 1 || got[0] != want {
		t.Fatalf("acted %+v, want %+v", got, want)
	}
	if a := in.fake.Answers(); len(a) != 1 || a[0].Text != "Incident #42 acknowledged by alice." {
		t.Errorf("answers = %+v", a)
	}
	// The same request again, within the window: Slack's once, not now.
	if got := in.fake.Press(t, url, button, "ack", aliceID, slackfake.Signing{At: at}); got.Code != http.StatusForbidden {
		t.Errorf("replayed press = %d %s, want 403", got.Code, got.Body)
	}
	if len(in.requests()) != 1 {
		t.Errorf("a replay acted")
	}
}

// Someone pagerd cannot map is asked who they are and nothing changes;
// someone mapped only by email (users.info) acts.
func TestButtonPressMapsPeople(t *testing.T) {
	in := newInbound(t)
	url := in.srv.URL + InteractivePath
	in.fake.SetEmail("U0STRANGER", "stranger@example.com")
	if got := in.fake.Press(t, url, button, "resolve", "U0STRANGER", slackfake.Signing{}); got.Code != http.StatusOK {
		t.Fatalf("press = %d %s", got.Code, got.Body)
	}
	if len(in.requests()) != 0 {
		t.Fatalf("an unknown person acted: %+v", in.requests())
	}
	if a := in.fake.Answers(); len(a) != 1 || !strings.HasPrefix(a[0].Text, "Who are you? Your Slack account (U0STRANGER) is not a pagerd user, so nothing was changed.") ||
		!strings.Contains(a[0].Text, `slack_id = "U0STRANGER"`) {
		t.Errorf("answers = %+v", a)
	}
	in.fake.SetEmail("U0CAROL001", "carol@example.com")
	in.fake.Press(t, url, button, "escalate", "U0CAROL001", slackfake.Signing{})
	if got := in.requests(); len(got) != 1 || got[0].By != "carol" || got[0].Action != incident.Escalate {
		t.Errorf("acted %+v, want carol escalating", got)
	}
}

// The slash command acts, lists and tells who is on call, with the same
// verification as buttons.
func TestSlashCommand(t *testing.T) {
	in := newInbound(t)
	url := in.srv.URL + CommandPath
	got := in.fake.Command(t, url, aliceID, "ack 42", slackfake.Signing{})
	if got.Code != http.StatusOK || !strings.Contains(got.Body, `"text":"Incident #42 acknowledged by alice."`) || !strings.Contains(got.Body, `"ephemeral"`) {
		t.Errorf("/pagerd ack 42 = %d %s", got.Code, got.Body)
	}
	if r := in.requests(); len(r) != 1 || r[0].By != "alice" || r[0].Incident != 42 {
		t.Errorf("acted %+v", r)
	}
	got = in.fake.Command(t, url, aliceID, "incidents", slackfake.Signing{})
	if !strings.Contains(got.Body, "#42 CheckoutDown \\u0026lt;!here\\u0026gt; (checkout)") {
		t.Errorf("/pagerd incidents = %s", got.Body)
	}
	got = in.fake.Command(t, url, aliceID, "oncall payments", slackfake.Signing{})
	if !strings.Contains(got.Body, `No schedule or escalation called \"payments\".`) {
		t.Errorf("/pagerd oncall payments = %s", got.Body)
	}
	if got := in.fake.Command(t, url, "U0STRANGER", "resolve 42", slackfake.Signing{}); !strings.Contains(got.Body, "Who are you?") {
		t.Errorf("/pagerd resolve 42 by a stranger = %s", got.Body)
	}
	if got := in.fake.Command(t, url, aliceID, "ack 42", slackfake.Signing{Secret: "wrong-secret-wrong-secret-wrong!"}); got.Code != http.StatusUnauthorized {
		t.Errorf("badly signed command = %d", got.Code)
	}
	if len(in.requests()) != 1 {
		t.Errorf("acted %+v, want only alice's ack", in.requests())
	}
}

// Take command is a button like the others: the presser, mapped, asks
// to be the incident manager — the action "ic 42" takes by SMS.
func TestTakeCommandButton(t *testing.T) {
	in := newInbound(t)
	if got := in.fake.Press(t, in.srv.URL+InteractivePath, button, "assign", aliceID, slackfake.Signing{}); got.Code != http.StatusOK {
		t.Fatalf("press = %d %s", got.Code, got.Body)
	}
	want := incident.Request{Incident: 42, Action: incident.Assign, By: "alice", Via: "slack", Role: incident.RoleManager,
		Assignee: "alice", Credential: incident.CredentialAddress}
	if got := in.requests(); len(got) != 1 || got[0] != want {
		t.Fatalf("acted %+v, want %+v", got, want)
	}
	if a := in.fake.Answers(); len(a) != 1 || a[0].Text != "Incident #42: alice is now its incident manager." {
		t.Errorf("answers = %+v", a)
	}
}

// A person's reply in the thread of pagerd's message is their note on its
// incident, naming the thread (so that it is not posted back there), and
// they alone are told it was taken; a stranger is asked who they are.
// Bots (pagerd itself), top-level messages and threads of messages pagerd
// did not post are let be. A retried event carries the first's delivery,
// which the store notes once, and its writer is not told twice; one
// whose first delivery failed is noted when it comes again. A replayed
// or badly signed event is refused.
func TestThreadReplyIsANote(t *testing.T) {
	in := newInbound(t)
	url := in.srv.URL + EventsPath
	if got := in.fake.VerifyURL(t, url, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", slackfake.Signing{}); got.Code != http.StatusOK ||
		!strings.Contains(got.Body, `"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"`) {
		t.Errorf("url_verification = %d %s", got.Code, got.Body)
	}
	if got := in.fake.VerifyURL(t, url, "x", slackfake.Signing{Secret: "not-the-signing-secret-of-the-app"}); got.Code != http.StatusUnauthorized {
		t.Errorf("badly signed url_verification = %d", got.Code)
	}

	for name, s := range map[string]slackfake.Signing{
		"unsigned":       {None: true},
		"another secret": {Secret: "not-the-signing-secret-of-the-app"},
		"stale":          {At: in.clock.Now().Add(-6 * time.Minute)},
	} {
		if got := in.fake.ReplyInThread(t, url, button, aliceID, "forged", s, slackfake.Event{}); got.Code != http.StatusUnauthorized {
			t.Errorf("%s reply = %d %s, want 401", name, got.Code, got.Body)
		}
	}
	first := in.fake.ReplyInThread(t, url, button, aliceID, "rolled back <https://git.example.com/c/abc|abc>; cc <@U0BOB00001> &amp; <!here> &lt;3", slackfake.Signing{}, slackfake.Event{})
	if first.Code != http.StatusOK {
		t.Fatalf("reply = %d %s", first.Code, first.Body)
	}
	want := incident.Request{Incident: 42, Action: incident.Note, By: "alice", Via: "slack",
		Text: "rolled back abc (https://git.example.com/c/abc); cc @U0BOB00001 & @here <3", Thread: "slack:room:#payments",
		Delivery: "slack:event:" + first.EventID}
	if got := in.requests(); len(got) != 1 || got[0] != want {
		t.Fatalf("acted %+v\nwant %+v", got, want)
	}
	if e := in.fake.Ephemerals(); len(e) != 1 || e[0] != (slackfake.Ephemeral{Channel: button.Channel, User: aliceID, ThreadTS: button.TS, Text: "Note added to incident #42."}) {
		t.Errorf("ephemeral answers = %+v", e)
	}
	// Slack did not hear back in 3 seconds and sends it again, signed
	// anew; the very same request again is a replay.
	in.clock.Advance(3 * time.Second)
	if got := in.fake.ReplyInThread(t, url, button, aliceID, "rolled back <https://git.example.com/c/abc|abc>; cc <@U0BOB00001> &amp; <!here> &lt;3",
		slackfake.Signing{}, slackfake.Event{ID: first.EventID, Retry: 1}); got.Code != http.StatusOK {
		t.Errorf("retry = %d %s", got.Code, got.Body)
	}
	if got := in.fake.Replay(t, url); got.Code != http.StatusForbidden {
		t.Errorf("replayed retry = %d %s, want 403", got.Code, got.Body)
	}
	if got := in.requests(); len(got) != 2 || got[1] != want {
		t.Fatalf("acted %+v, want the first note and its retry with the same delivery", got)
	}
	if e := in.fake.Ephemerals(); len(e) != 1 {
		t.Errorf("alice told %d times of one note: %+v", len(e), e)
	}
	// The store fails while taking another reply: 503, and Slack's retry
	// of it is taken.
	in.mu.Lock()
	in.storeDown = true
	in.mu.Unlock()
	failed := in.fake.ReplyInThread(t, url, button, aliceID, "second thought", slackfake.Signing{}, slackfake.Event{})
	if failed.Code != http.StatusServiceUnavailable {
		t.Fatalf("reply while the store fails = %d %s, want 503", failed.Code, failed.Body)
	}
	in.clock.Advance(time.Minute) // Slack's second retry comes a minute later
	if got := in.fake.ReplyInThread(t, url, button, aliceID, "second thought", slackfake.Signing{},
		slackfake.Event{ID: failed.EventID, Retry: 1}); got.Code != http.StatusOK {
		t.Errorf("retry of the failed delivery = %d %s", got.Code, got.Body)
	}
	if e := in.fake.Ephemerals(); len(e) != 2 || e[1].Text != "Note added to incident #42." {
		t.Errorf("after the retry of the failed delivery, answers %+v", e)
	}
	const taken = 4 // the first note, its retry, the failed delivery and its retry

	elsewhere := slackfake.Message{Channel: roomChannel, TS: "9.000009"}
	in.fake.ReplyInThread(t, url, button, aliceID, "pagerd's own reply", slackfake.Signing{}, slackfake.Event{Bot: true})
	in.fake.ReplyInThread(t, url, elsewhere, aliceID, "a thread pagerd did not start", slackfake.Signing{}, slackfake.Event{})
	in.fake.ReplyInThread(t, url, button, aliceID, "   ", slackfake.Signing{}, slackfake.Event{})
	if got := in.requests(); len(got) != taken {
		t.Errorf("acted %+v, want alice's notes only", got)
	}

	in.fake.SetEmail("U0STRANGER", "stranger@example.com")
	if got := in.fake.ReplyInThread(t, url, button, "U0STRANGER", "me too", slackfake.Signing{}, slackfake.Event{}); got.Code != http.StatusOK {
		t.Errorf("a stranger's reply = %d", got.Code)
	}
	e := in.fake.Ephemerals()
	if len(in.requests()) != taken || len(e) != 3 || e[2].User != "U0STRANGER" || !strings.HasPrefix(e[2].Text, "Who are you?") {
		t.Errorf("a stranger's reply: acted %+v, answers %+v", in.requests(), e)
	}
}

// A message's mrkdwn reads as its writer meant it.
func TestPlainText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{"<@U012AB3CD> and <@U012AB3CD|alice>", "@U012AB3CD and @alice"},
		{"see <#C0123|payments> <#C0456>", "see #payments #C0456"},
		{"<!channel> <!subteam^S012|@oncall> <!date^1392734382^{date}|Feb 18, 2014>", "@channel @oncall Feb 18, 2014"},
		{"<https://x.example/a?b=1&amp;c=2> <https://x.example|x.example> <mailto:a@b.example|a@b.example>",
			"https://x.example/a?b=1&c=2 x.example (https://x.example) a@b.example (mailto:a@b.example)"},
		{"a &lt;b&gt; &amp;lt; c", "a <b> &lt; c"},
	} {
		if got := plainText(c.in); got != c.want {
			t.Errorf("plainText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
