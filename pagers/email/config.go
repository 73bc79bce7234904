package email

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// The smtp block configures the email channel:
//
//	smtp {
//	  host     = "smtp.example.com"
//	  port     = 587
//	  from     = "pagerd@example.com"
//	  username = env("SMTP_USER")      # optional
//	  password = env("SMTP_PASSWORD")  # with username
//	  tls      = "mandatory"           # none | opportunistic (default) | mandatory
//	}
//
// A user's address is their `email` attribute.

// contact is the user attribute email pages go to.
var contact = &policies.Contact{
	Attr: "email", Noun: "email address", Example: "alice@example.com",
	Check: func(v string) string {
		if policies.ValidEmail(v) {
			return ""
		}
		return "is not an email address"
	},
}

func init() {
	policies.RegisterBlock(policies.BlockSpec{
		Type:   "smtp",
		Schema: schema,
		Decode: decode,
	})
	pagers.Register(pagers.Channel{
		ChannelSpec: policies.ChannelSpec{Name: "email", Contact: contact, Rank: 30, Block: "smtp"},
		Build: func(cfg *policies.Config, _ pagers.Env) (pagers.Pager, error) {
			c, ok := cfg.Block("smtp").(Config)
			if !ok {
				return nil, nil
			}
			return New(c), nil
		},
	})
}

var schema = hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "host", Required: true}, {Name: "from", Required: true},
	{Name: "port"}, {Name: "username"}, {Name: "password"}, {Name: "tls"},
}}

// decode compiles the smtp block into a Config; nil when it cannot send
// (an error says why) or its credentials are unset (a warning says so, and
// email pages go to the console).
func decode(b *policies.Block) any {
	c := Config{Port: 25, TLS: TLSOpportunistic}
	var hostRange hcl.Range
	c.Host, hostRange = b.String("host")
	if c.Host == "" && policies.Present(hostRange) {
		b.Errorf(hostRange, "Missing SMTP host", "host must name the mail server.")
	}
	if port, r := b.Int("port"); policies.Present(r) {
		if port < 1 || port > 65535 {
			b.Errorf(r, "Invalid port", "port = %d is not a TCP port.", port)
		}
		c.Port = port
	}
	from, fromRange := b.String("from")
	if policies.Present(fromRange) && !policies.ValidEmail(from) {
		b.Errorf(fromRange, "Invalid email address", `from = %q is not an email address; write it like "pagerd@example.com".`, from)
	}
	c.From = from
	if tls, r := b.String("tls"); policies.Present(r) {
		if tls != TLSNone && tls != TLSOpportunistic && tls != TLSMandatory {
			b.Errorf(r, "Invalid TLS mode", `tls = %q is not a TLS mode; use "none", "opportunistic" or "mandatory".`, tls)
		}
		c.TLS = tls
	}
	user, userOK := b.Text("username")
	pass, passOK := b.Secret("password")
	switch {
	case userOK && !passOK && b.Written("password"):
		return nil // the password is invalid, already reported
	case userOK && !passOK:
		b.Errorf(b.Attr("username"), "Missing SMTP password", `A username needs a password = env("NAME") or file("path").`)
		return nil
	case passOK && !userOK:
		b.Errorf(b.Attr("password"), "Missing SMTP username", "A password needs a username.")
		return nil
	case userOK && passOK:
		if user.Source == "" {
			user.Source = "username"
		}
		if unset := policies.UnsetSources(user, pass); unset != "" {
			r := b.Range()
			b.Warnf(&r, "SMTP disabled", "%s, so email pages are printed to the console instead.", unset)
			return nil
		}
		c.Username, c.Password = user.Value, pass.Value
	}
	return c
}
