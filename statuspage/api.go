package statuspage

import (
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// The JSON API has the shape of Atlassian Statuspage's public API v2
// (/api/v2/summary.json and friends), so that the widgets, scripts and
// monitors written against it read pagerd's pages unchanged. Fields
// pagerd has nothing for are there, empty, as Statuspage sends them.

type apiPage struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	TimeZone  string    `json:"time_zone"`
	UpdatedAt time.Time `json:"updated_at"`
}

type apiStatus struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

type apiComponent struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	Status             string    `json:"status"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Position           int       `json:"position"`
	Description        *string   `json:"description"`
	Showcase           bool      `json:"showcase"`
	StartDate          *string   `json:"start_date"`
	GroupID            *string   `json:"group_id"`
	PageID             string    `json:"page_id"`
	Group              bool      `json:"group"`
	OnlyShowIfDegraded bool      `json:"only_show_if_degraded"`
	Components         []string  `json:"components,omitempty"`
}

type apiAffected struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

type apiUpdate struct {
	ID                   string        `json:"id"`
	Status               string        `json:"status"`
	Body                 string        `json:"body"`
	IncidentID           string        `json:"incident_id"`
	CreatedAt            time.Time     `json:"created_at"`
	UpdatedAt            time.Time     `json:"updated_at"`
	DisplayAt            time.Time     `json:"display_at"`
	AffectedComponents   []apiAffected `json:"affected_components"`
	DeliverNotifications bool          `json:"deliver_notifications"`
	CustomTweet          *string       `json:"custom_tweet"`
	TweetID              *string       `json:"tweet_id"`
}

type apiIncident struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Status          string         `json:"status"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
	MonitoringAt    *time.Time     `json:"monitoring_at"`
	ResolvedAt      *time.Time     `json:"resolved_at"`
	Impact          string         `json:"impact"`
	Shortlink       string         `json:"shortlink"`
	StartedAt       time.Time      `json:"started_at"`
	PageID          string         `json:"page_id"`
	IncidentUpdates []apiUpdate    `json:"incident_updates"`
	Components      []apiComponent `json:"components"`
	// Scheduled maintenances only.
	ScheduledFor   *time.Time `json:"scheduled_for,omitempty"`
	ScheduledUntil *time.Time `json:"scheduled_until,omitempty"`
}

type apiSummary struct {
	Page                  apiPage        `json:"page"`
	Components            []apiComponent `json:"components"`
	Incidents             []apiIncident  `json:"incidents"`
	ScheduledMaintenances []apiIncident  `json:"scheduled_maintenances"`
	Status                apiStatus      `json:"status"`
}

// maxAPIIncidents is how many incidents incidents.json lists, as
// Statuspage does.
const maxAPIIncidents = 50

func (v *View) apiPage() apiPage {
	updated := v.UpdatedAt
	if updated.IsZero() {
		// Nothing ever changed: the page is as of now (to the second, as
		// every other time it shows).
		updated = v.Now.Truncate(time.Second)
	}
	tz := "Etc/UTC"
	if v.Page.Location != nil && v.Page.Location != time.UTC {
		tz = v.Page.Location.String()
	}
	return apiPage{ID: v.Page.Name, Name: v.Page.Title, URL: v.Page.PublicURL, TimeZone: tz, UpdatedAt: updated.UTC()}
}

func (v *View) apiStatus() apiStatus {
	return apiStatus{Indicator: v.Indicator, Description: v.Description}
}

// apiComponents lists the groups (as Statuspage does: components with
// group true) and the components, in page order.
func (v *View) apiComponents() []apiComponent {
	out := []apiComponent{}
	pos := 0
	for _, g := range v.Groups {
		var groupID *string
		if g.Name != "" {
			id := "group-" + g.ID
			groupID = &id
			pos++
			gc := apiComponent{ID: id, Name: g.Name, Status: g.State, Position: pos, PageID: v.Page.Name, Group: true}
			for _, c := range g.Components {
				gc.Components = append(gc.Components, c.ID)
			}
			gc.CreatedAt, gc.UpdatedAt = v.epoch(), v.since(g.Components...)
			out = append(out, gc)
		}
		for _, c := range g.Components {
			pos++
			out = append(out, v.apiComponent(c, groupID, pos))
		}
	}
	return out
}

func (v *View) apiComponent(c *ComponentView, groupID *string, pos int) apiComponent {
	ac := apiComponent{ID: c.ID, Name: c.Name, Status: c.State, Position: pos, PageID: v.Page.Name, GroupID: groupID,
		CreatedAt: v.epoch(), UpdatedAt: v.since(c)}
	if c.Description != "" {
		d := c.Description
		ac.Description = &d
	}
	return ac
}

// epoch is when the components are said to have been created: the start
// of the history (pagerd does not know when they were configured).
func (v *View) epoch() time.Time {
	return midnight(v.Now.In(v.Page.Location)).AddDate(0, 0, -(HistoryDays - 1)).UTC()
}

// since is when any of the components last changed state.
func (v *View) since(cs ...*ComponentView) time.Time {
	t := v.epoch()
	for _, c := range cs {
		t = maxTime(t, c.Since)
	}
	return t.UTC()
}

func (v *View) shortlink(code string) string { return v.Page.PublicURL + "/incidents/" + code }

func (v *View) apiIncident(iv IncidentView) apiIncident {
	ai := apiIncident{ID: iv.Code, Name: iv.Title, Status: string(iv.Status), CreatedAt: iv.CreatedAt.UTC(),
		UpdatedAt: iv.UpdatedAt.UTC(), Impact: iv.Impact, Shortlink: v.shortlink(iv.Code), StartedAt: iv.CreatedAt.UTC(),
		PageID: v.Page.Name, IncidentUpdates: []apiUpdate{}, Components: []apiComponent{}}
	if !iv.MonitoringAt.IsZero() {
		t := iv.MonitoringAt.UTC()
		ai.MonitoringAt = &t
	}
	if !iv.ResolvedAt.IsZero() {
		t := iv.ResolvedAt.UTC()
		ai.ResolvedAt = &t
	}
	for _, u := range iv.Newest {
		au := apiUpdate{ID: updateID(iv.Code, u.N), Status: string(u.Status), Body: u.Body, IncidentID: iv.Code,
			CreatedAt: u.At.UTC(), UpdatedAt: u.At.UTC(), DisplayAt: u.At.UTC(), AffectedComponents: []apiAffected{},
			DeliverNotifications: true}
		for _, ch := range u.Changed {
			au.AffectedComponents = append(au.AffectedComponents, apiAffected{Code: ch.ID, Name: ch.Name, OldStatus: ch.From, NewStatus: ch.To})
		}
		ai.IncidentUpdates = append(ai.IncidentUpdates, au)
	}
	ai.Components = v.apiComponentsOf(iv.Affected)
	return ai
}

// apiComponentsOf are the components named, as components.json lists
// them (with their group and position).
func (v *View) apiComponentsOf(as []Affected) []apiComponent {
	out := []apiComponent{}
	all := v.apiComponents()
	for _, a := range as {
		for _, c := range all {
			if !c.Group && c.Name == a.Name {
				out = append(out, c)
			}
		}
	}
	return out
}

func updateID(code string, n int) string { return code + "-" + itoa(n) }

func (v *View) apiMaintenance(m MaintenanceView) apiIncident {
	start, end := m.Start.UTC(), m.End.UTC()
	status := m.Status
	ai := apiIncident{ID: m.ID, Name: m.Name, Status: status, CreatedAt: start, UpdatedAt: start, Impact: "maintenance",
		Shortlink: v.Page.PublicURL + "#maintenance-" + m.ID, StartedAt: start, PageID: v.Page.Name,
		ScheduledFor: &start, ScheduledUntil: &end, Components: []apiComponent{},
		IncidentUpdates: []apiUpdate{{ID: m.ID + "-1", Status: status, Body: m.Announce, IncidentID: m.ID,
			CreatedAt: start, UpdatedAt: start, DisplayAt: start, AffectedComponents: []apiAffected{}, DeliverNotifications: true}}}
	ai.Components = v.apiComponentsOf(m.Components)
	return ai
}

// Summary is /api/v2/summary.json.
func (v *View) Summary() any {
	s := apiSummary{Page: v.apiPage(), Components: v.apiComponents(), Incidents: []apiIncident{},
		ScheduledMaintenances: []apiIncident{}, Status: v.apiStatus()}
	for _, iv := range v.Active {
		s.Incidents = append(s.Incidents, v.apiIncident(iv))
	}
	for _, m := range v.Maintenance {
		s.ScheduledMaintenances = append(s.ScheduledMaintenances, v.apiMaintenance(m))
	}
	return s
}

// Status is /api/v2/status.json.
func (v *View) Status() any {
	return struct {
		Page   apiPage   `json:"page"`
		Status apiStatus `json:"status"`
	}{v.apiPage(), v.apiStatus()}
}

// ComponentsDoc is /api/v2/components.json.
func (v *View) ComponentsDoc() any {
	return struct {
		Page       apiPage        `json:"page"`
		Components []apiComponent `json:"components"`
	}{v.apiPage(), v.apiComponents()}
}

// IncidentsDoc is /api/v2/incidents.json (all = true: the latest 50) or
// /api/v2/incidents/unresolved.json.
func (v *View) IncidentsDoc(all bool) any {
	list := v.Active
	if all {
		list = v.Incidents
	}
	out := []apiIncident{}
	for _, iv := range list[:min(len(list), maxAPIIncidents)] {
		out = append(out, v.apiIncident(iv))
	}
	return struct {
		Page      apiPage       `json:"page"`
		Incidents []apiIncident `json:"incidents"`
	}{v.apiPage(), out}
}

// MaintenancesDoc is /api/v2/scheduled-maintenances.json.
func (v *View) MaintenancesDoc() any {
	out := []apiIncident{}
	for _, m := range v.Maintenance {
		out = append(out, v.apiMaintenance(m))
	}
	return struct {
		Page                  apiPage       `json:"page"`
		ScheduledMaintenances []apiIncident `json:"scheduled_maintenances"`
	}{v.apiPage(), out}
}

// stateWords are the states as a page says them.
var stateWords = map[string]string{
	policies.StateOperational: "Operational",
	policies.StateMaintenance: "Under maintenance",
	policies.StateDegraded:    "Degraded performance",
	policies.StatePartial:     "Partial outage",
	policies.StateMajor:       "Major outage",
}

// StateWords says a component state in words.
func StateWords(state string) string {
	if w, ok := stateWords[state]; ok {
		return w
	}
	return state
}

// statusWords say an incident's status in words.
func statusWords(s incident.UpdateState) string {
	switch s {
	case incident.StateInvestigating:
		return "Investigating"
	case incident.StateIdentified:
		return "Identified"
	case incident.StateMonitoring:
		return "Monitoring"
	case incident.StateResolved:
		return "Resolved"
	}
	return string(s)
}
