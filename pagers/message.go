package pagers

import (
	"fmt"
	"html"
	"html/template"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SMSMaxRunes bounds SMSText: two concatenated SMS segments of GSM-7 text
// hold 306 characters, so a page never costs more than a couple of segments
// and never reaches Twilio's 1600-character limit.
const SMSMaxRunes = 319

// SMSText is the short text of an SMS (and the console line): what is wrong,
// the service, the incident id and how to acknowledge, in under 320
// characters. The acknowledged and resolved kinds get a short FYI; a shift
// notice says when the shift starts and ends.
func SMSText(n Notification) string {
	if n.Kind == KindShiftNotice {
		return truncateRunes(shiftSMSText(n.Shift), SMSMaxRunes)
	}
	head := "[pagerd] #" + fmt.Sprint(n.Incident.ID) + " "
	var middle, tail string
	switch n.Kind {
	case KindAcknowledged, KindResolved:
		head += strings.ToUpper(string(n.Kind))
		if actor := oneLine(n.Actor); actor != "" {
			head += " by " + actor
		}
		head += ": "
		middle = headline(n)
		tail = ". No action needed."
	default:
		if sev := severity(n); sev != "" {
			head += sev + " "
		}
		middle = headline(n)
		if s := oneLine(n.Incident.Summary); s != "" {
			middle += ": " + strings.TrimRight(s, ".!")
		}
		tail = ". " + smsAckHint(n)
	}
	// The head and the how-to-acknowledge tail must survive; the title and
	// summary give way when the text is too long.
	budget := SMSMaxRunes - utf8.RuneCountInString(head) - utf8.RuneCountInString(tail)
	return truncateRunes(head+truncateRunes(middle, budget)+tail, SMSMaxRunes)
}

func smsAckHint(n Notification) string {
	var parts []string
	if r := oneLine(n.AckReply); r != "" {
		hint := "Reply '" + r + "' to acknowledge"
		if rr := oneLine(n.ResolveReply); rr != "" {
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

// EmailSubject is the subject line: stable per incident and kind, so mail
// clients group the messages of one incident.
func EmailSubject(n Notification) string {
	if n.Kind == KindShiftNotice {
		return truncateRunes(shiftSubject(n.Shift), 200)
	}
	s := fmt.Sprintf("[pagerd] #%d ", n.Incident.ID)
	switch n.Kind {
	case KindAcknowledged, KindResolved:
		s += strings.ToUpper(string(n.Kind)) + ": "
	default:
		if sev := severity(n); sev != "" {
			s += sev + " "
		}
	}
	return truncateRunes(s+headline(n), 200)
}

// EmailText is the plain-text body of an email.
func EmailText(n Notification) string {
	if n.Kind == KindShiftNotice {
		return shiftEmailText(newShiftView(n.Shift))
	}
	v := newEmailView(n)
	var b strings.Builder
	b.WriteString(v.Lead + "\n\n")
	if v.Summary != "" {
		b.WriteString(v.Summary + "\n\n")
	}
	if v.IsPage {
		if v.AckURL != "" {
			b.WriteString("Acknowledge: " + v.AckURL + "\n")
			b.WriteString("(the link opens a confirmation page)\n")
		}
		b.WriteString("Or " + v.OtherAckWays + ".\n\n")
	} else {
		b.WriteString("No action needed.\n\n")
	}
	b.WriteString("Service:  " + v.Service + "\n")
	b.WriteString("Incident: " + v.Facts + "\n")
	if v.SourceURL != "" {
		b.WriteString("Source:   " + v.SourceURL + "\n")
	}
	if len(v.Labels) > 0 {
		b.WriteString("\nLabels:\n")
		width := 0
		for _, l := range v.Labels {
			width = max(width, utf8.RuneCountInString(l.Name))
		}
		for _, l := range v.Labels {
			fmt.Fprintf(&b, "  %-*s = %s\n", width, l.Name, l.Value)
		}
	}
	b.WriteString("\n-- \nSent by pagerd.\n")
	return b.String()
}

// EmailHTML is the HTML body of an email. Every value from an alert is
// escaped by html/template; a link whose scheme is not http(s) or mailto is
// replaced by a harmless "#ZgotmplZ".
func EmailHTML(n Notification) string {
	var b strings.Builder
	var err error
	if n.Kind == KindShiftNotice {
		err = shiftHTMLTemplate.Execute(&b, newShiftView(n.Shift))
	} else {
		err = emailHTMLTemplate.Execute(&b, newEmailView(n))
	}
	if err != nil {
		// Only a template bug gets here; a readable body beats none.
		return "<pre>" + html.EscapeString(EmailText(n)) + "</pre>"
	}
	return b.String()
}

type emailLabel struct{ Name, Value string }

// emailView is what both email bodies show, computed once.
type emailView struct {
	IsPage       bool
	Lead         string // one sentence: what happened
	Summary      string
	Service      string
	Facts        string // "#42, triggered, 3 alerts, started ..."
	SourceURL    string
	AckURL       string
	OtherAckWays string
	Labels       []emailLabel
}

func newEmailView(n Notification) emailView {
	inc := n.Incident
	v := emailView{
		IsPage:    n.Kind != KindAcknowledged && n.Kind != KindResolved,
		Summary:   strings.TrimSpace(inc.Summary),
		Service:   orDash(oneLine(inc.Service)),
		SourceURL: inc.SourceURL,
		AckURL:    n.AckURL,
	}
	title := orDefault(oneLine(inc.Title), "incident")
	switch {
	case v.IsPage:
		sev := severity(n)
		if sev != "" {
			sev += " "
		}
		v.Lead = fmt.Sprintf("%s%s on service %s (incident #%d)", sev, title, v.Service, inc.ID)
	default:
		v.Lead = fmt.Sprintf("Incident #%d %s on service %s was %s", inc.ID, title, v.Service, n.Kind)
		if actor := oneLine(n.Actor); actor != "" {
			v.Lead += " by " + actor
		}
		v.Lead += "."
	}
	ways := []string{}
	if r := oneLine(n.AckReply); r != "" {
		ways = append(ways, fmt.Sprintf("reply '%s' to the SMS page", r))
	}
	ways = append(ways, fmt.Sprintf("run 'pagerd ack %d'", inc.ID))
	v.OtherAckWays = strings.Join(ways, ", or ")

	facts := []string{fmt.Sprintf("#%d", inc.ID)}
	if inc.Status != "" {
		facts = append(facts, oneLine(inc.Status))
	}
	if inc.AlertCount > 0 {
		facts = append(facts, plural(inc.AlertCount, "alert"))
	}
	if !inc.StartedAt.IsZero() {
		facts = append(facts, "started "+inc.StartedAt.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	v.Facts = strings.Join(facts, ", ")

	for _, k := range slices.Sorted(maps.Keys(inc.Labels)) {
		v.Labels = append(v.Labels, emailLabel{Name: k, Value: inc.Labels[k]})
	}
	return v
}

var emailHTMLTemplate = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Lead}}</title></head>
<body style="font-family:sans-serif;color:#222;max-width:640px">
<h2 style="margin:0 0 12px">{{.Lead}}</h2>
{{if .Summary}}<p style="white-space:pre-wrap">{{.Summary}}</p>{{end}}
{{if .IsPage}}
{{if .AckURL}}<p><a href="{{.AckURL}}" style="display:inline-block;padding:10px 18px;background:#c0392b;color:#fff;text-decoration:none;border-radius:4px;font-weight:bold">Acknowledge</a></p>
<p style="font-size:small;color:#666">The button opens a confirmation page. Link: <a href="{{.AckURL}}">{{.AckURL}}</a></p>{{end}}
<p>Or {{.OtherAckWays}}.</p>
{{else}}<p>No action needed.</p>{{end}}
<table style="border-collapse:collapse;margin-top:12px">
<tr><th style="text-align:left;padding:2px 8px">Service</th><td style="padding:2px 8px">{{.Service}}</td></tr>
<tr><th style="text-align:left;padding:2px 8px">Incident</th><td style="padding:2px 8px">{{.Facts}}</td></tr>
{{if .SourceURL}}<tr><th style="text-align:left;padding:2px 8px">Source</th><td style="padding:2px 8px"><a href="{{.SourceURL}}">{{.SourceURL}}</a></td></tr>{{end}}
</table>
{{if .Labels}}<h3 style="margin:16px 0 4px">Labels</h3>
<table style="border-collapse:collapse;font-family:monospace">
{{range .Labels}}<tr><td style="padding:1px 8px;border-bottom:1px solid #eee">{{.Name}}</td><td style="padding:1px 8px;border-bottom:1px solid #eee">{{.Value}}</td></tr>
{{end}}</table>{{end}}
<p style="font-size:small;color:#888;margin-top:24px">Sent by pagerd.</p>
</body></html>
`))

// headline is "Title (service)", the part of every message that names the
// problem.
func headline(n Notification) string {
	h := orDefault(oneLine(n.Incident.Title), "incident")
	if s := oneLine(n.Incident.Service); s != "" {
		h += " (" + s + ")"
	}
	return h
}

func severity(n Notification) string {
	return strings.ToUpper(oneLine(n.Incident.Labels["severity"]))
}

// oneLine collapses runs of whitespace, newlines included, so a label value
// cannot break a subject line or an SMS into pieces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncateRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orDash(s string) string { return orDefault(s, "-") }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// VoiceText is what a call says: the incident, the service and the problem,
// in words a text-to-speech voice reads well ("CheckoutDown" is read as
// "Checkout Down"). How to acknowledge is up to the call's menu.
func VoiceText(n Notification) string {
	if n.Kind == KindShiftNotice {
		return shiftVoiceText(n.Shift)
	}
	title := speakable(orDefault(oneLine(n.Incident.Title), "an incident"))
	var b strings.Builder
	b.WriteString("This is pager d. ")
	switch n.Kind {
	case KindAcknowledged, KindResolved:
		fmt.Fprintf(&b, "Incident %d, %s", n.Incident.ID, title)
		if s := oneLine(n.Incident.Service); s != "" {
			fmt.Fprintf(&b, ", on service %s", speakable(s))
		}
		fmt.Fprintf(&b, ", was %s", n.Kind)
		if a := oneLine(n.Actor); a != "" {
			b.WriteString(" by " + a)
		}
		b.WriteString(". No action needed.")
	default:
		what := "Incident"
		if sev := strings.ToLower(severity(n)); sev != "" {
			r, size := utf8.DecodeRuneInString(sev)
			what = string(unicode.ToUpper(r)) + sev[size:] + " incident"
		}
		fmt.Fprintf(&b, "%s %d: %s", what, n.Incident.ID, title)
		if s := oneLine(n.Incident.Service); s != "" {
			fmt.Fprintf(&b, ", on service %s", speakable(s))
		}
		b.WriteString(".")
		if s := oneLine(n.Incident.Summary); s != "" {
			b.WriteString(" " + truncateRunes(strings.TrimRight(s, ".!"), 300) + ".")
		}
	}
	return b.String()
}

// speakable splits CamelCase and snake_case words so speech reads them as
// words, not letters.
func speakable(s string) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range s {
		switch {
		case r == '_' || r == '-':
			r = ' '
		case prev >= 'a' && prev <= 'z' && r >= 'A' && r <= 'Z':
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		prev = r
	}
	return oneLine(b.String())
}

// Shift notices. Times are shown in the schedule's zone, the one its
// handoffs are written in, with the zone's abbreviation so nobody has to
// guess.
const (
	shiftTimeShort = "Mon 2 Jan 15:04 MST"
	shiftTimeLong  = "Mon 2 Jan 2006 15:04 MST"
	shiftTimeVoice = "Monday, January 2 at 3:04 PM MST"
)

func shiftTime(sh *ShiftInfo, t time.Time, layout string) string {
	loc := sh.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(layout)
}

// yourShift is "Your on-call shift for <schedule>".
func yourShift(sh *ShiftInfo) string {
	s := "Your on-call shift"
	if sh != nil {
		if name := oneLine(sh.Schedule); name != "" {
			s += " for " + name
		}
	}
	return s
}

func shiftSMSText(sh *ShiftInfo) string {
	s := "[pagerd] " + yourShift(sh) + " starts "
	if sh == nil || sh.Start.IsZero() {
		return s + "soon."
	}
	s += shiftTime(sh, sh.Start, shiftTimeShort)
	if sh.StartsIn > 0 {
		s += " (in " + shortLead(sh.StartsIn) + ")"
	}
	if !sh.End.IsZero() {
		s += " and ends " + shiftTime(sh, sh.End, shiftTimeShort)
	}
	return s + "."
}

func shiftSubject(sh *ShiftInfo) string {
	s := "[pagerd] " + yourShift(sh) + " starts "
	if sh == nil || sh.Start.IsZero() {
		return s + "soon"
	}
	return s + shiftTime(sh, sh.Start, shiftTimeShort)
}

// shiftView is what both email bodies of a shift notice show.
type shiftView struct {
	Lead     string // one sentence: whose shift starts when
	Schedule string
	Starts   string
	Ends     string // empty when unknown
}

func newShiftView(sh *ShiftInfo) shiftView {
	v := shiftView{Lead: yourShift(sh) + " starts soon."}
	if sh == nil {
		return v
	}
	v.Schedule = oneLine(sh.Schedule)
	if sh.Start.IsZero() {
		return v
	}
	v.Starts = shiftTime(sh, sh.Start, shiftTimeLong)
	switch {
	case sh.StartsIn > 0:
		v.Lead = yourShift(sh) + " starts in " + shortLead(sh.StartsIn) + "."
	default:
		v.Lead = yourShift(sh) + " starts " + v.Starts + "."
	}
	if !sh.End.IsZero() {
		v.Ends = shiftTime(sh, sh.End, shiftTimeLong)
	}
	return v
}

func shiftEmailText(v shiftView) string {
	var b strings.Builder
	b.WriteString(v.Lead + "\n\n")
	if v.Schedule != "" {
		b.WriteString("Schedule: " + v.Schedule + "\n")
	}
	if v.Starts != "" {
		b.WriteString("Starts:   " + v.Starts + "\n")
	}
	if v.Ends != "" {
		b.WriteString("Ends:     " + v.Ends + "\n")
	}
	b.WriteString("\nNo action needed: this is the reminder you asked for.\n")
	b.WriteString("\n-- \nSent by pagerd because your user has a shift_notice.\n")
	return b.String()
}

var shiftHTMLTemplate = template.Must(template.New("shift").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Lead}}</title></head>
<body style="font-family:sans-serif;color:#222;max-width:640px">
<h2 style="margin:0 0 12px">{{.Lead}}</h2>
<table style="border-collapse:collapse;margin-top:12px">
{{if .Schedule}}<tr><th style="text-align:left;padding:2px 8px">Schedule</th><td style="padding:2px 8px">{{.Schedule}}</td></tr>{{end}}
{{if .Starts}}<tr><th style="text-align:left;padding:2px 8px">Starts</th><td style="padding:2px 8px">{{.Starts}}</td></tr>{{end}}
{{if .Ends}}<tr><th style="text-align:left;padding:2px 8px">Ends</th><td style="padding:2px 8px">{{.Ends}}</td></tr>{{end}}
</table>
<p>No action needed: this is the reminder you asked for.</p>
<p style="font-size:small;color:#888;margin-top:24px">Sent by pagerd because your user has a shift_notice.</p>
</body></html>
`))

func shiftVoiceText(sh *ShiftInfo) string {
	var b strings.Builder
	b.WriteString("This is pager d. Your on-call shift")
	if sh != nil {
		if name := oneLine(sh.Schedule); name != "" {
			b.WriteString(" for " + speakable(name))
		}
	}
	b.WriteString(" starts")
	switch {
	case sh == nil || sh.Start.IsZero():
		b.WriteString(" soon")
	default:
		if sh.StartsIn > 0 {
			b.WriteString(" in " + spokenLead(sh.StartsIn) + ",")
		}
		b.WriteString(" on " + shiftTime(sh, sh.Start, shiftTimeVoice))
		if !sh.End.IsZero() {
			b.WriteString(", and ends on " + shiftTime(sh, sh.End, shiftTimeVoice))
		}
	}
	b.WriteString(". No action needed.")
	return b.String()
}

// leadParts splits d, rounded to the minute, into days, hours and minutes.
func leadParts(d time.Duration) (days, hours, minutes int) {
	m := int(d.Round(time.Minute) / time.Minute)
	return m / (24 * 60), m / 60 % 24, m % 60
}

// shortLead is d for a text: "1h", "1h 30m", "2d 3h", "under a minute".
func shortLead(d time.Duration) string {
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

// spokenLead is d in words: "1 hour", "2 days and 30 minutes".
func spokenLead(d time.Duration) string {
	days, hours, minutes := leadParts(d)
	var parts []string
	for _, p := range []struct {
		n    int
		unit string
	}{{days, "day"}, {hours, "hour"}, {minutes, "minute"}} {
		if p.n > 0 {
			parts = append(parts, plural(p.n, p.unit))
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
