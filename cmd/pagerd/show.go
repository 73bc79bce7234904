package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
)

// shownAlerts bounds the alerts `pagerd show` prints; -o json has all.
const shownAlerts = 20

// shownAlert is what `pagerd show` reads of a stored alert.
type shownAlert struct {
	Fingerprint string            `json:"fingerprint"`
	Status      string            `json:"status"`
	DedupKey    string            `json:"dedup_key"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Links       []incident.Link   `json:"links"`
	Details     json.RawMessage   `json:"details"`
	Client      string            `json:"client"`
	ClientURL   string            `json:"client_url"`
	Generator   string            `json:"generatorURL"`
}

// writeIncident is `pagerd show` as a table: the incident, its alerts with
// what their senders attached, the service's recent changes, and the
// timeline.
func writeIncident(w io.Writer, inc incidentView) error {
	fmt.Fprintf(w, "#%d %s\nservice: %s\nstatus:  %s\nfiring:  %d\n", inc.ID, oneLine(inc.Title), oneLine(inc.Service), statusText(inc.Incident), inc.FiringCount)
	if inc.Suppressed != "" {
		fmt.Fprintf(w, "muted:   every firing alert is (%s), so it pages nobody\n", oneLine(inc.Suppressed))
	}
	if inc.Summary != "" {
		fmt.Fprintf(w, "summary: %s\n", oneLine(inc.Summary))
	}
	writeCommand(w, inc, time.Now())
	writeFolding(w, inc)
	if len(inc.Alerts) > 0 {
		fmt.Fprintf(w, "\nalerts (%d):\n", len(inc.Alerts))
		for i, raw := range inc.Alerts {
			if i == shownAlerts {
				fmt.Fprintf(w, "  ... %d more: pagerd show %d -o json lists them all\n", len(inc.Alerts)-i, inc.ID)
				break
			}
			var a shownAlert
			if err := json.Unmarshal(raw, &a); err != nil {
				fmt.Fprintf(w, "  (unreadable alert: %v)\n", err)
				continue
			}
			writeAlert(w, a, inc.SuppressedAlerts[a.Fingerprint])
		}
	}
	if len(inc.Changes) > 0 {
		fmt.Fprintln(w, "\nrecent changes:")
		for _, c := range inc.Changes {
			fmt.Fprintf(w, "  %s  %s", c.At.Local().Format("2006-01-02 15:04:05"), oneLine(c.Summary))
			if c.Source != "" {
				fmt.Fprintf(w, " (%s)", oneLine(c.Source))
			}
			fmt.Fprintln(w)
			for _, l := range c.Links {
				fmt.Fprintf(w, "      %s\n", link(l))
			}
		}
	}
	if len(inc.StatusUpdates) > 0 {
		fmt.Fprintln(w, "\nstatus updates:")
		for _, u := range inc.StatusUpdates {
			fmt.Fprintf(w, "  #%d %s  %-13s  by %s  %s\n", u.N, u.At.Local().Format("2006-01-02 15:04"), u.State, oneLine(u.By), oneLine(u.Text))
			if u.PublicText != "" && u.PublicText != u.Text {
				fmt.Fprintf(w, "      public: %s\n", oneLine(u.PublicText))
			}
		}
	}
	fmt.Fprintln(w, "\ntimeline:")
	shown := foldAlertFacts(inc.Timeline)
	if len(shown) > shownFacts {
		writeFacts(w, shown[:shownFacts])
		fmt.Fprintf(w, "  ... %d more lines: pagerd timeline %d prints every fact\n", len(shown)-shownFacts, inc.ID)
		return nil
	}
	writeFacts(w, shown)
	if inc.TimelineNext != "" {
		fmt.Fprintf(w, "  ... more: pagerd timeline %d --after %s\n", inc.ID, inc.TimelineNext)
	} else if len(shown) < len(inc.Timeline) {
		fmt.Fprintf(w, "  (runs of alert facts folded: pagerd timeline %d prints each)\n", inc.ID)
	}
	return nil
}

// shownFacts is how many timeline lines show prints: a person reads the
// start of an incident there; pagerd timeline prints every fact.
const shownFacts = 50

// foldAlertFacts folds each run of three or more facts that an incident
// gets one of per alert (900 alerts joining, or resolving, at once) into
// one line that counts them and names the first and the last, so that
// what people did stays in view.
func foldAlertFacts(facts []incident.Fact) []incident.Fact {
	perAlert := func(k incident.Kind) bool {
		switch k {
		case incident.KindAlertFiring, incident.KindAlertResolved, incident.KindAlertExpired, incident.KindAlertSuppressed:
			return true
		}
		return false
	}
	out := make([]incident.Fact, 0, len(facts))
	for i := 0; i < len(facts); {
		j := i + 1
		for perAlert(facts[i].Kind) && j < len(facts) && facts[j].Kind == facts[i].Kind {
			j++
		}
		if n := j - i; n >= 3 {
			f := facts[i]
			f.Detail = fmt.Sprintf("%d alerts, %s to %s: %s ... %s", n, facts[i].At.Local().Format("15:04:05"),
				facts[j-1].At.Local().Format("15:04:05"), facts[i].Detail, facts[j-1].Detail)
			out = append(out, f)
		} else {
			out = append(out, facts[i:j]...)
		}
		i = j
	}
	return out
}

// writeFacts prints timeline facts, one a line: when, what, who and how,
// the detail; a marked note or a status update's state in brackets.
func writeFacts(w io.Writer, facts []incident.Fact) {
	for _, e := range facts {
		who := ""
		if e.Actor != "" {
			who = "by " + oneLine(e.Actor)
		}
		if e.Via != "" {
			who = strings.TrimSpace(who + " via " + oneLine(e.Via))
		}
		detail := oneLine(e.Detail)
		if e.Tag != "" && (e.Kind == incident.KindNote || e.Kind == incident.KindStatusUpdate) {
			detail = "[" + oneLine(e.Tag) + "] " + detail
		}
		fmt.Fprintf(w, "  %s  %-19s %s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Kind,
			strings.TrimSpace(strings.Join([]string{who, detail}, "  ")))
	}
}

// writeFolding says what storm and flap folding did to the incident, and
// lists the incidents folded into a storm.
func writeFolding(w io.Writer, inc incidentView) {
	if inc.FoldedInto != 0 {
		fmt.Fprintf(w, "folded:  into storm #%d, which pages for it (pagerd show %d)\n", inc.FoldedInto, inc.FoldedInto)
	}
	if inc.Flapping {
		fmt.Fprintln(w, "flapping: an alert flaps; it paged once, its flips do not page, it resolves once it stays resolved")
	}
	st := inc.Storm
	if st == nil {
		return
	}
	state := "passes if no new incident comes by " + st.PassesAt().Local().Format("2006-01-02 15:04:05")
	if !st.PassedAt.IsZero() {
		state = "passed at " + st.PassedAt.Local().Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(w, "storm:   %d incidents folded, %d open; %s\n", st.Folded, st.Open, state)
	if len(inc.Folded) == 0 {
		return
	}
	fmt.Fprintf(w, "\nfolded incidents (%d):\n", st.Folded)
	for i, f := range inc.Folded {
		if i == shownAlerts {
			fmt.Fprintf(w, "  ... %d more: pagerd show %d -o json lists them\n", st.Folded-i, inc.ID)
			break
		}
		fmt.Fprintf(w, "  #%-6d %-12s %d firing  %s\n", f.ID, f.Status, f.FiringCount, tableTitle(f, true))
	}
}

// writeAlert shows one alert: its status and labels, then what its sender
// attached; muted says what mutes it ("" when nothing does).
func writeAlert(w io.Writer, a shownAlert, muted string) {
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		labels = append(labels, k+"="+oneLine(a.Labels[k]))
	}
	fmt.Fprintf(w, "  %-8s {%s}\n", oneLine(a.Status), strings.Join(labels, ", "))
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(w, "           %-8s %s\n", name+":", oneLine(value))
		}
	}
	field("muted", muted)
	if s := a.Annotations["summary"]; s != "" && s != a.Labels["summary"] {
		field("summary", s)
	}
	field("key", a.DedupKey)
	field("source", a.Generator)
	if a.Client != "" || a.ClientURL != "" {
		field("client", strings.TrimSpace(a.Client+" "+a.ClientURL))
	}
	for _, l := range a.Links {
		field("link", link(l))
	}
	if len(a.Details) > 0 && string(a.Details) != "null" {
		field("details", string(a.Details))
	}
}

// statusText is an incident's status as the tables show it: "triggered
// (suppressed)" while every alert firing in it is muted.
// writeCommand is show's incident command lines: severity, roles, the
// latest status update and when the next is due.
func writeCommand(w io.Writer, inc incidentView, now time.Time) {
	if inc.Severity != "" {
		fmt.Fprintf(w, "severity: %s", oneLine(inc.Severity))
		if inc.SeverityBy != "" {
			fmt.Fprintf(w, " (set by %s)", oneLine(inc.SeverityBy))
		}
		fmt.Fprintln(w)
	}
	if inc.DeclaredBy != "" {
		fmt.Fprintf(w, "declared by: %s\n", oneLine(inc.DeclaredBy))
	}
	var roles []string
	for _, r := range incident.Roles {
		if who := inc.Role(r); who != "" {
			roles = append(roles, string(r)+" "+oneLine(who))
		}
	}
	if len(roles) > 0 {
		fmt.Fprintf(w, "roles:   %s\n", strings.Join(roles, ", "))
	} else if !inc.ManagerNeededAt.IsZero() {
		fmt.Fprintf(w, "roles:   no manager yet: the manager rotation is paged at %s ('pagerd assign %d manager NAME')\n",
			inc.ManagerNeededAt.Local().Format("15:04"), inc.ID)
	}
	if inc.UpdateState != "" {
		fmt.Fprintf(w, "update:  %s (#%d, %s)\n", inc.UpdateState, inc.Updates, inc.LastUpdateAt.Local().Format("2006-01-02 15:04"))
	}
	if !inc.NextUpdateAt.IsZero() {
		fmt.Fprintf(w, "next update: %s\n", nextUpdateText(inc.View, now))
	}
}

// nextUpdateText says when the next status update is due: "at 10:30 (in
// 12m)", "OVERDUE since 10:30"; "-" when none is.
func nextUpdateText(v command.View, now time.Time) string {
	if v.NextUpdateAt.IsZero() {
		return "-"
	}
	at := v.NextUpdateAt.Local().Format("15:04")
	if !now.Before(v.NextUpdateAt) {
		return "OVERDUE since " + at
	}
	return fmt.Sprintf("at %s (in %s)", at, pagers.ShortLead(v.NextUpdateAt.Sub(now)))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return oneLine(s)
}

func statusText(inc incident.Incident) string {
	if inc.Suppressed != "" && inc.Open() {
		return string(inc.Status) + " (suppressed)"
	}
	return string(inc.Status)
}

func link(l incident.Link) string {
	if l.Text == "" {
		return oneLine(l.Href)
	}
	return oneLine(l.Text) + " " + oneLine(l.Href)
}

// oneLine keeps a value sent by a monitor on its line, and its control
// characters from acting on the terminal: pagers.OneLine, the rule every
// page follows too.
func oneLine(s string) string { return pagers.OneLine(s) }
