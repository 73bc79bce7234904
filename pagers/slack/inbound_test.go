package slack

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
	mux := http.NewServeMux()
	for _, rt := range pagers.Lookup(Platform).Routes {
		mux.HandleFunc(rt.Pattern, func(w http.ResponseWriter, req *http.Request) {
			rt.Serve(w, req, &pagers.Inbound{
				Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: in.clock.Now,
				Act: func(_ context.Context, r incident.Request) (incident.Result, error) {
					in.mu.Lock()
					defer in.mu.Unlock()
					in.acted = append(in.acted, r)
					return incident.Result{Outcome: incident.OutcomeAcknowledged, Before: incident.Triggered}, nil
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
