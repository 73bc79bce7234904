package links

import (
	"net/url"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// Builder makes the URLs of one configuration: everything under its
// public URL, with action links signed by its Signer. Build one per use
// from the current config, so a reload that moves public_url or rotates
// link_secret takes effect at once.
type Builder struct {
	PublicURL string        // e.g. "https://pagerd.example.com", no trailing slash needed
	Signer    Signer        // signs and verifies tokens
	TTL       time.Duration // how long an action link stays valid
}

// URL is the absolute URL of path (which starts with "/") under the public
// URL.
func (b Builder) URL(path string) string {
	return strings.TrimRight(b.PublicURL, "/") + path
}

// ActionToken signs one action on an incident for user, valid for TTL
// from now. Channels that call back (a keypress, a chat button) carry it.
func (b Builder) ActionToken(id int64, action incident.Action, user string) string {
	return b.Signer.Sign(Claims{IncidentID: id, Action: action, User: user, Expires: b.Signer.now().Add(b.TTL)})
}

// ActionPath is where the confirm page of an action token is served.
func ActionPath(token string) string { return "/v1/ack/" + token }

// Action is the signed link that opens the confirm page of one action.
func (b Builder) Action(id int64, action incident.Action, user string) string {
	return b.URL(ActionPath(b.ActionToken(id, action, user)))
}

// Verify checks an action token (see Signer.Verify).
func (b Builder) Verify(token string) (Claims, error) { return b.Signer.Verify(token) }

// FeedName is what a calendar feed's token signs: "schedule:NAME" or
// "user:NAME".
func FeedName(kind, name string) string { return kind + ":" + name }

// Feed is the URL of a calendar feed with its token: kind is "schedule"
// or "user".
func (b Builder) Feed(kind, name string) string {
	path := "/v1/users/" + url.PathEscape(name) + "/oncall.ics"
	if kind == "schedule" {
		path = "/v1/schedules/" + url.PathEscape(name) + ".ics"
	}
	return b.URL(path) + "?token=" + b.Signer.FeedToken(FeedName(kind, name))
}
