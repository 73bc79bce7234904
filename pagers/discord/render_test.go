package discord

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
	"github.com/pagerd/pagerd/pagers/pagertest"
)

var builder = func() links.Builder {
	return links.Builder{PublicURL: "https://pagerd.example.com", TTL: time.Hour,
		Signer: links.Signer{Key: []byte("0123456789abcdef0123456789abcdef")}}
}

var room = chat.Recipient{Room: &chat.Room{Name: "payments"}}

// pageMessage is the page about pagertest's incident at status, with summary
// and title as given ("" keeps pagertest's), rendered as it is posted.
func pageMessage(t *testing.T, status, title, summary string) message {
	t.Helper()
	n := pagertest.CheckoutPage()
	n.Incident.Status = status
	if title != "" {
		n.Incident.Title = title
	}
	if summary != "" {
		n.Incident.Summary = summary
	}
	m := chat.MessageOf(n, "42/discord:page:k", false)
	msg, err := fit(m, hook.Buttons(builder, hook.Who(Platform, room), m))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func labels(msg message) string {
	var out []string
	for _, row := range msg.Components {
		for _, b := range row.Components {
			out = append(out, b.Label)
		}
	}
	return strings.Join(out, ", ")
}

// The buttons are link buttons, the actions that still apply and the
// source, each action signed for the room; none mentions anyone.
func TestButtonsFollowTheStatus(t *testing.T) {
	for _, c := range []struct{ status, want string }{
		{"triggered", "Acknowledge, Resolve, Escalate now, Source"},
		{"acknowledged", "Resolve, Source"},
		{"resolved", "Source"},
	} {
		msg := pageMessage(t, c.status, "", "")
		if got := labels(msg); got != c.want {
			t.Errorf("%s: buttons %q, want %q", c.status, got, c.want)
		}
		for _, b := range msg.Components[0].Components {
			if b.Type != componentButton || b.Style != styleLink || b.URL == "" {
				t.Errorf("%s: %+v is not a link button", c.status, b)
			}
			if tok, ok := strings.CutPrefix(b.URL, "https://pagerd.example.com/v1/ack/"); ok {
				if cl, err := builder().Verify(tok); err != nil || cl.User != "discord:payments" || cl.IncidentID != 42 {
					t.Errorf("%s: %s = %+v, %v; want signed for discord:payments", c.status, b.Label, cl, err)
				}
			}
		}
		b, _ := json.Marshal(msg)
		if !strings.Contains(string(b), `"allowed_mentions":{"parse":[]}`) || !strings.Contains(string(b), `"components":[`) {
			t.Errorf("%s: %s", c.status, b)
		}
	}
}

// A fact with nothing left to do still sends its components, empty: an
// edit that left them out would keep the old buttons.
func TestNoButtonsAreSentEmpty(t *testing.T) {
	n := pagertest.CheckoutPage()
	n.Incident.Status, n.Incident.SourceURL = "resolved", ""
	m := chat.FactMessage(n.Incident, incident.Event{Incident: 42, Fact: incident.Fact{Kind: incident.KindResolved, Actor: "bob", Via: "link"}}, "k")
	msg, err := fit(m, hook.Buttons(builder, "discord:payments", m))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(msg)
	if !strings.Contains(string(b), `"components":[]`) || !strings.Contains(msg.Embeds[0].Description, "Resolved by bob (link)") {
		t.Errorf("resolved fact = %s", b)
	}
}

// Text from senders reads as written and can neither mention, nor link,
// nor format.
func TestEscaping(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"@everyone look", "@\u2060everyone look"},
		{"@here", "@\u2060here"},
		{"ping <@123456789012345678> and <@&42> in <#99>", `ping \<@123456789012345678\> and \<@&42\> in \<\#99\>`},
		{"[free](https://evil.example)", `\[free\](https:` + "\u2060" + `//evil.example)`},
		{"**bold** _it_ ~~x~~ `code` ||spoiler||", `\*\*bold\*\* \_it\_ \~\~x\~\~ \` + "`" + `code\` + "`" + ` \|\|spoiler\|\|`},
		{"# heading", `\# heading`},
		{"a > b", `a \> b`},
		{`back\slash`, `back\\slash`},
	} {
		if got := dialect.Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	msg := pageMessage(t, "triggered", "@everyone <@1234567890>", "see [x](https://evil.example) @here")
	text := msg.Embeds[0].Title + "\n" + msg.Embeds[0].Description
	for _, bad := range []string{"@everyone", "@here", "<@1234567890>", "](https://evil"} {
		if strings.Contains(text, bad) {
			t.Errorf("the embed carries %q: %s", bad, text)
		}
	}
}

// Long text is cut to Discord's limits, counted as Discord counts (UTF-16
// units), the summary ending with where the rest is.
func TestLimits(t *testing.T) {
	for _, c := range []struct {
		name, title, summary string
	}{
		{"long summary", "", strings.Repeat("checkout is down. ", 1000)},
		{"summary of emoji", "", strings.Repeat("🔥", 5000)},
		{"summary of markup", "", strings.Repeat("*_<>", 3000)},
		{"long title", strings.Repeat("🔥Checkout", 100), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := pageMessage(t, "triggered", c.title, c.summary)
			e := msg.Embeds[0]
			if !within(e) || length(e.Title) > titleLimit || length(e.Description) > descriptionLimit {
				t.Errorf("title %d, description %d units: over the limits", length(e.Title), length(e.Description))
			}
			if c.summary != "" && !strings.Contains(e.Description, "(cut: [the rest at the source](http://prometheus.example.com/graph?g0.expr=up))") {
				t.Errorf("a cut summary does not say where the rest is: …%s", e.Description[max(0, len(e.Description)-200):])
			}
			if labels(msg) != "Acknowledge, Resolve, Escalate now, Source" {
				t.Errorf("buttons %q", labels(msg))
			}
		})
	}
}

// A link too long for a button (a long source URL) is a link in the text
// instead, within the limits.
func TestLongLinkInTheText(t *testing.T) {
	n := pagertest.CheckoutPage()
	n.Incident.SourceURL = "https://grafana.example.com/explore?left=" + strings.Repeat("x", 600)
	m := chat.MessageOf(n, "k", false)
	msg, err := fit(m, hook.Buttons(builder, "discord:payments", m))
	if err != nil {
		t.Fatal(err)
	}
	if labels(msg) != "Acknowledge, Resolve, Escalate now" || !strings.Contains(msg.Embeds[0].Description, "[Source](https://grafana.example.com/explore?left=xxx") {
		t.Errorf("buttons %q, description %q", labels(msg), msg.Embeds[0].Description)
	}
}

func TestMessageURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://discord.com/api/webhooks/1/tok", "https://discord.com/api/webhooks/1/tok/messages/77?with_components=true"},
		{"https://discord.com/api/webhooks/1/tok?thread_id=5&wait=true", "https://discord.com/api/webhooks/1/tok/messages/77?thread_id=5&with_components=true"},
	} {
		if got := messageURL(c.in, "77"); got != c.want {
			t.Errorf("messageURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
