package postmortem

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
)

// Draft is everything a post-mortem draft is written from: what the store
// knows of the incident when it is asked.
type Draft struct {
	Incident *incident.Incident
	// Timeline is every fact, oldest first; status updates are among them
	// (kind status_update), and Updates gives their public wording.
	Timeline []incident.Fact
	Updates  []incident.StatusUpdate
	Actions  []incident.ActionItem
	// Paged are the people and destinations its pages reached.
	Paged      []incident.Reached
	Postmortem incident.Postmortem
	// Services are the services it touched: its own, then any other that
	// its alerts name in a "service" label.
	Services []string
	// Now is when the draft is made, which its header says.
	Now time.Time
}

// The prompts a blank section carries. They ask about the system, never
// for a culprit: people acted on what they knew at the time.
const (
	promptSummary = "_What happened, to whom, and how it ended, in two or three sentences a newcomer understands._"
	promptImpact  = "_Who was affected and how: customers, regions, requests that failed, money, data, people woken at night. " +
		"Numbers beat adjectives._"
	promptRootCause = "_What in the system made this possible? Describe conditions, not culprits: ask how each decision made sense " +
		"with what people knew at the time, and keep asking why until the answer is something you can change._"
	promptResolution = "_What ended the impact, who did what, and how you knew it had worked. What made it slower than it could have been?_"
	promptActions    = "_What would make this less likely, less harmful or quicker to fix next time? Add each with " +
		"`pagerd action add %d \"...\" --owner NAME --due YYYY-MM-DD [--kind tech-debt]`._"
)

// Render writes the draft as Markdown: Summary, Impact, Root Cause,
// Resolution, Timeline and Action Items, filled from what is known; what
// pagerd cannot know is a prompt. Times are in UTC. Text people and
// senders wrote is kept on one line each and its Markdown table
// separators escaped; it is otherwise shown as written.
func Render(d Draft) string {
	inc := d.Incident
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Post-mortem: incident #%d — %s\n\n", inc.ID, text(inc.Title))
	w("> Draft made by pagerd from the incident's record on %s. It is blameless: it describes what the system "+
		"and its people knew and did, to learn, not to judge. Edit it freely; the italic prompts ask for what pagerd cannot know.\n\n",
		stamp(d.Now))

	w("| | |\n| --- | --- |\n")
	w("| Incident | #%d, %s |\n", inc.ID, inc.Status)
	w("| Service | %s |\n", cell(inc.Service))
	w("| Severity | %s |\n", orDash(inc.Severity))
	if pm := d.Postmortem; pm.Owner != "" {
		need := "offered"
		if pm.Required {
			need = "required"
		}
		w("| Post-mortem owner | %s (%s); %s |\n", cell(pm.Owner), cell(pm.OwnerWhy), need)
	}
	if pm := d.Postmortem; pm.Done() {
		w("| Post-mortem done | %s by %s |\n", stamp(pm.DoneAt), cell(pm.DoneBy))
	}
	for _, r := range incident.Roles {
		if who := inc.Role(r); who != "" {
			w("| %s | %s |\n", capitalize(r.Title()), cell(who))
		}
	}
	w("| Started | %s |\n", stamp(inc.CreatedAt))
	if !inc.AckedAt.IsZero() {
		w("| Acknowledged | %s by %s |\n", stamp(inc.AckedAt), cell(orDash(inc.AckedBy)))
	}
	if !inc.ResolvedAt.IsZero() {
		w("| Resolved | %s by %s |\n", stamp(inc.ResolvedAt), cell(orDash(inc.ResolvedBy)))
	}
	b.WriteString("\n")

	d.summary(&b)
	d.impact(&b)
	d.candidates(&b, "Root Cause", incident.TagRootCause, []incident.UpdateState{incident.StateIdentified}, promptRootCause)
	d.candidates(&b, "Resolution", incident.TagResolution,
		[]incident.UpdateState{incident.StateMonitoring, incident.StateResolved}, promptResolution)
	d.timeline(&b)
	d.actions(&b)
	w("---\n\nWhen it is written and reviewed: `pagerd postmortem %d --done`.\n", inc.ID)
	return b.String()
}

func (d Draft) summary(b *strings.Builder) {
	inc := d.Incident
	b.WriteString("## Summary\n\n")
	sev := ""
	if inc.Severity != "" {
		sev = inc.Severity + " "
	}
	fmt.Fprintf(b, "%sincident on %s: %s.", sev, text(inc.Service), text(inc.Title))
	if inc.DeclaredBy != "" {
		fmt.Fprintf(b, " Declared by %s.", text(inc.DeclaredBy))
	}
	if dur, ok := d.duration(); ok {
		fmt.Fprintf(b, " It lasted %s", human(dur))
		if inc.Status != incident.Resolved {
			b.WriteString(" so far: it is still open")
		}
		b.WriteString(".")
	}
	b.WriteString("\n")
	if s := text(inc.Summary); s != "" && s != text(inc.Title) {
		fmt.Fprintf(b, "\n%s\n", s)
	}
	if n := len(d.Updates); n > 0 {
		u := d.Updates[n-1]
		fmt.Fprintf(b, "\nLast status update (%s, %s): %s\n", u.State, text(u.By), text(u.Text))
	}
	b.WriteString("\n**Responders.** ")
	var paged []string
	for _, r := range d.Paged {
		paged = append(paged, text(r.Who())+" ("+r.Channel+")")
	}
	slices.Sort(paged)
	if len(paged) == 0 {
		b.WriteString("Paged: nobody.")
	} else {
		fmt.Fprintf(b, "Paged: %s.", strings.Join(paged, ", "))
	}
	if acted := d.acted(); len(acted) > 0 {
		fmt.Fprintf(b, " Acted: %s.", strings.Join(acted, "; "))
	}
	fmt.Fprintf(b, "\n\n%s\n\n", promptSummary)
}

// acted says who did what, person by person, in the order they first
// acted: "alice — acknowledged, 2 notes".
func (d Draft) acted() []string {
	type doing struct {
		name   string
		counts map[string]int
		order  []string
	}
	var people []*doing
	byName := map[string]*doing{}
	for _, f := range d.Timeline {
		what := actedAs(f)
		if what == "" || f.Actor == "" || f.Actor == "alerts" || f.Actor == "ack timeout" {
			continue
		}
		p := byName[f.Actor]
		if p == nil {
			p = &doing{name: f.Actor, counts: map[string]int{}}
			byName[f.Actor] = p
			people = append(people, p)
		}
		if p.counts[what] == 0 {
			p.order = append(p.order, what)
		}
		p.counts[what]++
	}
	var out []string
	for _, p := range people {
		var parts []string
		for _, what := range p.order {
			if n := p.counts[what]; n > 1 {
				parts = append(parts, fmt.Sprintf("%d %ss", n, what))
			} else {
				parts = append(parts, what)
			}
		}
		out = append(out, text(p.name)+" — "+strings.Join(parts, ", "))
	}
	return out
}

// actedAs is what a fact says its actor did, or "" for facts that are no
// one's act.
func actedAs(f incident.Fact) string {
	switch f.Kind {
	case incident.KindTriggered:
		if f.Via != "" {
			return "declared"
		}
	case incident.KindAcknowledged:
		return "acknowledged"
	case incident.KindResolved:
		return "resolved"
	case incident.KindEscalated:
		if f.Actor != "" {
			return "escalated"
		}
	case incident.KindNote:
		return "note"
	case incident.KindStatusUpdate:
		return "status update"
	case incident.KindRoleAssigned:
		return "role change"
	case incident.KindSeverity:
		return "severity change"
	case incident.KindActionAdded:
		return "action item"
	}
	return ""
}

func (d Draft) duration() (time.Duration, bool) {
	inc := d.Incident
	end := inc.ResolvedAt
	if end.IsZero() {
		end = d.Now
	}
	if inc.CreatedAt.IsZero() || end.Before(inc.CreatedAt) {
		return 0, false
	}
	return end.Sub(inc.CreatedAt), true
}

func (d Draft) impact(b *strings.Builder) {
	inc := d.Incident
	b.WriteString("## Impact\n\n")
	if dur, ok := d.duration(); ok {
		end := "now, still open"
		if !inc.ResolvedAt.IsZero() {
			end = stamp(inc.ResolvedAt)
		}
		fmt.Fprintf(b, "- Duration: %s, from %s to %s\n", human(dur), stamp(inc.CreatedAt), end)
	}
	if !inc.AckedAt.IsZero() {
		fmt.Fprintf(b, "- Time to acknowledge: %s\n", human(inc.AckedAt.Sub(inc.CreatedAt)))
	} else {
		b.WriteString("- Time to acknowledge: never acknowledged\n")
	}
	if !inc.ResolvedAt.IsZero() {
		fmt.Fprintf(b, "- Time to resolve: %s\n", human(inc.ResolvedAt.Sub(inc.CreatedAt)))
	}
	var services []string
	for _, s := range d.Services {
		services = append(services, text(s))
	}
	fmt.Fprintf(b, "- Affected services: %s\n", orDash(strings.Join(services, ", ")))
	fmt.Fprintf(b, "- Alerts: %d", inc.AlertsTotal)
	if inc.FiringCount > 0 {
		fmt.Fprintf(b, ", %d still firing", inc.FiringCount)
	}
	b.WriteString("\n")
	var told []string
	for _, f := range d.Timeline {
		switch f.Kind {
		case incident.KindStakeholders, incident.KindStatusPage:
			told = append(told, clock(f.At)+" "+text(f.Detail))
		}
	}
	if len(told) == 0 {
		b.WriteString("- Stakeholders told: none recorded\n")
	} else {
		b.WriteString("- Stakeholders told:\n")
		for _, t := range told {
			fmt.Fprintf(b, "  - %s\n", t)
		}
	}
	var public []string
	for _, u := range d.Updates {
		if u.PublicText != "" {
			public = append(public, fmt.Sprintf("%s (%s): %s", clock(u.At), u.State, text(u.PublicText)))
		}
	}
	if len(public) > 0 {
		b.WriteString("- What customers were told:\n")
		for _, p := range public {
			fmt.Fprintf(b, "  - %s\n", p)
		}
	}
	fmt.Fprintf(b, "\n%s\n\n", promptImpact)
}

// candidates writes a section that lists the notes people marked with tag
// and the status updates of states, as candidates; blank, the prompt.
func (d Draft) candidates(b *strings.Builder, title string, tag incident.NoteTag, states []incident.UpdateState, prompt string) {
	fmt.Fprintf(b, "## %s\n\n", title)
	var notes, updates []string
	for _, f := range d.Timeline {
		switch {
		case f.Kind == incident.KindNote && f.Tag == string(tag):
			notes = append(notes, fmt.Sprintf("- %s, %s: %s", stamp(f.At), text(orDash(f.Actor)), text(f.Detail)))
		case f.Kind == incident.KindStatusUpdate && slices.Contains(states, incident.UpdateState(f.Tag)):
			updates = append(updates, fmt.Sprintf("- %s, %s (%s): %s", stamp(f.At), text(orDash(f.Actor)), f.Tag, text(f.Detail)))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(b, "Candidates, from notes marked %s during the incident:\n\n%s\n\n", strings.ReplaceAll(string(tag), "_", "-"),
			strings.Join(notes, "\n"))
	}
	if len(updates) > 0 {
		fmt.Fprintf(b, "What the status updates said:\n\n%s\n\n", strings.Join(updates, "\n"))
	}
	fmt.Fprintf(b, "%s\n\n", prompt)
}

func (d Draft) timeline(b *strings.Builder) {
	b.WriteString("## Timeline\n\nEvery fact pagerd recorded, in order (UTC).\n\n")
	public := map[int]string{} // status update number → its public wording
	for _, u := range d.Updates {
		if u.PublicText != "" {
			public[u.N] = u.PublicText
		}
	}
	day := ""
	n := 0
	for _, f := range d.Timeline {
		if f.Kind == incident.KindPostmortemDue || f.Kind == incident.KindPostmortemWritten {
			continue // the draft's own bookkeeping, not the incident's story
		}
		if dd := f.At.UTC().Format(time.DateOnly); dd != day {
			if day != "" {
				b.WriteString("\n")
			}
			day = dd
			fmt.Fprintf(b, "**%s**\n\n", day)
		}
		line := fmt.Sprintf("- %s %s", f.At.UTC().Format(time.TimeOnly), strings.ReplaceAll(string(f.Kind), "_", " "))
		if f.Tag != "" {
			line += " [" + strings.ReplaceAll(f.Tag, "_", "-") + "]"
		}
		if f.Actor != "" {
			line += " by " + text(f.Actor)
			if f.Via != "" {
				line += " (" + text(f.Via) + ")"
			}
		}
		if dt := text(f.Detail); dt != "" {
			line += ": " + dt
		}
		if f.Kind == incident.KindStatusUpdate {
			n++
			if p := public[n]; p != "" {
				line += " — public: " + text(p)
			}
		}
		b.WriteString(line + "\n")
	}
	if len(d.Timeline) == 0 {
		b.WriteString("_The timeline is gone: the incident's retention ran out._\n")
	}
	b.WriteString("\n")
}

func (d Draft) actions(b *strings.Builder) {
	b.WriteString("## Action Items\n\n")
	if len(d.Actions) > 0 {
		b.WriteString("| # | Action | Owner | Kind | Due | Status |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, a := range d.Actions {
			status := a.Status()
			if a.Overdue(d.Now) {
				status = "overdue"
			}
			if a.Done() {
				status = "done " + a.DoneAt.UTC().Format(time.DateOnly)
			}
			fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s |\n", a.ID, cell(a.Title), cell(a.Owner), a.Kind, orDash(a.Due), status)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, promptActions+"\n\n", d.Incident.ID)
}

// text is s as the draft shows it: on one line, safe (pagers.OneLine).
func text(s string) string { return pagers.OneLine(s) }

// cell is s fit for a Markdown table cell: on one line, pipes escaped.
func cell(s string) string { return strings.ReplaceAll(text(s), "|", `\|`) }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// stamp is a moment as the draft shows it: "2026-12-01 10:03:12 UTC".
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// clock is a moment's time of day: "10:03".
func clock(t time.Time) string { return t.UTC().Format("15:04") }

// human is a duration as people say it: "1h 12m", "3m 5s", "40s".
func human(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	days, h, m, s := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60, int(d/time.Second)%60
	var parts []string
	for _, p := range []struct {
		n    int
		unit string
	}{{days, "d"}, {h, "h"}, {m, "m"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprint(p.n)+p.unit)
		}
	}
	if s > 0 && days == 0 && h == 0 {
		parts = append(parts, fmt.Sprint(s)+"s")
	}
	return strings.Join(parts, " ")
}
