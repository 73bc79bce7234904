package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// apiClient talks to a running pagerd's incident API.
type apiClient struct {
	server       string
	serverSource string // where server came from, for "cannot reach" messages
	token        string
	http         *http.Client
}

// client builds the API client from --server and --token. Without a token
// it takes the first "api" integration of --config, so on a machine with
// the config nothing else is needed.
// incidentClient reads a verb's incident argument ("42" or "#42") and
// makes the API client, the two things every verb about one incident needs
// first.
func (c *cli) incidentClient(arg string) (int64, *apiClient, error) {
	id, err := parseIncidentID(arg)
	if err != nil {
		return 0, nil, err
	}
	api, err := c.client()
	return id, api, err
}

func (c *cli) client() (*apiClient, error) {
	tok := c.token.String()
	if tok == "" {
		var err error
		if tok, err = c.tokenFromConfig(); err != nil {
			return nil, err
		}
	}
	return &apiClient{
		server:       strings.TrimRight(c.server.String(), "/"),
		serverSource: c.server.source(),
		token:        tok,
		http:         &http.Client{Timeout: 15 * time.Second},
	}, nil
}

func (c *cli) tokenFromConfig() (string, error) {
	const need = "no API token: pass --token or set " + envToken
	cfg, err := c.loadConfig()
	if err != nil {
		return "", fmt.Errorf("%s (the fallback, an \"api\" integration of --config, is unavailable: %w)", need, err)
	}
	for _, in := range cfg.Integrations {
		if in.Type == policies.APIIntegration {
			return in.Token, nil
		}
	}
	return "", fmt.Errorf("%s, or add an integration of type \"api\" to config directory %q", need, c.config.String())
}

// do sends one request and decodes the JSON answer into out. Its errors say
// what to change: the server URL when nobody answers, the token when it is
// refused.
func (a *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	data, err := a.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: answer is not the JSON expected: %w", method, path, err)
	}
	return nil
}

// request sends one request and returns the answer's body, or an error
// that says what to change (see do).
func (a *apiClient) request(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.server+path, rd)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", a.server, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		// url.Error repeats the method and URL; say them once, our way.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cannot reach pagerd at %s (%s): %w; is it running there? Set the URL with --server or %s",
			a.server, a.serverSource, err, envServer)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = fmt.Sprintf("%s (HTTP %d)", e.Error, resp.StatusCode)
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			return nil, fmt.Errorf("%s %s: %s: pass the token of an \"api\" integration with --token or %s", method, path, msg, envToken)
		case resp.StatusCode == http.StatusNotFound && e.Error == "":
			// Not pagerd's own "no such incident": the route itself is unknown.
			return nil, fmt.Errorf("%s %s: %s: is %s a pagerd as new as this CLI?", method, path, msg, a.server)
		}
		return nil, fmt.Errorf("%s %s: %s", method, path, msg)
	}
	return data, nil
}

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

func (c *cli) incidentsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "incidents",
		GroupID: groupIncidents,
		Short:   "List incidents of a running pagerd",
		Long: `List the incidents of the pagerd at --server, newest first: the open ones
(triggered or acknowledged), or with --all every incident still kept
(resolved ones stay for the config's resolved_retention).

The API token is --token, PAGERD_API_TOKEN, or the first "api" integration
of --config.

With -o json it prints one object:
  {"incidents": [{"id": 42, "status": "triggered", "service": "checkout",
    "escalation": "payments", "title": "CheckoutDown", "summary": "",
    "source_url": "", "group_labels": {"alertname": "CheckoutDown"},
    "created_at": "2026-11-27T10:00:00Z", "acknowledged_at": null,
    "acknowledged_by": "", "resolved_at": null, "resolved_by": "",
    "alerts_firing": 2, "alerts_total": 3, "suppressed": "", "folded_into": 0,
    "flapping": false, "storm": null,
    "severity": "SEV2", "roles": {"manager": "alice", "comms": "", "scribe": ""},
    "declared_by": "", "update_state": "identified",
    "last_update_at": "2026-11-27T10:20:00Z", "next_update_at": "2026-11-27T11:20:00Z"}]}
status is triggered, acknowledged or resolved. suppressed says why the
incident pages nobody — every alert firing in it is muted by a silence
("silence:ID"), a maintenance window ("maintenance:NAME") or an inhibition
rule ("inhibited:RULE") — and is "" while it pages. Times are RFC 3339 in
UTC; a time that has not happened is null. Every key is always present.
folded_into is the storm incident an incident was folded into (0: none):
it pages nobody, its storm pages for it. A storm incident has
  "storm": {"folded": 12, "folded_open": 3,
            "last_folded_at": "2026-11-27T10:04:00Z", "passed_at": null}
and the table lists the incidents folded into it under it. flapping says
one of its alerts flaps: it paged once, its flips do not page again.`,
		Example: `  pagerd incidents
  pagerd incidents --all --server http://pagerd:8080
  pagerd incidents -o json | jq -r '.incidents[] | select(.status == "triggered") | .id'`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	all := cmd.Flags().Bool("all", false, "include resolved incidents still kept")
	output := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		api, err := c.client()
		if err != nil {
			return err
		}
		path := "/v1/incidents"
		if *all {
			path += "?status=all"
		}
		var out struct{ Incidents []incidentView }
		if err := api.do(cmd.Context(), http.MethodGet, path, nil, &out); err != nil {
			return err
		}
		if structured(output) {
			list := incidentsResult{Incidents: []incidentJSON{}}
			for _, inc := range out.Incidents {
				list.Incidents = append(list.Incidents, inc.listJSON())
			}
			return writeData(c.stdout, output, list)
		}
		return writeIncidentTable(c.stdout, out.Incidents, time.Now())
	}
	return cmd
}

// parseIncidentID reads an incident ID argument, "42" or "#42".
func parseIncidentID(arg string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("incident ID must be a positive number such as 42, not %q", arg)
	}
	return id, nil
}

func (c *cli) showCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "show ID",
		GroupID: groupIncidents,
		Short:   "Show one incident with its timeline",
		Long: `Show one incident of the pagerd at --server: its service, status, how many
of its alerts still fire, and its timeline — every fact recorded about it,
oldest first: alerts, pages sent and failed, acknowledgements, escalations,
notes. ID is the incident number, with or without a leading #.

The alerts section shows each alert's labels and what its sender attached
(a PagerDuty event's source, links, client and custom_details); recent
changes are the service's change events from the day before the incident
opened on.

The status says "suppressed" while every alert firing in the incident is
muted, so it pages nobody, and each muted alert says what mutes it: a
silence ("silence:ID", see 'pagerd silence list'), a maintenance window
("maintenance:NAME") or an inhibition rule ("inhibited:RULE"); the
timeline says when.

With -o json it prints the incident as one object with the keys of
'pagerd incidents -o json', plus:
  "suppressed_alerts": {"a4968fcd8858e3e5": "silence:6f1c..."}, why each
              muted firing alert is, by fingerprint ({} when none is)
  "alerts":   [...],  the incident's alerts as the API returns them
  "timeline": [{"at": "2026-11-27T10:00:00.5Z", "event": "acknowledged",
                "actor": "alice", "via": "sms", "detail": ""}]
  "recent_changes": [{"at": ..., "service": "checkout", "summary": "deploy 42",
                "source": "ci", "integration": "ci", "links": [], "custom_details": null}]
  "folded":   [...],  for a storm incident, the incidents folded into it,
                      newest first, with the keys of 'pagerd incidents -o json'
  "status_updates": [{"n": 1, "at": ..., "by": "alice", "via": "cli",
              "status": "identified", "text": "...", "public_text": "..."}]
A timeline fact's "tag" marks a note (root_cause, resolution) or says a
status update's state. Times are RFC 3339 in UTC.`,
		Example: `  pagerd show 42
  pagerd show '#42' --server http://pagerd:8080
  pagerd show 42 -o json | jq '.timeline[] | select(.event == "acknowledged")'`,
		Args:              exactArgs(1, "one incident ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, api, err := c.incidentClient(args[0])
		if err != nil {
			return err
		}
		var inc incidentView
		if err := api.do(cmd.Context(), http.MethodGet, "/v1/incidents/"+strconv.FormatInt(id, 10), nil, &inc); err != nil {
			return err
		}
		if output.String() == "json" {
			return writeJSON(c.stdout, inc.detailJSON())
		}
		return writeIncident(c.stdout, inc)
	}
	return cmd
}

// action is one verb that changes an incident through
// POST /v1/incidents/{id}/{name}?by=NAME. The answer is
// {"incident": 42, "outcome": "...", "previous_status": "..."}.
type action struct {
	name                      incident.Action
	use, short, long, example string
	args                      cobra.PositionalArgs
	// body builds the JSON request body from the arguments after ID; nil
	// for actions without one.
	body func(rest []string) (any, error)
	// said words the answer after "incident #42 ": what happened, or, when
	// the outcome is "unchanged", that nothing did and why.
	said func(outcome, previous string) string
}

// outcomeUnchanged is the outcome of an action that changed nothing (an ack
// of an incident already acknowledged): not an error, the wish is granted.
const outcomeUnchanged = string(incident.OutcomeUnchanged)

var (
	actAck = action{
		name:  incident.Ack,
		short: "Acknowledge an incident: escalation stops",
		long: `Acknowledge an incident of the pagerd at --server: someone is on it, so
escalation stops and nobody else is paged. Everyone already paged hears who
acknowledged. If the config sets ack_timeout, paging starts over when the
incident is still open that long after.

--by names who acknowledges in the timeline (default $USER).`,
		example: "  pagerd ack 42\n  pagerd ack 42 --by alice --server http://pagerd:8080",
		said:    statusChange,
	}
	actResolve = action{
		name:  incident.Resolve,
		short: "Resolve an incident",
		long: `Resolve an incident of the pagerd at --server: the problem is over, so
paging stops for good and everyone already paged hears it. An alert of the
incident that fires again opens a new incident.

--by names who resolves in the timeline (default $USER).`,
		example: "  pagerd resolve 42\n  pagerd resolve 42 --by alice",
		said:    statusChange,
	}
	actEscalate = action{
		name:  incident.Escalate,
		short: "Move an incident to its next escalation step now",
		long: `Escalate an incident of the pagerd at --server now: its escalation policy
moves on to the next step at once instead of waiting for the step's delay,
and that step's people are paged. Use it when whoever is being paged cannot
help, or the incident needs more hands than the current step brings.

The server changes nothing for an incident that cannot escalate (one that
is resolved, say); the answer says so, with exit code 0.

--by names who escalates in the timeline (default $USER).`,
		example: "  pagerd escalate 42\n  pagerd escalate 42 --by alice --server http://pagerd:8080",
		said: func(outcome, previous string) string {
			if outcome == outcomeUnchanged {
				return "was not escalated: it is " + previous
			}
			return outcome
		},
	}
	actNote = action{
		name:  incident.Note,
		use:   "note ID TEXT...",
		args:  rangeArgs(2, -1, "an incident ID and the note's text"),
		short: "Add a note to an incident's timeline",
		long: `Add a note to the timeline of an incident of the pagerd at --server: a
fact worth keeping with the incident — what was tried, what was found, who
was called — that shows in 'pagerd show' and is there for the post-mortem.
The words after ID are the text, joined by spaces; quote it to keep it
exactly as written, and put -- before a text that starts with a dash.
A note is at most 4 KiB.

--tag root-cause or --tag resolution marks the note as a candidate root
cause or as what resolved it: the post-mortem draft lists them so.
--by names who writes the note (default $USER).`,
		example: "  pagerd note 42 rolled back checkout to v1.41\n  pagerd note 42 'DB failover started 10:02, ETA 15 min' --by alice\n  pagerd note 42 --tag root-cause 'memory limit 512Mi too low for the new cache'",
		body: func(rest []string) (any, error) {
			text := strings.TrimSpace(strings.Join(rest, " "))
			if text == "" {
				return nil, usagef("the note is empty: give its text after the incident ID")
			}
			return map[string]string{"text": text}, nil
		},
		said: func(outcome, previous string) string {
			if outcome == outcomeUnchanged {
				return "unchanged: the note was not added (incident is " + previous + ")"
			}
			return "note added"
		},
	}
)

// statusChange words ack and resolve, whose outcome is the new status.
func statusChange(outcome, previous string) string {
	if outcome == outcomeUnchanged {
		return "was already " + previous
	}
	return outcome
}

func (c *cli) actCmd(act action) *cobra.Command {
	cmd := &cobra.Command{
		Use:               string(act.name) + " ID",
		GroupID:           groupIncidents,
		Short:             act.short,
		Long:              act.long,
		Example:           act.example,
		Args:              exactArgs(1, "one incident ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	if act.use != "" {
		cmd.Use, cmd.Args = act.use, act.args
	}
	by := byFlag(cmd, c.getenv)
	var tag *string
	if act.name == incident.Note {
		tag = cmd.Flags().String("tag", "", "mark the note for the post-mortem: `root-cause` or resolution")
		_ = cmd.RegisterFlagCompletionFunc("tag", cobra.FixedCompletions([]string{"root-cause", "resolution"}, cobra.ShellCompDirectiveNoFileComp))
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := parseIncidentID(args[0])
		if err != nil {
			return err
		}
		var body any
		if act.body != nil {
			if body, err = act.body(args[1:]); err != nil {
				return err
			}
		}
		if tag != nil && *tag != "" {
			t, err := incident.ParseNoteTag(*tag)
			if err != nil {
				return usageError{err}
			}
			body.(map[string]string)["tag"] = string(t)
		}
		return c.act(cmd.Context(), act, id, *by, body)
	}
	return cmd
}

// byFlag adds --by, the person recorded in the timeline.
func byFlag(cmd *cobra.Command, getenv func(string) string) *string {
	return cmd.Flags().String("by", getenv("USER"), "`NAME` of who acts, recorded in the incident's timeline")
}

// act posts an action, with body as JSON when there is one, and says what
// came of it.
func (c *cli) act(ctx context.Context, act action, id int64, by string, body any) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	var out struct {
		Outcome        string `json:"outcome"`
		PreviousStatus string `json:"previous_status"`
	}
	path := fmt.Sprintf("/v1/incidents/%d/%s", id, act.name)
	if by != "" {
		path += "?by=" + url.QueryEscape(by)
	}
	if err := api.do(ctx, http.MethodPost, path, body, &out); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "incident #%d %s\n", id, act.said(out.Outcome, out.PreviousStatus))
	return nil
}
