package hook_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/hookfake"
	"github.com/pagerd/pagerd/pagers"

	_ "github.com/pagerd/pagerd/pagers/discord"
	_ "github.com/pagerd/pagerd/pagers/googlechat"
	_ "github.com/pagerd/pagerd/pagers/teams"
)

// What every webhook platform does the same, through its real client
// against the fake: each case is one platform.
var platforms = []struct {
	name, url string
	edits     bool   // the platform edits its messages (else: follow-ups)
	tellsWait bool   // its 429 says how long to wait
	secret    string // in the URL: a wrong one is refused
}{
	{"teams", hookfake.TeamsURL, false, true, hookfake.TeamsSig},
	{"discord", hookfake.DiscordURL, true, true, hookfake.DiscordToken},
	{"googlechat", hookfake.GoogleChatURL, false, false, hookfake.GoogleToken},
}

func forEach(t *testing.T, test func(t *testing.T, r *hookfake.Rig, edits, tellsWait bool, secret string)) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			test(t, hookfake.NewRig(t, p.name, p.url), p.edits, p.tellsWait, p.secret)
		})
	}
}

// actions are the actions of the signed links in m, checked to be signed
// for the room and the incident.
func actions(t *testing.T, r *hookfake.Rig, m hookfake.Message, platform string) string {
	t.Helper()
	var out []string
	for _, l := range hookfake.Links(m) {
		c, err := r.Links.Verify(l[strings.LastIndex(l, "/")+1:])
		if err != nil || c.IncidentID != r.Incident.ID || c.User != platform+":payments" {
			t.Errorf("link %s = %+v, %v; want one signed for %s:payments about #%d", l, c, err, platform, r.Incident.ID)
		}
		out = append(out, string(c.Action))
	}
	return strings.Join(out, " ")
}

// A page to a room is one message whose buttons open signed links for
// each action, signed for the room; sending it again (a retry, another
// replica) posts nothing more.
func TestPageCarriesSignedLinksOnce(t *testing.T) {
	forEach(t, func(t *testing.T, r *hookfake.Rig, _, _ bool, _ string) {
		rcpt, err := r.Send(r.Page())
		if err != nil {
			t.Fatal(err)
		}
		platform := rcpt.Channel
		msgs := r.Fake.In(platform)
		if len(msgs) != 1 || rcpt.ProviderID == "" {
			t.Fatalf("%d messages, receipt %q; want 1 and a reference", len(msgs), rcpt.ProviderID)
		}
		if got := actions(t, r, msgs[0], platform); got != "ack resolve escalate" {
			t.Errorf("links = %q, want ack resolve escalate", got)
		}
		for _, want := range []string{"CRITICAL CheckoutDown (checkout)", "checkout is down", "Triggered at", "prometheus.example.com/graph"} {
			if !strings.Contains(msgs[0].Body, want) {
				t.Errorf("message lacks %q: %s", want, msgs[0].Body)
			}
		}
		if _, err := r.Send(r.Page()); err != nil || len(r.Fake.In(platform)) != 1 {
			t.Errorf("sent again: %v, %d messages; want still 1", err, len(r.Fake.In(platform)))
		}
		if v := r.Fake.Violations(); len(v) > 0 {
			t.Errorf("violations: %v", v)
		}
	})
}

// A message follows its incident: where the platform edits, the message
// itself loses the links that no longer apply and shows who acted; every
// fact is a follow-up, once however often its event comes, carrying the
// links that still apply where the message cannot change.
func TestMessagesFollowTheIncident(t *testing.T) {
	forEach(t, func(t *testing.T, r *hookfake.Rig, edits, _ bool, _ string) {
		rcpt, err := r.Send(r.Page())
		if err != nil {
			t.Fatal(err)
		}
		p := rcpt.Channel
		for range 2 { // delivered twice: no second reply
			if err := r.Follow(incident.KindAcknowledged, "1-1", "alice", false); err != nil {
				t.Fatal(err)
			}
		}
		msgs := r.Fake.In(p)
		if len(msgs) != 2 || !strings.Contains(msgs[1].Body, "Acknowledged by alice (link)") {
			t.Fatalf("after the ack: %d messages %+v; want the page and one follow-up", len(msgs), msgs)
		}
		if edits {
			if msgs[0].Edits == 0 || actions(t, r, msgs[0], p) != "resolve" || !strings.Contains(msgs[0].Body, "Acknowledged by alice at") {
				t.Errorf("the page after the ack: %d edits, links %q: %s", msgs[0].Edits, actions(t, r, msgs[0], p), msgs[0].Body)
			}
		} else if got := actions(t, r, msgs[1], p); got != "resolve" {
			t.Errorf("the follow-up's links = %q, want resolve only", got)
		}
		r.Clock.Advance(time.Minute)
		if err := r.Follow(incident.KindResolved, "2-1", "bob", false); err != nil {
			t.Fatal(err)
		}
		msgs = r.Fake.In(p)
		if len(msgs) != 3 || actions(t, r, msgs[2], p) != "" || !strings.Contains(msgs[2].Body, "Resolved by bob") {
			t.Fatalf("after the resolution: %+v", msgs)
		}
		if edits && (actions(t, r, msgs[0], p) != "" || !strings.Contains(msgs[0].Body, "Resolved by bob at")) {
			t.Errorf("the page after the resolution: %s", msgs[0].Body)
		}
		if v := r.Fake.Violations(); len(v) > 0 {
			t.Errorf("violations: %v", v)
		}
	})
}

// An informed room's message is posted on the incident's first event and
// followed after, one follow-up per fact.
func TestInformedRoom(t *testing.T) {
	forEach(t, func(t *testing.T, r *hookfake.Rig, edits, _ bool, _ string) {
		if err := r.Follow(incident.KindTriggered, "1-1", "", true); err != nil {
			t.Fatal(err)
		}
		if err := r.Follow(incident.KindNote, "2-1", "alice", true); err != nil {
			t.Fatal(err)
		}
		var all []hookfake.Message
		for _, p := range platforms {
			all = append(all, r.Fake.In(p.name)...)
		}
		if len(all) != 2 || !strings.Contains(all[1].Body, "Note by alice (link): rolled back") || strings.Contains(all[1].Body, "checkout is down") {
			t.Fatalf("room = %+v; want the incident's message and a note", all)
		}
		if edits != (all[0].Edits == 1) {
			t.Errorf("the message was edited %d times (the platform edits: %v)", all[0].Edits, edits)
		}
	})
}

// 429s are waited out as the platform asks, for every replica, without
// a request inside the wait; a page whose wait is longer than a page may
// hold a worker is given back; a 5xx is transient; a webhook that refuses
// pagerd's secret is permanent, and no error quotes the secret.
func TestRateLimitsAndFailures(t *testing.T) {
	forEach(t, func(t *testing.T, r *hookfake.Rig, _, tellsWait bool, secret string) {
		r.Fake.Throttle(1, 2)
		if _, err := r.Send(r.Page()); err != nil {
			t.Fatalf("a page through a 429 of 2s: %v", err)
		}
		if r.Fake.RateLimited() != 1 || len(r.Fake.Violations()) > 0 {
			t.Errorf("%d 429s, violations %v; want 1 and none", r.Fake.RateLimited(), r.Fake.Violations())
		}
		n := r.Page()
		if tellsWait {
			r.Fake.Throttle(1, 30)
			n.Key += ":second"
			_, err := r.Send(n)
			if wait, ok := pagers.LaterOf(err); !ok || wait < 29*time.Second {
				t.Fatalf("a page behind a 30s wait = %v; want it given back for 30s", err)
			}
			r.Clock.Advance(30 * time.Second)
			if _, err := r.Send(n); err != nil || len(r.Fake.Violations()) > 0 {
				t.Fatalf("after the wait: %v, violations %v", err, r.Fake.Violations())
			}
		}
		r.Fake.Fail(1)
		n.Key += ":third"
		if _, err := r.Send(n); err == nil || pagers.IsPermanent(err) {
			t.Errorf("a 500 = %v, want a transient error", err)
		}
		if _, err := r.Send(n); err != nil {
			t.Errorf("after the 500: %v", err)
		}
	})
}

func TestWrongSecretIsPermanentAndNotQuoted(t *testing.T) {
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			const wrong = "Zq7wrongwrongwrongwrongwrong"
			r := hookfake.NewRig(t, p.name, strings.Replace(p.url, p.secret, wrong, 1))
			_, err := r.Send(r.Page())
			if !pagers.IsPermanent(err) || strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") {
				t.Errorf("a refused secret = %v; want permanent, naming 401, not quoting the URL's secret", err)
			}
		})
	}
}

// A summary far over every platform's limits goes out cut, within them,
// with its pointer to the rest; and text from senders reaches the
// platform escaped in its markup.
func TestLongAndHostileTextWithinLimits(t *testing.T) {
	forEach(t, func(t *testing.T, r *hookfake.Rig, _, _ bool, _ string) {
		n := r.Page()
		n.Incident.Title = "@everyone <@123456789012345678> <users/all> [x](https://evil.example)"
		n.Incident.Summary = strings.Repeat("checkout is down @here ", 5000)
		rcpt, err := r.Send(n)
		if err != nil {
			t.Fatal(err)
		}
		msgs := r.Fake.In(rcpt.Channel)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "the rest at the source") {
			t.Fatalf("%d messages; want one, cut with a pointer to the rest", len(msgs))
		}
		text := texts(t, msgs[0].Body)
		for _, bad := range []string{"@everyone", "@here", "](https://evil", "https://evil"} {
			if strings.Contains(text, bad) {
				t.Errorf("the message carries %q", bad)
			}
		}
		// Each platform's own mentions: Discord's <@id> unless escaped,
		// Google's <users/all> unless HTML-escaped (Teams has none that
		// work without entities pagerd never sends).
		if re := mentions[rcpt.Channel]; re != nil && re.MatchString(text) {
			t.Errorf("the message mentions: %q", re.FindString(text))
		}
		if v := r.Fake.Violations(); len(v) > 0 {
			t.Errorf("violations: %v", v)
		}
	})
}

// mentions are what each platform makes a mention of.
var mentions = map[string]*regexp.Regexp{
	"discord":    regexp.MustCompile(`(^|[^\\])<@[!&]?\d`),
	"googlechat": regexp.MustCompile(`<users/`),
}

// texts is every string in a JSON document, one a line: what a platform
// would show.
func texts(t *testing.T, doc string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}
