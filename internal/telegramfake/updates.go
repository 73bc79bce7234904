package telegramfake

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"unicode/utf16"
)

// What the fake Telegram sends pagerd: updates to its webhook for a
// button pressed, a command or a reply written in a chat.

// Presser is who presses or types: a Telegram user (or a bot).
type Presser struct {
	ID       int64
	Username string
	Bot      bool
}

func (p Presser) json() map[string]any {
	return map[string]any{"id": p.ID, "is_bot": p.Bot, "first_name": p.Username, "username": p.Username}
}

// Send is how an update is posted to pagerd.
type Send struct {
	Secret   string // "" means Secret
	NoSecret bool   // no secret header at all
	UpdateID int64  // 0 makes a new one (the same one again is Telegram delivering it again)
	Data     string // in place of the button's callback data: a forgery
	Chat     int64  // the chat the press says it came from; 0 is the message's
}

// Reply is what pagerd answered an update.
type Reply struct {
	Code   int
	Body   string
	Method string // the Bot API call it answered with, carried out by the fake
}

// Press presses the button whose text is button ("Acknowledge") on
// message m as who, posting the callback query to pagerd's webhook at
// target.
func (f *Fake) Press(t testing.TB, target string, m Message, button string, who Presser, how Send) Reply {
	t.Helper()
	data, ok := m.Data(button)
	if !ok && how.Data == "" {
		t.Fatalf("message %d in chat %d has no %q button: %s", m.ID, m.Chat, button, m.Buttons())
	}
	if how.Data != "" {
		data = how.Data
	}
	chat := how.Chat
	if chat == 0 {
		chat = m.Chat
	}
	f.mu.Lock()
	f.seq++
	cq := map[string]any{
		"id": "cq" + strconv.FormatInt(f.seq, 10), "chat_instance": "ci" + strconv.FormatInt(chat, 10), "data": data,
		"from":    who.json(),
		"message": map[string]any{"message_id": m.ID, "date": m.Posted.Unix(), "chat": chatJSON(chat), "text": visible(m.Text)},
	}
	f.mu.Unlock()
	return f.post(t, target, map[string]any{"callback_query": cq}, how)
}

// Command types text ("/ack 42") into chat as who.
func (f *Fake) Command(t testing.TB, target string, chat int64, who Presser, text string, how Send) Reply {
	t.Helper()
	if upd, ok := f.deliveredBefore(how); ok {
		return f.post(t, target, upd, how)
	}
	f.mu.Lock()
	f.seq++
	msg := map[string]any{"message_id": f.seq, "date": f.now().Unix(), "chat": chatJSON(chat), "text": text, "from": who.json()}
	f.messages = append(f.messages, &Message{Chat: chat, ID: f.seq, Text: html.EscapeString(text), Posted: f.now(), Typed: true})
	f.mu.Unlock()
	return f.post(t, target, map[string]any{"message": msg}, how)
}

// Reply is who replying text to message m, in m's chat (how.Chat: as
// if from another): kept as Telegram keeps it, and posted to pagerd's
// webhook at target with the message it replies to, as Telegram sends a
// bot the replies to its messages, privacy mode or not.
func (f *Fake) Reply(t testing.TB, target string, m Message, who Presser, text string, how Send) Reply {
	t.Helper()
	chat := how.Chat
	if chat == 0 {
		chat = m.Chat
	}
	if upd, ok := f.deliveredBefore(how); ok {
		return f.post(t, target, upd, how)
	}
	f.mu.Lock()
	f.seq++
	msg := map[string]any{"message_id": f.seq, "date": f.now().Unix(), "chat": chatJSON(chat), "text": text, "from": who.json(),
		"reply_to_message": map[string]any{"message_id": m.ID, "date": m.Posted.Unix(), "chat": chatJSON(chat), "text": visible(m.Text),
			"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "pagerd", "username": "pagerd_bot"}}}
	f.messages = append(f.messages, &Message{Chat: chat, ID: f.seq, ReplyTo: m.ID, Text: html.EscapeString(text), Posted: f.now(), Typed: true})
	f.mu.Unlock()
	return f.post(t, target, map[string]any{"message": msg}, how)
}

// reactionEmoji are some of the emoji Telegram lets a bot react with
// (ReactionTypeEmoji); any other is refused.
var reactionEmoji = map[string]bool{"👍": true, "👎": true, "❤": true, "🔥": true, "👌": true, "👀": true, "✍": true, "🤝": true, "🫡": true}

func chatJSON(chat int64) map[string]any {
	if chat > 0 {
		return map[string]any{"id": chat, "type": "private"}
	}
	return map[string]any{"id": chat, "type": "supergroup", "title": "on call"}
}

// deliveredBefore is the update how.UpdateID names, when it was sent
// before: Telegram delivers the very update again, not a new message.
func (f *Fake) deliveredBefore(how Send) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	upd, ok := f.delivered[how.UpdateID]
	return upd, ok
}

func (f *Fake) post(t testing.TB, target string, upd map[string]any, how Send) Reply {
	t.Helper()
	f.mu.Lock()
	if how.UpdateID == 0 {
		f.updates++
		how.UpdateID = f.updates
	}
	if f.delivered == nil {
		f.delivered = map[int64]map[string]any{}
	}
	f.delivered[how.UpdateID] = upd
	f.mu.Unlock()
	upd["update_id"] = how.UpdateID
	body, _ := json.Marshal(upd)
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if !how.NoSecret {
		secret := how.Secret
		if secret == "" {
			secret = Secret
		}
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Reply{Code: resp.StatusCode, Body: string(raw)}
	if resp.StatusCode != http.StatusOK || len(bytes.TrimSpace(raw)) == 0 {
		return out
	}
	// Telegram carries out the call a webhook answers with.
	var call struct {
		Method    string `json:"method"`
		Text      string `json:"text"`
		Alert     bool   `json:"show_alert"`
		ChatID    int64  `json:"chat_id"`
		MessageID int64  `json:"message_id"`
		Reaction  []struct {
			Type  string `json:"type"`
			Emoji string `json:"emoji"`
		} `json:"reaction"`
	}
	if err := json.Unmarshal(raw, &call); err != nil {
		t.Fatalf("webhook answered %s: %v", raw, err)
	}
	out.Method = call.Method
	switch call.Method {
	case "answerCallbackQuery":
		if n := len(utf16.Encode([]rune(call.Text))); n > 200 {
			t.Errorf("an answer to a press of %d characters, over Telegram's 200: %q", n, call.Text)
		}
		f.mu.Lock()
		f.answers = append(f.answers, Answer{Text: call.Text, Alert: call.Alert})
		f.mu.Unlock()
	case "setMessageReaction":
		f.mu.Lock()
		m := f.find(call.ChatID, call.MessageID)
		if m != nil && len(call.Reaction) == 1 && call.Reaction[0].Type == "emoji" && reactionEmoji[call.Reaction[0].Emoji] {
			// A message has the bot's one reaction: setting it again replaces it.
			r := Reaction{Chat: call.ChatID, MessageID: call.MessageID, Emoji: call.Reaction[0].Emoji}
			f.reactions = slices.DeleteFunc(f.reactions, func(o Reaction) bool { return o.Chat == r.Chat && o.MessageID == r.MessageID })
			f.reactions = append(f.reactions, r)
		} else {
			t.Errorf("the webhook's reaction would be refused: %s", raw)
		}
		f.mu.Unlock()
	case "sendMessage":
		var p sendParams
		_ = json.Unmarshal(raw, &p)
		rec := httptest.NewRecorder()
		f.mu.Lock()
		f.send(rec, p, true)
		f.mu.Unlock()
		if rec.Code != http.StatusOK {
			t.Errorf("the webhook's answer was refused: %s", rec.Body)
		}
	}
	return out
}
