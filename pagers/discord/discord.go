// Package discord is the Discord chat platform, through a channel's
// webhook: a page is a message with an embed (the incident, coloured by
// its state, its fields) and link buttons that open pagerd's signed
// Acknowledge, Resolve and Escalate-now pages, whose confirm page does the
// POST: a webhook that belongs to no application may send link buttons
// only, and Discord would not say who opened one. A webhook can edit what
// it posted, so the message follows its incident in place, and each fact
// is a follow-up message in the channel. No message can ping anyone
// (allowed_mentions is empty). It is one chat.Platform; what webhook
// platforms share is pagers/chat/hook.
//
//	discord {
//	  room "payments" { webhook_url = env("DISCORD_PAYMENTS_WEBHOOK_URL") }
//	}
//
// A room is named "discord:payments" in a step's notify list (it is
// paged) or a service's subscribers (it is kept informed). There are no
// direct messages: a webhook posts into its channel only.
package discord

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
	"github.com/pagerd/pagerd/policies"
)

// Platform is the name of the channel, its block and its targets.
const Platform = "discord"

const title = "Discord"

// shape is a channel webhook's URL: /api/webhooks/<id>/<token>, on
// discord.com (or its older and test-client names), maybe with an API
// version, maybe with ?thread_id= to post into a thread.
var shape = hook.Shape{
	Hosts:   []string{"discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com"},
	Path:    regexp.MustCompile(`^/api(/v\d+)?/webhooks/\d{15,21}/[A-Za-z0-9_-]{20,100}/?$`),
	Example: `"https://discord.com/api/webhooks/<id>/<token>" (the channel's Integrations → Webhooks → Copy Webhook URL)`,
}

// Limits Discord sets on a webhook: 5 requests in 2 seconds and about
// 30 messages a minute in a channel; bursts of 5, one every 2 seconds
// after, keeps to both, counted for every replica. A 429 (its retry_after,
// in seconds) holds the room for every replica; others may post through
// the same webhook, so it can come even so.
var roomRate = policies.Rate{Events: 5, Per: 10 * time.Second}

// Discord's limits on an embed, in characters, and on link buttons: a
// row holds five, a button's URL 512 bytes.
const (
	titleLimit       = 256
	descriptionLimit = 4096
	fieldLimit       = 1024
	embedLimit       = 6000
	rowLimit         = 5
	buttonURLLimit   = 512
)

var errTooLong = errors.New("the message is over Discord's embed limits")

// dialect: Discord's Markdown takes a backslash before any punctuation
// as the character itself, so every character that could start
// formatting, a masked link ([x](y): its brackets), a heading, a list, a
// quote or a mention (<@id>, <#id>) is escaped; crowd mentions and bare
// URLs are defused by the layer (and allowed_mentions would stop a ping
// anyway).
var dialect = chat.Dialect{
	Escape:    escape,
	TextLimit: descriptionLimit, MessageLimit: embedLimit,
}

var escaper = func() *strings.Replacer {
	var pairs []string
	for _, c := range `\*_~` + "`" + `|>#-[]<` {
		pairs = append(pairs, string(c), `\`+string(c))
	}
	return strings.NewReplacer(pairs...)
}()

func escape(s string) string { return escaper.Replace(s) }

func init() {
	chat.Register(chat.Platform{
		Name: Platform, Title: title, Rank: 41,
		Attributes:    hook.Attributes,
		Rooms:         hook.Rooms,
		Decode:        hook.Decode,
		DecodeRoom:    func(b *policies.Block, _ any) any { return hook.DecodeRoom(b, title, shape) },
		Connect:       connect,
		RoomRate:      roomRate,
		EditsMessages: true,
		Dialect:       dialect,
	})
}

func connect(ws any, env pagers.Env) (chat.Client, error) {
	now, _ := env.Clock()
	return &client{settings: ws.(hook.Settings), links: env.Links, http: hook.Client{
		HTTP: env.HTTPClient, Now: now, Title: title, DefaultWait: 2 * time.Second, Wait: wait, Refusal: refusal,
	}}, nil
}
