package pagers

import (
	"fmt"
	"strings"
	"time"
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
		if sev := Severity(n); sev != "" {
			head += sev + " "
		}
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
// more than its title (a PagerDuty event's title is its summary).
func Summary(n Notification) string {
	s := OneLine(n.Incident.Summary)
	if s == OneLine(n.Incident.Title) {
		return ""
	}
	return s
}

// Severity is the incident's severity label in capitals ("CRITICAL"), or "".
func Severity(n Notification) string {
	return strings.ToUpper(OneLine(n.Incident.Labels["severity"]))
}

// OneLine collapses runs of whitespace, newlines included, so a label value
// cannot break a subject line or an SMS into pieces.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

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
