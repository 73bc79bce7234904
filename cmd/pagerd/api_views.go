package main

import (
	"encoding/json"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
)

// incidentView is an incident as the API returns it: the incident, and
// for one incident its alerts, timeline and the service's recent changes.
type incidentView struct {
	incident.Incident
	command.View
	Alerts   []json.RawMessage `json:"alerts"`
	Timeline []incident.Fact   `json:"timeline"`
	// TimelineNext is where the rest of a long timeline starts.
	TimelineNext  string                  `json:"timeline_next"`
	StatusUpdates []incident.StatusUpdate `json:"status_updates"`
	Changes       []incident.Change       `json:"recent_changes"`
	// Folded are, for a storm incident, the incidents folded into it.
	Folded []incidentView `json:"folded"`
}

// incidentsResult is `pagerd incidents -o json`.
type incidentsResult struct {
	Incidents []incidentJSON `json:"incidents"`
}

// incidentJSON is an incident in the CLI's JSON output. It has the API's
// key names, but its own fixed set of keys, so that scripts do not break
// when the API grows.
type incidentJSON struct {
	ID           int64             `json:"id"`
	Status       string            `json:"status"`
	Service      string            `json:"service"`
	Escalation   string            `json:"escalation"`
	Title        string            `json:"title"`
	Summary      string            `json:"summary"`
	SourceURL    string            `json:"source_url"`
	GroupLabels  map[string]string `json:"group_labels"`
	CreatedAt    jsonTime          `json:"created_at"`
	AckedAt      jsonTime          `json:"acknowledged_at"`
	AckedBy      string            `json:"acknowledged_by"`
	ResolvedAt   jsonTime          `json:"resolved_at"`
	ResolvedBy   string            `json:"resolved_by"`
	AlertsFiring int               `json:"alerts_firing"`
	AlertsTotal  int               `json:"alerts_total"`
	Suppressed   string            `json:"suppressed"`
	FoldedInto   int64             `json:"folded_into"` // 0: not folded into a storm
	Flapping     bool              `json:"flapping"`
	Storm        *stormJSON        `json:"storm"` // null unless a storm incident
	// Incident command.
	Severity     string            `json:"severity"`
	Roles        map[string]string `json:"roles"`
	DeclaredBy   string            `json:"declared_by"`
	UpdateState  string            `json:"update_state"`
	LastUpdateAt jsonTime          `json:"last_update_at"`
	NextUpdateAt jsonTime          `json:"next_update_at"`
}

// stormJSON is what a storm incident holds of the incidents folded into it.
type stormJSON struct {
	Folded       int      `json:"folded"`
	FoldedOpen   int      `json:"folded_open"`
	LastFoldedAt jsonTime `json:"last_folded_at"`
	PassedAt     jsonTime `json:"passed_at"`
}

// incidentDetailJSON is `pagerd show -o json`.
type incidentDetailJSON struct {
	incidentJSON
	SuppressedAlerts map[string]string `json:"suppressed_alerts"`
	Alerts           []json.RawMessage `json:"alerts"`
	Timeline         []eventJSON       `json:"timeline"`
	Changes          []changeJSON      `json:"recent_changes"`
	Folded           []incidentJSON    `json:"folded"`
	StatusUpdates    []updateJSON      `json:"status_updates"`
}

// updateJSON is a status update in the CLI's JSON output.
type updateJSON struct {
	N          int      `json:"n"`
	At         jsonTime `json:"at"`
	By         string   `json:"by"`
	Via        string   `json:"via"`
	Status     string   `json:"status"`
	Text       string   `json:"text"`
	PublicText string   `json:"public_text"`
}

type eventJSON struct {
	At     jsonTime `json:"at"`
	Event  string   `json:"event"`
	Actor  string   `json:"actor"`
	Via    string   `json:"via"`
	Detail string   `json:"detail"`
	Tag    string   `json:"tag"`
}

// changeJSON is a change event in the CLI's JSON output.
type changeJSON struct {
	At          jsonTime        `json:"at"`
	Service     string          `json:"service"`
	Summary     string          `json:"summary"`
	Source      string          `json:"source"`
	Integration string          `json:"integration"`
	Links       []incident.Link `json:"links"`
	Details     json.RawMessage `json:"custom_details"`
}

func changeOut(c incident.Change) changeJSON {
	out := changeJSON{At: jsonTime(c.At.UTC()), Service: c.Service, Summary: c.Summary, Source: c.Source,
		Integration: c.Integration, Links: c.Links, Details: c.Details}
	if out.Links == nil {
		out.Links = []incident.Link{}
	}
	if len(out.Details) == 0 {
		out.Details = json.RawMessage("null")
	}
	return out
}

func (inc incidentView) listJSON() incidentJSON {
	labels := inc.GroupLabels
	if labels == nil {
		labels = map[string]string{}
	}
	out := incidentJSON{
		ID: inc.ID, Status: string(inc.Status), Service: inc.Service, Escalation: inc.Escalation,
		Title: inc.Title, Summary: inc.Summary, SourceURL: inc.SourceURL, GroupLabels: labels,
		CreatedAt: jsonTime(inc.CreatedAt.UTC()), AckedAt: jsonTime(inc.AckedAt.UTC()), AckedBy: inc.AckedBy,
		ResolvedAt: jsonTime(inc.ResolvedAt.UTC()), ResolvedBy: inc.ResolvedBy,
		AlertsFiring: inc.FiringCount, AlertsTotal: inc.AlertsTotal, Suppressed: inc.Suppressed,
		FoldedInto: inc.FoldedInto, Flapping: inc.Flapping,
		Severity: inc.Severity, Roles: rolesJSON(inc.Incident), DeclaredBy: inc.DeclaredBy, UpdateState: string(inc.UpdateState),
		LastUpdateAt: jsonTime(inc.LastUpdateAt.UTC()), NextUpdateAt: jsonTime(inc.NextUpdateAt.UTC()),
	}
	if st := inc.Storm; st != nil {
		out.Storm = &stormJSON{Folded: st.Folded, FoldedOpen: st.Open,
			LastFoldedAt: jsonTime(st.LastFoldedAt.UTC()), PassedAt: jsonTime(st.PassedAt.UTC())}
	}
	return out
}

// rolesJSON is every role, "" when nobody plays it.
func rolesJSON(inc incident.Incident) map[string]string {
	out := map[string]string{}
	for _, r := range incident.Roles {
		out[string(r)] = inc.Role(r)
	}
	return out
}

func (inc incidentView) detailJSON() incidentDetailJSON {
	out := incidentDetailJSON{incidentJSON: inc.listJSON(), SuppressedAlerts: inc.SuppressedAlerts, Alerts: inc.Alerts,
		Timeline: []eventJSON{}, Changes: []changeJSON{}, Folded: []incidentJSON{}, StatusUpdates: []updateJSON{}}
	for _, u := range inc.StatusUpdates {
		out.StatusUpdates = append(out.StatusUpdates, updateJSON{N: u.N, At: jsonTime(u.At.UTC()), By: u.By, Via: u.Via,
			Status: string(u.State), Text: u.Text, PublicText: u.Public()})
	}
	for _, f := range inc.Folded {
		out.Folded = append(out.Folded, f.listJSON())
	}
	if out.SuppressedAlerts == nil {
		out.SuppressedAlerts = map[string]string{}
	}
	if out.Alerts == nil {
		out.Alerts = []json.RawMessage{}
	}
	for _, e := range inc.Timeline {
		out.Timeline = append(out.Timeline, eventJSON{At: jsonTime(e.At.UTC()), Event: string(e.Kind), Actor: e.Actor, Via: e.Via, Detail: e.Detail, Tag: e.Tag})
	}
	for _, c := range inc.Changes {
		out.Changes = append(out.Changes, changeOut(c))
	}
	return out
}
