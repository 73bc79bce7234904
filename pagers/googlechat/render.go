package googlechat

import (
	"fmt"
	"strings"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
)

// An incident's message is one card (cardsV2): a header with its number
// and headline, the summary, its state, its fields as decorated text, and
// a button list that opens pagerd's signed links and the alert's source.
// A follow-up card says the fact, the state, and the buttons that still
// apply. Card text takes Google's HTML subset (escaped by the dialect);
// the header takes plain text.

type message struct {
	FallbackText string   `json:"fallbackText,omitempty"`
	CardsV2      []cardV2 `json:"cardsV2"`
	Thread       thread   `json:"thread"`
}

type thread struct {
	Name string `json:"name,omitempty"`
	Key  string `json:"threadKey,omitempty"`
}

type cardV2 struct {
	CardID string `json:"cardId"`
	Card   card   `json:"card"`
}

type card struct {
	Header   *header   `json:"header,omitempty"`
	Sections []section `json:"sections"`
}

type header struct {
	Title    string `json:"title"`
	Subtitle string `json:"subtitle,omitempty"`
}

type section struct {
	Widgets []widget `json:"widgets"`
}

type widget struct {
	TextParagraph *textParagraph `json:"textParagraph,omitempty"`
	DecoratedText *decoratedText `json:"decoratedText,omitempty"`
	ButtonList    *buttonList    `json:"buttonList,omitempty"`
}

type textParagraph struct {
	Text string `json:"text"`
}

type decoratedText struct {
	TopLabel string `json:"topLabel"`
	Text     string `json:"text"`
}

type buttonList struct {
	Buttons []button `json:"buttons"`
}

type button struct {
	Text    string  `json:"text"`
	OnClick onClick `json:"onClick"`
}

type onClick struct {
	OpenLink openLink `json:"openLink"`
}

type openLink struct {
	URL string `json:"url"`
}

func paragraph(html string) widget { return widget{TextParagraph: &textParagraph{Text: html}} }

// plain is text for a card header or a notification, which show it as
// written: defused, on one line, cut to n runes, its angle brackets
// look-alikes, so that nothing Google might parse (<users/all>) is left.
func plain(s string, n int) string {
	return pagers.Truncate(angles.Replace(chat.Defuse(pagers.OneLine(s))), n)
}

var angles = strings.NewReplacer("<", "‹", ">", "›")

// render is m as a message, its summary cut to budget runes.
func render(m chat.Message, buttons []chat.Link, budget int) message {
	inc := m.Incident
	msg := message{FallbackText: plain(m.Text, 400)}
	c := card{}
	var bl buttonList
	for _, b := range buttons {
		bl.Buttons = append(bl.Buttons, button{Text: b.Text, OnClick: onClick{OpenLink: openLink{URL: b.URL}}})
	}
	state := paragraph(fmt.Sprintf(`<font color="%s">●</font> <b>%s</b>`, color(inc.Status), dialect.Line(chat.State(inc))))
	switch {
	case inc.ID == 0:
		// A shift notice: one line, no incident.
		c.Sections = []section{{Widgets: []widget{paragraph(dialect.Fit(pagers.OneLine(m.Headline), dialect.TextLimit, ""))}}}
	case m.Fact != "":
		c.Header = &header{Title: plain(fmt.Sprintf("#%d %s", inc.ID, inc.Title), 200)}
		w := []widget{paragraph(dialect.Fit(pagers.OneLine(m.Fact), min(budget, 2000), "")), state}
		if len(bl.Buttons) > 0 {
			w = append(w, widget{ButtonList: &bl})
		}
		c.Sections = []section{{Widgets: w}}
	default:
		c.Header = &header{Title: plain(fmt.Sprintf("#%d %s", inc.ID, m.Headline), 200), Subtitle: plain(m.State, 200)}
		var w []widget
		if m.Summary != "" {
			more := fmt.Sprintf("(cut: <code>pagerd show %d</code> has the rest)", inc.ID)
			if u := hook.Linkable(m.SourceURL); u != "" {
				more = `(cut: <a href="` + u + `">the rest at the source</a>)`
			}
			w = append(w, paragraph(dialect.Fit(m.Summary, budget, more)))
		}
		w = append(w, state)
		for _, f := range m.Fields {
			w = append(w, widget{DecoratedText: &decoratedText{TopLabel: f.Name, Text: dialect.Fit(pagers.OneLine(f.Value), 500, "")}})
		}
		if len(bl.Buttons) > 0 {
			w = append(w, widget{ButtonList: &bl})
		}
		c.Sections = []section{{Widgets: w}}
	}
	msg.CardsV2 = []cardV2{{CardID: fmt.Sprintf("incident-%d", inc.ID), Card: c}}
	return msg
}

// color is the state dot's colour for an incident at status.
func color(status string) string {
	switch incident.Status(status) {
	case incident.Acknowledged:
		return "#ECB22E"
	case incident.Resolved:
		return "#2EB67D"
	}
	return "#E01E5A"
}
