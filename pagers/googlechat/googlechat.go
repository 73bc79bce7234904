// Package googlechat is the Google Chat platform, through a space's
// incoming webhook: a page is a card (cardsV2: the incident, its fields,
// its state, and buttons that open pagerd's signed Acknowledge, Resolve
// and Escalate-now pages, whose confirm page does the POST: a webhook
// has no buttons that call back, nor says who opened a link). Each
// message starts a thread of its own (a thread key pagerd makes), and as
// a webhook cannot edit what it posted, every change of the incident is a
// follow-up card in that thread, with the buttons that still apply. It is
// one chat.Platform; what webhook platforms share is pagers/chat/hook.
//
//	googlechat {
//	  room "payments" { webhook_url = env("GOOGLECHAT_PAYMENTS_WEBHOOK_URL") }
//	}
//
// A room is named "googlechat:payments" in a step's notify list (it is
// paged) or a service's subscribers (it is kept informed). There are no
// direct messages: a webhook posts into its space only.
package googlechat

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
	"github.com/pagerd/pagerd/policies"
)

// Platform is the name of the channel, its block and its targets.
const Platform = "googlechat"

const title = "Google Chat"

// shape is a space's webhook URL: spaces.messages.create on the Chat
// API, with the webhook's key and token.
var shape = hook.Shape{
	Hosts:   []string{"chat.googleapis.com"},
	Path:    regexp.MustCompile(`^/v1/spaces/[A-Za-z0-9_-]+/messages$`),
	Query:   []string{"key", "token"},
	Example: `"https://chat.googleapis.com/v1/spaces/<space>/messages?key=...&token=..." (the space → Apps & integrations → Webhooks → copy the URL)`,
}

// Limits Google sets: 60 messages a minute in a space, shared by every
// app and webhook there, and about one a second; a 429 holds the room
// (Google answers it without a wait: pagerd waits two seconds).
var roomRate = policies.Rate{Events: 1, Per: time.Second}

// maxBytes is Google Chat's limit of a message (32,000 bytes, cards
// included), less room for JSON's own escapes.
const maxBytes = 30000

// dialect: card text takes a little HTML (<b>, <a href>, <font>), so &, <
// and > are escaped, which also keeps <users/all> from mentioning anyone;
// bare URLs and crowd mentions are defused by the layer.
var dialect = chat.Dialect{
	Escape:    strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace,
	TextLimit: 4000, MessageLimit: maxBytes,
}

func init() {
	chat.Register(chat.Platform{
		Name: Platform, Title: title, Rank: 42,
		Attributes: hook.Attributes,
		Rooms:      hook.Rooms,
		Decode:     hook.Decode,
		DecodeRoom: func(b *policies.Block, _ any) any { return hook.DecodeRoom(b, title, shape) },
		Connect:    connect,
		RoomRate:   roomRate,
		Dialect:    dialect,
	})
}

func connect(ws any, env pagers.Env) (chat.Client, error) {
	now, _ := env.Clock()
	return &client{settings: ws.(hook.Settings), links: env.Links, http: hook.Client{
		HTTP: env.HTTPClient, Now: now, Title: title, DefaultWait: 2 * time.Second, Refusal: refusal,
	}}, nil
}

// refusal says what Google's error status means.
func refusal(code int, body []byte) string {
	var e struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	switch {
	case code == 401 || code == 403 || e.Error.Status == "PERMISSION_DENIED":
		return "the webhook was removed from the space, or its key or token is wrong: copy its URL again"
	case code == 404:
		return "no such space, or the webhook was deleted"
	case code == 400:
		return "Google Chat refused the message"
	}
	return ""
}
