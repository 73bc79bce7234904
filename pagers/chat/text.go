package chat

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/pagerd/pagerd/pagers"
)

// Dialect is how a platform's markup takes text that pagerd did not write
// (titles, labels, summaries, notes): escaped so that it reads as written
// and can neither mention a crowd nor carry a link, within the platform's
// size limits.
type Dialect struct {
	// Escape escapes the markup's own characters (Slack's & < >,
	// Telegram HTML's, Markdown's), after Defuse.
	Escape func(string) string
	// TextLimit is how many runes one text element may hold (Slack: 3000
	// in a section); MessageLimit how many the whole message (0: no
	// limit of its own).
	TextLimit    int
	MessageLimit int
}

// Text is s made safe for the dialect: defused, then escaped.
func (d Dialect) Text(s string) string { return d.Escape(Defuse(s)) }

// Line is Text on one line (see pagers.OneLine).
func (d Dialect) Line(s string) string { return d.Text(pagers.OneLine(s)) }

// wordJoiner is an invisible character that splits a token for parsers
// without changing what a reader sees.
const wordJoiner = "\u2060"

// mentions are the crowd mentions of every platform pagerd speaks
// (@channel, @here, @everyone, @all, @room), and URL schemes and bare
// "www." that platforms turn into links by themselves.
var (
	mentionRE = regexp.MustCompile(`(?i)@(channel|here|everyone|all|room|group)\b`)
	linkRE    = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]{1,15}):(//)|\b(www)\.`)
)

// Defuse breaks, with an invisible word joiner, every crowd mention and
// every link a platform would make of s by itself: a label saying
// "@channel" or "https://evil.example" shows as written and does neither.
// The markup's own syntax (Slack's <!here>, <http://x|y>) is the
// dialect's Escape's.
func Defuse(s string) string {
	s = mentionRE.ReplaceAllString(s, "@"+wordJoiner+"$1")
	return linkRE.ReplaceAllStringFunc(s, func(m string) string {
		if scheme, rest, ok := strings.Cut(m, ":"); ok {
			return scheme + ":" + wordJoiner + rest
		}
		return strings.TrimSuffix(m, ".") + wordJoiner + "."
	})
}

// Cut cuts s to limit runes, ending with an ellipsis and, when more is
// given, a pointer to the rest ("… (more: <url>)"), which is kept whole.
// limit <= 0 leaves s whole.
func Cut(s string, limit int, more string) string {
	if limit <= 0 || utf8.RuneCountInString(s) <= limit {
		return s
	}
	if more == "" {
		return pagers.Truncate(s, limit)
	}
	tail := " " + more
	room := limit - utf8.RuneCountInString(tail)
	if room < 2 {
		return pagers.Truncate(s, limit)
	}
	return pagers.Truncate(s, room) + tail
}

// Fit is s made safe for the dialect (Text) and cut, before escaping, so
// that the escaped text holds at most limit runes — an entity is never cut
// in half. A cut text ends in an ellipsis and more (in the dialect's own
// markup, kept whole), which should say where the rest is. limit <= 0
// leaves s whole.
func (d Dialect) Fit(s string, limit int, more string) string {
	out := d.Text(s)
	if limit <= 0 || utf8.RuneCountInString(out) <= limit {
		return out
	}
	tail := "…"
	if more != "" && utf8.RuneCountInString(more)+2 < limit {
		tail += " " + more
	}
	raw := []rune(Defuse(s))
	fits := func(n int) bool {
		return utf8.RuneCountInString(d.Escape(string(raw[:n])))+utf8.RuneCountInString(tail) <= limit
	}
	// The escaped length grows with what is kept: the longest head that
	// fits, by bisection.
	lo, hi := 0, len(raw)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return pagers.Truncate(d.Escape(string(raw[:lo]))+tail, limit)
}
