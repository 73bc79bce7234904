package teams

import (
	"fmt"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
)

// An incident's card: its number and headline (coloured by state), the
// summary, a fact set of its fields, its state, and an Action.OpenUrl
// button for every action it still takes and for the alert's source. A
// follow-up card says the fact, then the incident's state and buttons.
// Adaptive Card 1.4: what Teams renders on every client and Workflows
// posts.

// The message a workflow's "When a Teams webhook request is received"
// trigger takes: the card is attachments[0].content.
type message struct {
	Type        string       `json:"type"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"`
	Content     card    `json:"content"`
}

type card struct {
	Schema  string            `json:"$schema"`
	Type    string            `json:"type"`
	Version string            `json:"version"`
	MSTeams map[string]string `json:"msteams,omitempty"`
	Body    []any             `json:"body"`
	Actions []action          `json:"actions,omitempty"`
}

type textBlock struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Wrap     bool   `json:"wrap"`
	Weight   string `json:"weight,omitempty"`
	Size     string `json:"size,omitempty"`
	Color    string `json:"color,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
}

type factSet struct {
	Type  string `json:"type"`
	Facts []fact `json:"facts"`
}

type fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Style string `json:"style,omitempty"`
}

// CardContentType is the attachment's content type of an Adaptive Card.
const CardContentType = "application/vnd.microsoft.card.adaptive"

func envelope(c card) message {
	return message{Type: "message", Attachments: []attachment{{ContentType: CardContentType, Content: c}}}
}

func text(s string) textBlock { return textBlock{Type: "TextBlock", Text: s, Wrap: true} }

// render is m as a card, its summary cut to budget runes.
func render(m chat.Message, buttons []chat.Link, budget int) card {
	c := card{
		Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
		MSTeams: map[string]string{"width": "Full"},
	}
	for _, b := range buttons {
		a := action{Type: "Action.OpenUrl", Title: b.Text, URL: b.URL}
		if b.Text == chat.ButtonText(incident.Ack) {
			a.Style = "positive"
		}
		c.Actions = append(c.Actions, a)
	}
	inc := m.Incident
	if inc.ID == 0 {
		// A shift notice: one line, no incident.
		c.Body = []any{text(dialect.Fit(pagers.OneLine(m.Headline), dialect.TextLimit, ""))}
		return c
	}
	head := text(fmt.Sprintf("#%d %s", inc.ID, dialect.Fit(pagers.OneLine(m.Headline), 500, "")))
	head.Weight, head.Size, head.Color = "Bolder", "Medium", color(inc.Status)
	state := text(dialect.Line(chat.State(inc)))
	state.IsSubtle = true
	if m.Fact != "" {
		head.Text = fmt.Sprintf("#%d %s", inc.ID, dialect.Fit(pagers.OneLine(inc.Title), 500, ""))
		head.Size = ""
		c.Body = []any{head, text(dialect.Fit(pagers.OneLine(m.Fact), dialect.TextLimit, "")), state}
		return c
	}
	c.Body = []any{head}
	if m.Summary != "" {
		more := fmt.Sprintf("(cut: `pagerd show %d` has the rest)", inc.ID)
		if u := hook.Linkable(m.SourceURL); u != "" {
			more = "(cut: [the rest at the source](" + u + "))"
		}
		c.Body = append(c.Body, text(dialect.Fit(m.Summary, budget, more)))
	}
	if len(m.Fields) > 0 {
		fs := factSet{Type: "FactSet"}
		for _, f := range m.Fields {
			fs.Facts = append(fs.Facts, fact{Title: f.Name, Value: dialect.Fit(pagers.OneLine(f.Value), 500, "")})
		}
		c.Body = append(c.Body, fs)
	}
	c.Body = append(c.Body, state)
	return c
}

// color is the headline's colour for an incident at status.
func color(status string) string {
	switch incident.Status(status) {
	case incident.Acknowledged:
		return "Warning"
	case incident.Resolved:
		return "Good"
	}
	return "Attention"
}
