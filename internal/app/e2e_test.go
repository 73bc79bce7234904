package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/internal/twiliofake"
	"github.com/pagerd/pagerd/links"
)

func TestAlertmanagerPageAckByLinkThenResolve(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	body := fixture(t, "alertmanager-0.25-webhook-firing.json")

	r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", body)
	if r.code != http.StatusOK || !strings.Contains(r.body, `"triggered"`) {
		t.Fatalf("webhook = %d %s, want 200 triggered", r.code, r.body)
	}
	// Step 1 pages alice by SMS and by email.
	sms := w.twilio.WaitMessages(t, 1, 10*time.Second)
	if sms[0].To != alicePhone || !strings.Contains(sms[0].Body, "ack 1") || !strings.Contains(sms[0].Body, "CheckoutDown") {
		t.Errorf("SMS = %+v, want alice paged about CheckoutDown with 'ack 1'", sms[0])
	}
	mails := w.smtp.WaitMessages(t, 1, 10*time.Second)
	mail := mails[0]
	if !strings.Contains(strings.Join(mail.To, ","), "alice@example.com") || !strings.Contains(mail.Subject, "CheckoutDown") ||
		mail.HTML == "" || !strings.Contains(mail.Text, "checkout is down") {
		t.Errorf("email = %+v, want a multipart page to alice", mail)
	}
	link := ackLinkRE.FindString(mail.Text)
	if link == "" {
		t.Fatalf("no ack link in email text:\n%s", mail.Text)
	}

	// The same alert again (Alertmanager re-sends on repeat_interval)
	// must not page twice.
	r = post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", body)
	if !strings.Contains(r.body, `"deduplicated"`) {
		t.Fatalf("re-sent webhook = %s, want deduplicated", r.body)
	}
	w.settle()
	if n := len(w.twilio.Messages()); n != 1 {
		t.Fatalf("after a duplicate alert %d SMS were sent, want 1", n)
	}

	// GET only shows the confirm page (mail scanners open links).
	page := get(t, link)
	if page.code != http.StatusOK || !strings.Contains(page.body, "<form method=\"post\">") {
		t.Fatalf("GET ack link = %d, want confirm form:\n%s", page.code, page.body)
	}
	if incident(t, base, 1)["status"] != "triggered" {
		t.Fatal("GET on the ack link acknowledged the incident")
	}
	page = post(t, link, "", "application/x-www-form-urlencoded", nil)
	if page.code != http.StatusOK || !strings.Contains(page.body, "acknowledged") {
		t.Fatalf("POST ack link = %d %s", page.code, page.body)
	}

	// Step 2 (bob, at +10m) must not run after the ack.
	w.clock.Advance(11 * time.Minute)
	a.Engine.Wake()
	w.settle()
	if got := smsTo(w.twilio, bobPhone); len(got) != 0 {
		t.Fatalf("bob was paged after alice acknowledged: %+v", got)
	}

	// Alertmanager sends resolved: the incident closes and alice hears so.
	resolved := bytes.ReplaceAll(body, []byte(`"status":"firing"`), []byte(`"status":"resolved"`))
	resolved = bytes.ReplaceAll(resolved, []byte(`"endsAt":"0001-01-01T00:00:00Z"`), []byte(`"endsAt":"2026-11-24T01:30:00Z"`))
	r = post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", resolved)
	if !strings.Contains(r.body, `"resolved"`) {
		t.Fatalf("resolved webhook = %s", r.body)
	}
	eventually(t, "resolved notice to alice", func() bool {
		for _, m := range smsTo(w.twilio, alicePhone) {
			if strings.Contains(strings.ToLower(m.Body), "resolved") {
				return true
			}
		}
		return false
	})
	inc := incident(t, base, 1)
	if inc["status"] != "resolved" {
		t.Errorf("incident status = %v, want resolved", inc["status"])
	}
	events := fmt.Sprint(inc["timeline"])
	if !hasFact(inc, "acknowledged", "alice", "link") {
		t.Errorf("timeline lacks alice's acknowledgement by link: %v", inc["timeline"])
	}
	for _, want := range []string{"triggered", "notified", "acknowledged", "resolved"} {
		if !strings.Contains(events, want) {
			t.Errorf("timeline lacks %q: %s", want, events)
		}
	}
}

func TestEscalatesToStepTwoThenAckBySMSReply(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	w.twilio.WaitMessages(t, 1, 10*time.Second)
	w.clock.Advance(9 * time.Minute)
	a.Engine.Wake()
	w.settle()
	if got := smsTo(w.twilio, bobPhone); len(got) != 0 {
		t.Fatalf("bob paged before step 2 was due: %+v", got)
	}
	w.clock.Advance(2 * time.Minute)
	a.Engine.Wake()
	eventually(t, "step 2 pages bob", func() bool { return len(smsTo(w.twilio, bobPhone)) == 1 })
	w.settle() // bob's page is recorded: he was paged, so he may acknowledge by SMS

	smsURL := fmt.Sprintf("http://127.0.0.1:%d/v1/twilio/sms", w.port)
	// A forged signature changes nothing.
	forged, _ := twiliofake.NewSignedRequest("wrong-token", smsURL, twiliofake.InboundSMS(twilioSID, bobPhone, "+15559999999", "ack 1"))
	if r := do(t, forged); r.code != http.StatusForbidden {
		t.Fatalf("forged SMS webhook = %d, want 403", r.code)
	}
	if incident(t, base, 1)["status"] != "triggered" {
		t.Fatal("a forged SMS acknowledged the incident")
	}
	req, _ := twiliofake.NewSignedRequest(twilioAuth, smsURL, twiliofake.InboundSMS(twilioSID, bobPhone, "+15559999999", "ACK 1"))
	r := do(t, req)
	if r.code != http.StatusOK || !strings.Contains(r.body, "acknowledged by bob") {
		t.Fatalf("SMS reply = %d %s", r.code, r.body)
	}
	if incident(t, base, 1)["acknowledged_by"] != "bob" {
		t.Error("incident not acknowledged by bob")
	}
	// alice, paged earlier, hears that bob took it; bob is not told.
	eventually(t, "alice told of bob's ack", func() bool {
		for _, m := range smsTo(w.twilio, alicePhone) {
			if strings.Contains(m.Body, "ACKNOWLEDGED by bob") {
				return true
			}
		}
		return false
	})
	w.settle()
	if got := smsTo(w.twilio, bobPhone); len(got) != 1 {
		t.Errorf("bob got %d SMS, want only his page: %+v", len(got), got)
	}
}

func TestAckTimeoutPagesAgain(t *testing.T) {
	w := newWorld(t, "30m")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.twilio.WaitMessages(t, 1, 10*time.Second)
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/incidents/1/ack?by=alice", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if r := do(t, req); r.code != 200 || !strings.Contains(r.body, "acknowledged") {
		t.Fatalf("API ack = %d %s", r.code, r.body)
	}
	w.clock.Advance(31 * time.Minute)
	a.Engine.Wake()
	eventually(t, "alice paged again after the ack timed out", func() bool { return len(smsTo(w.twilio, alicePhone)) == 2 })
}

func TestPrometheusAPIv2AlertLapsesAtEndsAt(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	// The fixture's endsAt is 01:12:28.578; the clock stands at 01:12:20.
	r := post(t, base+"/api/v2/alerts", amToken, "application/json", fixture(t, "prometheus-2.42-api-v2-alerts.json"))
	if r.code != http.StatusOK || !strings.Contains(r.body, "triggered") {
		t.Fatalf("api v2 = %d %s", r.code, r.body)
	}
	w.twilio.WaitMessages(t, 1, 10*time.Second)
	w.clock.Advance(9 * time.Second)
	a.Engine.Wake()
	eventually(t, "incident resolved at endsAt", func() bool { return incident(t, base, 1)["status"] == "resolved" })
}

func TestTwoReplicasPageEachIncidentOnce(t *testing.T) {
	twoReplicasPageEachIncidentOnce(t, newWorld(t, "0s"))
}

// The same on a 3-master Redis Cluster with 3 shards: every alert sent to
// both replicas is deduplicated and grouped in its group's shard.
func TestTwoReplicasPageEachIncidentOnceOnAShardedCluster(t *testing.T) {
	w := newWorld(t, "0s")
	w.shards, w.redisURL = 3, testenv.StartRedisCluster(t, 3).URL()
	twoReplicasPageEachIncidentOnce(t, w)
}

func twoReplicasPageEachIncidentOnce(t *testing.T, w *world) {
	// Twelve incidents at once are a storm; this test counts each one's
	// pages, so it does not fold them.
	w.writeConfig(foldConfig(w, "  storm { incidents = 0 }"))
	r1 := w.start("r1", w.port)
	r2 := w.start("r2", 0)
	bases := []string{"http://" + r1.Addr(), "http://" + r2.Addr()}
	const groups = 12
	var wg sync.WaitGroup
	for i := range groups {
		for _, base := range bases { // every alert reaches both replicas
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"pagerd","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","groupKey":"k","alerts":[
				  {"status":"firing","labels":{"alertname":"Down%d","service":"checkout","severity":"critical"},"annotations":{},"startsAt":"2026-11-24T01:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}`, i)
				if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", []byte(body)); r.code != 200 {
					t.Errorf("webhook to %s = %d %s", base, r.code, r.body)
				}
			}()
		}
	}
	wg.Wait()
	eventually(t, "every incident paged", func() bool { return len(w.twilio.Messages()) >= groups })
	w.clock.Advance(11 * time.Minute) // step 2 for all of them, on both replicas
	r1.Engine.Wake()
	r2.Engine.Wake()
	eventually(t, "every step 2 paged", func() bool { return len(w.twilio.Messages()) >= 2*groups })
	w.settle()
	seen := map[string]int{}
	for _, m := range w.twilio.Messages() {
		seen[m.To+" "+regexp.MustCompile(`#\d+`).FindString(m.Body)]++
	}
	if len(w.twilio.Messages()) != 2*groups || len(seen) != 2*groups {
		t.Fatalf("sent %d SMS for %d distinct (person, incident) pairs, want %d each: %v", len(w.twilio.Messages()), len(seen), 2*groups, seen)
	}
}

func TestProviderFailureFallsBackToEmail(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	w.twilio.FailNext(100, http.StatusBadRequest) // e.g. a number Twilio refuses
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	// alice's SMS rule falls back to email, and her email rule emails too.
	w.smtp.WaitMessages(t, 2, 10*time.Second)
	eventually(t, "timeline records the failure", func() bool {
		return strings.Contains(fmt.Sprint(incident(t, base, 1)["timeline"]), "sms failed")
	})
}

func TestBadInputIsRefusedAndNothingStored(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	am := base + "/v1/webhooks/alertmanager"
	good := fixture(t, "alertmanager-0.25-webhook-firing.json")
	tests := []struct {
		name, url, token, ctype string
		body                    []byte
		want                    int
		mention                 string
	}{
		{"no token", am, "", "application/json", good, 401, "Bearer"},
		{"wrong token", am, "nope", "application/json", good, 401, "unknown integration token"},
		{"api token on the webhook", am, apiToken, "application/json", good, 403, "type api"},
		{"wrong content type", am, amToken, "text/plain", good, 415, "application/json"},
		{"malformed JSON", am, amToken, "application/json", []byte(`{"version":"4","alerts":[`), 400, "invalid payload"},
		{"alert without labels", am, amToken, "application/json", []byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{},"startsAt":"2026-11-24T01:00:00Z"}]}`), 422, "labels"},
		{"oversized body", am, amToken, "application/json", bytes.Repeat([]byte(" "), 5<<20), 413, "limit"},
		{"api v2 not an array", base + "/api/v2/alerts", amToken, "application/json", []byte(`{}`), 400, "invalid payload"},
	}
	for _, tc := range tests {
		r := post(t, tc.url, tc.token, tc.ctype, tc.body)
		if r.code != tc.want || !strings.Contains(r.body, tc.mention) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, r.code, r.body, tc.want, tc.mention)
		}
	}
	for _, link := range []string{base + "/v1/ack/garbage", base + "/v1/ack/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if r := post(t, link, "", "", nil); r.code < 400 || r.code >= 500 {
			t.Errorf("POST forged link %s = %d, want 4xx", link, r.code)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/incidents?status=all", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if r := do(t, req); !strings.Contains(r.body, `"incidents": []`) {
		t.Errorf("bad input stored something: %s", r.body)
	}
}

func TestExpiredAckLinkIsRefused(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	mail := w.smtp.WaitMessages(t, 1, 10*time.Second)[0]
	link := ackLinkRE.FindString(mail.Text)
	w.clock.Advance(25 * time.Hour) // default link_ttl is 24h
	if r := post(t, link, "", "", nil); r.code != http.StatusGone {
		t.Fatalf("expired link = %d, want 410", r.code)
	}
	if incident(t, base, 1)["status"] != "triggered" {
		t.Error("an expired link acknowledged the incident")
	}
}

func TestRedisDownAnswers503(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	if r := get(t, base+"/readyz"); r.code != 200 {
		t.Fatalf("readyz = %d", r.code)
	}
	w.redis.Stop()
	r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	if r.code != http.StatusServiceUnavailable {
		t.Fatalf("webhook with Redis down = %d %s, want 503", r.code, r.body)
	}
	if r := get(t, base+"/readyz"); r.code != http.StatusServiceUnavailable {
		t.Errorf("readyz with Redis down = %d, want 503", r.code)
	}
	if r := get(t, base+"/healthz"); r.code != 200 {
		t.Errorf("healthz = %d, want 200 (the process is up)", r.code)
	}
}

func TestReloadKeepsLastGoodConfig(t *testing.T) {
	w := newWorld(t, "0s")
	a := w.start("r1", w.port)
	w.writeConfig("user \"x\" {\n  email = \n}\n")
	if err := a.Reload(); err == nil {
		t.Fatal("reload of a broken config succeeded")
	}
	base := "http://" + a.Addr()
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json")); r.code != 200 {
		t.Fatalf("after a bad reload the old config should still serve: %d %s", r.code, r.body)
	}
}

func TestVoiceCallAckByKeypress(t *testing.T) {
	w := newWorld(t, "0s")
	w.writeConfig(strings.Replace(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port), `via   = "sms"`, `via   = "voice"`, 1))
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	call := w.twilio.WaitCalls(t, 1, 10*time.Second)[0]
	if call.To != alicePhone || !strings.Contains(call.Twiml, "<Gather") {
		t.Fatalf("call = %+v, want a call to alice with a keypress menu", call)
	}
	action := regexp.MustCompile(`action="([^"]+)"`).FindStringSubmatch(call.Twiml)
	if action == nil {
		t.Fatalf("no gather action in %s", call.Twiml)
	}
	gather := strings.ReplaceAll(action[1], "&amp;", "&")
	form := url.Values{"CallSid": {call.SID}, "Digits": {"1"}, "From": {"+15559999999"}, "To": {alicePhone}}
	forged, _ := twiliofake.NewSignedRequest("not-the-token", gather, form)
	if r := do(t, forged); r.code != http.StatusForbidden {
		t.Fatalf("unsigned keypress = %d, want 403", r.code)
	}
	if incident(t, base, 1)["status"] != "triggered" {
		t.Fatal("a keypress with a forged signature acknowledged the incident")
	}
	req, _ := twiliofake.NewSignedRequest(twilioAuth, gather, form)
	if r := do(t, req); r.code != 200 || !strings.Contains(r.body, "Incident 1 acknowledged") {
		t.Fatalf("keypress = %d %s", r.code, r.body)
	}
	if inc := incident(t, base, 1); inc["acknowledged_by"] != "alice" || !hasFact(inc, "acknowledged", "alice", "voice") {
		t.Errorf("incident after keypress = %v", inc)
	}
}

func TestCalendarFeedNeedsItsToken(t *testing.T) {
	w := newWorld(t, "0s")
	cfg := fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + `
schedule "primary" {
  timezone = "Europe/Berlin"
  rotation "daily" {
    users = ["alice", "bob"]
    every = "1d"
    start = "2026-11-01 09:00"
  }
}
`
	cfg = strings.Replace(cfg, "pagerd {", "pagerd {\n  link_secret = file(\"link.key\")", 1)
	w.writeConfig(cfg)
	if err := os.WriteFile(filepath.Join(w.dir, "link.key"), []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := w.start("r1", w.port)
	var out bytes.Buffer
	feed := ""
	{
		// The CLI prints the feed URL with its token.
		cmd := exec.Command("go", "run", "../../cmd/pagerd", "feed-url", "--config", w.dir, "schedule", "primary")
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Env = os.Environ()
		if err := cmd.Run(); err != nil {
			t.Fatalf("pagerd feed-url: %v\n%s", err, out.String())
		}
		feed = strings.Replace(strings.TrimSpace(out.String()), fmt.Sprintf("127.0.0.1:%d", w.port), a.Addr(), 1)
	}
	r := get(t, feed)
	if r.code != 200 || !strings.HasPrefix(r.body, "BEGIN:VCALENDAR\r\n") || !strings.Contains(r.body, "On call: alice (primary)") {
		t.Fatalf("feed = %d %.300q", r.code, r.body)
	}
	again := get(t, feed)
	uid := regexp.MustCompile(`UID:[^\r]+`)
	if uid.FindString(r.body) == "" || uid.FindString(r.body) != uid.FindString(again.body) {
		t.Error("calendar UIDs are not stable across fetches")
	}
	// An hour later the window has moved, but the first event is the same
	// shift: it must keep its start and so its UID, or calendar clients
	// replace it on every refresh.
	w.clock.Advance(time.Hour)
	later := get(t, feed)
	dtstart := regexp.MustCompile(`DTSTART[^\r]*`)
	if first, next := uid.FindString(r.body), uid.FindString(later.body); first == "" || first != next {
		t.Errorf("first event's UID changed an hour later: %q then %q", first, next)
	}
	if first, next := dtstart.FindString(r.body), dtstart.FindString(later.body); first != next {
		t.Errorf("first event's start changed an hour later: %q then %q", first, next)
	}
	// The default window is 7 days back and 90 ahead of a daily rotation.
	if n := strings.Count(r.body, "BEGIN:VEVENT"); n < 95 || n > 100 {
		t.Errorf("default feed has %d events, want ~97 daily shifts", n)
	}
	short := get(t, feed+"&past_days=0&days=3")
	if n := strings.Count(short.body, "BEGIN:VEVENT"); n < 3 || n > 4 {
		t.Errorf("3-day feed has %d events, want 3 or 4", n)
	}
	if r := get(t, feed+"&days=999"); r.code != http.StatusBadRequest {
		t.Errorf("days=999 = %d, want 400", r.code)
	}
	for _, bad := range []string{"http://" + a.Addr() + "/v1/schedules/primary.ics", "http://" + a.Addr() + "/v1/schedules/primary.ics?token=forged",
		strings.Replace(feed, "/v1/schedules/primary.ics", "/v1/users/alice/oncall.ics", 1)} {
		if r := get(t, bad); r.code != http.StatusForbidden {
			t.Errorf("GET %s = %d, want 403", bad, r.code)
		}
	}
}

// A reload that rotates link_secret takes effect at once: links and feed
// tokens signed with the old key stop working, and pages sent after the
// reload carry links signed with the new one.
func TestReloadRotatesLinkSecret(t *testing.T) {
	keyA := []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	keyB := []byte("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
	w := newWorld(t, "0s")
	cfg := fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + `
schedule "primary" {
  timezone = "UTC"
  rotation "daily" {
    users = ["alice", "bob"]
    every = "1d"
    start = "2026-11-01 09:00"
  }
}
`
	w.writeConfig(strings.Replace(cfg, "pagerd {", "pagerd {\n  link_secret = file(\"link.key\")", 1))
	writeKey := func(k []byte) {
		if err := os.WriteFile(filepath.Join(w.dir, "link.key"), k, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeKey(keyA)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	feed := func(key []byte) string {
		return base + "/v1/schedules/primary.ics?token=" + links.Signer{Key: key}.FeedToken(links.FeedName("schedule", "primary"))
	}
	if r := get(t, feed(keyA)); r.code != http.StatusOK {
		t.Fatalf("feed with key A before reload = %d, want 200", r.code)
	}

	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	oldLink := ackLinkRE.FindString(w.smtp.WaitMessages(t, 1, 10*time.Second)[0].Text)
	if oldLink == "" {
		t.Fatal("no ack link in the first page")
	}

	writeKey(keyB)
	if err := a.Reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if r := post(t, oldLink, "", "", nil); r.code != http.StatusForbidden {
		t.Errorf("link signed with the old key after reload = %d, want 403", r.code)
	}
	if r := get(t, feed(keyA)); r.code != http.StatusForbidden {
		t.Errorf("feed token of the old key after reload = %d, want 403", r.code)
	}
	if r := get(t, feed(keyB)); r.code != http.StatusOK {
		t.Errorf("feed token of the new key after reload = %d, want 200", r.code)
	}

	// A page sent after the reload is signed with key B, and its link works.
	second := bytes.ReplaceAll(fixture(t, "alertmanager-0.25-webhook-firing.json"), []byte("CheckoutDown"), []byte("CheckoutSlow"))
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", second); !strings.Contains(r.body, `"triggered"`) {
		t.Fatalf("second alert = %d %s, want a new incident", r.code, r.body)
	}
	mails := w.smtp.WaitMessages(t, 2, 10*time.Second)
	var newLink string
	for _, m := range mails {
		if l := ackLinkRE.FindString(m.Text); l != "" && l != oldLink {
			newLink = l
		}
	}
	if newLink == "" {
		t.Fatal("no ack link in the page sent after reload")
	}
	tok := newLink[strings.LastIndex(newLink, "/")+1:]
	if _, err := (links.Signer{Key: keyB, Now: w.clock.Now}).Verify(tok); err != nil {
		t.Errorf("link sent after reload does not verify with the new key: %v", err)
	}
	if r := post(t, newLink, "", "", nil); r.code != http.StatusOK || !strings.Contains(r.body, "acknowledged") {
		t.Errorf("link sent after reload = %d %s, want it to acknowledge", r.code, r.body)
	}
	if inc := incident(t, base, 2); inc["status"] != "acknowledged" {
		t.Errorf("incident 2 after its link = %v, want acknowledged", inc["status"])
	}
}

func TestStartupWaitsForRedis(t *testing.T) {
	w := newWorld(t, "0s")
	port := testenv.FreePort(t)
	// Nothing listens there yet: New keeps trying until ctx ends, then
	// says why — it must not crash.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := app.New(ctx, app.Options{ConfigDir: w.dir, Listen: "127.0.0.1:0",
		RedisURL: fmt.Sprintf("redis://127.0.0.1:%d", port), Log: testLogger(), Console: w.console})
	if err == nil || !strings.Contains(err.Error(), "redis at 127.0.0.1") {
		t.Fatalf("New with Redis down = %v, want an error naming Redis", err)
	}
	// Redis comes up while New waits: New then succeeds.
	done := make(chan error, 1)
	go func() {
		a, err := app.New(context.Background(), app.Options{ConfigDir: w.dir, Listen: "127.0.0.1:0",
			RedisURL: fmt.Sprintf("redis://127.0.0.1:%d", port), Log: testLogger(), Console: w.console})
		if a != nil {
			a.Close()
		}
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("New returned (%v) before Redis was up", err)
	default:
	}
	testenv.StartRedisOn(t, port)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("New did not return once Redis was up")
	}
}
