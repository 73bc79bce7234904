// Package teams is the Microsoft Teams chat platform, through Workflows
// (Power Automate): each room is a workflow whose trigger is "When a Teams
// webhook request is received" and whose action posts the Adaptive Card it
// is sent into a channel (or a chat). A page is a card with the incident,
// its state and Acknowledge, Resolve and Escalate-now buttons that open
// pagerd's signed links (the confirm page does the POST: a webhook cannot
// tell pagerd who pressed); a workflow cannot edit what it posted, so
// every change of the incident is a follow-up card in the same place,
// with the buttons that still apply. It is one chat.Platform; what webhook
// platforms share is pagers/chat/hook.
//
//	teams {
//	  room "payments" { webhook_url = env("TEAMS_PAYMENTS_WEBHOOK_URL") }
//	}
//
// A room is named "teams:payments" in a step's notify list (it is paged)
// or a service's subscribers (it is kept informed). There are no direct
// messages: a workflow posts where it was made to post.
package teams

import (
	"regexp"
	"strings"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
	"github.com/pagerd/pagerd/policies"
)

// Platform is the name of the channel, its block and its targets.
const Platform = "teams"

const title = "Microsoft Teams"

// shape is a Workflows trigger URL: on Azure Logic Apps' hosts (older
// workflows) or the Power Platform's (newer ones), with the signature
// (sig) that lets anyone with the URL trigger the flow.
var shape = hook.Shape{
	Hosts: []string{".logic.azure.com", ".logic.azure.us", ".api.powerplatform.com", ".api.powerplatform.us"},
	Path:  regexp.MustCompile(`(?i)^(/powerautomate/automations/direct)?/workflows/[0-9a-f]{32}/triggers/[A-Za-z0-9_.%-]+/paths/invoke/?$`),
	Query: []string{"sig"},
	Example: `"https://prod-00.westus.logic.azure.com:443/workflows/<id>/triggers/manual/paths/invoke?api-version=2016-06-01&sp=...&sv=1.0&sig=..."` +
		` (the URL the trigger "When a Teams webhook request is received" shows, with "Who can trigger the flow" set to Anyone)`,
	Retired: map[string]string{
		".webhook.office.com": "is an Office 365 connector (Incoming Webhook) URL, which Microsoft retired: create a workflow (docs/chat.md) and use its URL",
		"outlook.office.com":  "is an Office 365 connector (Incoming Webhook) URL, which Microsoft retired: create a workflow (docs/chat.md) and use its URL",
	},
}

// Limits: a workflow's Teams connection takes about 100 calls a minute
// and a channel a few messages a second before Teams throttles; one card
// a second per room stays under both, and a 429 (with Retry-After) holds
// the room.
var roomRate = policies.Rate{Events: 1, Per: time.Second}

// maxBytes is Teams' limit of a message (about 28 KB), less room for the
// envelope the workflow wraps the card in.
const maxBytes = 26 << 10

// dialect: Adaptive Card TextBlocks take a little Markdown. Bare URLs
// and crowd mentions are defused by the layer; here "](" is broken so no
// text makes a link, and "**" and "__" so none makes itself bold. Teams
// mentions need entities pagerd never sends, so a label cannot mention.
var dialect = chat.Dialect{
	Escape:    strings.NewReplacer("](", "]\u2060(", "**", "*\u2060*", "__", "_\u2060_").Replace,
	TextLimit: 3000, MessageLimit: maxBytes,
}

func init() {
	chat.Register(chat.Platform{
		Name: Platform, Title: title, Rank: 40,
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
		HTTP: env.HTTPClient, Now: now, Title: title, DefaultWait: 5 * time.Second, Refusal: refusal,
	}}, nil
}

// refusal says what a workflow's 4xx means.
func refusal(code int, _ []byte) string {
	switch code {
	case 401, 403:
		return "the workflow refused the signature: copy the trigger's URL again, with Who can trigger the flow = Anyone"
	case 404:
		return "no such workflow: it was deleted or turned off; make a new one and update webhook_url"
	case 400:
		return "the workflow refused the card: check its run history in Power Automate"
	}
	return ""
}
