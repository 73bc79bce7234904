package email

import (
	"fmt"
	"html"
	"html/template"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
)

// Subject is the subject line: stable per incident and kind, so mail
// clients group the messages of one incident.
func Subject(n pagers.Notification) string {
	if n.Kind == pagers.KindShiftNotice {
		return pagers.Truncate(shiftSubject(n.Shift), 200)
	}
	if n.Kind == pagers.KindSignIn {
		return "[pagerd] Your console sign-in link"
	}
	s := fmt.Sprintf("[pagerd] #%d ", n.Incident.ID)
	switch {
	case n.Kind == pagers.KindUpdate && n.Event != nil:
		s += strings.ToUpper(strings.ReplaceAll(string(n.Event.Kind), "_", " ")) + ": "
	case n.Kind.IsFYI():
		s += strings.ToUpper(string(n.Kind)) + ": "
	default:
		s += pagers.Marks(n)
	}
	return pagers.Truncate(s+pagers.Headline(n), 200)
}

// Text is the plain-text body.
func Text(n pagers.Notification) string {
	if n.Kind == pagers.KindShiftNotice {
		return shiftText(newShiftView(n.Shift))
	}
	if n.Kind == pagers.KindSignIn {
		return signInText(n.SignIn)
	}
	v := newView(n)
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
	if len(v.Digest) > 0 {
		b.WriteString("Status updates:\n")
		for _, l := range v.Digest {
			b.WriteString("  " + l + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("Service:  " + v.Service + "\n")
	b.WriteString("Incident: " + v.Facts + "\n")
	if v.SourceURL != "" {
		b.WriteString("Source:   " + v.SourceURL + "\n")
	}
	if len(v.Links) > 0 {
		b.WriteString("\nLinks:\n")
		for _, l := range v.Links {
			b.WriteString("  " + l.Text + ": " + l.Href + "\n")
		}
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

// HTML is the HTML body. Every value from an alert is escaped by
// html/template; a link whose scheme is not http(s) or mailto is replaced
// by a harmless "#ZgotmplZ".
func HTML(n pagers.Notification) string {
	var b strings.Builder
	var err error
	if n.Kind == pagers.KindSignIn {
		err = signInHTMLTemplate.Execute(&b, n.SignIn)
	} else if n.Kind == pagers.KindShiftNotice {
		err = shiftHTMLTemplate.Execute(&b, newShiftView(n.Shift))
	} else {
		err = htmlTemplate.Execute(&b, newView(n))
	}
	if err != nil {
		// Only a template bug gets here; a readable body beats none.
		return "<pre>" + html.EscapeString(Text(n)) + "</pre>"
	}
	return b.String()
}

type label struct{ Name, Value string }

// view is what both bodies show, computed once.
type view struct {
	IsPage       bool
	Lead         string // one sentence: what happened
	Summary      string
	Service      string
	Facts        string // "#42, triggered, 3 alerts, started ..."
	SourceURL    string
	Links        []link // what the sender attached: a dashboard, a silence form...
	AckURL       string
	OtherAckWays string
	Labels       []label
	Digest       []string // a stakeholder digest: the status updates so far
}

type link struct{ Text, Href string }

func newView(n pagers.Notification) view {
	inc := n.Incident
	v := view{
		IsPage:       !n.Kind.IsFYI(),
		Summary:      pagers.Lines(inc.Summary),
		Service:      pagers.OrDefault(pagers.OneLine(inc.Service), "-"),
		SourceURL:    pagers.OneLine(inc.SourceURL),
		AckURL:       n.AckURL,
		OtherAckWays: pagers.OtherAckWays(n),
	}
	for _, l := range n.Digest {
		v.Digest = append(v.Digest, pagers.OneLine(l))
	}
	title := pagers.OrDefault(pagers.OneLine(inc.Title), "incident")
	plain := n
	plain.Incident.Exhausted = ""
	if pagers.Summary(plain) == "" {
		v.Summary = "" // it says no more than the title
	}
	if ex := pagers.OneLine(inc.Exhausted); ex != "" {
		v.Summary = strings.TrimSpace(ex + ".\n\n" + v.Summary)
	}
	switch {
	case v.IsPage:
		v.Lead = fmt.Sprintf("%s%s on service %s (incident #%d)", pagers.Marks(n), title, v.Service, inc.ID)
	default:
		what, actor, detail := string(n.Kind), n.Actor, ""
		if n.Kind == pagers.KindUpdate && n.Event != nil {
			what, actor = strings.ReplaceAll(string(n.Event.Kind), "_", " "), n.Event.Actor
			detail = pagers.OneLine(n.Event.Detail)
		}
		v.Lead = fmt.Sprintf("Incident #%d %s on service %s was %s", inc.ID, title, v.Service, what)
		switch {
		case n.Kind == pagers.KindUpdate && n.Event != nil && n.Event.Kind == incident.KindStatusUpdate:
			v.Lead = fmt.Sprintf("Status update on incident #%d %s (service %s)", inc.ID, title, v.Service)
		case n.Kind == pagers.KindUpdate && n.Event != nil && !n.Event.Kind.Published():
			// A notice about the incident (a manager wanted, an update
			// due), not something that happened to it.
			v.Lead = fmt.Sprintf("Incident #%d %s on service %s: %s", inc.ID, title, v.Service, what)
		}
		if actor := pagers.OneLine(actor); actor != "" {
			v.Lead += " by " + actor
		}
		if detail != "" && detail != pagers.OneLine(inc.Title) {
			v.Lead += " — " + detail
		}
		v.Lead += "."
	}

	facts := []string{fmt.Sprintf("#%d", inc.ID)}
	if inc.Status != "" {
		facts = append(facts, pagers.OneLine(inc.Status))
	}
	if inc.AlertCount > 0 {
		facts = append(facts, pagers.Plural(inc.AlertCount, "alert"))
	}
	if !inc.StartedAt.IsZero() {
		facts = append(facts, "started "+n.In(inc.StartedAt).Format("2006-01-02 15:04:05 MST"))
	}
	v.Facts = strings.Join(facts, ", ")

	for _, k := range slices.Sorted(maps.Keys(inc.Labels)) {
		v.Labels = append(v.Labels, label{Name: pagers.OneLine(k), Value: pagers.OneLine(inc.Labels[k])})
	}
	for _, l := range inc.Links {
		v.Links = append(v.Links, link{Text: pagers.OrDefault(pagers.OneLine(l.Text), "Link"), Href: pagers.OneLine(l.Href)})
	}
	return v
}

var htmlTemplate = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Lead}}</title></head>
<body style="font-family:sans-serif;color:#222;max-width:640px">
<h2 style="margin:0 0 12px">{{.Lead}}</h2>
{{if .Summary}}<p style="white-space:pre-wrap">{{.Summary}}</p>{{end}}
{{if .IsPage}}
{{if .AckURL}}<p><a href="{{.AckURL}}" style="display:inline-block;padding:10px 18px;background:#c0392b;color:#fff;text-decoration:none;border-radius:4px;font-weight:bold">Acknowledge</a></p>
<p style="font-size:small;color:#666">The button opens a confirmation page. Link: <a href="{{.AckURL}}">{{.AckURL}}</a></p>{{end}}
<p>Or {{.OtherAckWays}}.</p>
{{else}}<p>No action needed.</p>{{end}}
{{if .Digest}}<h3 style="margin:16px 0 4px">Status updates</h3>
<ul>{{range .Digest}}<li>{{.}}</li>{{end}}</ul>{{end}}
<table style="border-collapse:collapse;margin-top:12px">
<tr><th style="text-align:left;padding:2px 8px">Service</th><td style="padding:2px 8px">{{.Service}}</td></tr>
<tr><th style="text-align:left;padding:2px 8px">Incident</th><td style="padding:2px 8px">{{.Facts}}</td></tr>
{{if .SourceURL}}<tr><th style="text-align:left;padding:2px 8px">Source</th><td style="padding:2px 8px"><a href="{{.SourceURL}}">{{.SourceURL}}</a></td></tr>{{end}}
{{range .Links}}<tr><th style="text-align:left;padding:2px 8px">{{.Text}}</th><td style="padding:2px 8px"><a href="{{.Href}}">{{.Href}}</a></td></tr>
{{end}}</table>
{{if .Labels}}<h3 style="margin:16px 0 4px">Labels</h3>
<table style="border-collapse:collapse;font-family:monospace">
{{range .Labels}}<tr><td style="padding:1px 8px;border-bottom:1px solid #eee">{{.Name}}</td><td style="padding:1px 8px;border-bottom:1px solid #eee">{{.Value}}</td></tr>
{{end}}</table>{{end}}
<p style="font-size:small;color:#888;margin-top:24px">Sent by pagerd.</p>
</body></html>
`))

func shiftSubject(sh *pagers.ShiftInfo) string {
	s := "[pagerd] " + pagers.YourShift(sh) + " starts "
	if sh == nil || sh.Start.IsZero() {
		return s + "soon"
	}
	return s + pagers.ShiftTime(sh, sh.Start, pagers.ShiftTimeShort)
}

// shiftView is what both bodies of a shift notice show.
type shiftView struct {
	Lead     string // one sentence: whose shift starts when
	Schedule string
	Starts   string
	Ends     string // empty when unknown
}

func newShiftView(sh *pagers.ShiftInfo) shiftView {
	v := shiftView{Lead: pagers.YourShift(sh) + " starts soon."}
	if sh == nil {
		return v
	}
	v.Schedule = pagers.OneLine(sh.Schedule)
	if sh.Start.IsZero() {
		return v
	}
	v.Starts = pagers.ShiftTime(sh, sh.Start, pagers.ShiftTimeLong)
	switch {
	case sh.StartsIn > 0:
		v.Lead = pagers.YourShift(sh) + " starts in " + pagers.ShortLead(sh.StartsIn) + "."
	default:
		v.Lead = pagers.YourShift(sh) + " starts " + v.Starts + "."
	}
	if !sh.End.IsZero() {
		v.Ends = pagers.ShiftTime(sh, sh.End, pagers.ShiftTimeLong)
	}
	return v
}

func shiftText(v shiftView) string {
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

// signInText is the plain-text body of a sign-in link.
func signInText(s *pagers.SignInInfo) string {
	if s == nil {
		return "No sign-in link was made.\n"
	}
	return "Open this link to sign in to the pagerd console:\n\n" + s.URL + "\n\n" +
		"It works once, until " + s.Expires.UTC().Format("2006-01-02 15:04 MST") + ".\n" +
		"If you did not ask for it, ignore this message: nobody can use it without this mailbox.\n\n-- \nSent by pagerd.\n"
}

var signInHTMLTemplate = template.Must(template.New("signin").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>pagerd sign-in</title></head>
<body style="font-family:sans-serif;color:#222;max-width:640px">
{{if .}}<p>Open this link to sign in to the pagerd console:</p>
<p><a href="{{.URL}}">{{.URL}}</a></p>
<p>It works once, until {{.Expires.UTC.Format "2006-01-02 15:04 MST"}}.</p>
<p style="font-size:small;color:#888">If you did not ask for it, ignore this message: nobody can use it without this mailbox.</p>
{{else}}<p>No sign-in link was made.</p>{{end}}
</body></html>
`))
