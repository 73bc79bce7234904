// Package hook is what the chat platforms pagerd reaches through an
// incoming webhook share: a room is a secret URL to POST a JSON message
// to, with no bot behind it that could tell pagerd who pressed a button.
// So their buttons open pagerd's signed action links (the confirm page does
// the POST), signed for the room; the config is the same shape for each
// (an optional api_url, and a webhook_url secret per room, checked against
// the platform's hosts and paths); and one HTTP client posts the JSON and
// says what sending again can do (429 with its wait, 5xx, or never), never
// quoting the URL, which is the room's credential.
//
// A platform package (pagers/<name>) registers a chat.Platform whose
// Decode, DecodeRoom and Client are built from these pieces and its own
// rendering; nothing here names a platform.
package hook

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/policies"
)

// Shape is what a platform's webhook URLs look like: https, one of Hosts
// (an entry starting with "." matches any host ending with it), a path
// matching Path, and the query parameters a working URL carries (Query:
// the signature or key that authenticates it).
type Shape struct {
	Hosts []string
	Path  *regexp.Regexp
	Query []string
	// Example is a URL of the right shape, secrets elided, for messages.
	Example string
	// Retired maps a host suffix to why URLs there no longer work (an old
	// kind of webhook the platform switched off).
	Retired map[string]string
}

// Check says why raw is not a webhook URL of this shape, "" when it is.
func (s Shape) Check(raw string) string {
	why, _ := s.check(raw)
	return why
}

// check is Check, and whether raw is of a retired kind (its why says what
// to do instead).
func (s Shape) check(raw string) (why string, retired bool) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return "is not an absolute URL", false
	}
	host := strings.ToLower(u.Hostname())
	for suffix, why := range s.Retired {
		if host == strings.TrimPrefix(suffix, ".") || strings.HasSuffix(host, suffix) {
			return why, true
		}
	}
	return s.checkShape(u, raw), false
}

func (s Shape) checkShape(u *url.URL, raw string) string {
	host := strings.ToLower(u.Hostname())
	switch {
	case u.Scheme != "https":
		return "is not an https URL"
	case u.User != nil:
		return "carries a user name or password"
	case !slices.ContainsFunc(s.Hosts, func(h string) bool {
		return host == h || (strings.HasPrefix(h, ".") && strings.HasSuffix(host, h))
	}):
		return "is not on " + strings.Join(s.Hosts, ", ") + " (host " + host + ")"
	case s.Path != nil && !s.Path.MatchString(u.EscapedPath()):
		return "does not have the path of a webhook (" + Redact(raw) + ")"
	}
	q := u.Query()
	for _, k := range s.Query {
		if q.Get(k) == "" {
			return "has no " + k + " parameter: copy the whole URL"
		}
	}
	return ""
}

// Settings is a webhook platform's block: where its API is reached
// instead of the webhook URLs' own host (a proxy, or a test double).
type Settings struct {
	APIURL string // "" for the webhook URLs as they are
}

// RoomSettings is one room: its webhook URL, a secret.
type RoomSettings struct {
	WebhookURL string
}

// String and GoString name the room's webhook without its secret, so that
// printing a config, or logging a room, never leaks it.
func (r RoomSettings) String() string   { return "webhook " + Redact(r.WebhookURL) }
func (r RoomSettings) GoString() string { return "hook.RoomSettings{" + Redact(r.WebhookURL) + "}" }

// Attributes and Rooms are the schema of a webhook platform's block.
var (
	Attributes = []hcl.AttributeSchema{{Name: "api_url"}}
	Rooms      = hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "webhook_url", Required: true}}}
)

var errNoDM = errors.New("a webhook posts to its room only: there is no direct message")

type roomError struct{ name string }

func (e *roomError) Error() string {
	return fmt.Sprintf("room %q has no webhook URL (it is off, or no longer configured)", e.name)
}

// Decode compiles a webhook platform's block: its optional api_url. nil
// when it is invalid (reported).
func Decode(b *policies.Block) any {
	s := Settings{}
	if raw, r := b.String("api_url"); policies.Present(r) {
		if why := pagers.CheckAPIURL(raw, "each room's webhook URL authenticates pagerd"); why != "" {
			b.Errorf(r, "Invalid URL", `api_url = %q %s; it replaces the scheme and host of every room's webhook_url (a proxy, or a test double): leave it out to post to the platform itself.`, raw, why)
			return nil
		}
		s.APIURL = strings.TrimRight(raw, "/")
	}
	return s
}

// DecodeRoom compiles one room of a webhook platform titled title: its
// webhook_url, a secret of the platform's shape. An unset secret
// switches the room off with a warning (nil: its messages go to the
// console); a URL of another shape is an error.
func DecodeRoom(b *policies.Block, title string, shape Shape) any {
	sec, ok := b.Secret("webhook_url")
	if !ok {
		return nil
	}
	if !sec.Set {
		r := b.Range()
		b.Warnf(&r, title+" room disabled", "%s %s, so nothing is posted to %s room %q: its messages are printed to the console.",
			sec.Source, sec.Missing(), title, b.Label())
		return nil
	}
	if why, retired := shape.check(sec.Value); retired {
		b.Errorf(b.Attr("webhook_url"), "Invalid "+title+" webhook URL", "The value of %s %s.", sec.Source, why)
		return nil
	} else if why != "" {
		b.Errorf(b.Attr("webhook_url"), "Invalid "+title+" webhook URL",
			"The value of %s %s; it should look like %s.", sec.Source, why, shape.Example)
		return nil
	}
	return RoomSettings{WebhookURL: sec.Value}
}

// Target is where a message to the room goes: its webhook URL, on the
// api_url's scheme and host when one is set.
func Target(ws Settings, to chat.Recipient) (string, error) {
	if to.Room == nil {
		return "", pagers.Permanent(errNoDM)
	}
	rs, ok := to.Room.Settings.(RoomSettings)
	if !ok {
		return "", pagers.Permanent(&roomError{to.Room.Name})
	}
	return Rebase(rs.WebhookURL, ws.APIURL), nil
}

// Rebase is raw on base's scheme and host, base's path before its own;
// raw when base is "".
func Rebase(raw, base string) string {
	if base == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	out := strings.TrimRight(base, "/") + u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

// Redact is raw with only its scheme, host and the first element of its
// path: webhook URLs carry their secret in the path or the query, and
// errors end up in logs and on timelines.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a webhook URL)"
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	out := u.Scheme + "://" + u.Host + "/"
	if first != "" {
		out += first + "/…"
	}
	return out
}

// WithQuery is raw with the query parameters kv (name, value, ...) set.
func WithQuery(raw string, kv ...string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}
