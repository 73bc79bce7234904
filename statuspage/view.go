package statuspage

import (
	"cmp"
	"slices"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// HistoryDays is how far back a page's history and uptime bars go.
const HistoryDays = 90

// upcoming is how far ahead a page announces maintenance.
const upcoming = 7 * 24 * time.Hour

// View is everything one page shows at one moment: what the HTML page,
// the JSON API, the feeds and the badge render. Build makes it from the
// config, the published incidents and the time, and nothing else.
type View struct {
	Page *policies.StatusPage
	Now  time.Time
	// UpdatedAt is when what the page shows last changed.
	UpdatedAt time.Time
	// Indicator is Statuspage's word for the whole page: none, minor,
	// major, critical or maintenance; Description says it in words.
	Indicator   string
	Description string
	Components  []ComponentView // in the page's order
	Groups      []GroupView
	// Active are the unresolved incidents, newest first; Incidents every
	// one of the history, newest first.
	Active      []IncidentView
	Incidents   []IncidentView
	Maintenance []MaintenanceView // in progress first, then by start
	// Days are the days of the history, newest first, in the page's zone.
	Days []DayView
}

// ComponentView is one component as a page shows it.
type ComponentView struct {
	*policies.Component
	State string
	// Position is its place on the page, from 1.
	Position int
	// Uptime is the share of the history it was up (a major outage counts
	// whole, a partial one for 0.3, degraded performance not at all, as
	// Statuspage counts).
	Uptime float64
	Bars   []Bar // one per day, oldest first
	// Since is when it last changed state (zero: not within the history).
	Since time.Time
}

// GroupView is a group of components ("" for those in none).
type GroupView struct {
	Name       string
	ID         string
	State      string // its worst component's
	Components []*ComponentView
}

// Bar is one day of a component's uptime bars.
type Bar struct {
	Day    time.Time // midnight in the page's zone
	Worst  string    // the worst state it was in that day
	Down   time.Duration
	Uptime float64
	// Incidents are the titles of the incidents that touched it that day.
	Incidents []string
	Future    bool // today's, still running; or before the history
}

// IncidentView is one published incident as one page shows it: only the
// page's components.
type IncidentView struct {
	*incident.PageIncident
	Impact string // none, minor, major, critical
	// Affected are the page's components it touches, in page order, with
	// the state it gives each now.
	Affected []Affected
	// Newest are its updates, newest first, each with the page's
	// components it changed.
	Newest []UpdateView
}

// Affected is one component an incident touches.
type Affected struct {
	Name, ID, State string
}

// UpdateView is one public update as a page shows it.
type UpdateView struct {
	incident.PageUpdate
	Changed []Change
}

// Change is a component's state before and after an update.
type Change struct {
	Name, ID, From, To string
}

// MaintenanceView is a maintenance window a page announces.
type MaintenanceView struct {
	ID         string
	Name       string
	Announce   string
	Start, End time.Time
	Status     string // scheduled, in_progress
	Components []Affected
}

// DayView is one day of the history.
type DayView struct {
	Day       time.Time
	Incidents []IncidentView
}

// rank orders the states from best to worst.
func rank(state string) int {
	switch state {
	case policies.StateMaintenance:
		return 1
	case policies.StateDegraded:
		return 2
	case policies.StatePartial:
		return 3
	case policies.StateMajor:
		return 4
	}
	return 0
}

func worse(a, b string) string {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// weight is how much of a state's time counts as down.
func weight(state string) float64 {
	switch state {
	case policies.StateMajor:
		return 1
	case policies.StatePartial:
		return 0.3
	}
	return 0
}

// Impact is Statuspage's impact of a component state.
func Impact(state string) string {
	switch state {
	case policies.StateMajor:
		return "critical"
	case policies.StatePartial:
		return "major"
	case policies.StateDegraded:
		return "minor"
	}
	return "none"
}

// descriptions are what an indicator says in words.
var descriptions = map[string]string{
	"none":        "All Systems Operational",
	"minor":       "Minor Service Outage",
	"major":       "Partial System Outage",
	"critical":    "Major System Outage",
	"maintenance": "Service Under Maintenance",
}

// Build computes what page shows at now, from the incidents published
// (on any page: it keeps those on this one) and the config's components
// and maintenance windows.
func Build(cfg *policies.Config, page *policies.StatusPage, incidents []*incident.PageIncident, now time.Time) *View {
	loc := page.Location
	if loc == nil {
		loc = time.UTC
	}
	v := &View{Page: page, Now: now}
	onPage := map[string]*policies.Component{}
	for _, name := range page.Components {
		if c := cfg.Component(name); c != nil {
			onPage[name] = c
		}
	}
	today := midnight(now.In(loc))
	first := today.AddDate(0, 0, -(HistoryDays - 1))

	for _, p := range incidents {
		if !p.OnPage(page.Name) {
			continue
		}
		iv := incidentView(p, page, onPage)
		if p.Active() {
			v.Active = append(v.Active, iv)
		}
		if !p.CreatedAt.Before(first) || p.Active() {
			v.Incidents = append(v.Incidents, iv)
		}
		v.UpdatedAt = maxTime(v.UpdatedAt, p.UpdatedAt)
	}
	newestFirst := func(a, b IncidentView) int { return b.CreatedAt.Compare(a.CreatedAt) }
	slices.SortStableFunc(v.Active, newestFirst)
	slices.SortStableFunc(v.Incidents, newestFirst)

	v.Maintenance = maintenance(cfg, page, onPage, now)
	inMaintenance := map[string]bool{}
	for _, m := range v.Maintenance {
		if m.Status == "in_progress" {
			for _, a := range m.Components {
				inMaintenance[a.Name] = true
			}
			v.UpdatedAt = maxTime(v.UpdatedAt, m.Start)
		}
	}

	worst := policies.StateOperational
	groupAt := map[string]int{}
	for i, name := range page.Components {
		c := onPage[name]
		if c == nil {
			continue
		}
		cv := &ComponentView{Component: c, State: policies.StateOperational, Position: i + 1}
		for _, iv := range v.Active {
			for _, a := range iv.Affected {
				if a.Name == name {
					cv.State = worse(cv.State, a.State)
				}
			}
		}
		if cv.State == policies.StateOperational && inMaintenance[name] {
			cv.State = policies.StateMaintenance
		}
		bars(cv, v.Incidents, first, today, now, loc)
		worst = worse(worst, cv.State)
		v.Components = append(v.Components, *cv)
		gi, ok := groupAt[c.Group]
		if !ok {
			gi = len(v.Groups)
			groupAt[c.Group] = gi
			v.Groups = append(v.Groups, GroupView{Name: c.Group, ID: policies.ComponentID(c.Group), State: policies.StateOperational})
		}
		v.Groups[gi].State = worse(v.Groups[gi].State, cv.State)
	}
	// Groups point into Components only once it stops growing.
	for i := range v.Components {
		g := &v.Groups[groupAt[v.Components[i].Group]]
		g.Components = append(g.Components, &v.Components[i])
	}

	v.Indicator = "none"
	for _, iv := range v.Active {
		for _, a := range iv.Affected {
			if impactRank(Impact(a.State)) > impactRank(v.Indicator) {
				v.Indicator = Impact(a.State)
			}
		}
	}
	if v.Indicator == "none" && worst == policies.StateMaintenance {
		v.Indicator = "maintenance"
	}
	v.Description = descriptions[v.Indicator]

	for d := today; !d.Before(first); d = d.AddDate(0, 0, -1) {
		day := DayView{Day: d}
		next := d.AddDate(0, 0, 1)
		for _, iv := range v.Incidents {
			if c := iv.CreatedAt.In(loc); !c.Before(d) && c.Before(next) {
				day.Incidents = append(day.Incidents, iv)
			}
		}
		v.Days = append(v.Days, day)
	}
	return v
}

func impactRank(impact string) int {
	return slices.Index([]string{"none", "minor", "major", "critical"}, impact)
}

// incidentView keeps of p what page shows: its components on the page.
func incidentView(p *incident.PageIncident, page *policies.StatusPage, onPage map[string]*policies.Component) IncidentView {
	iv := IncidentView{PageIncident: p, Impact: "none"}
	for _, name := range page.Components {
		c := onPage[name]
		if c == nil {
			continue
		}
		if state, ok := p.Components[name]; ok {
			if !p.Active() {
				state = policies.StateOperational
			}
			iv.Affected = append(iv.Affected, Affected{Name: name, ID: c.ID, State: state})
		}
	}
	prev := map[string]string{}
	for _, u := range p.Updates {
		uv := UpdateView{PageUpdate: u}
		for _, name := range page.Components {
			c := onPage[name]
			to, ok := u.Components[name]
			if c == nil || !ok {
				continue
			}
			if u.Status == incident.StateResolved {
				to = policies.StateOperational
			}
			from := cmp.Or(prev[name], policies.StateOperational)
			if from != to {
				uv.Changed = append(uv.Changed, Change{Name: name, ID: c.ID, From: from, To: to})
			}
			prev[name] = to
			if impactRank(Impact(to)) > impactRank(iv.Impact) {
				iv.Impact = Impact(to)
			}
		}
		iv.Newest = append(iv.Newest, uv)
	}
	slices.Reverse(iv.Newest)
	return iv
}

// span is a stretch of time a component spent in a state.
type span struct {
	from, to time.Time
	state    string
	title    string
}

// spans are the stretches incident p kept component name in a state
// other than operational, up to now.
func spans(p *incident.PageIncident, name string, now time.Time) []span {
	var out []span
	for i, u := range p.Updates {
		state, ok := u.Components[name]
		if !ok || u.Status == incident.StateResolved {
			continue
		}
		end := now
		if i+1 < len(p.Updates) {
			end = p.Updates[i+1].At
		} else if !p.ResolvedAt.IsZero() {
			end = p.ResolvedAt
		}
		if state != policies.StateOperational && end.After(u.At) {
			out = append(out, span{from: u.At, to: end, state: state, title: p.Title})
		}
	}
	return out
}

// bars fills cv's uptime bars and uptime from the incidents touching it.
func bars(cv *ComponentView, incidents []IncidentView, first, today, now time.Time, loc *time.Location) {
	var all []span
	for _, iv := range incidents {
		all = append(all, spans(iv.PageIncident, cv.Name, now)...)
	}
	var down, total time.Duration
	for d := first; !d.After(today); d = d.AddDate(0, 0, 1) {
		next := d.AddDate(0, 0, 1)
		end := minTime(next, now)
		b := Bar{Day: d, Worst: policies.StateOperational, Uptime: 1, Future: !end.After(d)}
		var dayDown float64
		for _, s := range all {
			from, to := maxTime(s.from, d), minTime(s.to, end)
			if !to.After(from) {
				continue
			}
			b.Worst = worse(b.Worst, s.state)
			dayDown += weight(s.state) * float64(to.Sub(from))
			if !slices.Contains(b.Incidents, s.title) {
				b.Incidents = append(b.Incidents, s.title)
			}
		}
		b.Down = time.Duration(dayDown)
		if span := end.Sub(d); span > 0 {
			b.Uptime = 1 - min(dayDown/float64(span), 1)
			total += span
			down += b.Down
		}
		cv.Bars = append(cv.Bars, b)
	}
	cv.Uptime = 1
	if total > 0 {
		cv.Uptime = 1 - float64(down)/float64(total)
	}
	for _, s := range all {
		cv.Since = maxTime(cv.Since, s.from)
		if s.to.Before(now) {
			cv.Since = maxTime(cv.Since, s.to)
		}
	}
}

// maintenance are the maintenance windows page announces: those with
// announce text that cover a service of its components, open now or
// opening within a week.
func maintenance(cfg *policies.Config, page *policies.StatusPage, onPage map[string]*policies.Component, now time.Time) []MaintenanceView {
	var out []MaintenanceView
	for _, m := range cfg.Maintenance {
		if m.Announce == "" {
			continue
		}
		var affected []Affected
		for _, name := range page.Components {
			c := onPage[name]
			if c == nil {
				continue
			}
			for _, s := range c.Services {
				if len(m.Services) == 0 || slices.Contains(m.Services, s) {
					affected = append(affected, Affected{Name: name, ID: c.ID, State: policies.StateMaintenance})
					break
				}
			}
		}
		if len(affected) == 0 {
			continue
		}
		mv := MaintenanceView{Name: m.Name, Announce: m.Announce, Components: affected}
		if end, ok := m.Window.ActiveAt(now); ok {
			mv.Status, mv.Start, mv.End = "in_progress", end.Add(-m.Window.Duration), end
		} else if start, end, ok := m.Window.Next(now); ok && start.Sub(now) <= upcoming {
			mv.Status, mv.Start, mv.End = "scheduled", start, end
		} else {
			continue
		}
		mv.ID = policies.ComponentID(m.Name) + "-" + mv.Start.UTC().Format("20060102t1504")
		out = append(out, mv)
	}
	slices.SortStableFunc(out, func(a, b MaintenanceView) int {
		if a.Status != b.Status {
			return cmp.Compare(b.Status, a.Status) // in_progress before scheduled
		}
		return a.Start.Compare(b.Start)
	})
	return out
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
