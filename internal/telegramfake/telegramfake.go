// Package telegramfake is a loopback stand-in for Telegram's Bot API: the
// methods pagerd calls (sendMessage, editMessageText), reached through a
// custom base URL, and Telegram's side of the bot's webhook — a person
// pressing a message's button, typing a command or replying to a message,
// posted as an update with the webhook's secret token (or without, or a
// wrong one), and the Bot API call pagerd answers with carried out (a
// message sent, a press answered, a reaction set). It checks what Telegram
// checks of a message (its HTML, 4096 characters once parsed, callback
// data within 64 bytes, the message replied to), answers 429 with
// parameters.retry_after on demand and records any request made to a
// chat before a retry_after it gave had passed.
package telegramfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// What the fake expects: the bot's token and the webhook's secret.
const (
	Token  = "123456789:AAFakeBotTokenForTestsOnly_0123456789"
	Secret = "fake-webhook-secret_0123456789abcdef"
	// BotID is the bot's user id, the part of Token before the colon.
	BotID = 123456789
)

// Button is one button of a message's inline keyboard.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
	URL  string `json:"url"`
}

// Message is one message as the fake keeps it.
type Message struct {
	Chat     int64
	ID       int64
	ReplyTo  int64 // the message it replies to
	Text     string
	Keyboard [][]Button
	Edits    int
	Posted   time.Time // on the fake's clock
	// Answer marks a message pagerd sent as its answer to a command;
	// Typed one a person typed (Command).
	Answer, Typed bool
}

// Buttons are the texts of the message's callback buttons,
// space-separated.
func (m Message) Buttons() string {
	var out []string
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.Data != "" {
				out = append(out, b.Text)
			}
		}
	}
	return strings.Join(out, " ")
}

// Data is the callback data of the message's button whose text is text.
func (m Message) Data(text string) (string, bool) {
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.Text == text && b.Data != "" {
				return b.Data, true
			}
		}
	}
	return "", false
}

// Visible is the message's text as Telegram shows it: tags dropped and
// entities read.
func (m Message) Visible() string { return visible(m.Text) }

// Answer is what pagerd answered a button press: the text shown to
// whoever pressed.
type Answer struct {
	Text  string
	Alert bool
}

// Reaction is a reaction the bot set on a message.
type Reaction struct {
	Chat, MessageID int64
	Emoji           string
}

// Fake is a running fake.
type Fake struct {
	srv *httptest.Server
	now func() time.Time

	mu         sync.Mutex
	seq        int64
	updates    int64
	delivered  map[int64]map[string]any // every update sent, by update_id
	messages   []*Message
	channels   map[string]int64 // "@name" → chat id
	refuse     map[int64]refusal
	limitUntil map[int64]time.Time
	violations []string
	throttle   int
	retryAfter int
	fail       int
	limited    int
	answers    []Answer
	reactions  []Reaction
	calls      []string
}

type refusal struct {
	code int
	desc string
}

// Start runs a fake on loopback until the test ends; now is its clock.
func Start(t testing.TB, now func() time.Time) *Fake {
	f := &Fake{now: now, channels: map[string]int64{}, refuse: map[int64]refusal{}, limitUntil: map[int64]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{bot}/{method}", f.api)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the Bot API's base URL (the telegram block's api_url).
func (f *Fake) URL() string { return f.srv.URL }

// Close stops the fake: every call fails to connect.
func (f *Fake) Close() { f.srv.Close() }

// AddChannel makes a public channel known by its @name.
func (f *Fake) AddChannel(name string, id int64) {
	f.mu.Lock()
	f.channels[strings.ToLower(name)] = id
	f.mu.Unlock()
}

// Refuse answers every message to chat with Telegram's error code and
// description (403, "Forbidden: bot was blocked by the user").
func (f *Fake) Refuse(chat int64, code int, desc string) {
	f.mu.Lock()
	f.refuse[chat] = refusal{code, desc}
	f.mu.Unlock()
}

// Throttle answers the next n sends and edits 429 with retry_after secs.
func (f *Fake) Throttle(n, secs int) { f.mu.Lock(); f.throttle, f.retryAfter = n, secs; f.mu.Unlock() }

// Fail answers the next n calls 502, as Telegram's front does.
func (f *Fake) Fail(n int) { f.mu.Lock(); f.fail = n; f.mu.Unlock() }

// Messages returns every message kept, in the order they were sent.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Message, len(f.messages))
	for i, m := range f.messages {
		out[i] = *m
	}
	return out
}

// In returns the messages the bot sent in chat that reply to nothing.
func (f *Fake) In(chat int64) []Message {
	var out []Message
	for _, m := range f.Messages() {
		if m.Chat == chat && m.ReplyTo == 0 && !m.Typed {
			out = append(out, m)
		}
	}
	return out
}

// Replies returns the messages in chat that reply to the message id.
func (f *Fake) Replies(chat, id int64) []Message {
	var out []Message
	for _, m := range f.Messages() {
		if m.Chat == chat && m.ReplyTo == id {
			out = append(out, m)
		}
	}
	return out
}

// Violations lists the requests made to a chat before the retry_after it
// was given had passed: 429s ignored.
func (f *Fake) Violations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.violations)
}

// RateLimited counts the 429s the fake answered.
func (f *Fake) RateLimited() int { f.mu.Lock(); defer f.mu.Unlock(); return f.limited }

// Calls lists the methods called, in order.
func (f *Fake) Calls() []string { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.calls) }

// Answers are what pagerd answered button presses.
func (f *Fake) Answers() []Answer { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.answers) }

// Reactions are the reactions the bot set, in order.
func (f *Fake) Reactions() []Reaction {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reactions)
}

func refuse(w http.ResponseWriter, code int, desc string, params map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	body := map[string]any{"ok": false, "error_code": code, "description": desc}
	if params != nil {
		body["parameters"] = params
	}
	_ = json.NewEncoder(w).Encode(body)
}

func result(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": v})
}

// sendParams is what sendMessage and editMessageText take.
type sendParams struct {
	ChatID      json.RawMessage `json:"chat_id"`
	MessageID   int64           `json:"message_id"`
	Text        string          `json:"text"`
	ParseMode   string          `json:"parse_mode"`
	ReplyMarkup *struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	} `json:"reply_markup"`
	ReplyParameters *struct {
		MessageID                int64 `json:"message_id"`
		AllowSendingWithoutReply bool  `json:"allow_sending_without_reply"`
	} `json:"reply_parameters"`
}

func (f *Fake) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method)
	if r.PathValue("bot") != "bot"+Token {
		refuse(w, http.StatusUnauthorized, "Unauthorized", nil)
		return
	}
	if f.fail > 0 {
		f.fail--
		http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
		return
	}
	var p sendParams
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		refuse(w, http.StatusBadRequest, "Bad Request: can't parse JSON: "+err.Error(), nil)
		return
	}
	switch method {
	case "sendMessage":
		f.send(w, p, false)
	case "editMessageText":
		f.edit(w, p)
	default:
		refuse(w, http.StatusNotFound, "Not Found: method not found", nil)
	}
}

// chatOf reads chat_id, a number or a string (of digits, or an @name).
func (f *Fake) chatOf(raw json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	if strings.HasPrefix(s, "@") {
		id, ok := f.channels[strings.ToLower(s)]
		return id, ok
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id != 0
}

// check checks a message as Telegram does; it answers the request itself
// when the message is refused.
func (f *Fake) check(w http.ResponseWriter, chat int64, p sendParams) bool {
	if rf, ok := f.refuse[chat]; ok {
		refuse(w, rf.code, rf.desc, nil)
		return false
	}
	if p.ParseMode != "HTML" {
		refuse(w, http.StatusBadRequest, "Bad Request: the fake takes parse_mode HTML only", nil)
		return false
	}
	if err := checkHTML(p.Text); err != nil {
		refuse(w, http.StatusBadRequest, "Bad Request: can't parse entities: "+err.Error(), nil)
		return false
	}
	switch n := len(utf16.Encode([]rune(visible(p.Text)))); {
	case n == 0:
		refuse(w, http.StatusBadRequest, "Bad Request: message text is empty", nil)
		return false
	case n > 4096:
		refuse(w, http.StatusBadRequest, "Bad Request: message is too long", nil)
		return false
	}
	if p.ReplyMarkup != nil {
		for _, row := range p.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if len(b.Data) > 64 || (b.Data == "" && b.URL == "") {
					refuse(w, http.StatusBadRequest, "Bad Request: BUTTON_DATA_INVALID", nil)
					return false
				}
			}
		}
	}
	return f.limit(w, chat)
}

// limit answers 429 while Throttle asks, and records a request inside a
// retry_after.
func (f *Fake) limit(w http.ResponseWriter, chat int64) bool {
	now := f.now()
	if until, ok := f.limitUntil[chat]; ok && now.Before(until) {
		f.violations = append(f.violations, fmt.Sprintf("chat %d at %s, %s before its retry_after", chat, now.Format(time.RFC3339Nano), until.Sub(now)))
	}
	if f.throttle == 0 {
		return true
	}
	f.throttle--
	f.limited++
	f.limitUntil[chat] = now.Add(time.Duration(f.retryAfter) * time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
	refuse(w, http.StatusTooManyRequests, fmt.Sprintf("Too Many Requests: retry after %d", f.retryAfter), map[string]any{"retry_after": f.retryAfter})
	return false
}

func (f *Fake) send(w http.ResponseWriter, p sendParams, answer bool) {
	chat, ok := f.chatOf(p.ChatID)
	if !ok {
		refuse(w, http.StatusBadRequest, "Bad Request: chat not found", nil)
		return
	}
	if !f.check(w, chat, p) {
		return
	}
	m := &Message{Chat: chat, Text: p.Text, Posted: f.now(), Answer: answer}
	if p.ReplyParameters != nil {
		if f.find(chat, p.ReplyParameters.MessageID) != nil {
			m.ReplyTo = p.ReplyParameters.MessageID
		} else if !p.ReplyParameters.AllowSendingWithoutReply {
			refuse(w, http.StatusBadRequest, "Bad Request: message to be replied not found", nil)
			return
		}
	}
	if p.ReplyMarkup != nil {
		m.Keyboard = p.ReplyMarkup.InlineKeyboard
	}
	f.seq++
	m.ID = f.seq
	f.messages = append(f.messages, m)
	result(w, wire(m))
}

func (f *Fake) edit(w http.ResponseWriter, p sendParams) {
	chat, ok := f.chatOf(p.ChatID)
	m := f.find(chat, p.MessageID)
	if !ok || m == nil {
		refuse(w, http.StatusBadRequest, "Bad Request: message to edit not found", nil)
		return
	}
	if !f.check(w, chat, p) {
		return
	}
	var kb [][]Button
	if p.ReplyMarkup != nil {
		kb = p.ReplyMarkup.InlineKeyboard
	}
	if m.Text == p.Text && keyboardsEqual(m.Keyboard, kb) {
		refuse(w, http.StatusBadRequest, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message", nil)
		return
	}
	// A message edited without a reply_markup loses its keyboard.
	m.Text, m.Keyboard = p.Text, kb
	m.Edits++
	result(w, wire(m))
}

func keyboardsEqual(a, b [][]Button) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return len(a) == len(b) && bytes.Equal(ja, jb)
}

func wire(m *Message) map[string]any {
	return map[string]any{"message_id": m.ID, "date": m.Posted.Unix(), "chat": map[string]any{"id": m.Chat}, "text": visible(m.Text)}
}

func (f *Fake) find(chat, id int64) *Message {
	for _, m := range f.messages {
		if m.Chat == chat && m.ID == id {
			return m
		}
	}
	return nil
}

// The HTML Telegram takes: these tags (an <a> with its href), and the
// entities &lt; &gt; &amp; &quot; and numeric ones; anything else is
// refused, as Telegram refuses it.
var (
	tagRE    = regexp.MustCompile(`^<(/?)([a-z-]+)((?: [a-z-]+="[^"<>]*")*)>`)
	entityRE = regexp.MustCompile(`^&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);`)
	allowed  = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true,
		"strike": true, "del": true, "a": true, "code": true, "pre": true, "blockquote": true, "tg-spoiler": true}
)

func checkHTML(s string) error {
	var open []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			m := tagRE.FindStringSubmatch(s[i:])
			if m == nil || !allowed[m[2]] {
				return fmt.Errorf("unsupported start tag at byte offset %d", i)
			}
			if m[1] == "/" {
				if len(open) == 0 || open[len(open)-1] != m[2] {
					return fmt.Errorf("unmatched end tag %q at byte offset %d", m[2], i)
				}
				open = open[:len(open)-1]
			} else {
				if m[2] == "a" && !strings.HasPrefix(m[3], ` href="`) {
					return fmt.Errorf("an <a> without href at byte offset %d", i)
				}
				open = append(open, m[2])
			}
			i += len(m[0])
		case '&':
			m := entityRE.FindString(s[i:])
			if m == "" {
				return fmt.Errorf("unsupported entity at byte offset %d", i)
			}
			i += len(m)
		case '>':
			return fmt.Errorf("a bare > at byte offset %d", i)
		default:
			i++
		}
	}
	if len(open) > 0 {
		return fmt.Errorf("unclosed %q", open[len(open)-1])
	}
	return nil
}

var anyTag = regexp.MustCompile(`<[^>]*>`)

func visible(s string) string { return html.UnescapeString(anyTag.ReplaceAllString(s, "")) }
