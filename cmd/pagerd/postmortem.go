package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/postmortem"
)

// After the incident: postmortem, action (add, list, done), actions and
// login. Each is one request to the API; the server decides.

func (c *cli) postmortemCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "postmortem ID",
		GroupID: groupIncidents,
		Short:   "Print an incident's post-mortem draft, or mark it done",
		Long: `Print the post-mortem draft of an incident of the pagerd at --server, as
Markdown: Summary, Impact, Root Cause, Resolution, Timeline and Action
Items, filled from what pagerd knows — how long it lasted, how long until
someone acknowledged and resolved it, who was paged and who acted, the
services it touched and the stakeholders told, every fact and status update
in order, the notes marked root-cause or resolution as candidates — with a
blameless prompt where only people know.

When an incident resolves, pagerd names the post-mortem's owner (its
incident manager; else who resolved, acknowledged or declared it; else who
its escalation reaches) on its timeline. For the severities the postmortem
block requires (SEV1 and SEV2 by default) it reminds them every
remind_every after that until someone marks it done with --done; the
others are offered one, and never chased. With postmortem { directory = ... } the
draft is also written there, one file per incident.

--by names who marks it done (default $USER).`,
		Example: `  pagerd postmortem 42 > postmortems/incident-42.md
  pagerd postmortem 42 --done`,
		Args:              exactArgs(1, "an incident ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	done := cmd.Flags().Bool("done", false, "mark the post-mortem done: its owner is reminded no more")
	by := byFlag(cmd, c.getenv)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, api, err := c.incidentClient(args[0])
		if err != nil {
			return err
		}
		if *done {
			var out struct{ Outcome string }
			if err := api.do(cmd.Context(), http.MethodPost, withBy(fmt.Sprintf("/v1/incidents/%d/postmortem/done", id), *by), nil, &out); err != nil {
				return err
			}
			if out.Outcome == outcomeUnchanged {
				fmt.Fprintf(c.stdout, "the post-mortem of incident #%d was already done\n", id)
				return nil
			}
			fmt.Fprintf(c.stdout, "the post-mortem of incident #%d is done: nobody is reminded any more\n", id)
			return nil
		}
		md, err := api.request(cmd.Context(), http.MethodGet, fmt.Sprintf("/v1/incidents/%d/postmortem.md", id), nil)
		if err != nil {
			return err
		}
		_, err = c.stdout.Write(md)
		return err
	}
	return cmd
}

// actionItemAnswer is what the API answers about one item.
type actionItemAnswer struct {
	Item    postmortem.ExportItem `json:"action_item"`
	Outcome string                `json:"outcome"`
}

func (c *cli) actionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "action add|list|done",
		GroupID: groupIncidents,
		Short:   "Track an incident's action items: the tech-debt backlog",
		Long: `Action items are the work an incident shows is needed: a fix, prevention,
detection, process or tech-debt. Each has an owner (a user of the config)
and, optionally, a due day; it appears in the incident's post-mortem, and
outlives the incident: its retention does not end it. An open item past its
due day reminds its owner when it becomes overdue and weekly after
(postmortem { action_remind_every }) until it is done. Outgoing webhooks
hear incident.action_added and incident.action_done.`,
		Example: `  pagerd action add 42 "pin package Y below 1.2.3" --owner bob --due 2027-01-15 --kind tech-debt
  pagerd action list --overdue
  pagerd action list 42 --all -o csv > items.csv
  pagerd action done 7`,
		Args: noArgs,
	}
	cmd.AddCommand(c.actionAddCmd(), c.actionListCmd("list", "List action items"), c.actionDoneCmd())
	return cmd
}

func (c *cli) actionAddCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add ID TITLE... --owner USER",
		Short: "Add an action item to an incident",
		Long: `Add an action item to an incident of the pagerd at --server. The words after
the incident ID are its title. --owner is a user of the config; --due a day
(2027-01-15), today or later, past which the item is overdue (in UTC);
--kind one of fix (the default), prevention, detection, process, tech-debt.

--by names who adds it (default $USER).`,
		Example:           `  pagerd action add 42 "pin package Y below 1.2.3" --owner bob --due 2027-01-15 --kind tech-debt`,
		Args:              rangeArgs(2, -1, "an incident ID and a title"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	owner := cmd.Flags().String("owner", "", "`USER` who owns it (required)")
	due := cmd.Flags().String("due", "", "`DATE` it is due, like 2027-01-15")
	kind := cmd.Flags().String("kind", "", "`KIND`: fix, prevention, detection, process or tech-debt (default fix)")
	by := byFlag(cmd, c.getenv)
	_ = cmd.MarkFlagRequired("owner")
	_ = cmd.RegisterFlagCompletionFunc("owner", c.completeNames(func(cfg *policies.Config) []string { return keys(cfg.Users) }, -1))
	_ = cmd.RegisterFlagCompletionFunc("kind", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, k := range incident.ActionKinds {
			out = append(out, string(k))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := parseIncidentID(args[0])
		if err != nil {
			return err
		}
		title := strings.TrimSpace(strings.Join(args[1:], " "))
		if title == "" {
			return usagef("the title is empty: say what is to be done")
		}
		// Refused here rather than by the server: a typo in a flag is the
		// command line's mistake.
		if _, err := incident.ParseActionKind(*kind); err != nil {
			return usageError{err}
		}
		if *due != "" {
			if _, err := time.Parse(incident.DateLayout, *due); err != nil {
				return usagef("--due %q is not a date: write it like 2027-01-15", *due)
			}
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		var out actionItemAnswer
		body := map[string]string{"title": title, "owner": *owner, "due": *due, "kind": *kind}
		if err := api.do(cmd.Context(), http.MethodPost, withBy(fmt.Sprintf("/v1/incidents/%d/actions", id), *by), body, &out); err != nil {
			return err
		}
		due := ""
		if out.Item.Due != "" {
			due = ", due " + out.Item.Due
		}
		fmt.Fprintf(c.stdout, "action item #%d added to incident #%d for %s (%s%s)\n", out.Item.ID, id, out.Item.Owner, out.Item.Kind, due)
		return nil
	}
	return cmd
}

// actionListCmd is `action list` and, under the name actions, its
// top-level shorthand.
func (c *cli) actionListCmd(use, short string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use + " [ID]",
		Short: short,
		Long: `List the action items of the pagerd at --server, oldest first: the open ones,
with --overdue only those past their due day, with --all done ones too;
with an incident ID, that incident's only. --kind and --owner narrow it
(--kind tech-debt is the tech-debt backlog).

-o json prints {"action_items": [{"id", "incident", "service", "title",
"owner", "kind", "due", "status", "created_at", "created_by", "done_at",
"done_by"}]} and -o csv the same columns with a header row, for a tracker
or a spreadsheet; status is open, overdue or done, times RFC 3339 in UTC
("" when not yet). The API serves both: GET /v1/actions?format=csv.`,
		Example: `  pagerd actions --overdue
  pagerd action list --kind tech-debt --owner bob
  pagerd action list 42 --all -o csv > incident-42-actions.csv`,
		Args:              rangeArgs(0, 1, "optionally an incident ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	overdue := cmd.Flags().Bool("overdue", false, "only open items past their due day")
	all := cmd.Flags().Bool("all", false, "done items too")
	kind := cmd.Flags().String("kind", "", "only items of `KIND`")
	owner := cmd.Flags().String("owner", "", "only items `USER` owns")
	output := choiceFlag(cmd, "output", "o", "output format; json and csv are documented in the help above, yaml has json's keys", "table", "json", "yaml", "csv")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *overdue && *all {
			return usagef("--overdue or --all, not both")
		}
		q := url.Values{}
		switch {
		case *overdue:
			q.Set("status", "overdue")
		case *all:
			q.Set("status", "all")
		}
		if *kind != "" {
			q.Set("kind", *kind)
		}
		if *owner != "" {
			q.Set("owner", *owner)
		}
		path := "/v1/actions"
		if len(args) == 1 {
			id, err := parseIncidentID(args[0])
			if err != nil {
				return err
			}
			path = fmt.Sprintf("/v1/incidents/%d/actions", id)
		}
		if output.String() == "csv" {
			q.Set("format", "csv")
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		if output.String() == "csv" {
			data, err := api.request(cmd.Context(), http.MethodGet, path, nil)
			if err != nil {
				return err
			}
			_, err = c.stdout.Write(data)
			return err
		}
		var out struct {
			Items []postmortem.ExportItem `json:"action_items"`
		}
		if err := api.do(cmd.Context(), http.MethodGet, path, nil, &out); err != nil {
			return err
		}
		if output.String() == "json" || output.String() == "yaml" {
			if out.Items == nil {
				out.Items = []postmortem.ExportItem{}
			}
			return writeData(c.stdout, output, out)
		}
		if len(out.Items) == 0 {
			fmt.Fprintln(c.stdout, "no action items")
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tINCIDENT\tSTATUS\tKIND\tOWNER\tDUE\tTITLE")
		for _, a := range out.Items {
			fmt.Fprintf(tw, "%d\t#%d\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Incident, a.Status, a.Kind, oneLine(a.Owner), orDash(a.Due), oneLine(a.Title))
		}
		return tw.Flush()
	}
	return cmd
}

func (c *cli) actionsCmd() *cobra.Command {
	cmd := c.actionListCmd("actions", "List action items: 'actions --overdue' is the overdue backlog")
	cmd.GroupID = groupIncidents
	return cmd
}

func (c *cli) actionDoneCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:               "done N",
		Short:             "Mark an action item done",
		Long:              "Mark action item N done: its owner is reminded no more.\n\n--by names who marks it done (default $USER).",
		Example:           "  pagerd action done 7",
		Args:              exactArgs(1, "an action item number"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	by := byFlag(cmd, c.getenv)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		n, err := parseIncidentID(args[0])
		if err != nil {
			return usagef("action item number %q is not a positive number", args[0])
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		var out actionItemAnswer
		if err := api.do(cmd.Context(), http.MethodPost, withBy(fmt.Sprintf("/v1/actions/%d/done", n), *by), nil, &out); err != nil {
			return err
		}
		if out.Outcome == outcomeUnchanged {
			fmt.Fprintf(c.stdout, "action item #%d was already done (by %s)\n", n, out.Item.DoneBy)
			return nil
		}
		fmt.Fprintf(c.stdout, "action item #%d is done: %s\n", n, oneLine(out.Item.Title))
		return nil
	}
	return cmd
}

func (c *cli) loginCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "login USER",
		GroupID: groupIncidents,
		Short:   "Send a web console sign-in link to a user",
		Long: `Ask the pagerd at --server to send USER a sign-in link for its web console
(<public_url>/console/), through USER's own channel: the first of their
notification rules (a text rather than a call), or --via. The link is never
printed here: whoever reads USER's messages signs in as USER. It works once,
for console { sign_in_ttl } (15 minutes by default); opening it shows a
button that starts a session of console { session_ttl } (12 hours).

The console's own sign-in form does the same without the CLI. With no
provider configured (the default example), links are printed on the
daemon's console.`,
		Example:           "  pagerd login alice\n  pagerd login alice --via email",
		Args:              exactArgs(1, "a user"),
		ValidArgsFunction: c.completeNames(func(cfg *policies.Config) []string { return keys(cfg.Users) }, 1),
	}
	via := cmd.Flags().String("via", "", "`CHANNEL` to send it through (email, sms, ...)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		api, err := c.client()
		if err != nil {
			return err
		}
		var out struct {
			User    string    `json:"user"`
			Channel string    `json:"channel"`
			Expires time.Time `json:"expires_at"`
		}
		if err := api.do(cmd.Context(), http.MethodPost, "/v1/login", map[string]string{"user": args[0], "via": *via}, &out); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "sign-in link sent to %s by %s; it works once, until %s\n", out.User, out.Channel,
			out.Expires.Local().Format("15:04 MST"))
		return nil
	}
	return cmd
}
