// Package twilio pages by SMS and by phone call through Twilio, and takes
// what comes back: SMS replies such as "ack 42" and the keypress of a call.
// It registers two channels, "sms" and "voice", both configured by one
// block:
//
//	twilio {
//	  account_sid = env("TWILIO_ACCOUNT_SID")
//	  auth_token  = env("TWILIO_AUTH_TOKEN")
//	  from        = "+15550000000"
//	  api_url     = "https://twilio-proxy.internal"  # optional; default https://api.twilio.com
//	}
//
// A user's address on both is their `phone` attribute (E.164).
package twilio

import (
	"regexp"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// Config is the twilio block: the account, and the number pages come from.
type Config struct {
	AccountSID string
	AuthToken  string
	From       string // a Twilio number in E.164 form, e.g. "+15557650000"
	// APIURL is where Twilio's REST API is reached, for a proxy or a test
	// double: every request for api.twilio.com goes to this base URL
	// instead. Empty means Twilio itself (DefaultAPIURL).
	APIURL string
}

// DefaultAPIURL is where Twilio's REST API is reached without api_url.
const DefaultAPIURL = "https://api.twilio.com"

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// phone is the user attribute both channels call.
var phone = &policies.Contact{
	Attr: "phone", Noun: "phone number", Example: "+15551230001",
	Check: func(v string) string {
		if e164.MatchString(v) {
			return ""
		}
		return "is not an E.164 number"
	},
}

func init() {
	policies.RegisterBlock(policies.BlockSpec{
		Type: "twilio",
		Schema: hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "account_sid", Required: true}, {Name: "auth_token", Required: true}, {Name: "from", Required: true},
			{Name: "api_url"},
		}},
		Decode: decode,
	})
	pagers.Register(pagers.Channel{
		ChannelSpec: policies.ChannelSpec{Name: "sms", Contact: phone, Rank: 10, Block: "twilio"},
		Interactive: true, // replies act on the incident
		Build: func(cfg *policies.Config, env pagers.Env) (pagers.Pager, error) {
			c, ok := cfg.Block("twilio").(Config)
			if !ok {
				return nil, nil
			}
			return NewSMS(SMSConfig{Config: c, HTTPClient: env.HTTPClient}), nil
		},
		Routes: []pagers.Route{{Pattern: "POST " + SMSReplyPath, Serve: serveSMSReply}},
	})
	pagers.Register(pagers.Channel{
		ChannelSpec: policies.ChannelSpec{Name: "voice", Contact: phone, Rank: 20, Block: "twilio"},
		NoticeVia:   "sms", // tell of an ack by text, not by calling again
		Interactive: true,  // press 1 to acknowledge
		Build: func(cfg *policies.Config, env pagers.Env) (pagers.Pager, error) {
			c, ok := cfg.Block("twilio").(Config)
			if !ok {
				return nil, nil
			}
			return NewVoice(VoiceConfig{Config: c, HTTPClient: env.HTTPClient, GatherURL: gatherURL(env.Links)}), nil
		},
		Routes: []pagers.Route{{Pattern: "POST " + keypressPath + "{token}", Serve: serveKeypress}},
	})
}

// decode compiles the twilio block; nil when a credential is missing (a
// warning says so, and SMS and voice pages go to the console).
func decode(b *policies.Block) any {
	c := Config{}
	var fromRange hcl.Range
	c.From, fromRange = b.String("from")
	if policies.Present(fromRange) && !e164.MatchString(c.From) {
		b.Errorf(fromRange, "Invalid phone number", `from = %q is not an E.164 number; write it like "+15550000000".`, c.From)
	}
	apiURL, apiRange := b.String("api_url")
	if policies.Present(apiRange) {
		if why := pagers.CheckAPIURL(apiURL, twilioAuth); why != "" {
			b.Errorf(apiRange, "Invalid URL", `api_url = %q %s; write it like "https://twilio-proxy.internal", or leave it out for %s.`, apiURL, why, DefaultAPIURL)
		} else {
			c.APIURL = apiURL
		}
	}
	sid, sidOK := b.Secret("account_sid")
	tok, tokOK := b.Secret("auth_token")
	if !sidOK || !tokOK {
		return nil
	}
	if unset := policies.UnsetSources(sid, tok); unset != "" {
		r := b.Range()
		b.Warnf(&r, "Twilio disabled", "%s, so SMS and voice pages are printed to the console instead.", unset)
		return nil
	}
	c.AccountSID, c.AuthToken = sid.Value, tok.Value
	return c
}

// gatherURL is where a page call posts the pressed digit: the page's
// signed action token under the keypress webhook, so that the keypress is
// both Twilio-signed and bound to one incident and person.
func gatherURL(l func() links.Builder) func(n pagers.Notification) string {
	return func(n pagers.Notification) string {
		if n.Kind != pagers.KindPage || n.AckToken == "" || l == nil {
			return ""
		}
		return l().URL(keypressPath + n.AckToken)
	}
}

// twilioAuth is what authenticates pagerd at Twilio, for CheckAPIURL.
const twilioAuth = "the account_sid and auth_token authenticate pagerd"
