// Package hookfake is a loopback stand-in for the incoming webhooks of
// Microsoft Teams (a Workflows trigger), Discord (Execute and Edit Webhook
// Message) and Google Chat (spaces.messages.create with a key and token),
// reached by giving the platform's block an api_url pointing here: the
// webhook URLs keep their paths and queries, which the fake checks as the
// platform would (the signature, the token, the key). It checks what it
// is sent against each platform's documented shape and limits (the
// Adaptive Card envelope; Discord's embed limits, allowed_mentions, link
// buttons and the with_components switch without which Discord drops
// them, and an edit replacing only the fields it sends; Google's thread
// and reply option; message sizes), records every message as the
// platform would keep it, answers 429 on demand — in each platform's way:
// Retry-After, Discord's retry_after body and X-RateLimit-* headers,
// Google's bare RESOURCE_EXHAUSTED — on a clock the test drives, and
// records as a violation any request made before a 429's wait passed or
// that the platform would refuse or silently change.
package hookfake

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Webhook URLs of the right shapes, and the secrets the fake expects in
// them. Configs take them from the environment, as secrets.
const (
	TeamsURL      = "https://prod-00.westus.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + TeamsSig
	TeamsSig      = "fake-signature"
	DiscordURL    = "https://discord.com/api/webhooks/112233445566778899/" + DiscordToken
	DiscordToken  = "fake_token-0123456789abcdefghij"
	GoogleChatURL = "https://chat.googleapis.com/v1/spaces/AAAAfake/messages?key=" + GoogleKey + "&token=" + GoogleToken
	GoogleKey     = "fake-key"
	GoogleToken   = "fake-token"
)

// Rooms, as the fake names them: the webhook's own id.
const (
	TeamsRoom      = "0123456789abcdef0123456789abcdef"
	DiscordRoom    = "112233445566778899"
	GoogleChatRoom = "AAAAfake"
)

// Message is one message as the fake keeps it.
type Message struct {
	Platform string // "teams", "discord", "googlechat"
	Room     string
	ID       string // Discord's message id, Google's message name; Teams says none
	Thread   string // Google's thread name
	Body     string // the JSON as last posted or edited
	Edits    int
	Posted   time.Time // on the fake's clock
}

// Fake is a running fake.
type Fake struct {
	srv *httptest.Server
	now func() time.Time

	mu         sync.Mutex
	seq        int
	messages   []*Message
	threads    map[string]string    // Google thread key → thread name
	limitUntil map[string]time.Time // room → the end of the wait it was given
	violations []string
	throttle   int
	// roomThrottle: the next request to the room is answered 429 with
	// this wait.
	roomThrottle map[string]float64
	retryAfter   float64
	fail         int
	limited      int
	requests     []time.Time
}

// Start runs a fake on loopback until the test ends; now is its clock.
func Start(t testing.TB, now func() time.Time) *Fake {
	f := &Fake{now: now, threads: map[string]string{}, limitUntil: map[string]time.Time{}, roomThrottle: map[string]float64{}}
	mux := http.NewServeMux()
	teams := func(w http.ResponseWriter, r *http.Request) { f.teams(w, r) }
	mux.HandleFunc("POST /workflows/{id}/triggers/{trigger}/paths/invoke", teams)
	mux.HandleFunc("POST /powerautomate/automations/direct/workflows/{id}/triggers/{trigger}/paths/invoke", teams)
	mux.HandleFunc("POST /api/webhooks/{id}/{token}", f.discordPost)
	mux.HandleFunc("PATCH /api/webhooks/{id}/{token}/messages/{msg}", f.discordEdit)
	mux.HandleFunc("POST /v1/spaces/{space}/messages", f.googlePost)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the api_url to give a platform's block.
func (f *Fake) URL() string { return f.srv.URL }

// Throttle answers the next n requests 429, asking to wait secs.
func (f *Fake) Throttle(n int, secs float64) {
	f.mu.Lock()
	f.throttle, f.retryAfter = n, secs
	f.mu.Unlock()
}

// ThrottleRooms answers the next request to each of rooms (TeamsRoom,
// DiscordRoom, GoogleChatRoom) 429, asking to wait secs, whichever order
// they come in.
func (f *Fake) ThrottleRooms(secs float64, rooms ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rooms {
		f.roomThrottle[r] = secs
	}
}

// Fail answers the next n requests 500.
func (f *Fake) Fail(n int) { f.mu.Lock(); f.fail = n; f.mu.Unlock() }

// In returns the messages of platform, in the order they were posted.
func (f *Fake) In(platform string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.messages {
		if m.Platform == platform {
			out = append(out, *m)
		}
	}
	return out
}

// Violations are the requests the platform would have refused or that
// came inside a wait it asked for.
func (f *Fake) Violations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.violations)
}

// RateLimited is how many 429s the fake answered.
func (f *Fake) RateLimited() int { f.mu.Lock(); defer f.mu.Unlock(); return f.limited }

// Requests is how many requests reached the fake.
func (f *Fake) Requests() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.requests) }

var linkRE = regexp.MustCompile(`https?://[^\s"\\)\]]+/v1/ack/[A-Za-z0-9_-]+`)

// Links are the signed action links in a message, in order.
func Links(m Message) []string { return linkRE.FindAllString(m.Body, -1) }

// Button is a button of a message as people see it: its text and the
// URL it opens.
type Button struct{ Text, URL string }

// Buttons are the buttons of a message, in order, read in its platform's
// shape: Discord's link buttons, Teams' Action.OpenUrl actions, Google's
// button lists.
func Buttons(m Message) []Button {
	var doc any
	if json.Unmarshal([]byte(m.Body), &doc) != nil {
		return nil
	}
	var out []Button
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			str := func(k string) string { s, _ := v[k].(string); return s }
			switch {
			case m.Platform == "discord" && str("url") != "" && str("label") != "":
				out = append(out, Button{str("label"), str("url")})
			case m.Platform == "teams" && str("type") == "Action.OpenUrl":
				out = append(out, Button{str("title"), str("url")})
			case m.Platform == "googlechat" && v["onClick"] != nil:
				click, _ := v["onClick"].(map[string]any)
				open, _ := click["openLink"].(map[string]any)
				u, _ := open["url"].(string)
				out = append(out, Button{str("text"), u})
			default:
				for _, k := range slices.Sorted(maps.Keys(v)) {
					walk(v[k])
				}
			}
		}
	}
	walk(doc)
	return out
}

// ButtonTexts are the texts of m's buttons, joined by ", ".
func ButtonTexts(m Message) string {
	var out []string
	for _, b := range Buttons(m) {
		out = append(out, b.Text)
	}
	return strings.Join(out, ", ")
}

// ButtonURL is the URL of m's button saying text, "" when it has none.
func ButtonURL(m Message, text string) string {
	for _, b := range Buttons(m) {
		if b.Text == text {
			return b.URL
		}
	}
	return ""
}

func (f *Fake) violate(format string, args ...any) {
	f.violations = append(f.violations, fmt.Sprintf(format, args...))
}

// gate is what every request passes first, under f.mu: a request inside
// a wait is a violation; a failure or a 429 asked for is answered here
// (true: answered).
func (f *Fake) gate(w http.ResponseWriter, platform, room string) bool {
	now := f.now()
	f.requests = append(f.requests, now)
	if until, ok := f.limitUntil[room]; ok && now.Before(until) {
		f.violate("%s %s at %s, %s before its wait ended", platform, room, now.Format(time.RFC3339Nano), until.Sub(now))
	}
	if f.fail > 0 {
		f.fail--
		http.Error(w, `{"message": "internal error"}`, http.StatusInternalServerError)
		return true
	}
	secs, byRoom := f.roomThrottle[room]
	switch {
	case byRoom:
		delete(f.roomThrottle, room)
	case f.throttle > 0:
		f.throttle--
		secs = f.retryAfter
	default:
		return false
	}
	f.limited++
	if platform == "googlechat" {
		// Google says no wait; its quota counts by the second, so the
		// fake asks at least that much of whoever sends again.
		secs = min(secs, 1)
	}
	f.limitUntil[room] = now.Add(seconds(secs))
	w.Header().Set("Content-Type", "application/json")
	switch platform {
	case "teams":
		w.Header().Set("Retry-After", strconv.Itoa(int(secs+0.999)))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":{"code":"WorkflowTriggeredTooFrequently","message":"Rate limit is exceeded."}}`)
	case "discord":
		w.Header().Set("Retry-After", strconv.Itoa(int(secs+0.999)))
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
		w.Header().Set("X-RateLimit-Scope", "shared")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = fmt.Fprintf(w, `{"message": "You are being rate limited.", "retry_after": %.3f, "global": false}`, secs)
	default:
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`)
	}
	return true
}

func (f *Fake) add(m *Message) {
	f.seq++
	m.Posted = f.now()
	f.messages = append(f.messages, m)
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	return b
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
