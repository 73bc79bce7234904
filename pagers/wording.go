package pagers

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The wording every channel shares: what to call an incident, what
// happened to it, and how to act on it. Each channel composes its own
// message from these (an SMS, a call's script, an email, a chat card);
// none of them switches on channel names.

// ShortText is the one-line form of a notification, for texts and logs:
// what is wrong, the service, the incident and how to act on it; an FYI
// says what happened and that nothing needs doing; a shift notice says
// when the shift runs. With limit > 0 it is cut to limit runes, keeping
// its head and its how-to-act tail whole: the title and summary give way.
func ShortText(n Notification, limit int) string {
	if n.Kind == KindShiftNotice {
		return Truncate(shiftShortText(n.Shift), limit)
	}
	if n.Kind == KindSignIn {
		// Never cut: a truncated link is no link.
		return SignInText(n.SignIn)
	}
	head := "[pagerd] #" + fmt.Sprint(n.Incident.ID) + " "
	var middle, tail string
	switch {
	case n.Kind == KindUpdate && n.Event != nil:
		head += strings.ToUpper(strings.ReplaceAll(string(n.Event.Kind), "_", " "))
		if actor := OneLine(n.Event.Actor); actor != "" {
			head += " by " + actor
		}
		head += ": "
		middle = Headline(n)
		if d := OneLine(n.Event.Detail); d != "" && d != OneLine(n.Incident.Title) {
			middle += " — " + d
		}
		tail = "."
	case n.Kind.IsFYI():
		head += strings.ToUpper(string(n.Kind))
		if actor := OneLine(n.Actor); actor != "" {
			head += " by " + actor
		}
		head += ": "
		middle = Headline(n)
		tail = ". No action needed."
	default:
		head += Marks(n)
		middle = Headline(n)
		if s := Summary(n); s != "" {
			middle += ": " + strings.TrimRight(s, ".!")
		}
		tail = ". " + ackHint(n)
	}
	if limit <= 0 {
		return head + middle + tail
	}
	budget := limit - utf8.RuneCountInString(head) - utf8.RuneCountInString(tail)
	return Truncate(head+Truncate(middle, budget)+tail, limit)
}

// ackHint says, in a sentence or two, how to acknowledge a page.
func ackHint(n Notification) string {
	var parts []string
	if r := OneLine(n.AckReply); r != "" {
		hint := "Reply '" + r + "' to acknowledge"
		if rr := OneLine(n.ResolveReply); rr != "" {
			hint += ", '" + rr + "' to resolve"
		}
		parts = append(parts, hint+".")
	}
	if n.AckURL != "" {
		if len(parts) == 0 {
			parts = append(parts, "Acknowledge: "+n.AckURL)
		} else {
			parts = append(parts, n.AckURL)
		}
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("Acknowledge with 'pagerd ack %d'.", n.Incident.ID))
	}
	return strings.Join(parts, " ")
}

// OtherAckWays lists the ways to acknowledge a page besides its link, for
// a sentence starting "Or ": "reply 'ack 42' to the SMS page, or run
// 'pagerd ack 42'".
func OtherAckWays(n Notification) string {
	var ways []string
	if r := OneLine(n.AckReply); r != "" {
		ways = append(ways, fmt.Sprintf("reply '%s' to the SMS page", r))
	}
	ways = append(ways, fmt.Sprintf("run 'pagerd ack %d'", n.Incident.ID))
	return strings.Join(ways, ", or ")
}

// Headline is "Title (service)", the part of every message that names the
// problem.
func Headline(n Notification) string {
	h := OrDefault(OneLine(n.Incident.Title), "incident")
	if s := OneLine(n.Incident.Service); s != "" {
		h += " (" + s + ")"
	}
	return h
}

// Summary is the incident's summary on one line, or "" when it says no
// more than its title (a PagerDuty event's title is its summary). On a
// last resort's page it leads with why they are paged: every channel
// that shows a summary says so.
func Summary(n Notification) string {
	s := OneLine(n.Incident.Summary)
	if s == OneLine(n.Incident.Title) {
		s = ""
	}
	if ex := OneLine(n.Incident.Exhausted); ex != "" {
		if s == "" {
			return ex
		}
		return ex + " — " + s
	}
	return s
}

// Severity is the incident's severity: its incident command severity
// ("SEV2") when it has one, else its severity label in capitals
// ("CRITICAL"), or "".
func Severity(n Notification) string {
	if n.Incident.Severity != "" {
		return OneLine(n.Incident.Severity)
	}
	return OneLine(strings.ToUpper(n.Incident.Labels["severity"]))
}

// Flapping is "FLAPPING" on the page of an incident whose alert flaps —
// the one page it gets, so it must say why no more come — or "".
func Flapping(n Notification) string {
	if n.Incident.Flapping {
		return "FLAPPING"
	}
	return ""
}

// Unanswered is "UNANSWERED" on the page that tells a last resort
// nobody acknowledged, or "".
func Unanswered(n Notification) string {
	if n.Incident.Exhausted != "" {
		return "UNANSWERED"
	}
	return ""
}

// Marks are the words a page leads with after the incident number, each
// followed by a space: "FLAPPING CRITICAL ", or "".
func Marks(n Notification) string {
	var s string
	for _, m := range []string{Unanswered(n), Flapping(n), Severity(n)} {
		if m != "" {
			s += m + " "
		}
	}
	return s
}

// Text that senders sent — labels, annotations, titles built from them,
// dedup keys, links, notes — is kept as sent and made safe where it is
// shown, by OneLine or Lines: every page, notice and CLI table goes
// through one of them (docs/config.md, "Intake answers", says so per
// field). Nothing is refused for what it displays as: a page must not be
// lost to a newline in a label.

// OneLine makes s safe to show on one line — a table cell, a subject, an
// SMS: runs of whitespace, newlines and carriage returns included,
// become one space (and none at either end); other control characters
// (C0, DEL, C1: NUL, escape sequences...) and the Unicode bidirectional
// controls, which would reorder what follows them (U+202E...), are
// written as Go escapes, "\x00", "\u202e", so they show what was sent
// without acting on the terminal, table or mail client.
func OneLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		writeVisible(&b, r)
	}
	return b.String()
}

// Lines makes s safe to show as lines of text — an email body, a
// description: it keeps its line breaks (CR LF, CR, NEL, U+2028 and U+2029
// become LF) and tabs, trims it, and escapes every other control
// character and bidirectional control as OneLine does.
func Lines(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n")
	for _, r := range s {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			b.WriteByte('\n')
		case '\t':
			b.WriteByte('\t')
		default:
			writeVisible(&b, r)
		}
	}
	return b.String()
}

// writeVisible writes r, or its Go escape when it is a control
// character or a bidirectional control.
func writeVisible(b *strings.Builder, r rune) {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		fmt.Fprintf(b, "\\x%02x", r)
	case unicode.Is(unicode.Bidi_Control, r):
		fmt.Fprintf(b, "\\u%04x", r)
	default:
		b.WriteRune(r)
	}
}

// Truncate cuts s to n runes, the last one an ellipsis; n <= 0 leaves s
// whole.
func Truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// OrDefault is s, or def when s is empty.
func OrDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Plural is "1 alert", "3 alerts".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Shift notices. Times are shown in the schedule's zone, the one its
// handoffs are written in, with the zone's abbreviation so nobody has to
// guess.
const (
	ShiftTimeShort = "Mon 2 Jan 15:04 MST"
	ShiftTimeLong  = "Mon 2 Jan 2006 15:04 MST"
	ShiftTimeVoice = "Monday, January 2 at 3:04 PM MST"
)

// ShiftTime formats t in the shift's zone.
func ShiftTime(sh *ShiftInfo, t time.Time, layout string) string {
	loc := sh.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(layout)
}

// YourShift is "Your on-call shift for <schedule>".
func YourShift(sh *ShiftInfo) string {
	s := "Your on-call shift"
	if sh != nil {
		if name := OneLine(sh.Schedule); name != "" {
			s += " for " + name
		}
	}
	return s
}

func shiftShortText(sh *ShiftInfo) string {
	s := "[pagerd] " + YourShift(sh) + " starts "
	if sh == nil || sh.Start.IsZero() {
		return s + "soon."
	}
	s += ShiftTime(sh, sh.Start, ShiftTimeShort)
	if sh.StartsIn > 0 {
		s += " (in " + ShortLead(sh.StartsIn) + ")"
	}
	if !sh.End.IsZero() {
		s += " and ends " + ShiftTime(sh, sh.End, ShiftTimeShort)
	}
	return s + "."
}

// leadParts splits d, rounded to the minute, into days, hours and minutes.
func leadParts(d time.Duration) (days, hours, minutes int) {
	m := int(d.Round(time.Minute) / time.Minute)
	return m / (24 * 60), m / 60 % 24, m % 60
}

// ShortLead is d for a text: "1h", "1h 30m", "2d 3h", "under a minute".
func ShortLead(d time.Duration) string {
	days, hours, minutes := leadParts(d)
	var parts []string
	for _, p := range []struct {
		n    int
		unit string
	}{{days, "d"}, {hours, "h"}, {minutes, "m"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprint(p.n)+p.unit)
		}
	}
	if len(parts) == 0 {
		return "under a minute"
	}
	return strings.Join(parts, " ")
}

// SpokenLead is d in words: "1 hour", "2 days and 30 minutes".
func SpokenLead(d time.Duration) string {
	days, hours, minutes := leadParts(d)
	var parts []string
	for _, p := range []struct {
		n    int
		unit string
	}{{days, "day"}, {hours, "hour"}, {minutes, "minute"}} {
		if p.n > 0 {
			parts = append(parts, Plural(p.n, p.unit))
		}
	}
	switch len(parts) {
	case 0:
		return "less than a minute"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
