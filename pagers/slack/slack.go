// Package slack is the Slack chat platform: it posts incidents to rooms
// (Slack channels) and pages people by direct message, as Block Kit
// messages with Acknowledge, Resolve and Escalate-now buttons that follow
// the incident (edited in place, with a thread reply for every fact), and
// takes what comes back: button presses at the interactivity endpoint
// (Take command among them), the /pagerd slash command, and people's
// replies in the threads of its messages, which become their notes
// (the Events API), each request checked against the app's signing
// secret. It is one chat.Platform; everything chat platforms share
// lives in pagers/chat.
//
//	slack {
//	  bot_token      = env("SLACK_BOT_TOKEN")       # xoxb-...
//	  signing_secret = env("SLACK_SIGNING_SECRET")
//	  api_url        = "https://slack.com/api/"     # optional: a proxy, or a test double
//	  room "#payments-oncall" { channel = "C0123456789" }
//	}
//
//	user "alice" { slack_id = "U012AB3CD" }   # member id: Profile → ⋮ → Copy member ID
//
// A room is named "slack:#payments-oncall" in an escalation step's notify
// list (it is paged) or a service's subscribers (it is kept informed of
// every incident of the service); `via = "slack"` in a notify rule pages
// a person by direct message.
package slack

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
const Platform = "slack"

// DefaultAPIURL is where Slack's Web API is reached without api_url.
const DefaultAPIURL = "https://slack.com/api/"

// The webhooks Slack calls: the app's Interactivity Request URL and its
// slash command's Request URL (the Events API's is EventsPath).
const (
	InteractivePath = "/v1/slack/interactive"
	CommandPath     = "/v1/slack/command"
)

// Config is the slack block's own settings.
type Config struct {
	BotToken      string
	SigningSecret string
	APIURL        string // ends in "/"
}

// RoomConfig is one room: the Slack channel it posts to.
type RoomConfig struct {
	Channel string // a channel id: C..., or G... for an old private channel
}

var (
	memberID  = regexp.MustCompile(`^[UW][A-Z0-9]{8,}$`)
	channelID = regexp.MustCompile(`^[CG][A-Z0-9]{8,}$`)
)

// contact is a user's Slack member id.
var contact = &policies.Contact{
	Attr: "slack_id", Noun: "Slack member id", Example: "U012AB3CD",
	Check: func(v string) string {
		if memberID.MatchString(v) {
			return ""
		}
		if strings.HasPrefix(v, "@") || strings.Contains(v, "@") {
			return "is a handle or an email address, not a member id (in Slack: the person's profile → ⋮ → Copy member ID)"
		}
		return "is not a Slack member id (U or W and at least 8 capitals or digits)"
	},
}

// Limits Slack sets (https://api.slack.com/docs/rate-limits): about one
// message a second to a channel, with short bursts tolerated; the
// workspace-wide limit of a bot is far above what pagerd posts, and is
// here so that a storm of incidents cannot trip it.
var (
	roomRate      = policies.Rate{Events: 1, Per: time.Second}
	workspaceRate = policies.Rate{Events: 50, Per: 10 * time.Second}
)

// dialect: Slack's mrkdwn escapes &, < and > (which also makes <!here>,
// <@U123> and <http://x|y> plain text); a section's text holds 3000
// characters.
var dialect = chat.Dialect{
	Escape:    strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace,
	TextLimit: 3000, MessageLimit: 40000,
}

func init() {
	chat.Register(chat.Platform{
		Name: Platform, Title: "Slack", Contact: contact, Rank: 25,
		Attributes: []hcl.AttributeSchema{
			{Name: "bot_token", Required: true}, {Name: "signing_secret", Required: true}, {Name: "api_url"},
		},
		Rooms:         hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "channel", Required: true}}},
		Decode:        decode,
		DecodeRoom:    decodeRoom,
		Connect:       connect,
		RoomRate:      roomRate,
		WorkspaceRate: workspaceRate,
		EditsMessages: true,
		Interactive:   true,
		Dialect:       dialect,
		Routes: []pagers.Route{
			{Pattern: "POST " + InteractivePath, Serve: serveInteractive},
			{Pattern: "POST " + CommandPath, Serve: serveCommand},
			{Pattern: "POST " + EventsPath, Serve: serveEvents},
		},
		Place: place,
	})
}

// place is where a message is as a reply's event names it: its channel
// and the thread's timestamp, which is the ref of the thread's first
// message. A reply of pagerd's is never named: Slack's threads are one
// level deep.
func place(r chat.Ref, reply bool) string {
	if reply {
		return ""
	}
	return string(r)
}

// decode compiles the slack block's own attributes; nil when a secret is
// unset (a warning says so: rooms stay defined, and what would go to them
// is printed to the console) or invalid.
func decode(b *policies.Block) any {
	c := Config{APIURL: DefaultAPIURL}
	ok := true
	if raw, r := b.String("api_url"); policies.Present(r) {
		if why := pagers.CheckAPIURL(raw, "the bot token authenticates pagerd"); why != "" {
			b.Errorf(r, "Invalid URL", `api_url = %q %s; write it like "https://slack.com/api/", or leave it out.`, raw, why)
			ok = false
		}
		c.APIURL = strings.TrimRight(raw, "/") + "/"
	}
	tok, tokOK := b.Secret("bot_token")
	sec, secOK := b.Secret("signing_secret")
	if !tokOK || !secOK {
		return nil
	}
	if unset := policies.UnsetSources(tok, sec); unset != "" {
		r := b.Range()
		b.Warnf(&r, "Slack disabled", "%s, so nothing is posted to Slack: its rooms' messages are printed to the console, and people paged by Slack are paged through their next channel.", unset)
		return nil
	}
	if !strings.HasPrefix(tok.Value, "xoxb-") {
		b.Errorf(b.Attr("bot_token"), "Invalid Slack bot token",
			"The value of %s does not start with \"xoxb-\": use the app's Bot User OAuth Token (OAuth & Permissions), not a user or app-level token.", tok.Source)
		ok = false
	}
	if len(sec.Value) < 16 {
		b.Errorf(b.Attr("signing_secret"), "Invalid Slack signing secret",
			"The value of %s has %d characters; a Slack signing secret (Basic Information → App Credentials) has 32.", sec.Source, len(sec.Value))
		ok = false
	}
	c.BotToken, c.SigningSecret = tok.Value, sec.Value
	if !ok {
		return nil
	}
	return c
}

func decodeRoom(b *policies.Block, _ any) any {
	ch, r := b.String("channel")
	if !policies.Present(r) {
		return nil
	}
	if !channelID.MatchString(ch) {
		b.Errorf(r, "Invalid Slack channel id",
			`channel = %q is not a channel id; write it like "C0123456789" (in Slack: the channel's name → About → Channel ID), and invite the app to the channel.`, ch)
		return nil
	}
	return RoomConfig{Channel: ch}
}

// connect returns the Web API client of a slack block.
func connect(ws any, env pagers.Env) (chat.Client, error) {
	return newClient(ws.(Config), env.HTTPClient), nil
}

// httpClient is the client Slack calls go through: env's (tests point it
// at a fake) or one of our own, each request bounded.
func httpClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: 10 * time.Second}
}
