package mattermost

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// A message about an incident is one message attachment: its text (the
// headline, the summary, the state and a Source link), its fields, and
// its buttons; a reply is a message of one line. Every text pagerd did
// not write goes through the dialect.

// keyProp is the post property holding pagerd's key of the message, which
// Find looks for.
const keyProp = "pagerd_key"

type attachment struct {
	Fallback string   `json:"fallback"`
	Color    string   `json:"color,omitempty"`
	Text     string   `json:"text,omitempty"`
	Fields   []field  `json:"fields,omitempty"`
	Actions  []button `json:"actions,omitempty"`
}

type field struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// button is an interactive message button: pressing it makes the
// Mattermost server post Integration.Context to Integration.URL.
type button struct {
	ID          string      `json:"id"` // letters and digits only: Mattermost routes presses by it
	Type        string      `json:"type"`
	Name        string      `json:"name"`
	Style       string      `json:"style,omitempty"`
	Integration integration `json:"integration"`
}

type integration struct {
	URL     string         `json:"url"`
	Context map[string]any `json:"context"`
}

// tokenContext is the context key of a button's callback token.
const tokenContext = "token"

// rendered is a message as Mattermost takes it: its text and attachments.
type rendered struct {
	Message     string
	Attachments []attachment
}

// props are the post properties of r: its attachments and pagerd's key.
func (r rendered) props(key string) map[string]any {
	p := map[string]any{}
	if len(r.Attachments) > 0 {
		p["attachments"] = r.Attachments
	}
	if key != "" {
		p[keyProp] = key
	}
	return p
}

// render is m as Mattermost shows it. where is the recipient the message
// goes to, signed into its buttons; b makes their tokens and URL (nil:
// no buttons). followUp makes a reply stand on its own: posted in the
// channel rather than a thread, it names its incident.
func render(m chat.Message, where string, b *links.Builder, followUp bool) rendered {
	if m.Fact != "" {
		text := dialect.Fit(pagers.OneLine(m.Fact), dialect.TextLimit, "")
		if followUp && m.Incident.ID != 0 {
			text = fmt.Sprintf("**#%d %s**: %s", m.Incident.ID, dialect.Fit(name(m.Incident), 500, ""), text)
		}
		return rendered{Message: text}
	}
	if m.Incident.ID == 0 {
		// A shift notice: one line, no incident.
		return rendered{Message: dialect.Fit(pagers.OneLine(m.Headline), dialect.TextLimit, "")}
	}
	head := fmt.Sprintf("**#%d %s**", m.Incident.ID, dialect.Fit(pagers.OneLine(m.Headline), 500, ""))
	text := head
	source := linkable(m.SourceURL)
	if m.Summary != "" {
		more := fmt.Sprintf("(cut: `pagerd show %d` has the rest)", m.Incident.ID)
		if source != "" {
			more = "(cut: [the rest at the source](" + source + "))"
		}
		text += "\n" + dialect.Fit(m.Summary, dialect.TextLimit, more)
	}
	text += "\n\n" + stateIcon(m.Incident.Status) + " " + dialect.Line(m.State)
	if source != "" {
		text += " · [Source](" + source + ")"
	}
	a := attachment{Fallback: plain(m.Text), Color: color(m.Incident.Status), Text: text}
	for _, f := range m.Fields {
		a.Fields = append(a.Fields, field{Title: f.Name, Value: dialect.Fit(pagers.OneLine(f.Value), 1000, ""), Short: true})
	}
	if b != nil {
		target := b.URL(ActionPath)
		for _, act := range m.Actions {
			a.Actions = append(a.Actions, button{
				ID: string(act), Type: "button", Name: chat.ButtonText(act), Style: style(act),
				Integration: integration{URL: target, Context: map[string]any{
					tokenContext: b.CallbackToken(m.Incident.ID, act, where),
				}},
			})
		}
	}
	return rendered{Attachments: []attachment{a}}
}

// name is how a follow-up names its incident: its title and service.
func name(inc pagers.Incident) string {
	return pagers.Headline(pagers.Notification{Incident: inc})
}

func style(a incident.Action) string {
	switch a {
	case incident.Ack:
		return "primary"
	case incident.Escalate:
		return "danger"
	}
	return "default"
}

func color(status string) string {
	switch incident.Status(status) {
	case incident.Acknowledged:
		return "#f2a900"
	case incident.Resolved:
		return "#3db887"
	}
	return "#d24b4e"
}

func stateIcon(status string) string {
	switch incident.Status(status) {
	case incident.Acknowledged:
		return ":large_yellow_circle:"
	case incident.Resolved:
		return ":large_green_circle:"
	}
	return ":red_circle:"
}

// wordJoiner splits a token for Mattermost's parsers without changing
// what a reader sees.
const wordJoiner = "\u2060"

// escape escapes Mattermost's markdown: its punctuation with a backslash,
// &, < and > as entities (so that no Slack-style <!channel> or <url|text>
// survives for Mattermost's Slack-compatible parsing), and a word joiner
// after every @ and ~, so that no text pagerd did not write mentions a
// person or links a channel.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '-', '.', '!', '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '@', '~':
			b.WriteRune(r)
			b.WriteString(wordJoiner)
		default:
			b.WriteRune(r)
		}
	}
	// Defuse broke crowd mentions already: one joiner is enough.
	return strings.ReplaceAll(b.String(), wordJoiner+wordJoiner, wordJoiner)
}

// plain is text for where Mattermost shows no markdown (notifications):
// defused, with no mention of a person or channel and no Slack-style
// <!channel> or <url|text>.
func plain(s string) string {
	s = strings.NewReplacer("@", "@"+wordJoiner, "~", "~"+wordJoiner, "<", "<"+wordJoiner).Replace(chat.Defuse(pagers.OneLine(s)))
	return strings.ReplaceAll(s, wordJoiner+wordJoiner, wordJoiner)
}

// linkable is u when it is an http(s) URL a markdown link can carry
// whole, else "".
func linkable(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" ||
		len(u) > 2000 || strings.ContainsAny(u, "()<> \n") {
		return ""
	}
	return u
}

// answer is what whoever pressed a button is told (only they see it).
func answer(text string) string { return dialect.Fit(text, dialect.TextLimit, "") }
