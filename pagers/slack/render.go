package slack

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// Block Kit: an incident's message is a section with the headline and
// summary, a context line with its state, its fields, and an actions block
// with its buttons; a reply is one section. Every text pagerd did not
// write goes through the dialect; the message's plain "text" is what
// notifications show.

// actionPrefix starts the action_id of pagerd's buttons: "pagerd_ack".
const actionPrefix = "pagerd_"

// render is m as chat.postMessage and chat.update take it.
func render(m chat.Message) []slack.MsgOption {
	opts := []slack.MsgOption{
		slack.MsgOptionText(dialect.Fit(pagers.OneLine(m.Text), dialect.TextLimit, ""), false),
		slack.MsgOptionBlocks(blocks(m)...),
		// Nothing pagerd posts unfurls: a sender's URL is a button, not a
		// preview in the room.
		slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl(),
	}
	if m.Key != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType: metadataType, EventPayload: map[string]any{"key": m.Key, "incident": m.Incident.ID},
		}))
	}
	return opts
}

func blocks(m chat.Message) []slack.Block {
	if m.Fact != "" {
		return []slack.Block{section(dialect.Fit(pagers.OneLine(m.Fact), dialect.TextLimit, ""))}
	}
	if m.Incident.ID == 0 {
		// A shift notice: one line, no incident.
		return []slack.Block{section(dialect.Fit(pagers.OneLine(m.Headline), dialect.TextLimit, ""))}
	}
	head := fmt.Sprintf("*#%d %s*", m.Incident.ID, dialect.Fit(pagers.OneLine(m.Headline), 500, ""))
	body := head
	if m.Summary != "" {
		more := fmt.Sprintf("(cut: `pagerd show %d` has the rest)", m.Incident.ID)
		if u := linkable(m.SourceURL); u != "" {
			more = "(cut: <" + u + "|the rest at the source>)"
		}
		body += "\n" + dialect.Fit(m.Summary, dialect.TextLimit-len([]rune(head))-1, more)
	}
	out := []slack.Block{
		section(body),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, stateEmoji(m.Incident.Status)+" "+dialect.Line(m.State), false, false)),
	}
	if len(m.Fields) > 0 {
		var fields []*slack.TextBlockObject
		for _, f := range m.Fields {
			fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType,
				"*"+f.Name+"*\n"+dialect.Fit(pagers.OneLine(f.Value), 1900, ""), false, false))
		}
		out = append(out, slack.NewSectionBlock(nil, fields, nil))
	}
	var buttons []slack.BlockElement
	for _, a := range m.Actions {
		b := slack.NewButtonBlockElement(actionPrefix+string(a), strconv.FormatInt(m.Incident.ID, 10),
			slack.NewTextBlockObject(slack.PlainTextType, chat.ButtonText(a), false, false))
		switch a {
		case incident.Ack:
			b.Style = slack.StylePrimary
		case incident.Resolve:
			b.Confirm = slack.NewConfirmationBlockObject(
				slack.NewTextBlockObject(slack.PlainTextType, "Resolve the incident?", false, false),
				slack.NewTextBlockObject(slack.PlainTextType, fmt.Sprintf("Incident #%d will be resolved for everyone.", m.Incident.ID), false, false),
				slack.NewTextBlockObject(slack.PlainTextType, "Resolve", false, false),
				slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
		}
		buttons = append(buttons, b)
	}
	if u := linkable(m.SourceURL); u != "" {
		b := slack.NewButtonBlockElement(actionPrefix+"source", "", slack.NewTextBlockObject(slack.PlainTextType, "Source", false, false))
		b.URL = u
		buttons = append(buttons, b)
	}
	if len(buttons) > 0 {
		out = append(out, slack.NewActionBlock(fmt.Sprintf("pagerd_actions_%d", m.Incident.ID), buttons...))
	}
	return out
}

func section(mrkdwn string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, mrkdwn, false, false), nil, nil)
}

func stateEmoji(status string) string {
	switch incident.Status(status) {
	case incident.Acknowledged:
		return ":large_yellow_circle:"
	case incident.Resolved:
		return ":large_green_circle:"
	}
	return ":red_circle:"
}

// linkable is u when it is an http(s) URL Slack can link (no characters
// that end a link in mrkdwn, within Slack's 3000), else "".
func linkable(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" ||
		len(u) > 3000 || strings.ContainsAny(u, "<>| \n") {
		return ""
	}
	return u
}

// answer is an ephemeral reply to whoever pressed or typed, in mrkdwn.
func answer(text string) string { return dialect.Fit(text, dialect.TextLimit, "") }
