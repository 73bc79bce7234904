// Package slackfake is a loopback stand-in for Slack: the Web API methods
// pagerd calls (chat.postMessage, chat.update, chat.postEphemeral,
// conversations.history, conversations.replies, conversations.open,
// users.info), reached through slack-go with its API URL pointed here, and
// Slack's side of interactivity and of the Events API: pressing a
// message's button, typing a slash command, replying in a message's
// thread (a message event, sent again as Slack retries) and verifying the
// events URL, signed with the app's signing secret (or not, or too late,
// or replayed). It records
// every message as Slack would keep it, and keeps Slack's limit of one
// message a second per channel on a clock the test drives: a post inside
// it is answered 429 with a Retry-After, and a request made before a
// Retry-After passed is recorded as a violation.
package slackfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The app's credentials the fake expects.
const (
	Token  = "xoxb-1234-5678-fake"
	Secret = "8f742231b10e8888abcd99yyyzzz85a5"
)

// Message is one message as the fake keeps it.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // the parent's ts, for a thread reply
	Text     string
	Blocks   string // the Block Kit JSON, as last posted or updated
	Key      string // pagerd's metadata key
	Incident int64  // pagerd's metadata incident
	User     string // who wrote it, for a person's message (ReplyInThread)
	Edits    int
	Posted   time.Time // on the fake's clock
}

// Answer is an ephemeral answer pagerd posted to a response_url.
type Answer struct {
	Text string
}

// Ephemeral is a message pagerd posted for one person's eyes
// (chat.postEphemeral).
type Ephemeral struct {
	Channel, User, ThreadTS, Text string
}

// Fake is a running fake.
type Fake struct {
	srv *httptest.Server
	now func() time.Time

	mu         sync.Mutex
	seq        int
	messages   []*Message
	lastPost   map[string]time.Time // channel → last accepted post
	limitUntil map[string]time.Time // channel → the Retry-After it was given
	violations []string
	throttle   int // answer the next throttle posts 429
	retryAfter int // seconds, for throttle
	fail       int // answer the next fail requests 500
	refuse     map[string]string
	emails     map[string]string
	answers    []Answer
	ephemeral  []Ephemeral
	events     int
	last       *http.Request // the last request sent to pagerd, for Replay
	lastBody   []byte
	calls      []string
	limited    int
}

// Start runs a fake on loopback until the test ends. now is the clock of
// its rate limit and of the requests it signs.
func Start(t testing.TB, now func() time.Time) *Fake {
	f := &Fake{now: now, lastPost: map[string]time.Time{}, limitUntil: map[string]time.Time{},
		refuse: map[string]string{}, emails: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", f.api)
	mux.HandleFunc("POST /response/{n}", f.response)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// APIURL is the base URL to give slack-go (the slack block's api_url).
func (f *Fake) APIURL() string { return f.srv.URL + "/api/" }

// URL is the fake's base URL.
func (f *Fake) URL() string { return f.srv.URL }

// SetEmail makes users.info tell email for member id.
func (f *Fake) SetEmail(id, email string) { f.mu.Lock(); f.emails[id] = email; f.mu.Unlock() }

// Refuse answers every post to channel (a channel id, or a member id for
// a direct message) with Slack's error code ("channel_not_found").
func (f *Fake) Refuse(channel, code string) { f.mu.Lock(); f.refuse[channel] = code; f.mu.Unlock() }

// Throttle answers the next n posts 429 with Retry-After: secs.
func (f *Fake) Throttle(n, secs int) { f.mu.Lock(); f.throttle, f.retryAfter = n, secs; f.mu.Unlock() }

// Fail answers the next n API requests 500.
func (f *Fake) Fail(n int) { f.mu.Lock(); f.fail = n; f.mu.Unlock() }

// Messages returns every message kept, in the order they were posted.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Message, len(f.messages))
	for i, m := range f.messages {
		out[i] = *m
	}
	return out
}

// In returns the messages of channel that are not thread replies.
func (f *Fake) In(channel string) []Message {
	var out []Message
	for _, m := range f.Messages() {
		if m.Channel == channel && m.ThreadTS == "" {
			out = append(out, m)
		}
	}
	return out
}

// Thread returns the replies to the message at ts in channel.
func (f *Fake) Thread(channel, ts string) []Message {
	var out []Message
	for _, m := range f.Messages() {
		if m.Channel == channel && m.ThreadTS == ts {
			out = append(out, m)
		}
	}
	return out
}

// Violations lists the requests made to a channel before the Retry-After
// it was given had passed: 429s ignored.
func (f *Fake) Violations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.violations)
}

// RateLimited counts the 429s the fake answered.
func (f *Fake) RateLimited() int { f.mu.Lock(); defer f.mu.Unlock(); return f.limited }

// Calls lists the API methods called, in order.
func (f *Fake) Calls() []string { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.calls) }

// Answers returns the ephemeral answers posted to response URLs.
func (f *Fake) Answers() []Answer { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.answers) }

// Ephemerals returns the messages posted with chat.postEphemeral.
func (f *Fake) Ephemerals() []Ephemeral {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ephemeral)
}

// DM is the direct-message channel the fake opens for member id.
func DM(member string) string { return "D" + strings.TrimPrefix(member, "U") }

func (f *Fake) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method)
	if f.fail > 0 {
		f.fail--
		http.Error(w, "<html>oops</html>", http.StatusInternalServerError)
		return
	}
	token := r.PostForm.Get("token")
	if h := r.Header.Get("Authorization"); h != "" {
		token = strings.TrimPrefix(h, "Bearer ")
	}
	if token != Token {
		reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch method {
	case "chat.postMessage":
		f.post(w, r.PostForm)
	case "chat.update":
		f.update(w, r.PostForm)
	case "chat.postEphemeral":
		f.whisper(w, r.PostForm)
	case "conversations.history":
		f.history(w, r.PostForm.Get("channel"), "")
	case "conversations.replies":
		f.history(w, r.PostForm.Get("channel"), r.PostForm.Get("ts"))
	case "conversations.open":
		users := r.PostForm.Get("users")
		reply(w, map[string]any{"ok": true, "channel": map[string]any{"id": DM(users)}})
	case "users.info":
		id := r.PostForm.Get("user")
		reply(w, map[string]any{"ok": true, "user": map[string]any{"id": id, "profile": map[string]any{"email": f.emails[id]}}})
	default:
		reply(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// limit keeps Slack's one message a second per channel; it answers the
// request itself when the post is refused.
func (f *Fake) limit(w http.ResponseWriter, channel string) bool {
	now := f.now()
	if until, ok := f.limitUntil[channel]; ok && now.Before(until) {
		f.violations = append(f.violations, fmt.Sprintf("%s at %s, %s before its Retry-After", channel, now.Format(time.RFC3339Nano), until.Sub(now)))
	}
	secs := 0
	switch {
	case f.throttle > 0:
		f.throttle--
		secs = f.retryAfter
	case now.Sub(f.lastPost[channel]) < time.Second:
		secs = 1
	}
	if secs > 0 {
		f.limited++
		f.limitUntil[channel] = now.Add(time.Duration(secs) * time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		w.WriteHeader(http.StatusTooManyRequests)
		return false
	}
	f.lastPost[channel] = now
	return true
}

func (f *Fake) post(w http.ResponseWriter, form url.Values) {
	channel := form.Get("channel")
	if code := f.refuse[channel]; code != "" {
		reply(w, map[string]any{"ok": false, "error": code})
		return
	}
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		channel = DM(channel)
	}
	if !f.limit(w, channel) {
		return
	}
	if thread := form.Get("thread_ts"); thread != "" && f.find(channel, thread) == nil {
		reply(w, map[string]any{"ok": false, "error": "thread_not_found"})
		return
	}
	f.seq++
	m := &Message{Channel: channel, TS: fmt.Sprintf("%d.%06d", f.now().Unix(), f.seq), ThreadTS: form.Get("thread_ts"),
		Text: form.Get("text"), Blocks: form.Get("blocks"), Posted: f.now()}
	m.Key, m.Incident = metadata(form.Get("metadata"))
	f.messages = append(f.messages, m)
	reply(w, map[string]any{"ok": true, "channel": channel, "ts": m.TS, "message": map[string]any{"ts": m.TS, "text": m.Text}})
}

// whisper keeps an ephemeral message; like Slack, it needs the user and a
// channel.
func (f *Fake) whisper(w http.ResponseWriter, form url.Values) {
	channel, user, thread := form.Get("channel"), form.Get("user"), form.Get("thread_ts")
	if channel == "" || user == "" {
		reply(w, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	f.ephemeral = append(f.ephemeral, Ephemeral{Channel: channel, User: user, ThreadTS: thread, Text: form.Get("text")})
	reply(w, map[string]any{"ok": true, "message_ts": fmt.Sprintf("%d.000000", f.now().Unix())})
}

func metadata(raw string) (string, int64) {
	var md struct {
		Payload struct {
			Key      string `json:"key"`
			Incident int64  `json:"incident"`
		} `json:"event_payload"`
	}
	_ = json.Unmarshal([]byte(raw), &md)
	return md.Payload.Key, md.Payload.Incident
}

func (f *Fake) find(channel, ts string) *Message {
	for _, m := range f.messages {
		if m.Channel == channel && m.TS == ts {
			return m
		}
	}
	return nil
}

func (f *Fake) update(w http.ResponseWriter, form url.Values) {
	m := f.find(form.Get("channel"), form.Get("ts"))
	if m == nil {
		reply(w, map[string]any{"ok": false, "error": "message_not_found"})
		return
	}
	m.Text, m.Blocks = form.Get("text"), form.Get("blocks")
	if md := form.Get("metadata"); md != "" {
		m.Key, m.Incident = metadata(md)
	}
	m.Edits++
	reply(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text})
}

// history answers the latest messages of channel (newest first), or the
// thread of ts (its parent first), with their metadata.
func (f *Fake) history(w http.ResponseWriter, channel, ts string) {
	var out []map[string]any
	for i := len(f.messages) - 1; i >= 0; i-- {
		m := f.messages[i]
		if m.Channel != channel || (ts == "" && m.ThreadTS != "") || (ts != "" && m.ThreadTS != ts && m.TS != ts) {
			continue
		}
		out = append(out, map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "thread_ts": m.ThreadTS,
			"metadata": map[string]any{"event_type": "pagerd_message", "event_payload": map[string]any{"key": m.Key, "incident": m.Incident}}})
	}
	if ts != "" {
		slices.Reverse(out)
	}
	reply(w, map[string]any{"ok": true, "messages": out})
}

func (f *Fake) response(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.answers = append(f.answers, Answer{Text: body.Text})
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Signing is how a request the fake sends to pagerd is signed.
type Signing struct {
	Secret string    // "" means Secret
	At     time.Time // zero means the fake's clock now
	None   bool      // no signature headers at all
}

// Request is what pagerd answered.
type Request struct {
	Code int
	Body string
	// EventID is the event_id of an Events API delivery, for sending it
	// again (Event.ID).
	EventID string
}

// Press presses the button of action ("ack", "resolve", "escalate") on
// message m as the Slack user member, posting the interaction to pagerd's
// interactivity URL.
func (f *Fake) Press(t testing.TB, target string, m Message, action, member string, s Signing) Request {
	t.Helper()
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": member, "name": strings.ToLower(member)},
		"channel": map[string]any{"id": m.Channel}, "message": map[string]any{"ts": m.TS},
		"container":    map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel},
		"response_url": fmt.Sprintf("%s/response/%s-%s", f.srv.URL, m.TS, member),
		"actions": []map[string]any{{"type": "button", "block_id": fmt.Sprintf("pagerd_actions_%d", m.Incident),
			"action_id": "pagerd_" + action, "value": strconv.FormatInt(m.Incident, 10)}},
	})
	return f.send(t, target, url.Values{"payload": {string(payload)}}.Encode(), s)
}

// Event is how an Events API delivery is made.
type Event struct {
	// ID is the event's event_id; "" makes a new event. The same ID again
	// with Retry above 0 is Slack retrying it (X-Slack-Retry-Num).
	ID    string
	Retry int
	// Bot makes the message a bot's (bot_id, subtype bot_message).
	Bot bool
	// Target is where to post it in place of the call's target (another
	// replica, for a retry).
	Target string
}

// ReplyInThread is member replying text in the thread of message parent:
// the reply is kept in the channel as Slack keeps it, and its message
// event (the app subscribes to message.channels, message.groups and
// message.im) posted to pagerd's events URL at target. text is mrkdwn, as
// a Slack client sends it (mentions as <@U…>, & < > as entities). A retry
// (ev.ID and ev.Retry) posts the same event again and keeps nothing new.
func (f *Fake) ReplyInThread(t testing.TB, target string, parent Message, member, text string, s Signing, ev Event) Request {
	t.Helper()
	f.mu.Lock()
	ts := ""
	if ev.ID == "" {
		f.events++
		ev.ID = fmt.Sprintf("Ev%08d", f.events)
		f.seq++
		ts = fmt.Sprintf("%d.%06d", f.now().Unix(), f.seq)
		f.messages = append(f.messages, &Message{Channel: parent.Channel, TS: ts, ThreadTS: parent.TS, Text: text, User: member, Posted: f.now()})
	} else {
		for _, m := range f.messages {
			if m.ThreadTS == parent.TS && m.User == member && m.Text == text {
				ts = m.TS
			}
		}
	}
	f.mu.Unlock()
	inner := map[string]any{"type": "message", "channel": parent.Channel, "user": member, "text": text,
		"ts": ts, "thread_ts": parent.TS, "event_ts": ts, "channel_type": channelType(parent.Channel)}
	if ev.Bot {
		inner["bot_id"], inner["subtype"] = "B0PAGERD01", "bot_message"
	}
	body, _ := json.Marshal(map[string]any{"token": "deprecated-verification-token", "team_id": "T0001", "api_app_id": "A0PAGERD01",
		"type": "event_callback", "event_id": ev.ID, "event_time": f.now().Unix(), "event": inner})
	if ev.Target != "" {
		target = ev.Target
	}
	r := f.sendJSON(t, target, body, s, ev.Retry)
	r.EventID = ev.ID
	return r
}

// VerifyURL is Slack checking the events URL when it is saved: a signed
// url_verification whose challenge must come back.
func (f *Fake) VerifyURL(t testing.TB, target, challenge string, s Signing) Request {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"token": "deprecated-verification-token", "challenge": challenge, "type": "url_verification"})
	return f.sendJSON(t, target, body, s, 0)
}

func channelType(channel string) string {
	switch {
	case strings.HasPrefix(channel, "D"):
		return "im"
	case strings.HasPrefix(channel, "G"):
		return "group"
	}
	return "channel"
}

func (f *Fake) sendJSON(t testing.TB, target string, body []byte, s Signing, retry int) Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	f.sign(req, body, s)
	return f.do(t, req, body)
}

// do sends req, whose body is body, keeping both for Replay.
func (f *Fake) do(t testing.TB, req *http.Request, body []byte) Request {
	t.Helper()
	f.mu.Lock()
	f.last, f.lastBody = req, body
	f.mu.Unlock()
	return Do(t, req)
}

// Replay sends the last request made to pagerd (a press, a command, an
// event) again to target, byte for byte, its signature and timestamp
// included: what an eavesdropper could do.
func (f *Fake) Replay(t testing.TB, target string) Request {
	t.Helper()
	f.mu.Lock()
	last, body := f.last, f.lastBody
	f.mu.Unlock()
	if last == nil {
		t.Fatal("nothing to replay")
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = last.Header.Clone()
	return Do(t, req)
}

// Command types a slash command ("ack 42") as member.
func (f *Fake) Command(t testing.TB, target, member, text string, s Signing) Request {
	t.Helper()
	form := url.Values{"command": {"/pagerd"}, "text": {text}, "user_id": {member}, "user_name": {strings.ToLower(member)},
		"team_id": {"T0001"}, "response_url": {f.srv.URL + "/response/cmd"}}
	return f.send(t, target, form.Encode(), s)
}

func (f *Fake) send(t testing.TB, target, body string, s Signing) Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	f.sign(req, []byte(body), s)
	return f.do(t, req, []byte(body))
}

func (f *Fake) sign(req *http.Request, body []byte, s Signing) {
	if s.None {
		return
	}
	secret, at := s.Secret, s.At
	if secret == "" {
		secret = Secret
	}
	if at.IsZero() {
		at = f.now()
	}
	Sign(req.Header, secret, at, body)
}

// Do sends req and reads the answer.
func Do(t testing.TB, req *http.Request) Request {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Request{Code: resp.StatusCode, Body: string(b)}
}

// Sign signs a request as Slack does
// (https://api.slack.com/authentication/verifying-requests-from-slack):
// X-Slack-Signature is "v0=" and the hex HMAC-SHA256 of
// "v0:<timestamp>:<body>" keyed with the signing secret.
func Sign(h http.Header, secret string, at time.Time, body []byte) {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
}
