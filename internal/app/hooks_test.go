package app_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/hookfake"
)

// The webhook rooms of the end-to-end tests, one per platform, each on
// the fake through its block's api_url.
var hookRooms = []string{"teams:payments", "discord:payments", "googlechat:payments"}

// hookConfig is the e2e config with a room on each webhook platform, all
// paged by step 1 with alice (bob is step 2).
func hookConfig(w *world, fake *hookfake.Fake) string {
	cfg := fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port)
	cfg = strings.Replace(cfg, `  step { notify = ["user:alice"] }`,
		`  step { notify = ["user:alice", "`+strings.Join(hookRooms, `", "`)+`"] }`, 1)
	for _, p := range []struct{ name, env string }{{"teams", "TEST_TEAMS_URL"}, {"discord", "TEST_DISCORD_URL"}, {"googlechat", "TEST_GOOGLECHAT_URL"}} {
		cfg += fmt.Sprintf("%s {\n  api_url = %q\n  room \"payments\" { webhook_url = env(%q) }\n}\n", p.name, fake.URL(), p.env)
	}
	return cfg
}

// newHookWorld is a world whose replicas post to the webhook fake on the
// test's clock, and wait out the platforms' limits by moving that clock.
func newHookWorld(t *testing.T) (*world, *hookfake.Fake) {
	w := newWorld(t, "0s")
	fake := hookfake.Start(t, w.clock.Now)
	t.Setenv("TEST_TEAMS_URL", hookfake.TeamsURL)
	t.Setenv("TEST_DISCORD_URL", hookfake.DiscordURL)
	t.Setenv("TEST_GOOGLECHAT_URL", hookfake.GoogleChatURL)
	w.sleep = func(ctx context.Context, d time.Duration) error { w.clock.Advance(d); return ctx.Err() }
	w.writeConfig(hookConfig(w, fake))
	return w, fake
}

// platformOf is the platform of a room target: "teams" of "teams:payments".
func platformOf(room string) string { p, _, _ := strings.Cut(room, ":"); return p }

// Alertmanager alert → a message in each room with link buttons → the
// Discord message's Acknowledge link opened (the confirm page) and
// confirmed → the incident is acknowledged by the room, nobody is paged any
// more, the Discord message is edited in place and every room told in a
// follow-up (Google's in the message's thread) → the Teams follow-up's
// Resolve link → resolved, and every room told again. Two replicas run:
// each message is posted once, though the first two posts are answered
// 500 and tried again.
func TestWebhookRoomsAckAndResolveByTheirLinks(t *testing.T) {
	w, fake := newHookWorld(t)
	fake.Fail(2)
	a := w.start("r1", w.port)
	w.start("r2", 0)
	base := "http://" + a.Addr()
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "every room paged", func() bool {
		for _, room := range hookRooms {
			if len(fake.In(platformOf(room))) != 1 {
				return false
			}
		}
		return true
	})
	for _, room := range hookRooms {
		m := fake.In(platformOf(room))[0]
		if got := hookfake.ButtonTexts(m); got != "Acknowledge, Resolve, Escalate now, Source" || !strings.Contains(m.Body, "CheckoutDown (checkout)") ||
			!strings.Contains(m.Body, "checkout is down (acceptance)") {
			t.Fatalf("%s: buttons %q, message %s", room, got, m.Body)
		}
	}
	w.twilio.WaitMessages(t, 1, 10*time.Second) // alice by SMS, as her rules say

	// A forged link changes nothing; opening a real one only shows what
	// it would do, as whom.
	ack := hookfake.ButtonURL(fake.In("discord")[0], "Acknowledge")
	if r := post(t, ack[:len(ack)-3]+"AAA", "", "application/x-www-form-urlencoded", nil); r.code != http.StatusForbidden && r.code != http.StatusBadRequest {
		t.Errorf("a forged link = %d, want 403 or 400", r.code)
	}
	if page := get(t, ack); page.code != http.StatusOK || !strings.Contains(page.body, "Acknowledge as discord:payments") {
		t.Fatalf("GET the Acknowledge link = %d\n%s", page.code, page.body)
	}
	if st := incident(t, base, 1)["status"]; st != "triggered" {
		t.Fatalf("status after opening the link = %v", st)
	}
	if page := post(t, ack, "", "application/x-www-form-urlencoded", nil); page.code != http.StatusOK || !strings.Contains(page.body, "acknowledged") {
		t.Fatalf("confirm = %d\n%s", page.code, page.body)
	}
	if inc := incident(t, base, 1); inc["status"] != "acknowledged" || !hasFact(inc, "acknowledged", "discord:payments", "link") {
		t.Fatalf("after the confirm: %v %v", inc["status"], inc["timeline"])
	}
	const acked = "Acknowledged by discord:payments (link)"
	eventually(t, "the Discord message edited and every room told", func() bool {
		d, tm, g := fake.In("discord"), fake.In("teams"), fake.In("googlechat")
		return len(d) == 2 && d[0].Edits >= 1 && hookfake.ButtonTexts(d[0]) == "Resolve, Source" &&
			strings.Contains(d[0].Body, "Acknowledged by discord:payments at") && strings.Contains(d[1].Body, acked) &&
			len(tm) == 2 && strings.Contains(tm[1].Body, acked) &&
			len(g) == 2 && strings.Contains(g[1].Body, acked) && g[1].Thread == g[0].Thread
	})
	for _, p := range []string{"teams", "googlechat", "discord"} {
		if got := hookfake.ButtonTexts(fake.In(p)[1]); got != "Resolve" {
			t.Errorf("%s follow-up's buttons = %q, want Resolve", p, got)
		}
	}
	if hookfake.ButtonTexts(fake.In("teams")[0]) != "Acknowledge, Resolve, Escalate now, Source" {
		t.Errorf("a Teams card changed: workflows cannot edit")
	}

	// Step 2 (bob) would be due now: the acknowledgement stopped it.
	w.clock.Advance(11 * time.Minute)
	w.settle()
	if got := smsTo(w.twilio, bobPhone); len(got) != 0 {
		t.Errorf("bob paged after the ack: %+v", got)
	}

	resolve := hookfake.ButtonURL(fake.In("teams")[1], "Resolve")
	if page := post(t, resolve, "", "application/x-www-form-urlencoded", nil); page.code != http.StatusOK || !strings.Contains(page.body, "resolved") {
		t.Fatalf("confirm resolve = %d\n%s", page.code, page.body)
	}
	const resolved = "Resolved by teams:payments (link)"
	eventually(t, "the Discord message edited again and every room told", func() bool {
		d, tm, g := fake.In("discord"), fake.In("teams"), fake.In("googlechat")
		return len(d) == 3 && hookfake.ButtonTexts(d[0]) == "Source" && strings.Contains(d[0].Body, "Resolved by teams:payments at") &&
			strings.Contains(d[2].Body, resolved) && len(tm) == 3 && strings.Contains(tm[2].Body, resolved) &&
			len(g) == 3 && strings.Contains(g[2].Body, resolved) && g[2].Thread == g[0].Thread
	})
	for _, p := range []string{"teams", "googlechat", "discord"} {
		if got := hookfake.ButtonTexts(fake.In(p)[2]); got != "" {
			t.Errorf("%s follow-up after the resolution has buttons %q", p, got)
		}
	}
	if st := incident(t, base, 1)["status"]; st != "resolved" {
		t.Errorf("status = %v, want resolved", st)
	}
	w.settle()
	for _, p := range []string{"teams", "googlechat", "discord"} {
		if n := len(fake.In(p)); n != 3 {
			t.Errorf("%s has %d messages, want 3: each posted once", p, n)
		}
	}
	if v := fake.Violations(); len(v) != 0 || fake.RateLimited() != 0 {
		t.Errorf("violations %v, %d 429s", v, fake.RateLimited())
	}
}

// A room whose webhook refuses pagerd (its token wrong, the webhook
// deleted) is on the timeline with what to do, never with the webhook's
// secret, and nobody's page waits for it.
func TestWebhookRoomRefusedIsOnTheTimeline(t *testing.T) {
	w, fake := newHookWorld(t)
	const wrong = "wr0ng-t0ken-0123456789abcdefghij"
	t.Setenv("TEST_DISCORD_URL", strings.Replace(hookfake.DiscordURL, hookfake.DiscordToken, wrong, 1))
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.twilio.WaitMessages(t, 1, 10*time.Second)
	eventually(t, "the failure on the timeline", func() bool {
		return strings.Contains(fmt.Sprint(incident(t, base, 1)["timeline"]), "could not reach discord:payments")
	})
	tl := fmt.Sprint(incident(t, base, 1)["timeline"])
	if !strings.Contains(tl, "401") || !strings.Contains(tl, "copy its URL again") || strings.Contains(tl, wrong) {
		t.Errorf("timeline = %s; want the 401 and what to do, without the URL's token", tl)
	}
	if len(fake.In("teams")) != 1 || len(fake.In("googlechat")) != 1 {
		t.Errorf("the other rooms were not paged")
	}
}

// Every room answering 429 — Teams with Retry-After, Discord with its
// retry_after, Google with nothing — is held back for as long as it asks,
// on every replica, without holding up alice's page; its page goes out
// once the wait is over, and nothing is asked inside a wait.
func TestWebhookRoomsHonour429(t *testing.T) {
	w, fake := newHookWorld(t)
	fake.ThrottleRooms(30, hookfake.TeamsRoom, hookfake.DiscordRoom, hookfake.GoogleChatRoom)
	a := w.start("r1", w.port)
	w.start("r2", 0)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.twilio.WaitMessages(t, 1, 10*time.Second)
	eventually(t, "every room answered 429", func() bool { return fake.RateLimited() == len(hookRooms) })
	w.settle()
	if n := len(fake.In("teams")) + len(fake.In("discord")); n != 0 {
		t.Fatalf("%d messages inside Retry-After", n)
	}
	if tl := fmt.Sprint(incident(t, base, 1)["timeline"]); strings.Contains(tl, "notify_failed") {
		t.Errorf("a held-back room is on the timeline as a failure: %s", tl)
	}
	w.clock.Advance(30 * time.Second)
	w.settle()
	eventually(t, "every room paged after its wait", func() bool {
		for _, room := range hookRooms {
			if len(fake.In(platformOf(room))) != 1 {
				return false
			}
		}
		return true
	})
	if v := fake.Violations(); len(v) != 0 {
		t.Errorf("requests inside a wait: %v", v)
	}
	tl := fmt.Sprint(incident(t, base, 1)["timeline"])
	for _, room := range hookRooms {
		if !strings.Contains(tl, "paged "+room+" via "+platformOf(room)) {
			t.Errorf("timeline lacks the page of %s: %s", room, tl)
		}
	}
}

var discordIncident = regexp.MustCompile(`"title":"#(\d+) `)

// 50 incidents for one Discord room, kept informed by its service, go out
// in the order they opened, within Discord's limits, and through 429s
// Discord adds, without a single request made inside a retry_after.
func TestWebhookRoomFiftyInOrder(t *testing.T) {
	w, fake := newHookWorld(t)
	cfg := hookConfig(w, fake)
	cfg = strings.Replace(cfg, `  step { notify = ["user:alice", "`+strings.Join(hookRooms, `", "`)+`"] }`, `  step { notify = ["user:carol"] }`, 1)
	// Fifty incidents at once are an alert storm; this test counts the
	// room's message of each, so it does not fold them.
	cfg = strings.Replace(cfg, `  group_by   = ["alertname"]`, `  group_by   = ["alertname"]
  subscribers = ["discord:payments"]
  storm { incidents = 0 }`, 1)
	w.writeConfig(cfg + `user "carol" {}` + "\n")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	fake.Throttle(3, 2.5)
	var alerts []string
	for i := range 50 {
		alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"Down%02d","service":"checkout","severity":"critical"},"annotations":{},"startsAt":"2026-11-24T01:00:00Z","endsAt":"0001-01-01T00:00:00Z"}`, i))
	}
	body := `{"version":"4","status":"firing","receiver":"pagerd","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","groupKey":"k","alerts":[` +
		strings.Join(alerts, ",") + `]}`
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", []byte(body)); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "50 messages in the room", func() bool { return len(fake.In("discord")) >= 50 })
	msgs := fake.In("discord")
	for i, m := range msgs {
		got := discordIncident.FindStringSubmatch(m.Body)
		if got == nil || got[1] != strconv.Itoa(i+1) {
			t.Fatalf("message %d is about %v, want #%d: not in order", i, got, i+1)
		}
		// Discord takes 5 requests in 2 seconds from a webhook.
		if i >= 5 && m.Posted.Sub(msgs[i-5].Posted) < 2*time.Second {
			t.Errorf("messages %d to %d within %s, over Discord's 5 in 2 seconds", i-5, i, m.Posted.Sub(msgs[i-5].Posted))
		}
	}
	if v := fake.Violations(); len(v) != 0 {
		t.Errorf("%d requests inside a retry_after: %v", len(v), v)
	}
	if n := fake.RateLimited(); n < 3 || len(msgs) != 50 {
		t.Errorf("%d 429s (want at least 3), %d messages (want 50)", n, len(msgs))
	}
}
