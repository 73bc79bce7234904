package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// client is the chat.Client of one telegram block: the Bot API with the
// bot's token.
type client struct {
	c     Config
	http  *http.Client
	links func() links.Builder
}

var _ chat.Client = (*client)(nil)

func newClient(c Config, env pagers.Env) *client {
	return &client{c: c, http: httpClient(env.HTTPClient), links: env.Links}
}

// ref is a sent message's chat.Ref: "<chat id>/<message id>", with the
// chat's numeric id as Telegram answered it (a room written as @name
// included).
func ref(chatID, messageID int64) chat.Ref {
	return chat.Ref(strconv.FormatInt(chatID, 10) + "/" + strconv.FormatInt(messageID, 10))
}

func splitRef(r chat.Ref) (chatID string, messageID int64, err error) {
	chatID, id, ok := strings.Cut(string(r), "/")
	n, perr := strconv.ParseInt(id, 10, 64)
	if !ok || !chatIDRE.MatchString(chatID) || perr != nil || n <= 0 {
		return "", 0, pagers.Permanent(fmt.Errorf("telegram: %q is not a message reference", r))
	}
	return chatID, n, nil
}

// chatOf is where a message to to goes: the room's chat, or the person's
// private chat with the bot, whose id is their user id.
func chatOf(to chat.Recipient) (string, error) {
	if to.Room == nil {
		return to.Address, nil
	}
	rc, ok := to.Room.Settings.(RoomConfig)
	if !ok || rc.ChatID == "" {
		return "", pagers.Permanent(fmt.Errorf("telegram room %q has no chat_id", to.Room.Name))
	}
	return rc.ChatID, nil
}

// builder is the links builder of the config in force, for the buttons'
// tokens; nil when there is none.
func (c *client) builder() *links.Builder {
	if c.links == nil {
		return nil
	}
	b := c.links()
	if len(b.Signer.Key) == 0 {
		return nil
	}
	return &b
}

// message is the part of a sent Message pagerd reads back.
type message struct {
	MessageID int64 `json:"message_id"`
	Chat      struct {
		ID int64 `json:"id"`
	} `json:"chat"`
}

// keyboard is an inline keyboard as reply_markup.
type keyboard struct {
	InlineKeyboard [][]button `json:"inline_keyboard"`
}

// body is what sendMessage and editMessageText take of r.
func body(chatID string, r rendered) map[string]any {
	b := map[string]any{
		"chat_id": chatID, "text": r.Text, "parse_mode": "HTML",
		// Nothing pagerd posts previews a link: a sender's URL is a link,
		// not a card in the chat.
		"link_preview_options": map[string]any{"is_disabled": true},
	}
	if len(r.Keyboard) > 0 {
		b["reply_markup"] = keyboard{InlineKeyboard: r.Keyboard}
	}
	return b
}

// Post implements chat.Client: sendMessage.
func (c *client) Post(ctx context.Context, to chat.Recipient, m chat.Message) (chat.Ref, error) {
	chatID, err := chatOf(to)
	if err != nil {
		return "", err
	}
	var sent message
	if err := c.call(ctx, "sendMessage", body(chatID, render(m, chatID, c.builder())), &sent); err != nil {
		return "", err
	}
	return ref(sent.Chat.ID, sent.MessageID), nil
}

// Edit implements chat.Client: editMessageText, with the keyboard of what
// can still be done (none once the incident is over: a message edited
// without one loses its keyboard).
func (c *client) Edit(ctx context.Context, to chat.Recipient, r chat.Ref, m chat.Message) error {
	chatID, id, err := splitRef(r)
	if err != nil {
		return err
	}
	name, err := chatOf(to)
	if err != nil {
		name = chatID
	}
	b := body(chatID, render(m, name, c.builder()))
	b["message_id"] = id
	err = c.call(ctx, "editMessageText", b, nil)
	if errors.Is(err, errNotModified) {
		return nil // an event delivered again: the message says it already
	}
	return err
}

// Reply implements chat.Client: sendMessage replying to the message
// (Telegram's groups have no threads; a reply quotes what it answers).
// It is sent even when that message is gone.
func (c *client) Reply(ctx context.Context, to chat.Recipient, parent chat.Ref, m chat.Message) (chat.Ref, error) {
	chatID, id, err := splitRef(parent)
	if err != nil {
		return "", err
	}
	b := body(chatID, render(m, chatID, c.builder()))
	b["reply_parameters"] = map[string]any{"message_id": id, "allow_sending_without_reply": true}
	var sent message
	if err := c.call(ctx, "sendMessage", b, &sent); err != nil {
		return "", err
	}
	return ref(sent.Chat.ID, sent.MessageID), nil
}

// Find implements chat.Client: a bot cannot read a chat's history, so a
// message a crash kept from being recorded is sent again.
func (c *client) Find(context.Context, chat.Recipient, chat.Ref, string) (chat.Ref, bool, error) {
	return "", false, chat.ErrCannotFind
}

// answer is the Bot API's envelope: ok and the result, or why not.
type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// errNotModified is Telegram refusing an edit that changes nothing.
var errNotModified = errors.New("message is not modified")

// call makes one Bot API call, decoding its result into out. The bot's
// token is in the URL's path, so no error says the URL: every error is
// written here, from the method's name and what went wrong.
func (c *client) call(ctx context.Context, method string, in, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return pagers.Permanent(fmt.Errorf("telegram %s: %w", method, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.c.APIURL+"/bot"+c.c.BotToken+"/"+method, bytes.NewReader(raw))
	if err != nil {
		return pagers.Permanent(fmt.Errorf("telegram %s: building the request failed", method))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(method, err)
	}
	defer resp.Body.Close()
	var a answer
	derr := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&a)
	if resp.StatusCode >= 500 && !a.OK {
		return fmt.Errorf("telegram %s: %s", method, status(resp, a))
	}
	if derr != nil {
		return fmt.Errorf("telegram %s: %s, and an answer that is not the Bot API's: %w", method, resp.Status, derr)
	}
	if !a.OK || resp.StatusCode >= 300 {
		return classify(method, resp, a)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(a.Result, out); err != nil {
		return fmt.Errorf("telegram %s: reading the result: %w", method, err)
	}
	return nil
}

// transportError is err with the request's URL, and so the bot's token,
// left out: no answer at all, which sending again may cure.
func transportError(method string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return fmt.Errorf("telegram %s: no answer: %w", method, err)
}

func status(resp *http.Response, a answer) string {
	if a.Description != "" {
		return a.Description
	}
	return resp.Status
}

// classify says what sending again can do about a refusal: a 429 waits
// for its retry_after; Telegram's other refusals (a chat not found, a
// bot blocked or kicked, a message too long) will not change.
func classify(method string, resp *http.Response, a answer) error {
	code := a.ErrorCode
	if code == 0 {
		code = resp.StatusCode
	}
	desc := status(resp, a)
	switch {
	case code == http.StatusTooManyRequests:
		return pagers.RetryAfter(fmt.Errorf("telegram %s: %s", method, desc), retryAfter(resp, a))
	case code >= 500:
		return fmt.Errorf("telegram %s: %s", method, desc)
	case strings.Contains(desc, "message is not modified"):
		return fmt.Errorf("telegram %s: %w", method, errNotModified)
	}
	return pagers.Permanent(fmt.Errorf("telegram %s: %s", method, refusal(code, desc, a)))
}

// retryAfter is how long a 429 asks to wait: parameters.retry_after,
// else the Retry-After header, else a second.
func retryAfter(resp *http.Response, a answer) time.Duration {
	if a.Parameters.RetryAfter > 0 {
		return time.Duration(a.Parameters.RetryAfter) * time.Second
	}
	if n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return time.Second
}

// refusal says what Telegram's refusal means for whoever reads the
// timeline.
func refusal(code int, desc string, a answer) string {
	lower := strings.ToLower(desc)
	switch {
	case a.Parameters.MigrateToChatID != 0:
		return fmt.Sprintf("%s: the group became a supergroup; set the room's chat_id = %q", desc, strconv.FormatInt(a.Parameters.MigrateToChatID, 10))
	case code == http.StatusUnauthorized:
		return desc + " (check bot_token: revoked in @BotFather?)"
	case strings.Contains(lower, "initiate conversation"), strings.Contains(lower, "blocked by the user"):
		return desc + " (the person must open a private chat with the bot and press Start)"
	case strings.Contains(lower, "chat not found"), strings.Contains(lower, "kicked"), strings.Contains(lower, "not a member"):
		return desc + " (check the room's chat_id or the person's telegram_id, and that the bot is in the group)"
	case strings.Contains(lower, "not enough rights"):
		return desc + " (let the bot post in the group or channel: make it an admin of a channel)"
	}
	return desc
}
