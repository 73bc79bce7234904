package console

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/postmortem"
)

// page is what every template is given; each uses its part.
type page struct {
	Title   string
	User    string // signed in as; "" on the sign-in pages
	CSRF    string
	Message string
	Notice  string // what the last form did
	Back    int64  // the incident a message page leads back to

	All       bool
	Incidents []incidentRow

	Incident     *incidentRow
	Timeline     []incident.Fact
	NextFacts    string // cursor of the timeline's next page; "" on the last
	Paged        bool   // this is a later page of the timeline
	Updates      []incident.StatusUpdate
	Stakeholders []incident.Fact
	Matrix       *command.Matrix
	Roles        []roleRow
	Users        []string
	States       []incident.UpdateState
	Kinds        []incident.ActionKind
	Today        string
	Postmortem   incident.Postmortem
	Actions      []postmortem.ExportItem
	Status       string // the backlog's filter
	Now          time.Time
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

var funcs = template.FuncMap{
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"clock": func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"words": func(s any) string {
		var v string
		switch x := s.(type) {
		case string:
			v = x
		case incident.Kind:
			v = string(x)
		case incident.Status:
			v = string(x)
		default:
			return ""
		}
		return strings.ReplaceAll(v, "_", " ")
	},
	"open": func(st incident.Status) bool { return st != incident.Resolved },
}

// templates holds every page, each defined over the same layout.
var templates = template.Must(template.New("layout").Funcs(funcs).Parse(layout))

func init() {
	for name, body := range pages {
		template.Must(templates.New(name).Parse(body))
	}
}

// render writes page name; the layout wraps it.
func (c *Console) render(w http.ResponseWriter, code int, name string, p page) {
	if p.Now.IsZero() {
		p.Now = c.Now()
	}
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, p); err != nil {
		c.Log.Error("console template failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}

// layout is the page around every page's "body": readable on a phone
// (one column, large buttons), no script.
const layout = `{{define "top"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}} — pagerd</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:56rem;padding:0 .8rem 3rem;color:#1b1b1b;line-height:1.4}
header{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;justify-content:space-between;border-bottom:1px solid #ccc;padding:.6rem 0}
header a{font-weight:bold;text-decoration:none}
h1{font-size:1.4rem;overflow-wrap:anywhere}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #eee}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:anywhere}
button,input,select,textarea{font:inherit;font-size:1rem}button{padding:.45rem 1rem;margin:.2rem 0;cursor:pointer}
input[type=text],textarea,select{width:100%;box-sizing:border-box;padding:.4rem}textarea{min-height:4.5rem}
form.inline{display:inline}label{display:block;margin:.5rem 0 .2rem;font-weight:600}
.notice{background:#e8f4e8;border:1px solid #9c9;padding:.5rem}.status-triggered{color:#b00020;font-weight:bold}
.status-acknowledged{color:#a65e00;font-weight:bold}.status-resolved{color:#2e7d32;font-weight:bold}
.muted{color:#666}.tag{background:#eef;border-radius:.3rem;padding:0 .3rem;font-size:.9em}
ol.timeline{list-style:none;padding:0}ol.timeline li{padding:.35rem 0;border-bottom:1px solid #f0f0f0;overflow-wrap:anywhere}
@media (max-width:40rem){td,th{display:block;border:0;padding:.1rem .2rem}tr{display:block;border-bottom:1px solid #ddd;padding:.3rem 0}thead{display:none}}
</style></head><body>
<header><a href="/console/">pagerd</a>{{if .User}}<nav><a href="/console/">Incidents</a> · <a href="/console/actions">Action items</a></nav>
<form method="post" action="/console/signout" class="inline"><input type="hidden" name="csrf" value="{{.CSRF}}">
<span class="muted">{{.User}}</span> <button type="submit">Sign out</button></form>{{end}}</header>
<main>{{end}}
{{define "bottom"}}</main></body></html>{{end}}`

var pages = map[string]string{
	"message": `{{template "top" .}}<h1>{{.Title}}</h1><p id="message">{{.Message}}</p>
{{if .Back}}<p><a href="/console/incidents/{{.Back}}">Back to incident #{{.Back}}</a></p>{{end}}
{{if not .User}}<p><a href="/console/signin">Sign in</a></p>{{end}}{{template "bottom" .}}`,

	"signin": `{{template "top" .}}<h1>Sign in</h1>
{{with .Message}}<p class="notice">{{.}}</p>{{end}}
<p>pagerd sends a sign-in link to you through your own first notification channel (email, SMS or chat). No password.</p>
<form method="post" action="/console/signin"><label for="user">Your pagerd user name</label>
<input type="text" id="user" name="user" autocomplete="username" autocapitalize="none" required>
<button type="submit" id="send">Send me a link</button></form>
<p class="muted">From a terminal: <code>pagerd login NAME</code>.</p>{{template "bottom" .}}`,

	"confirm": `{{template "top" .}}<h1>Sign in as {{.Message}}?</h1>
<p>This link works once. Press the button to sign in on this device.</p>
<form method="post"><button type="submit" id="confirm">Sign in as {{.Message}}</button></form>{{template "bottom" .}}`,

	"list": `{{template "top" .}}<h1>{{if .All}}All incidents{{else}}Open incidents{{end}}</h1>
<p>{{if .All}}<a href="/console/">Open only</a>{{else}}<a href="/console/?status=all">Show resolved too</a>{{end}}</p>
{{if .Incidents}}<table><thead><tr><th>#</th><th>Status</th><th>Sev</th><th>Service</th><th>Title</th><th>Manager</th><th>Next update</th></tr></thead><tbody>
{{range .Incidents}}<tr><td><a href="/console/incidents/{{.ID}}">#{{.ID}}</a></td><td class="status-{{.Status}}">{{.Status}}</td>
<td>{{or .Severity "—"}}</td><td>{{.Service}}</td><td><a href="/console/incidents/{{.ID}}">{{.Title}}</a></td>
<td>{{or (.Role "manager") "—"}}</td><td>{{if .NextUpdateAt.IsZero}}—{{else}}{{stamp .NextUpdateAt}}{{if .UpdateOverdue}} (due){{end}}{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No incidents.</p>{{end}}{{template "bottom" .}}`,

	"backlog": `{{template "top" .}}<h1>Action items: {{.Status}}</h1>
<p><a href="/console/actions">Open</a> · <a href="/console/actions?status=overdue">Overdue</a> · <a href="/console/actions?status=all">All</a></p>
{{template "actions" .}}{{template "bottom" .}}`,

	"actions": `{{if .Actions}}<table id="action-items"><thead><tr><th>#</th><th>Action</th><th>Owner</th><th>Kind</th><th>Due</th><th>Status</th><th></th></tr></thead><tbody>
{{range .Actions}}<tr><td>{{.ID}}</td><td>{{.Title}} <a href="/console/incidents/{{.Incident}}" class="muted">#{{.Incident}}</a></td><td>{{.Owner}}</td>
<td>{{.Kind}}</td><td>{{or .Due "—"}}</td><td>{{.Status}}</td>
<td>{{if ne .Status "done"}}<form method="post" action="/console/actions/{{.ID}}/done" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<button type="submit">Done</button></form>{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No action items.</p>{{end}}`,

	"incident": `{{template "top" .}}{{with .Incident}}
<h1>#{{.ID}} {{.Title}}</h1>
{{with $.Notice}}<p class="notice" id="notice">{{.}}</p>{{end}}
<p><span class="status-{{.Status}}" id="status">{{.Status}}</span> · {{or .Severity "no severity"}} · service {{.Service}}</p>
{{with .Summary}}<p>{{.}}</p>{{end}}
<table><tbody>
<tr><th>Started</th><td>{{stamp .CreatedAt}}{{with .DeclaredBy}} (declared by {{.}}){{end}}</td></tr>
{{if not .AckedAt.IsZero}}<tr><th>Acknowledged</th><td>{{stamp .AckedAt}} by {{.AckedBy}}</td></tr>{{end}}
{{if not .ResolvedAt.IsZero}}<tr><th>Resolved</th><td>{{stamp .ResolvedAt}} by {{.ResolvedBy}}</td></tr>{{end}}
<tr><th>Alerts</th><td>{{.FiringCount}} firing of {{.AlertsTotal}}</td></tr>
{{if not .NextUpdateAt.IsZero}}<tr><th>Next update</th><td>{{stamp .NextUpdateAt}}{{if .UpdateOverdue}} — due now{{end}}</td></tr>{{end}}
</tbody></table>
{{if open .Status}}<p>{{if eq .Status "triggered"}}<form method="post" action="/console/incidents/{{.ID}}/ack" class="inline">
<input type="hidden" name="csrf" value="{{$.CSRF}}"><button type="submit" id="ack">Acknowledge</button></form> {{end}}
<form method="post" action="/console/incidents/{{.ID}}/resolve" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<button type="submit" id="resolve">Resolve</button></form></p>{{end}}

<h2 id="roles">Roles</h2>
<table><tbody>{{range $.Roles}}<tr><th>{{.Title}}</th><td class="role-{{.Role}}">{{or .Who "—"}}</td></tr>{{end}}</tbody></table>
{{if open .Status}}<form method="post" action="/console/incidents/{{.ID}}/assign" id="assign-form"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<label for="role">Role</label><select id="role" name="role">{{range $.Roles}}<option value="{{.Role}}">{{.Title}}</option>{{end}}</select>
<label for="assignee">Person</label><select id="assignee" name="user"><option value="">nobody</option>{{range $.Users}}<option value="{{.}}">{{.}}</option>{{end}}</select>
<button type="submit" id="assign">Assign</button></form>{{end}}

<h2 id="updates">Status updates</h2>
{{if $.Updates}}<ol>{{range $.Updates}}<li><strong>{{.State}}</strong> — {{.Text}}{{if .PublicText}} <span class="muted">(public: {{.PublicText}})</span>{{end}}
<span class="muted">{{stamp .At}}, {{.By}}</span></li>{{end}}</ol>{{else}}<p>None yet.</p>{{end}}
{{if open .Status}}<form method="post" action="/console/incidents/{{.ID}}/update"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<label for="update-status">Status</label><select id="update-status" name="status">{{range $.States}}<option value="{{.}}">{{.}}</option>{{end}}</select>
<label for="update-text">Update, for people inside</label><textarea id="update-text" name="text" maxlength="4096" required></textarea>
<label for="update-public">Public wording, when it differs</label><textarea id="update-public" name="public_text" maxlength="4096"></textarea>
<button type="submit" id="post-update">Post update</button></form>{{end}}

<h2 id="notes">Add a note</h2>
<form method="post" action="/console/incidents/{{.ID}}/note"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<label for="note-text">What you found or did</label><textarea id="note-text" name="text" maxlength="4096" required></textarea>
<label for="note-tag">Mark it for the post-mortem</label><select id="note-tag" name="tag"><option value="">no mark</option>
<option value="root-cause">candidate root cause</option><option value="resolution">resolution</option></select>
<button type="submit" id="add-note">Add note</button></form>

<h2 id="stakeholders">Stakeholders</h2>
{{with $.Matrix}}{{if .Block}}<p>Matrix <strong>{{.Block}}</strong>: {{if .Engaged}}engaged by {{.Severity}}{{else}}not engaged by {{or .Severity "an incident without a severity"}} (it engages {{range $i, $s := .Severities}}{{if $i}}, {{end}}{{$s}}{{end}}){{end}}.</p>
{{if and .Engaged .Deliveries}}<table id="matrix"><thead><tr><th>When</th><th>Quadrant</th><th>Who</th><th>How</th></tr></thead><tbody>
{{range .Deliveries}}<tr><td>{{.Moment}}</td><td>{{words .Quadrant}}</td><td>{{.Who}}</td><td>{{.Via}}, {{.Wording}} wording{{if .Digest}}, digest{{end}}</td></tr>{{end}}</tbody></table>{{end}}
{{else}}<p class="muted">No stakeholders block covers service {{.Service}}.</p>{{end}}{{end}}
<h3>Told so far</h3>
{{if $.Stakeholders}}<ul>{{range $.Stakeholders}}<li>{{clock .At}} {{words .Kind}}: {{.Detail}}</li>{{end}}</ul>
{{else}}<p class="muted">Nobody told yet{{if $.Paged}} on this page of the timeline{{end}}.</p>{{end}}

<h2 id="timeline">Timeline</h2>
<ol class="timeline">{{range $.Timeline}}<li><span class="muted">{{stamp .At}}</span> <strong>{{words .Kind}}</strong>{{with .Tag}} <span class="tag">{{words .}}</span>{{end}}{{with .Actor}} by {{.}}{{end}}{{with .Via}} ({{.}}){{end}}{{with .Detail}}: {{.}}{{end}}</li>{{end}}</ol>
{{if $.NextFacts}}<p><a href="/console/incidents/{{.ID}}?after={{$.NextFacts}}#timeline">Later facts</a></p>{{end}}
{{if $.Paged}}<p><a href="/console/incidents/{{.ID}}#timeline">Back to the start</a></p>{{end}}

<h2 id="postmortem">Post-mortem</h2>
<p><a href="/console/incidents/{{.ID}}/postmortem.md" id="postmortem-link">Draft (Markdown)</a>{{with $.Postmortem}}{{if .Owner}} · owner {{.Owner}} ({{.OwnerWhy}}), {{if .Required}}required{{else}}offered{{end}}{{end}}{{if .Done}} · done {{stamp .DoneAt}} by {{.DoneBy}}{{end}}{{with .Path}} · written to {{.}}{{end}}{{end}}</p>
{{if and (not (open .Status)) (not $.Postmortem.Done)}}<form method="post" action="/console/incidents/{{.ID}}/postmortem-done"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<button type="submit" id="postmortem-done">Mark the post-mortem done</button></form>{{end}}

<h2 id="actions">Action items</h2>
{{template "actions" $}}
<form method="post" action="/console/incidents/{{.ID}}/action"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<label for="action-title">Action</label><input type="text" id="action-title" name="title" maxlength="300" required>
<label for="action-owner">Owner</label><select id="action-owner" name="owner">{{range $.Users}}<option value="{{.}}"{{if eq . $.User}} selected{{end}}>{{.}}</option>{{end}}</select>
<label for="action-kind">Kind</label><select id="action-kind" name="kind">{{range $.Kinds}}<option value="{{.}}">{{.}}</option>{{end}}</select>
<label for="action-due">Due</label><input type="date" id="action-due" name="due" min="{{$.Today}}">
<button type="submit" id="add-action">Add action item</button></form>
{{end}}{{template "bottom" .}}`,
}
