// Package mattermost is the Mattermost chat platform: it posts incidents to
// rooms (Mattermost channels) and pages people by direct message, as
// message attachments with Acknowledge, Resolve and Escalate-now buttons,
// and takes the presses back at its action endpoint. It is one
// chat.Platform; everything chat platforms share lives in pagers/chat.
//
// Two ways in, one block:
//
//	mattermost {
//	  url         = "https://chat.example.com"        # the server (its REST API is url/api/v4)
//	  bot_token   = env("MATTERMOST_BOT_TOKEN")       # a bot account's access token
//	  webhook_url = env("MATTERMOST_WEBHOOK_URL")     # an incoming webhook
//	  room "payments" {
//	    channel_id = "q8xw3kz6ojbn5mzgd8fd9ez7ah"     # where the bot posts
//	    channel    = "payments-oncall"                # where the webhook posts (the channel's name)
//	  }
//	}
//
//	user "alice" { mattermost_username = "alice" }
//
// With a bot token, a room with a channel_id is posted to through the REST
// API: its messages are edited in place as the incident moves, each fact a
// reply in their thread, and people are paged by direct message. With an
// incoming webhook alone, messages are posted and never edited: each fact
// is a follow-up message in the same channel, and a button press answers
// with the message redrawn (Mattermost's own update of the post pressed).
//
// Mattermost does not sign the requests it makes when a button is pressed,
// so every button carries a callback token pagerd signed (link_secret) for
// its incident, action and room; Mattermost keeps a button's context on
// the server, out of its users' sight, and sends it back with the press.
package mattermost

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/policies"
)

// Platform is the name of the channel, its block and its targets.
const Platform = "mattermost"

// ActionPath is where Mattermost posts a button press (each button's
// integration URL, under public_url).
const ActionPath = "/v1/mattermost/action"

// MessagesPath is where a room's outgoing webhook posts the messages of
// its channel (its callback URL, under public_url): people's replies in
// the threads of pagerd's posts become their notes.
const MessagesPath = "/v1/mattermost/messages"

// Config is the mattermost block's own settings: a bot token, an incoming
// webhook, or both.
type Config struct {
	URL        string // the server, no trailing slash; "" without a bot token
	BotToken   string
	WebhookURL string
}

// RoomConfig is one room: the channel the bot posts to (ChannelID), or
// the one the webhook posts to (Channel, its name; "" for the webhook's
// own channel). OutgoingToken is the token of the outgoing webhook that
// tells pagerd the channel's messages ("": none does).
type RoomConfig struct {
	ChannelID     string
	Channel       string
	OutgoingToken string
}

var (
	// Ids (channels, users, tokens) are 26 lower-case letters and digits.
	mmID = regexp.MustCompile(`^[a-z0-9]{26}$`)
	// A channel's name, as in its URL: .../channels/payments-oncall.
	channelName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	username    = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,63}$`)
)

// contact is a user's Mattermost username.
var contact = &policies.Contact{
	Attr: "mattermost_username", Noun: "Mattermost username", Example: "alice",
	Check: func(v string) string {
		switch {
		case username.MatchString(v):
			return ""
		case strings.HasPrefix(v, "@"):
			return "starts with @ (a username is written without it)"
		case strings.ToLower(v) != v && username.MatchString(strings.ToLower(v)):
			return "has capitals (Mattermost usernames are lower case)"
		}
		return "is not a Mattermost username (a letter, then lower-case letters, digits, '.', '-' or '_')"
	},
}

// Limits: Mattermost has no per-channel limit of its own; its server-wide
// one, when switched on, is 10 requests a second per client by default.
// Five a second in a room keeps a storm readable.
var (
	roomRate      = policies.Rate{Events: 5, Per: time.Second}
	workspaceRate = policies.Rate{Events: 10, Per: time.Second}
)

// A post's message holds 16383 characters; an attachment's text is kept
// well within it.
var dialect = chat.Dialect{Escape: escape, TextLimit: 8000, MessageLimit: 16383}

func init() {
	chat.Register(chat.Platform{
		Name: Platform, Title: "Mattermost", Contact: contact, Rank: 26,
		Attributes: []hcl.AttributeSchema{{Name: "url"}, {Name: "bot_token"}, {Name: "webhook_url"}},
		Rooms: hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "channel_id"}, {Name: "channel"}, {Name: "outgoing_token"},
		}},
		Decode:        decode,
		DecodeRoom:    decodeRoom,
		Connect:       connect,
		RoomRate:      roomRate,
		WorkspaceRate: workspaceRate,
		EditsMessages: true, // through the bot; a webhook's posts answer ErrCannotEdit
		Interactive:   true,
		Dialect:       dialect,
		Routes: []pagers.Route{
			{Pattern: "POST " + ActionPath, Serve: serveAction},
			{Pattern: "POST " + MessagesPath, Serve: serveMessages},
		},
		Place: place,
	})
}

// place is where a post is as a reply to it names it: its channel and id
// (a reply's root_id is its thread's first post). The bot's replies, and
// a webhook's posts (whose ids pagerd never learns), are never named.
func place(r chat.Ref, reply bool) string {
	if reply || strings.HasPrefix(string(r), hookRef) {
		return ""
	}
	return string(r)
}

// decode compiles the block's own attributes; nil when a secret written is
// unset (a warning says so) or something is invalid.
func decode(b *policies.Block) any {
	var c Config
	ok := true
	raw, ur := b.String("url")
	if policies.Present(ur) {
		if why := pagers.CheckAPIURL(raw, "the bot token authenticates pagerd"); why != "" {
			b.Errorf(ur, "Invalid URL", `url = %q %s; write the server's address, like "https://chat.example.com".`, raw, why)
			ok = false
		}
		c.URL = strings.TrimRight(raw, "/")
	}
	var secrets []policies.Secret
	tok, tokOK := b.Secret("bot_token")
	hook, hookOK := b.Secret("webhook_url")
	if tokOK {
		secrets = append(secrets, tok)
	}
	if hookOK {
		secrets = append(secrets, hook)
	}
	if !b.Written("bot_token") && !b.Written("webhook_url") {
		r := b.Range()
		b.Errorf(r, "Missing Mattermost credentials",
			`A mattermost block needs bot_token (a bot account's access token: messages edited in place, threads, direct messages) or webhook_url (an incoming webhook: posts only), or both.`)
		return nil
	}
	if len(secrets) == 0 {
		return nil // written, and reported invalid
	}
	if unset := policies.UnsetSources(secrets...); unset != "" {
		r := b.Range()
		b.Warnf(&r, "Mattermost disabled", "%s, so nothing is posted to Mattermost: its rooms' messages are printed to the console, and people paged by Mattermost are paged through their next channel.", unset)
		return nil
	}
	if tokOK {
		if !mmID.MatchString(tok.Value) {
			b.Errorf(b.Attr("bot_token"), "Invalid Mattermost token",
				"The value of %s is not a Mattermost access token (26 lower-case letters and digits: Integrations → Bot Accounts → Create New Token).", tok.Source)
			ok = false
		}
		if c.URL == "" {
			b.Errorf(b.Attr("bot_token"), "Missing Mattermost URL", `A bot token needs the server's url, like url = "https://chat.example.com".`)
			ok = false
		}
		c.BotToken = tok.Value
	}
	if hookOK {
		if why := checkWebhookURL(hook.Value); why != "" {
			b.Errorf(b.Attr("webhook_url"), "Invalid Mattermost webhook URL",
				"The value of %s %s; copy it from Integrations → Incoming Webhooks, like https://chat.example.com/hooks/xxx-generatedkey-xxx.", hook.Source, why)
			ok = false
		}
		c.WebhookURL = hook.Value
	}
	if !ok {
		return nil
	}
	return c
}

// checkWebhookURL says why s is not an incoming webhook's URL.
func checkWebhookURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "is not an http(s) URL"
	case !strings.Contains(u.Path, "/hooks/") || strings.HasSuffix(u.Path, "/hooks/"):
		return "is not an incoming webhook's URL (…/hooks/KEY)"
	}
	return ""
}

func decodeRoom(b *policies.Block, ws any) any {
	var rc RoomConfig
	ok := true
	id, ir := b.String("channel_id")
	if policies.Present(ir) {
		if !mmID.MatchString(id) {
			b.Errorf(ir, "Invalid Mattermost channel id",
				`channel_id = %q is not a channel id (26 lower-case letters and digits: in Mattermost, the channel's name → View Info, or the API's channels/name lookup).`, id)
			ok = false
		}
		rc.ChannelID = id
	}
	name, nr := b.String("channel")
	if policies.Present(nr) {
		if !channelName.MatchString(name) {
			b.Errorf(nr, "Invalid Mattermost channel name",
				`channel = %q is not a channel's name; write the name in the channel's URL (…/channels/payments-oncall → "payments-oncall"), not its display name.`, name)
			ok = false
		}
		rc.Channel = name
	}
	if tok, written := b.Secret("outgoing_token"); written {
		switch {
		case !tok.Set:
			r := b.Range()
			b.Warnf(&r, "Mattermost thread notes off", "%s, so replies in the threads of pagerd's posts in room %q do not become notes.", policies.UnsetSources(tok), b.Label())
		case !mmID.MatchString(tok.Value):
			b.Errorf(b.Attr("outgoing_token"), "Invalid Mattermost outgoing webhook token",
				"The value of %s is not an outgoing webhook's token (26 lower-case letters and digits: Integrations → Outgoing Webhooks, the webhook's Token).", tok.Source)
			ok = false
		case rc.ChannelID == "":
			b.Errorf(b.Attr("outgoing_token"), "Missing Mattermost channel id",
				"Room %q has an outgoing_token but no channel_id: the bot posts the room's messages, and reads the replies to them, by the channel's id.", b.Label())
			ok = false
		default:
			rc.OutgoingToken = tok.Value
		}
	}
	if !ok {
		return nil
	}
	c, on := ws.(Config)
	if !on {
		return rc // the platform is off: nothing to check the room against
	}
	if rc.OutgoingToken != "" && c.BotToken == "" {
		b.Errorf(b.Attr("outgoing_token"), "Missing Mattermost bot token",
			"Room %q has an outgoing_token, which needs bot_token: the bot reads which post a message replies to.", b.Label())
		return nil
	}
	switch {
	case c.BotToken != "" && rc.ChannelID != "":
	case c.WebhookURL != "":
		if c.BotToken != "" {
			r := b.Range()
			b.Warnf(&r, "Mattermost room without channel_id",
				"Room %q has no channel_id, so it is posted to through the webhook: its messages are not edited, each change is a follow-up message.", b.Label())
		}
	default:
		b.Errorf(b.Range(), "Missing Mattermost channel id",
			"Room %q needs channel_id: with no webhook_url, the bot posts to a channel by its id.", b.Label())
		return nil
	}
	return rc
}

// connect returns the client of a mattermost block.
func connect(ws any, env pagers.Env) (chat.Client, error) {
	return newClient(ws.(Config), env), nil
}

// httpClient is the client Mattermost calls go through: env's (tests
// point it at a fake) or one of our own, each request bounded.
func httpClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: 10 * time.Second}
}
