package statuspage

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"
)

// Atom feeds (RFC 4287) of a page's incidents, and of one component's:
// one entry per incident, its updates in its content, newest first, so
// a feed reader shows each incident once and marks it changed.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string   `xml:"id"`
	Title     string   `xml:"title"`
	Published string   `xml:"published"`
	Updated   string   `xml:"updated"`
	Link      atomLink `xml:"link"`
	Summary   atomText `xml:"summary"`
	Content   atomText `xml:"content"`
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// tagID is a tag URI (RFC 4151) under the page's host: an entry keeps its
// ID if the page moves to another path, and two pages' never collide.
func (v *View) tagID(what string) string {
	host := "localhost"
	if u, err := url.Parse(v.Page.PublicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return fmt.Sprintf("tag:%s,2026:%s/%s", host, v.Page.Name, what)
}

// Feed is the Atom feed of the page's incidents (component "" ) or of
// those touching one component (by ID); ok is false for an unknown one.
func (v *View) Feed(component string, q string) ([]byte, bool) {
	title, self, id := v.Page.Title+": incident history", v.Page.PublicURL+"/history.atom", v.tagID("history")
	name := ""
	if component != "" {
		for _, c := range v.Components {
			if c.ID == component {
				name = c.Name
			}
		}
		if name == "" {
			return nil, false
		}
		title = v.Page.Title + ": " + name
		self = v.Page.PublicURL + "/components/" + url.PathEscape(component) + ".atom"
		id = v.tagID("component/" + component)
	}
	updated := v.epoch()
	f := atomFeed{ID: id, Title: title,
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self + q}, {Rel: "alternate", Type: "text/html", Href: v.Page.PublicURL + q}},
		Author: atomAuthor{Name: v.Page.Title, URI: v.Page.PublicURL}}
	for _, iv := range v.Incidents {
		if name != "" && !touches(iv, name) {
			continue
		}
		updated = maxTime(updated, iv.UpdatedAt)
		f.Entries = append(f.Entries, v.entry(iv, q))
	}
	f.Updated = atomTime(updated)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		// Only strings go in: it cannot fail.
		panic(err)
	}
	buf.WriteString("\n")
	return buf.Bytes(), true
}

func touches(iv IncidentView, name string) bool {
	for _, a := range iv.Affected {
		if a.Name == name {
			return true
		}
	}
	return false
}

func (v *View) entry(iv IncidentView, q string) atomEntry {
	var content strings.Builder
	for _, u := range iv.Newest {
		fmt.Fprintf(&content, "<p><small>%s</small><br><strong>%s</strong> - %s</p>",
			html.EscapeString(u.At.In(v.Page.Location).Format("2 Jan 2006, 15:04 MST")),
			html.EscapeString(statusWords(u.Status)), html.EscapeString(u.Body))
	}
	var affected []string
	for _, a := range iv.Affected {
		affected = append(affected, a.Name)
	}
	if len(affected) > 0 {
		fmt.Fprintf(&content, "<p>Affected: %s</p>", html.EscapeString(strings.Join(affected, ", ")))
	}
	summary := statusWords(iv.Status)
	if len(iv.Newest) > 0 {
		summary += ": " + iv.Newest[0].Body
	}
	return atomEntry{
		ID: v.tagID("incident/" + iv.Code), Title: iv.Title,
		Published: atomTime(iv.CreatedAt), Updated: atomTime(iv.UpdatedAt),
		Link:    atomLink{Rel: "alternate", Type: "text/html", Href: v.shortlink(iv.Code) + q},
		Summary: atomText{Type: "text", Body: summary},
		Content: atomText{Type: "html", Body: content.String()},
	}
}
