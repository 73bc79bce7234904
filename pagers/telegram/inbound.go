package telegram

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// Updates Telegram posts to the webhook (https://core.telegram.org/bots/api#update):
// pagerd reads button presses (callback queries) and commands, and lets
// everything else be. Its answer to a press or a command rides in the
// webhook's response (a Bot API call Telegram makes for it), so that
// nothing waits on a call of pagerd's own.

// secretHeader carries the secret_token given to setWebhook.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxBody bounds an update: a press is under 2 KiB, a message at most a
// few tens.
const maxBody = 256 << 10

// seenFor is how long an update's id is kept against Telegram delivering
// it again (it retries what was not answered 2xx, and keeps updates a day).
const seenFor = 25 * time.Hour

type user struct {
	ID       int64  `json:"id"`
	IsBot    bool   `json:"is_bot"`
	Username string `json:"username"`
	First    string `json:"first_name"`
}

type chatInfo struct {
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	Username string `json:"username"`
}

type inMessage struct {
	MessageID int64    `json:"message_id"`
	From      *user    `json:"from"`
	Chat      chatInfo `json:"chat"`
	Text      string   `json:"text"`
	Caption   string   `json:"caption"` // a photo's or a file's words
	// ReplyTo is the message this one replies to (only its ids are read).
	ReplyTo *inMessage `json:"reply_to_message"`
}

// isCommand reports whether m is a command typed to the bot.
func (m *inMessage) isCommand() bool { return strings.HasPrefix(m.Text, "/") }

// isPersonsReply reports whether m is a person's reply to another
// message, which may be one of the bot's about an incident: never a
// bot's (the bot's own messages come back to nobody; no loops).
func (m *inMessage) isPersonsReply() bool {
	return m.ReplyTo != nil && m.From != nil && !m.From.IsBot && !m.isCommand()
}

type callbackQuery struct {
	ID      string     `json:"id"`
	From    user       `json:"from"`
	Message *inMessage `json:"message"`
	Data    string     `json:"data"`
}

type update struct {
	UpdateID int64          `json:"update_id"`
	Message  *inMessage     `json:"message"`
	Callback *callbackQuery `json:"callback_query"`
}

// Why a request or a press is refused.
var (
	errNoSecret    = errors.New("missing " + secretHeader)
	errBadSecret   = errors.New("bad " + secretHeader)
	errForged      = errors.New("the button's callback data is not a token pagerd signed")
	errElsewhere   = errors.New("the button's token was signed for another chat")
	errNotTelegram = errors.New("telegram is not configured")
)

func settings(in *pagers.Inbound) (Config, bool) {
	cc, ok := chat.ConfigOf(in.Config, Platform)
	if !ok {
		return Config{}, false
	}
	c, ok := cc.Settings.(Config)
	return c, ok
}

// serveWebhook takes an update from Telegram: its secret header checked
// (in constant time; 401 when missing or wrong), each update acted on at
// most once, a press or a command answered in the response.
func serveWebhook(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) {
	c, on := settings(in)
	if !on {
		in.Fail(w, r, http.StatusNotFound, errNotTelegram.Error(), nil)
		return
	}
	got := r.Header.Get(secretHeader)
	switch {
	case got == "":
		in.Fail(w, r, http.StatusUnauthorized, errNoSecret.Error(), errNoSecret)
		return
	case subtle.ConstantTimeCompare([]byte(got), []byte(c.WebhookSecret)) != 1:
		in.Fail(w, r, http.StatusUnauthorized, errBadSecret.Error(), errBadSecret)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		in.Fail(w, r, http.StatusRequestEntityTooLarge, "request body too large or unreadable", err)
		return
	}
	var u update
	if err := json.Unmarshal(body, &u); err != nil {
		in.Fail(w, r, http.StatusBadRequest, "body is not a Telegram update", err)
		return
	}
	if u.Callback == nil && (u.Message == nil || (!u.Message.isCommand() && !u.Message.isPersonsReply())) {
		w.WriteHeader(http.StatusOK) // nothing for pagerd: a message to the group, the bot added somewhere
		return
	}
	// Telegram sends again what it thinks was not taken: act once. A
	// reply's note is stored with its delivery in one step, so that a
	// delivery that failed is noted when it comes again; anything else
	// is marked taken first.
	delivery := "telegram:update:" + botID(c.BotToken) + ":" + strconv.FormatInt(u.UpdateID, 10)
	if u.Callback == nil && !u.Message.isCommand() {
		replyNote(w, r, in, *u.Message, delivery)
		return
	}
	ctx := r.Context()
	first, err := in.Once(ctx, delivery, seenFor)
	switch {
	case err != nil:
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	case !first:
		in.Log.Info("telegram update delivered again; already handled", "update_id", u.UpdateID)
		w.WriteHeader(http.StatusOK)
		return
	}
	switch {
	case u.Callback != nil:
		press(w, r, in, *u.Callback)
	default:
		command(w, r, in, *u.Message)
	}
}

// botID is the bot's own id, the part of its token before the colon: the
// same update id from two bots is two updates.
func botID(token string) string { id, _, _ := strings.Cut(token, ":"); return id }

// press takes a button press: the callback data must be a token pagerd
// signed (else 403) for the chat the press came from (else 403); the
// Telegram user is mapped to a pagerd user by telegram_id and acts as
// they would by SMS, and is told what happened. The message itself
// changes when the event stream says so.
func press(w http.ResponseWriter, r *http.Request, in *pagers.Inbound, cq callbackQuery) {
	cb, err := in.Links.Signer.VerifyCallback(cq.Data)
	switch {
	case errors.Is(err, links.ErrExpired):
		in.Log.Warn("telegram button pressed after its token expired; nothing changed", "incident", cb.IncidentID, "telegram_user", cq.From.ID)
		answerPress(w, cq, fmt.Sprintf("These buttons have expired, so nothing was changed. Send /%s %d instead.", commandOf(cb.Action), cb.IncidentID), true)
		return
	case err != nil:
		in.Fail(w, r, http.StatusForbidden, errForged.Error(), fmt.Errorf("telegram user %d: %w", cq.From.ID, err))
		return
	case cq.Message == nil || !fromChat(cb.Where, cq.Message.Chat):
		in.Fail(w, r, http.StatusForbidden, errElsewhere.Error(), fmt.Errorf("telegram user %d, incident %d: %w", cq.From.ID, cb.IncidentID, errElsewhere))
		return
	}
	ctx := r.Context()
	who := person(cq.From)
	user := chat.UserOf(in.Config, contact.Attr, who)
	if user == nil {
		in.Log.Warn("telegram button pressed by someone who is no pagerd user; nothing changed",
			"telegram_user", cq.From.ID, "name", cq.From.Username, "incident", cb.IncidentID, "action", cb.Action)
		answerPress(w, cq, whoAreYou(who), true)
		return
	}
	text, err := chat.Act(ctx, in, Platform, user, cb.IncidentID, cb.Action, "")
	if err != nil {
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	}
	answerPress(w, cq, text, false)
}

// commandOf is the command that does what a button of action does.
func commandOf(action incident.Action) string {
	if action == incident.Assign {
		return "ic" // take command
	}
	return string(action)
}

// noted is the reaction the bot leaves on a reply it made a note of: one
// of the emoji Telegram lets a bot react with.
const noted = "✍"

// replyNote makes a person's reply to one of the bot's messages about an
// incident their note on it. The reply is not repeated under the message
// (its words are right there): the bot reacts to it instead. A refusal
// is answered as a reply; a stranger is asked who they are in their
// private chat, and let be in a group (a log line), where everyone would
// read the answer.
func replyNote(w http.ResponseWriter, r *http.Request, in *pagers.Inbound, m inMessage, delivery string) {
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	res, err := chat.ThreadNote(r.Context(), in, chat.ThreadReply{
		Platform: Platform, Attr: contact.Attr, Person: person(*m.From),
		Place: string(ref(m.Chat.ID, m.ReplyTo.MessageID)), Text: text, Delivery: delivery,
	})
	if err != nil {
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	}
	switch {
	case res.Outcome == chat.ReplyNoted, res.Outcome == chat.ReplyRepeated: // the same reaction again, if it was lost
		respond(w, map[string]any{"method": "setMessageReaction", "chat_id": m.Chat.ID, "message_id": m.MessageID,
			"reaction": []map[string]string{{"type": "emoji", "emoji": noted}}})
	case res.Outcome == chat.ReplyRefused, res.Outcome == chat.ReplyStranger && m.Chat.Type == "private":
		text := res.Answer
		if res.Outcome == chat.ReplyStranger {
			text = whoAreYou(res.Person)
		}
		respond(w, map[string]any{
			"method": "sendMessage", "chat_id": m.Chat.ID, "parse_mode": "HTML",
			"text":                 dialect.Fit(text, dialect.MessageLimit, ""),
			"reply_parameters":     map[string]any{"message_id": m.MessageID, "allow_sending_without_reply": true},
			"link_preview_options": map[string]any{"is_disabled": true},
		})
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// fromChat reports whether a press's chat is the one its token was signed
// for: by its id, or by the @name a public channel may be written as.
func fromChat(where string, c chatInfo) bool {
	if where == chatTag(strconv.FormatInt(c.ID, 10)) {
		return true
	}
	return c.Username != "" && where == chatTag("@"+c.Username)
}

// person is who pressed or typed, as pagerd maps them: by their user id.
// Telegram tells no email address.
func person(u user) chat.Person {
	name := u.Username
	if name == "" {
		name = u.First
	}
	return chat.Person{ID: strconv.FormatInt(u.ID, 10), Name: name}
}

// whoAreYou is chat.WhoAreYou short enough for a press's answer.
func whoAreYou(p chat.Person) string {
	return fmt.Sprintf("Who are you? Telegram user %s is no pagerd user, so nothing was changed. Ask for telegram_id = %q in your user block.", p.ID, p.ID)
}

// answerPress answers a press in the webhook's response: Telegram shows
// text to whoever pressed (alert: in a box they close).
func answerPress(w http.ResponseWriter, cq callbackQuery, text string, alert bool) {
	respond(w, map[string]any{"method": "answerCallbackQuery", "callback_query_id": cq.ID, "text": short(text), "show_alert": alert})
}

// command runs a command typed to the bot ("/ack 42", "/ack@pagerd_bot
// 42", "/oncall payments", "/incidents") and answers in the chat, replying
// to it; "/start" and "/id" tell the person's and the chat's ids, which
// the config needs.
func command(w http.ResponseWriter, r *http.Request, in *pagers.Inbound, m inMessage) {
	name, args, _ := strings.Cut(strings.TrimPrefix(m.Text, "/"), " ")
	name, _, _ = strings.Cut(name, "@") // "/ack@pagerd_bot" in a group
	name = strings.ToLower(name)
	var who chat.Person
	if m.From != nil {
		who = person(*m.From)
	}
	var text string
	switch name {
	case "start", "id", "whoami":
		text = ids(who, m.Chat)
	default:
		var err error
		if text, err = chat.Command(r.Context(), in, Platform, contact.Attr, who, name+" "+args); err != nil {
			in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
			return
		}
	}
	respond(w, map[string]any{
		"method": "sendMessage", "chat_id": m.Chat.ID, "parse_mode": "HTML",
		"text":                 dialect.Fit(text, dialect.MessageLimit, ""),
		"reply_parameters":     map[string]any{"message_id": m.MessageID, "allow_sending_without_reply": true},
		"link_preview_options": map[string]any{"is_disabled": true},
	})
}

// ids says who is typing and where, as the config writes them.
func ids(who chat.Person, c chatInfo) string {
	var lines []string
	if who.ID != "" {
		lines = append(lines, fmt.Sprintf("Your Telegram user id is %s: telegram_id = %q in your pagerd user block pages you here.", who.ID, who.ID))
	}
	if c.Type != "private" {
		lines = append(lines, fmt.Sprintf("This chat's id is %d: room \"NAME\" { chat_id = \"%d\" } in the telegram block posts here.", c.ID, c.ID))
	}
	return strings.Join(append(lines, chat.CommandHelp), "\n")
}

func respond(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
