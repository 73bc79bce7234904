package telegram

import (
	"crypto/sha256"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// A message about an incident is HTML (Telegram's parse_mode "HTML"): its
// state's mark and headline in bold, the summary, the state in italics
// with a Source link, and the fields on one line, under an inline
// keyboard of its actions; a reply is one line. Every text pagerd did not write
// goes through the dialect.

// button is one button of an inline keyboard, which calls back with Data.
type button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// rendered is a message as sendMessage and editMessageText take it.
type rendered struct {
	Text     string
	Keyboard [][]button // nil: none
}

// maxCallbackData is how many bytes Telegram keeps as a button's
// callback data.
const maxCallbackData = 64

// render is m as Telegram shows it. chat is where it goes, as pagerd
// addresses it (a room's chat_id, a person's user id), bound into its
// buttons; b signs their tokens (nil: no buttons).
func render(m chat.Message, chatName string, b *links.Builder) rendered {
	if m.Fact != "" {
		return rendered{Text: dialect.Fit(pagers.OneLine(m.Fact), dialect.TextLimit, "")}
	}
	if m.Incident.ID == 0 {
		// A shift notice: one line, no incident.
		return rendered{Text: dialect.Fit(pagers.OneLine(m.Headline), dialect.TextLimit, "")}
	}
	var r rendered
	if b != nil {
		var row []button
		for _, a := range m.Actions {
			token := b.CallbackToken(m.Incident.ID, a, chatTag(chatName))
			if len(token) > maxCallbackData {
				continue // cannot happen (see TestCallbackDataFits); a button Telegram refuses would lose the message
			}
			row = append(row, button{Text: chat.ButtonText(a), Data: token})
		}
		if len(row) > 0 {
			r.Keyboard = append(r.Keyboard, row)
		}
	}
	// The summary takes what the rest leaves of Telegram's 4096, counted
	// as Telegram counts (UTF-16, after parsing): cut shorter until it
	// fits.
	for limit := dialect.TextLimit; ; limit = limit * 3 / 4 {
		r.Text = text(m, limit)
		if visibleLen(r.Text) <= dialect.MessageLimit || limit < 100 {
			return r
		}
	}
}

// text is the HTML of an incident's message with its summary cut to
// limit.
func text(m chat.Message, limit int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s <b>#%d %s</b>", mark(m.Incident.Status), m.Incident.ID, dialect.Fit(pagers.OneLine(m.Headline), 300, ""))
	if m.Summary != "" {
		more := fmt.Sprintf("(cut: <code>pagerd show %d</code> has the rest)", m.Incident.ID)
		if linkable(m.SourceURL) != "" {
			more = "(cut: the rest is at Source)"
		}
		sb.WriteString("\n" + dialect.Fit(m.Summary, limit, more))
	}
	sb.WriteString("\n\n<i>" + dialect.Line(m.State) + "</i>")
	if u := linkable(m.SourceURL); u != "" {
		// A link in the text rather than a URL button: Telegram refuses a
		// whole message whose button opens a host it does not like (an
		// internal name), and a monitor's URL often is one.
		sb.WriteString(` · <a href="` + html.EscapeString(u) + `">Source</a>`)
	}
	var fields []string
	for _, f := range m.Fields {
		fields = append(fields, f.Name+": "+dialect.Fit(pagers.OneLine(f.Value), 200, ""))
	}
	if len(fields) > 0 {
		sb.WriteString("\n" + strings.Join(fields, " · "))
	}
	return sb.String()
}

// chatTag is what a button's token says of the chat its message went to:
// six bytes of a hash of the chat as pagerd addressed it, which keeps the
// token within Telegram's 64 bytes (a chat's id or @name would not always
// fit) while a press from another chat still shows. Names are folded, as
// Telegram's usernames are.
func chatTag(chatName string) string {
	sum := sha256.Sum256([]byte("pagerd telegram chat\x00" + strings.ToLower(chatName)))
	return string(sum[:6])
}

func mark(status string) string {
	switch incident.Status(status) {
	case incident.Acknowledged:
		return "🟡"
	case incident.Resolved:
		return "🟢"
	}
	return "🔴"
}

// wordJoiner splits a token for Telegram's parsers without changing what
// a reader sees.
const wordJoiner = "\u2060"

// escape escapes HTML's &, <, > and " as entities, and splits with a word
// joiner what Telegram makes something of by itself in text pagerd did
// not write: an @mention, a /command at the start of a word (a tap would
// send it), and a domain (evil.example is a link to Telegram even with no
// scheme).
func escape(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '@':
			b.WriteString("@" + wordJoiner)
		case '/':
			b.WriteRune(r)
			if i == 0 || unicode.IsSpace(rs[i-1]) {
				b.WriteString(wordJoiner)
			}
		case '.':
			b.WriteRune(r)
			if i > 0 && i+1 < len(rs) && isWordRune(rs[i-1]) && isWordRune(rs[i+1]) {
				b.WriteString(wordJoiner)
			}
		default:
			b.WriteRune(r)
		}
	}
	// Defuse broke crowd mentions already: one joiner is enough.
	return strings.ReplaceAll(b.String(), wordJoiner+wordJoiner, wordJoiner)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

var tag = regexp.MustCompile(`<[^>]*>`)

// visibleLen is how long Telegram counts the HTML s: its text once tags
// are dropped and entities read, in UTF-16 code units.
func visibleLen(s string) int {
	return len(utf16.Encode([]rune(html.UnescapeString(tag.ReplaceAllString(s, "")))))
}

// linkable is u when it is an http(s) URL a link can carry, else "".
func linkable(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || len(u) > 2000 || strings.ContainsAny(u, " \n") {
		return ""
	}
	return u
}

// answerLimit is how long Telegram lets an answer to a button press be.
const answerLimit = 200

// short is text as a press's answer takes it: plain, within 200.
func short(text string) string { return pagers.Truncate(pagers.OneLine(text), answerLimit) }
