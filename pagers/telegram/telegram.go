// Package telegram is the Telegram chat platform: a bot posts incidents to
// rooms (groups, supergroups, channels) and pages people in their private
// chat with it, as HTML messages with an inline keyboard — Acknowledge,
// Resolve, Escalate now — that follow the incident (editMessageText, and
// a reply to the message for every fact), and takes what comes back at
// its webhook: button presses (callback queries) and commands ("/ack 42").
// It is one chat.Platform; everything chat platforms share lives in
// pagers/chat.
//
//	telegram {
//	  bot_token      = env("TELEGRAM_BOT_TOKEN")      # from @BotFather: 123456789:AA...
//	  webhook_secret = env("TELEGRAM_WEBHOOK_SECRET") # the secret_token given to setWebhook
//	  api_url        = "https://api.telegram.org"    # optional: a Bot API server of your own, or a test double
//	  room "payments" { chat_id = "-1001234567890" }
//	}
//
//	user "alice" { telegram_id = "123456789" }   # her user id: /start to the bot says it
//
// A person's message that replies to one of the bot's about an incident
// — in a group or in their private chat — is their note on it.
//
// Telegram signs nothing: its webhook requests carry the secret given to
// setWebhook in X-Telegram-Bot-Api-Secret-Token, checked in constant
// time, and each button's callback data is a token pagerd signed
// (link_secret) for its incident, action and chat, short enough for
// Telegram's 64 bytes.
//
// The Bot API is plain JSON over HTTPS; it is spoken here over net/http,
// the Go libraries for it predating what pagerd uses (the webhook's
// secret token, reply parameters, link preview options).
package telegram

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/policies"
)

// Platform is the name of the channel, its block and its targets.
const Platform = "telegram"

// DefaultAPIURL is where the Bot API is reached without api_url.
const DefaultAPIURL = "https://api.telegram.org"

// WebhookPath is where Telegram posts the bot's updates (the url given to
// setWebhook, under public_url).
const WebhookPath = "/v1/telegram/webhook"

// Config is the telegram block's own settings.
type Config struct {
	BotToken      string
	WebhookSecret string
	APIURL        string // no trailing slash
}

// RoomConfig is one room: the chat the bot posts to, as Telegram takes it
// (a chat id, or a public channel's @username).
type RoomConfig struct {
	ChatID string
}

var (
	// A bot token is the bot's id, a colon and its secret.
	botTokenRE = regexp.MustCompile(`^[0-9]{3,20}:[A-Za-z0-9_-]{30,}$`)
	// Telegram takes 1-256 of these as a webhook's secret_token.
	secretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	// A group's or channel's chat id is negative (-100... for supergroups
	// and channels), a person's positive.
	chatIDRE      = regexp.MustCompile(`^-?[1-9][0-9]{0,19}$`)
	channelNameRE = regexp.MustCompile(`^@[A-Za-z][A-Za-z0-9_]{3,31}$`)
	userIDRE      = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)
)

// minSecret is the shortest webhook_secret taken: it is all that tells
// Telegram's requests from anyone's.
const minSecret = 16

// contact is a user's Telegram user id, which is also the id of their
// private chat with the bot.
var contact = &policies.Contact{
	Attr: "telegram_id", Noun: "Telegram user id", Example: "123456789",
	Check: func(v string) string {
		switch {
		case userIDRE.MatchString(v):
			return ""
		case strings.HasPrefix(v, "@"):
			return "is a username, not a user id (send /start to the bot in a private chat: it answers with your id)"
		case strings.HasPrefix(v, "-"):
			return "is a group's chat id, not a person's (a user id is positive)"
		}
		return "is not a Telegram user id (digits only: send /start to the bot in a private chat, it answers with your id)"
	},
}

// Limits Telegram sets (its Bot FAQ): about one message a second in a
// chat, twenty a minute in a group, and about thirty a second for the
// whole bot; edits and replies count too. Twenty a minute in bursts of
// five keeps a group within its limit and lets a page, its edit and a
// reply go out together; a 429 beyond that is waited out.
var (
	roomRate      = policies.Rate{Events: 5, Per: 15 * time.Second}
	workspaceRate = policies.Rate{Events: 30, Per: time.Second}
)

// A message holds 4096 characters once its HTML is parsed; render keeps
// to it (see fit).
var dialect = chat.Dialect{Escape: escape, TextLimit: 3500, MessageLimit: 4096}

func init() {
	chat.Register(chat.Platform{
		Name: Platform, Title: "Telegram", Contact: contact, Rank: 27,
		Attributes: []hcl.AttributeSchema{
			{Name: "bot_token", Required: true}, {Name: "webhook_secret", Required: true}, {Name: "api_url"},
		},
		Rooms:         hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "chat_id", Required: true}}},
		Decode:        decode,
		DecodeRoom:    decodeRoom,
		Connect:       connect,
		RoomRate:      roomRate,
		WorkspaceRate: workspaceRate,
		EditsMessages: true,
		Interactive:   true,
		Dialect:       dialect,
		Routes:        []pagers.Route{{Pattern: "POST " + WebhookPath, Serve: serveWebhook}},
		Place:         place,
	})
}

// decode compiles the telegram block's own attributes; nil when a secret
// is unset (a warning says so: rooms stay defined, and what would go to
// them is printed to the console) or invalid.
func decode(b *policies.Block) any {
	c := Config{APIURL: DefaultAPIURL}
	ok := true
	if raw, r := b.String("api_url"); policies.Present(r) {
		if why := pagers.CheckAPIURL(raw, "the bot token is in every request's path"); why != "" {
			b.Errorf(r, "Invalid URL", `api_url = %q %s; write it like "https://api.telegram.org", or leave it out.`, raw, why)
			ok = false
		}
		c.APIURL = strings.TrimRight(raw, "/")
	}
	tok, tokOK := b.Secret("bot_token")
	sec, secOK := b.Secret("webhook_secret")
	if !tokOK || !secOK {
		return nil
	}
	if unset := policies.UnsetSources(tok, sec); unset != "" {
		r := b.Range()
		b.Warnf(&r, "Telegram disabled", "%s, so nothing is posted to Telegram: its rooms' messages are printed to the console, and people paged by Telegram are paged through their next channel.", unset)
		return nil
	}
	if !botTokenRE.MatchString(tok.Value) {
		b.Errorf(b.Attr("bot_token"), "Invalid Telegram bot token",
			`The value of %s is not a bot token (the bot's id, a colon and at least 30 letters, digits, '-' or '_', as @BotFather gives it: "123456789:AA...").`, tok.Source)
		ok = false
	}
	switch {
	case !secretRE.MatchString(sec.Value):
		b.Errorf(b.Attr("webhook_secret"), "Invalid Telegram webhook secret",
			"The value of %s has characters Telegram does not take in a secret_token: only letters, digits, '-' and '_', at most 256.", sec.Source)
		ok = false
	case len(sec.Value) < minSecret:
		b.Errorf(b.Attr("webhook_secret"), "Invalid Telegram webhook secret",
			"The value of %s has %d characters; it is all that tells Telegram's requests from anyone's, so give it at least %d (say, 32 random letters and digits).", sec.Source, len(sec.Value), minSecret)
		ok = false
	}
	c.BotToken, c.WebhookSecret = tok.Value, sec.Value
	if !ok {
		return nil
	}
	return c
}

func decodeRoom(b *policies.Block, _ any) any {
	id, r := b.String("chat_id")
	if !policies.Present(r) {
		return nil
	}
	if !chatIDRE.MatchString(id) && !channelNameRE.MatchString(id) {
		b.Errorf(r, "Invalid Telegram chat id",
			`chat_id = %q is not a chat id; write a group's or channel's id like "-1001234567890" (add the bot to the group and send /start there: it answers with the id), or a public channel's "@name".`, id)
		return nil
	}
	return RoomConfig{ChatID: id}
}

// connect returns the Bot API client of a telegram block.
func connect(ws any, env pagers.Env) (chat.Client, error) {
	return newClient(ws.(Config), env), nil
}

// httpClient is the client Bot API calls go through: env's (tests point
// it at a fake) or one of our own, each request bounded.
func httpClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// place is where a message is as a reply to it names it: its chat and
// message id. Telegram has no threads, only replies to one message, so
// the bot's replies are filed too: replying to "Acknowledged by alice"
// is a note as much as replying to the incident's message.
func place(r chat.Ref, _ bool) string { return string(r) }
