package statuspage

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/policies"
)

//go:embed templates/*.html
var templateFiles embed.FS

// recentDays is how many days of history the main page lists.
const recentDays = 7

// pages are the HTML pages, each the layout with its own "main".
var pages = func() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/embed.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"page", "history", "incident", "message"} {
		t := template.Must(base.Clone())
		out[name] = template.Must(t.ParseFS(templateFiles, "templates/"+name+".html"))
	}
	out["embed"] = base
	return out
}()

var funcs = template.FuncMap{
	"words":  StateWords,
	"status": statusWords,
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"pct":    pct,
	"bar": func(b Bar) string {
		if b.Future {
			return "none"
		}
		return b.Worst
	},
	"barTitle":   barTitle,
	"uptimeText": uptimeText,
	"day":        func(t time.Time) string { return t.Format("2006-01-02") },
	"date":       func(t time.Time) string { return t.Format("Mon 2 Jan 2006") },
	// when and zone are replaced per render (the page's zone).
	"when": func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 MST") },
	"zone": func(v *View) string { return zoneName(v.Page) },
}

func zoneName(p *policies.StatusPage) string {
	if p.Location == nil || p.Location == time.UTC {
		return "UTC"
	}
	return p.Location.String()
}

func pct(f float64) string {
	s := strconv.FormatFloat(f*100, 'f', 2, 64)
	if strings.HasSuffix(s, ".00") {
		s = s[:len(s)-3]
	}
	return s + "%"
}

func barTitle(b Bar) string {
	day := b.Day.Format("2 Jan 2006")
	if b.Future {
		return day + ": no data"
	}
	if b.Worst == policies.StateOperational {
		return day + ": no incidents"
	}
	s := fmt.Sprintf("%s: %s", day, strings.ToLower(StateWords(b.Worst)))
	if b.Down > 0 {
		s += ", " + minutes(b.Down) + " down"
	}
	if len(b.Incidents) > 0 {
		s += " (" + strings.Join(b.Incidents, "; ") + ")"
	}
	return s
}

func minutes(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 60 {
		return strconv.Itoa(m) + " min"
	}
	return fmt.Sprintf("%dh %02dmin", m/60, m%60)
}

// uptimeText says in words what a component's bars show, for screen
// readers (the bars themselves are hidden from them).
func uptimeText(c ComponentView) string {
	var bad []string
	for _, b := range slices.Backward(c.Bars) {
		if !b.Future && b.Worst != policies.StateOperational {
			bad = append(bad, barTitle(b))
		}
	}
	s := fmt.Sprintf("%s uptime over the last %d days.", pct(c.Uptime), len(c.Bars))
	if len(bad) == 0 {
		return s + " No incidents."
	}
	return s + " Days with incidents, newest first: " + strings.Join(bad, "; ") + "."
}

// Data is what the HTML templates read.
type Data struct {
	V *View
	// URL is the page's public URL; Q is what every link to it ends with
	// (an internal page's token).
	URL, Q string
	// Subscribe: the page offers some subscription readers can make now.
	Subscribe bool
	offers    func(kind string) bool
	Recent    []DayView
	Incident  IncidentView
	Message   Message
}

// Message is a page that answers a form: confirmed, refused, thanks.
type Message struct {
	Title  string
	Lines  []string
	Error  bool
	Secret string // a webhook subscriber's key, shown once
	// Action, when set, makes the page a form that posts Fields there
	// with a Button: a link opened by a mail scanner changes nothing.
	Action string
	Fields map[string]string
	Button string
}

// Offers reports whether readers may subscribe with kind now.
func (d Data) Offers(kind string) bool { return d.offers != nil && d.offers(kind) }

// HasIncidents reports whether the history has any incident.
func (d Data) HasIncidents() bool { return len(d.V.Incidents) > 0 }

// incidentData is what the "incident" template reads.
type incidentData struct {
	IncidentView
	URL, Q string
}

// With is an incident with the page's links, for the incident template.
func (d Data) With(iv IncidentView) incidentData {
	return incidentData{IncidentView: iv, URL: d.URL, Q: d.Q}
}

// render executes page name with data, in the page's zone.
func render(name string, data Data) ([]byte, error) {
	t, err := pages[name].Clone()
	if err != nil {
		return nil, err
	}
	loc := data.V.Page.Location
	if loc == nil {
		loc = time.UTC
	}
	t.Funcs(template.FuncMap{
		"when": func(tm time.Time) string { return tm.In(loc).Format("2 Jan 2006, 15:04 MST") },
		"date": func(tm time.Time) string { return tm.In(loc).Format("Mon 2 Jan 2006") },
	})
	var buf bytes.Buffer
	entry := "layout"
	if name == "embed" {
		entry = "embed"
	}
	if err := t.ExecuteTemplate(&buf, entry, data); err != nil {
		return nil, fmt.Errorf("render %s of status page %s: %w", name, data.V.Page.Name, err)
	}
	return buf.Bytes(), nil
}

func itoa(n int) string { return strconv.Itoa(n) }
