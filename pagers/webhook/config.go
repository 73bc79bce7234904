package webhook

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// Channel is the name of the channel, of its block type and of its
// targets ("webhook:audit").
const Channel = "webhook"

// Settings of a webhook block.
const (
	DefaultTimeout = 10 * time.Second
	// MinTimeout keeps a typo ("10ms") from failing every delivery.
	MinTimeout = time.Second
	// MinKeyBytes is the shortest HMAC key accepted, as for link_secret.
	MinKeyBytes = 16
	// SecretPrefix starts a secret in the Standard Webhooks form: the key
	// is the base64 after it.
	SecretPrefix = "whsec_"
)

// Config is one webhook block, compiled.
type Config struct {
	URL string
	// Key is the HMAC-SHA256 key that signs every delivery.
	Key []byte
	// Events are the incident event kinds this webhook is sent as a
	// subscriber (nil: DefaultEvents); pages and acknowledged/resolved
	// notices always go out.
	Events  []incident.Kind
	Timeout time.Duration // bounds each request (0: DefaultTimeout)
}

// Delivers reports whether an update about an event of kind k goes out.
func (c Config) Delivers(k incident.Kind) bool { return slices.Contains(c.Events, k) }

// DefaultEvents are the kinds a webhook without `events` is sent: every
// kind the event stream publishes.
func DefaultEvents() []incident.Kind {
	var out []incident.Kind
	for _, k := range incident.Kinds {
		if k.Published() {
			out = append(out, k)
		}
	}
	return out
}

func init() {
	policies.RegisterBlock(policies.BlockSpec{
		Type:    Channel,
		Labeled: true,
		Schema: hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "url", Required: true}, {Name: "secret", Required: true},
			{Name: "events"}, {Name: "timeout"},
		}},
		Decode: decode,
	})
	pagers.Register(pagers.Channel{
		// No Contact: a webhook reaches an endpoint, never a person, so it
		// takes no part in a person's channel order and Rank only sorts it
		// among the channels.
		ChannelSpec: policies.ChannelSpec{Name: Channel, Rank: 900, Block: Channel, Destinations: true, Updates: true},
		Build:       build,
	})
}

// build returns one pager for every webhook block cfg switches on, or nil
// when none is (pages to a webhook then go to the console).
func build(cfg *policies.Config, env pagers.Env) (pagers.Pager, error) {
	hooks := map[string]Config{}
	var off []string
	for name, v := range cfg.Named[Channel] {
		if c, ok := v.(Config); ok {
			hooks[name] = c
		} else {
			off = append(off, name)
		}
	}
	if len(hooks) == 0 {
		return nil, nil
	}
	p := New(hooks, Options{HTTPClient: env.HTTPClient})
	p.off = off
	return p, nil
}

// decode compiles one webhook block; nil when it cannot send (an error
// says why) or its secret is unset (a warning says so: the block stays
// defined, so steps and services naming it still load).
func decode(b *policies.Block) any {
	c := Config{Events: DefaultEvents()}
	ok := true
	if raw, r := b.String("url"); policies.Present(r) {
		if why := checkURL(raw); why != "" {
			b.Errorf(r, "Invalid URL", `url = %q %s; write it like "https://hooks.example.com/pagerd".`, raw, why)
			ok = false
		}
		c.URL = raw
	}
	if b.Written("events") {
		events, ranges, listOK := b.Strings("events")
		ok = ok && listOK
		if listOK && len(events) == 0 {
			b.Errorf(b.Attr("events"), "Empty list", "events must name at least one event kind; leave it out to receive all of them.")
			ok = false
		}
		c.Events = nil
		for i, e := range events {
			k, why := eventKind(e)
			if why != "" {
				b.Errorf(ranges[i], "Invalid event kind", "%q %s; use %s.", e, why, quotedKinds())
				ok = false
				continue
			}
			if !slices.Contains(c.Events, k) {
				c.Events = append(c.Events, k)
			}
		}
	}
	timeout, r, durOK := b.Duration("timeout", DefaultTimeout)
	switch {
	case !durOK:
		ok = false
	case timeout < MinTimeout:
		written, _ := b.String("timeout")
		b.Errorf(r, "Invalid duration", "timeout = %q is shorter than 1s: a receiver needs time to answer.", written)
		ok = false
	}
	c.Timeout = timeout

	secret, secretOK := b.Secret("secret")
	if !secretOK {
		return nil // absent or invalid: already reported
	}
	if !secret.Set {
		r := b.Range()
		b.Warnf(&r, "Webhook disabled", "%s %s, so nothing is sent to webhook %q.", secret.Source, secret.Missing(), b.Label())
		return nil
	}
	key, err := parseKey(secret.Value)
	switch {
	case err != nil:
		b.Errorf(b.Attr("secret"), "Invalid webhook secret",
			"The value of %s starts with %q but the rest is not base64 (%v); without the prefix it would be used as the key itself.", secret.Source, SecretPrefix, err)
		return nil
	case len(key) < MinKeyBytes:
		b.Errorf(b.Attr("secret"), "Webhook secret too short",
			"The key from %s has %d bytes; an HMAC key needs at least %d (32 random bytes are best).", secret.Source, len(key), MinKeyBytes)
		return nil
	}
	c.Key = key
	if !ok {
		return nil
	}
	return c
}

// checkURL says why raw is not a URL a webhook can post to; "" when it is.
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		return "is not an absolute URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "is not an http or https URL"
	case u.Host == "":
		return "has no host"
	case u.User != nil:
		// The signature proves the sender; a password here would be a
		// secret written in the config.
		return "carries a user name or password, a secret the config must not hold (the signature authenticates pagerd)"
	}
	return ""
}

// parseKey is the HMAC key of a secret: the base64 after "whsec_" in the
// Standard Webhooks form (padded or not), any other value as it is.
func parseKey(secret string) ([]byte, error) {
	b64, found := strings.CutPrefix(secret, SecretPrefix)
	if !found {
		return []byte(secret), nil
	}
	key, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(b64, "="))
	if err != nil {
		return nil, fmt.Errorf("decoding the key: %w", err)
	}
	return key, nil
}

// eventKind reads one element of `events`; why says what is wrong with it.
func eventKind(s string) (k incident.Kind, why string) {
	k, err := incident.ParseKind(s)
	switch {
	case err != nil:
		return "", "is not an event kind"
	case !k.Published():
		return "", "stays on the incident's timeline and is not published to subscribers"
	}
	return k, ""
}

func quotedKinds() string {
	var q []string
	for _, k := range DefaultEvents() {
		q = append(q, fmt.Sprintf("%q", k))
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
