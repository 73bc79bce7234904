package hook

import (
	"net/url"
	"strings"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers/chat"
)

// Who is the name an action link posted into a room is signed for: the
// room as a target ("discord:payments"). A webhook does not say who
// opened a link, so the timeline records the room, through the link.
func Who(platform string, to chat.Recipient) string {
	if to.Room == nil {
		return platform + ":" + to.Address
	}
	return platform + ":" + to.Room.Name
}

// Buttons are the links a message about an incident offers, in order: a
// signed action link for every action the incident still takes (its
// confirm page does the POST), then the alert's source when it has one.
// A fact about the incident (a follow-up) offers the same, so that a
// platform that cannot edit still shows what may be done now. lb nil (no
// links configured) offers the source alone.
func Buttons(lb func() links.Builder, who string, m chat.Message) []chat.Link {
	var out []chat.Link
	if lb != nil && m.Incident.ID != 0 {
		b := lb()
		for _, a := range chat.Actions(incident.Status(m.Incident.Status)) {
			out = append(out, chat.Link{Text: chat.ButtonText(a), URL: b.Action(m.Incident.ID, a, who)})
		}
	}
	if u := Linkable(m.SourceURL); u != "" && m.Fact == "" {
		out = append(out, chat.Link{Text: "Source", URL: u})
	}
	return out
}

// Linkable is u when it is an http(s) URL a platform can link (no
// characters that end a link in markup, at most 2000 bytes), else "".
func Linkable(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" ||
		len(u) > 2000 || strings.ContainsAny(u, "<>|()[] \n\"") {
		return ""
	}
	return u
}
