package discord

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
)

// An incident's message is one embed — its number and headline as the
// title (linking to the alert's source), the summary and its state as the
// description, its fields, the time it started; the colour says its state
// — and a row of link buttons: pagerd's signed Acknowledge, Resolve and
// Escalate-now pages and the alert's source. A follow-up is one line in an
// embed of the same colour, with the buttons that still apply. Nothing
// mentions anyone: allowed_mentions parses nothing.

type message struct {
	Embeds          []embed         `json:"embeds"`
	AllowedMentions allowedMentions `json:"allowed_mentions"`
	// Components is always sent, empty when there are no buttons: an edit
	// leaves out what it does not send, and the buttons that no longer
	// apply must go.
	Components []actionRow `json:"components"`
}

type allowedMentions struct {
	Parse []string `json:"parse"`
}

type embed struct {
	Title       string  `json:"title,omitempty"`
	URL         string  `json:"url,omitempty"`
	Description string  `json:"description,omitempty"`
	Color       int     `json:"color"`
	Fields      []field `json:"fields,omitempty"`
	Footer      *footer `json:"footer,omitempty"`
	Timestamp   string  `json:"timestamp,omitempty"`
}

type field struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

type footer struct {
	Text string `json:"text"`
}

// Message components: an action row (type 1) of link buttons (type 2,
// style 5), the only buttons a webhook that belongs to no application may
// send.
const (
	componentRow    = 1
	componentButton = 2
	styleLink       = 5
)

type actionRow struct {
	Type       int      `json:"type"`
	Components []button `json:"components"`
}

type button struct {
	Type  int    `json:"type"`
	Style int    `json:"style"`
	Label string `json:"label"`
	URL   string `json:"url"`
}

// fit is m's message within Discord's limits: the summary cut shorter
// until the embed holds.
func fit(m chat.Message, buttons []chat.Link) (message, error) {
	for budget := descriptionLimit - 600; ; budget /= 2 {
		msg := render(m, buttons, budget)
		if within(msg.Embeds[0]) {
			return msg, nil
		}
		if budget < 64 {
			return msg, errTooLong
		}
	}
}

// length is how Discord counts characters: UTF-16 code units.
func length(s string) int { return len(utf16.Encode([]rune(s))) }

func within(e embed) bool {
	total := length(e.Title) + length(e.Description)
	if e.Footer != nil {
		total += length(e.Footer.Text)
	}
	for _, f := range e.Fields {
		if length(f.Value) > fieldLimit {
			return false
		}
		total += length(f.Name) + length(f.Value)
	}
	return length(e.Title) <= titleLimit && length(e.Description) <= descriptionLimit && total <= embedLimit
}

// render is m as a message, its summary cut to budget characters.
func render(m chat.Message, links []chat.Link, budget int) message {
	msg := message{AllowedMentions: allowedMentions{Parse: []string{}}, Components: []actionRow{}}
	inc := m.Incident
	e := embed{Color: color(inc.Status)}
	// A link Discord would refuse as a button's goes in the text instead.
	var buttons []button
	var masked []string
	for _, l := range links {
		if len(l.URL) <= buttonURLLimit && len(buttons) < rowLimit {
			buttons = append(buttons, button{Type: componentButton, Style: styleLink, Label: l.Text, URL: l.URL})
		} else {
			masked = append(masked, "["+l.Text+"]("+l.URL+")")
		}
	}
	if len(buttons) > 0 {
		msg.Components = []actionRow{{Type: componentRow, Components: buttons}}
	}
	switch {
	case inc.ID == 0:
		// A shift notice: one line, no incident.
		e.Description = dialect.Fit(pagers.OneLine(m.Headline), budget, "")
	case m.Fact != "":
		e.Description = fmt.Sprintf("**#%d** %s\n%s", inc.ID, dialect.Fit(pagers.OneLine(inc.Title), 200, ""),
			dialect.Fit(pagers.OneLine(m.Fact), min(budget, 1500), ""))
	default:
		for n := titleLimit - 24; n > 0; n -= 40 {
			// Runes in, UTF-16 counted: a title of emoji takes two each.
			if e.Title = fmt.Sprintf("#%d %s", inc.ID, dialect.Fit(pagers.OneLine(m.Headline), n, "")); length(e.Title) <= titleLimit {
				break
			}
		}
		e.URL = hook.Linkable(m.SourceURL)
		var d []string
		if m.Summary != "" {
			more := fmt.Sprintf("(cut: `pagerd show %d` has the rest)", inc.ID)
			if e.URL != "" {
				more = "(cut: [the rest at the source](" + e.URL + "))"
			}
			d = append(d, dialect.Fit(m.Summary, budget, more))
		}
		d = append(d, "**"+dialect.Line(m.State)+"**")
		e.Description = strings.Join(d, "\n\n")
		for _, f := range m.Fields {
			e.Fields = append(e.Fields, field{Name: f.Name, Value: dialect.Fit(pagers.OneLine(f.Value), 200, ""), Inline: true})
		}
		e.Footer = &footer{Text: "pagerd"}
		if !inc.StartedAt.IsZero() {
			e.Timestamp = inc.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
	}
	if len(masked) > 0 {
		e.Description += "\n" + strings.Join(masked, " · ")
	}
	msg.Embeds = []embed{e}
	return msg
}

// color is an embed's colour for an incident at status.
func color(status string) int {
	switch incident.Status(status) {
	case incident.Acknowledged:
		return 0xECB22E
	case incident.Resolved:
		return 0x2EB67D
	}
	return 0xE01E5A
}
