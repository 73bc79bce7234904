package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

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
