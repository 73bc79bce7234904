package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// Incident command verbs: declare, severity, assign, update. Each is one
// request to the API; the server decides and says what it did.

// commandAnswer is what the API answers a command action.
type commandAnswer struct {
	Outcome        string       `json:"outcome"`
	PreviousStatus string       `json:"previous_status"`
	Now            incidentView `json:"now"`
}

// withBy adds ?by=NAME to path when by is set.
func withBy(path, by string) string {
	if by == "" {
		return path
	}
	return path + "?by=" + url.QueryEscape(by)
}

func (c *cli) declareCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "declare TITLE... --service NAME",
		GroupID: groupIncidents,
		Short:   "Open an incident by hand, paged like one an alert opens",
		Long: `Declare an incident on the pagerd at --server: a customer report or a phone
call is a detection too. The incident opens on --service and is paged
through that service's escalation policy at once, exactly as if an alert
had opened it; it has no alerts, so only a person resolves it.

--sev sets its severity (a name such as SEV1, or its number: 1 is the most
severe). Without it, the incident has none until someone sets one with
'pagerd severity'. The words before the flags are the title, joined by
spaces; --summary adds detail.

--by names who declares it (default $USER); they are on its timeline.`,
		Example: `  pagerd declare "checkout errors for EU users" --service checkout --sev 1
  pagerd declare payments slow in APAC --service payments --summary "3 customer tickets since 09:10"`,
		Args:              rangeArgs(1, -1, "the incident's title"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	service := cmd.Flags().String("service", "", "`NAME` of the service the incident is on (required)")
	sev := cmd.Flags().String("sev", "", "`SEVERITY`, such as SEV1 or 1")
	summary := cmd.Flags().String("summary", "", "`TEXT` with more detail")
	by := byFlag(cmd, c.getenv)
	_ = cmd.MarkFlagRequired("service")
	_ = cmd.RegisterFlagCompletionFunc("service", c.completeNames(func(cfg *policies.Config) []string {
		var names []string
		for _, s := range cfg.Services {
			names = append(names, s.Name)
		}
		return names
	}, -1))
	_ = cmd.RegisterFlagCompletionFunc("sev", c.completeNames(func(cfg *policies.Config) []string { return cfg.Command.Severities }, -1))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		title := strings.TrimSpace(strings.Join(args, " "))
		if title == "" {
			return usagef("the title is empty: say what is wrong, for whom")
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		var out struct {
			Incident int64  `json:"incident"`
			Severity string `json:"severity"`
		}
		body := map[string]string{"title": title, "service": *service, "severity": *sev, "summary": *summary}
		if err := api.do(cmd.Context(), http.MethodPost, withBy("/v1/incidents", *by), body, &out); err != nil {
			return err
		}
		sevText := "no severity yet"
		if out.Severity != "" {
			sevText = out.Severity
		}
		fmt.Fprintf(c.stdout, "incident #%d declared on %s (%s): paging its escalation now\n", out.Incident, *service, sevText)
		return nil
	}
	return cmd
}

func (c *cli) severityCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "severity ID SEVERITY",
		GroupID: groupIncidents,
		Short:   "Change an incident's severity",
		Long: `Set the severity of an incident of the pagerd at --server: a name of the
config's severities (SEV1 ... SEV4 unless incident_command renames them)
or its number, 1 being the most severe. Once a person sets it, the
incident's alerts no longer change it. A new severity restarts the
incident's clocks: when its manager rotation is paged, when the next
status update is due.

--by names who changes it (default $USER).`,
		Example:           "  pagerd severity 42 SEV1\n  pagerd severity 42 2 --by alice",
		Args:              exactArgs(2, "an incident ID and a severity"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	by := byFlag(cmd, c.getenv)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, api, err := c.incidentClient(args[0])
		if err != nil {
			return err
		}
		var out commandAnswer
		path := withBy(fmt.Sprintf("/v1/incidents/%d/severity", id), *by)
		if err := api.do(cmd.Context(), http.MethodPost, path, map[string]string{"severity": args[1]}, &out); err != nil {
			return err
		}
		if out.Outcome == outcomeUnchanged {
			fmt.Fprintf(c.stdout, "incident #%d is already %s\n", id, out.Now.Severity)
			return nil
		}
		fmt.Fprintf(c.stdout, "incident #%d is now %s\n", id, out.Now.Severity)
		return nil
	}
	return cmd
}

func (c *cli) assignCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "assign ID ROLE [USER]",
		GroupID: groupIncidents,
		Short:   "Give an incident role to someone: manager, comms or scribe",
		Long: `Give a role on an incident of the pagerd at --server to one of the config's
users:

  manager  the incident manager (incident commander): owns the incident,
           decides, and posts the status updates
  comms    the communications lead: told when a status update is overdue
  scribe   keeps the timeline: notes, findings, decisions

USER is a user of the config; without it, the role goes to --by (default
$USER), so 'pagerd assign 42 manager' takes command. --clear takes the
role back from whoever has it. Each change is a fact on the timeline. By
SMS, replying 'ic 42' makes the sender the manager.

An incident of a severity that needs a manager (incident_command's
manager_needed, SEV1 and SEV2 by default) that has none after
manager_within pages its service's manager rotation.`,
		Example: `  pagerd assign 42 manager alice
  pagerd assign 42 comms bob --by alice
  pagerd assign 42 manager          # take command yourself
  pagerd assign 42 scribe --clear`,
		Args:              rangeArgs(2, 3, "an incident ID, a role and optionally a user"),
		ValidArgsFunction: c.completeAssign,
	}
	clear := cmd.Flags().Bool("clear", false, "take the role back: nobody plays it")
	by := byFlag(cmd, c.getenv)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := parseIncidentID(args[0])
		if err != nil {
			return err
		}
		user := *by
		switch {
		case *clear && len(args) == 3:
			return usagef("give a user or --clear, not both")
		case *clear:
			user = ""
		case len(args) == 3:
			user = args[2]
		case user == "":
			return usagef("whom? give a user after the role, or --by")
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		var out commandAnswer
		path := withBy(fmt.Sprintf("/v1/incidents/%d/roles", id), *by)
		if err := api.do(cmd.Context(), http.MethodPost, path, map[string]string{"role": args[1], "user": user}, &out); err != nil {
			return err
		}
		role := args[1]
		if r, err := incident.ParseRole(role); err == nil {
			role = r.Title()
		}
		switch {
		case out.Outcome == outcomeUnchanged && user == "":
			fmt.Fprintf(c.stdout, "incident #%d has no %s\n", id, role)
		case out.Outcome == outcomeUnchanged:
			fmt.Fprintf(c.stdout, "%s is already %s of incident #%d\n", user, role, id)
		case user == "":
			fmt.Fprintf(c.stdout, "incident #%d has no %s now\n", id, role)
		default:
			fmt.Fprintf(c.stdout, "%s is now %s of incident #%d\n", user, role, id)
		}
		return nil
	}
	return cmd
}

// completeAssign completes assign's role and user.
func (c *cli) completeAssign(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 1:
		return []cobra.Completion{"manager", "comms", "scribe"}, cobra.ShellCompDirectiveNoFileComp
	case 2:
		return c.completeNames(func(cfg *policies.Config) []string { return keys(cfg.Users) }, -1)(cmd, args, toComplete)
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

func (c *cli) timelineCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "timeline ID",
		GroupID: groupIncidents,
		Short:   "Print an incident's whole timeline, however long",
		Long: `Print every fact on the timeline of an incident of the pagerd at --server,
oldest first, page by page: what 'pagerd show' lists, without its limit.
A note marked for the post-mortem shows its mark, a status update its
state, in brackets. --after starts after the fact with that id (show
prints where its list stopped).

With -o json it prints {"facts": [{"id": "1795482740123-0", "at": ...,
"event": "note", "actor": "alice", "via": "cli", "detail": "...",
"tag": "root_cause"}]}; every key is always present.`,
		Example:           "  pagerd timeline 42\n  pagerd timeline 42 -o json | jq -r '.facts[] | select(.event == \"note\") | .detail'",
		Args:              exactArgs(1, "one incident ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	after := cmd.Flags().String("after", "", "start after the fact with this `ID`")
	output := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, api, err := c.incidentClient(args[0])
		if err != nil {
			return err
		}
		type factJSON struct {
			ID string `json:"id"`
			eventJSON
		}
		all := struct {
			Facts []factJSON `json:"facts"`
		}{Facts: []factJSON{}}
		var facts []incident.Fact
		for cursor := *after; ; {
			var page struct {
				Facts []incident.Fact `json:"facts"`
				Next  string          `json:"next"`
			}
			path := fmt.Sprintf("/v1/incidents/%d/timeline?limit=1000", id)
			if cursor != "" {
				path += "&after=" + url.QueryEscape(cursor)
			}
			if err := api.do(cmd.Context(), http.MethodGet, path, nil, &page); err != nil {
				return err
			}
			facts = append(facts, page.Facts...)
			if page.Next == "" {
				break
			}
			cursor = page.Next
		}
		if !structured(output) {
			writeFacts(c.stdout, facts)
			return nil
		}
		for _, e := range facts {
			all.Facts = append(all.Facts, factJSON{ID: e.ID, eventJSON: eventJSON{At: jsonTime(e.At.UTC()), Event: string(e.Kind),
				Actor: e.Actor, Via: e.Via, Detail: e.Detail, Tag: e.Tag}})
		}
		return writeData(c.stdout, output, all)
	}
	return cmd
}

func (c *cli) updateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "update ID --status STATE TEXT...",
		GroupID: groupIncidents,
		Short:   "Post a status update: investigating, identified, monitoring or resolved",
		Long: `Post a status update on an incident of the pagerd at --server: where the work
stands, in the familiar states

  investigating  looking for the cause
  identified     the cause is known, a fix is under way
  monitoring     fixed; watching that it holds
  resolved       over: posting it resolves the incident

The words after the flags are the update for the people inside (notes,
hypotheses, names); --public gives other wording for customers, who get
it through the status page (the internal text otherwise). Each update is
told to the service's stakeholders as their quadrant says (see 'pagerd
stakeholders SERVICE'), and starts the clock of the next one: the
severity's cadence (incident_command's cadence, SEV1 every 30m by
default). The manager is reminded when one is due; the communications
lead is told when it is overdue. A resolved incident takes no updates.

--by names who posts it (default $USER).`,
		Example: `  pagerd update 42 --status investigating "EU checkout failing since 09:10; looking at the payment gateway"
  pagerd update 42 --status identified "bad deploy abc123; rolling back" --public "We found the cause and are fixing it."
  pagerd update 42 --status resolved "rolled back; error rate normal since 10:02"`,
		Args:              rangeArgs(2, -1, "an incident ID and the update's text"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	status := cmd.Flags().String("status", "", "`STATE`: investigating, identified, monitoring or resolved (required)")
	public := cmd.Flags().String("public", "", "`TEXT` for customers (the status page); default the same text")
	by := byFlag(cmd, c.getenv)
	_ = cmd.MarkFlagRequired("status")
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(
		[]string{"investigating", "identified", "monitoring", "resolved"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := parseIncidentID(args[0])
		if err != nil {
			return err
		}
		state, err := incident.ParseUpdateState(*status)
		if err != nil {
			return usageError{err}
		}
		text := strings.TrimSpace(strings.Join(args[1:], " "))
		if text == "" {
			return usagef("the update is empty: say where things stand after the incident ID")
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		var out commandAnswer
		body := map[string]string{"status": string(state), "text": text, "public_text": *public}
		if err := api.do(cmd.Context(), http.MethodPost, withBy(fmt.Sprintf("/v1/incidents/%d/updates", id), *by), body, &out); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "incident #%d: update #%d posted (%s)", id, out.Now.Updates, state)
		switch {
		case state == incident.StateResolved:
			fmt.Fprint(c.stdout, "; the incident is resolved")
		case !out.Now.NextUpdateAt.IsZero():
			fmt.Fprintf(c.stdout, "; next update %s", nextUpdateText(out.Now.View, time.Now()))
		}
		fmt.Fprintln(c.stdout)
		return nil
	}
	return cmd
}
