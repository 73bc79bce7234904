package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/incident"
)

// silenceView is a silence as the API returns it.
type silenceView struct {
	incident.Silence
	State incident.SilenceState `json:"state"`
}

// silenceJSON is a silence in the CLI's JSON output: the API's keys, a
// fixed set of them.
type silenceJSON struct {
	ID        string   `json:"id"`
	State     string   `json:"state"`
	Matchers  []string `json:"matchers"`
	StartsAt  jsonTime `json:"starts_at"`
	EndsAt    jsonTime `json:"ends_at"`
	CreatedBy string   `json:"created_by"`
	Comment   string   `json:"comment"`
	UpdatedAt jsonTime `json:"updated_at"`
	ExpiredBy string   `json:"expired_by"`
}

func (s silenceView) json() silenceJSON {
	return silenceJSON{ID: s.ID, State: string(s.State), Matchers: s.Matchers, StartsAt: jsonTime(s.StartsAt.UTC()),
		EndsAt: jsonTime(s.EndsAt.UTC()), CreatedBy: s.CreatedBy, Comment: s.Comment, UpdatedAt: jsonTime(s.UpdatedAt.UTC()),
		ExpiredBy: s.ExpiredBy}
}

const silenceJSONDoc = `{"id": "6f1c...", "state": "active", "matchers": ["alertname=\"CheckoutDown\""],
    "starts_at": "2026-11-27T10:00:00Z", "ends_at": "2026-11-27T12:00:00Z",
    "created_by": "alice", "comment": "migrating the checkout DB",
    "updated_at": "2026-11-27T10:00:00Z", "expired_by": ""}
state is pending (starts later), active or expired. Times are RFC 3339 in
UTC. Every key is always present.`

func (c *cli) silenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "silence",
		GroupID: groupIncidents,
		Short:   "Silence alerts: add, list and expire silences",
		Long: `Silences mute the alerts their matchers select for a while, as in
Alertmanager: those alerts are stored and shown ('pagerd show' says which
silence mutes them) but page nobody. Every replica of the pagerd at
--server honours a silence the moment it is made. When a silence ends —
at its end time, or expired by hand — alerts it muted that still fire page
at once, escalation starting from its first step. A silence made while an
incident pages stops its escalation.`,
		Example: `  pagerd silence add alertname=CheckoutDown cluster=eu1 --duration 2h --comment "migrating the DB"
  pagerd silence list
  pagerd silence expire 6f1c2a9e-...`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q: use add, list or expire", args[0])
			}
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(*cobra.Command, []string) error {
			return usagef("say what to do: pagerd silence add, list or expire")
		},
	}
	cmd.AddCommand(c.silenceAddCmd(), c.silenceListCmd(), c.silenceExpireCmd())
	return cmd
}

func (c *cli) silenceAddCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add MATCHER...",
		Short: "Silence the alerts that match every MATCHER",
		Long: `Silence, on the pagerd at --server, the alerts that match every MATCHER —
Alertmanager's matcher syntax, as services' match uses: name=value,
name!=value, name=~regex, name!~regex (quote them for the shell). At least
one matcher must need its label set: a silence of every alert is refused.

It lasts --duration from now (or from --start), or until --end. --comment
says why: the next person on call will ask. --by names who silences
(default $USER).

With -o json it prints the silence:
  ` + silenceJSONDoc,
		Example: `  pagerd silence add alertname=CheckoutDown --duration 2h --comment "known: DB migration"
  pagerd silence add 'instance=~db[12]:.*' severity!=critical --start "2027-03-14 22:00" --end "2027-03-15 02:00" --tz Europe/Berlin --comment "maintenance"`,
		Args:              rangeArgs(1, -1, "at least one MATCHER"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	duration := cmd.Flags().Duration("duration", 0, "how long it lasts from its start, such as 2h or 30m")
	start := cmd.Flags().String("start", "", "when it starts: RFC 3339, or \"YYYY-MM-DD HH:MM\" in --tz; default now")
	end := cmd.Flags().String("end", "", "when it ends: RFC 3339, or \"YYYY-MM-DD HH:MM\" in --tz (instead of --duration)")
	comment := cmd.Flags().String("comment", "", "why (required)")
	tz := tzFlag(cmd)
	by := byFlag(cmd, c.getenv)
	output := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		for _, a := range args {
			if _, err := labels.ParseMatcher(a); err != nil {
				return usagef("matcher %q: %v; write it like alertname=CheckoutDown or 'cluster=~eu.*'", a, err)
			}
		}
		loc, err := parseTZ(*tz)
		if err != nil {
			return err
		}
		body := map[string]any{"matchers": args, "comment": strings.TrimSpace(*comment), "created_by": *by}
		switch {
		case body["comment"] == "":
			return usagef("--comment is required: say why, for whoever is on call next")
		case (*duration > 0) == (*end != ""):
			return usagef("give --duration or --end (one of them)")
		case *duration < 0:
			return usagef("--duration must be positive")
		case *duration > 0:
			body["duration"] = duration.String()
		}
		for _, f := range []struct{ name, value, key string }{{"start", *start, "starts_at"}, {"end", *end, "ends_at"}} {
			if f.value == "" {
				continue
			}
			t, err := parseTimeFlag(f.name, f.value, loc)
			if err != nil {
				return err
			}
			body[f.key] = t.Format(time.RFC3339)
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		var out struct{ Silence silenceView }
		if err := api.do(cmd.Context(), http.MethodPost, "/v1/silences", body, &out); err != nil {
			return err
		}
		if structured(output) {
			return writeData(c.stdout, output, out.Silence.json())
		}
		s := out.Silence
		fmt.Fprintf(c.stdout, "silence %s %s", s.ID, s.State)
		if s.State == incident.SilencePending {
			fmt.Fprintf(c.stdout, " from %s", s.StartsAt.In(loc).Format(showTime))
		}
		fmt.Fprintf(c.stdout, " until %s: %s\n", s.EndsAt.In(loc).Format(showTime), strings.Join(s.Matchers, ", "))
		return nil
	}
	return cmd
}

// showTime is how the silence verbs show a time.
const showTime = "2006-01-02 15:04 MST"

func (c *cli) silenceListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List silences",
		Long: `List the silences of the pagerd at --server, the earliest first: those that
are active or pending, or with --all the expired ones kept too (for the
config's resolved_retention).

With -o json it prints {"silences": [...]}, each silence:
  ` + silenceJSONDoc,
		Example: `  pagerd silence list
  pagerd silence list --all -o json | jq -r '.silences[] | select(.state == "active") | .id'`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	all := cmd.Flags().Bool("all", false, "include expired silences still kept")
	tz := tzFlag(cmd)
	output := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		loc, err := parseTZ(*tz)
		if err != nil {
			return err
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		path := "/v1/silences"
		if *all {
			path += "?state=all"
		}
		var out struct{ Silences []silenceView }
		if err := api.do(cmd.Context(), http.MethodGet, path, nil, &out); err != nil {
			return err
		}
		if structured(output) {
			list := struct {
				Silences []silenceJSON `json:"silences"`
			}{Silences: []silenceJSON{}}
			for _, s := range out.Silences {
				list.Silences = append(list.Silences, s.json())
			}
			return writeData(c.stdout, output, list)
		}
		return writeSilences(c.stdout, out.Silences, loc)
	}
	return cmd
}

func writeSilences(w io.Writer, silences []silenceView, loc *time.Location) error {
	if len(silences) == 0 {
		_, err := fmt.Fprintln(w, "no silences")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSTARTS\tENDS\tBY\tMATCHERS\tCOMMENT")
	for _, s := range silences {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.State, s.StartsAt.In(loc).Format(showTime),
			s.EndsAt.In(loc).Format(showTime), oneLine(s.CreatedBy), oneLine(strings.Join(s.Matchers, ", ")), oneLine(s.Comment))
	}
	return tw.Flush()
}

func (c *cli) silenceExpireCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "expire ID...",
		Short: "End silences now",
		Long: `End silences of the pagerd at --server now; a pending one never starts.
Alerts a silence muted that still fire page at once. Expiring a silence
that has ended changes nothing and is not an error.

--by names who expires it (default $USER).`,
		Example:           `  pagerd silence expire 6f1c2a9e-4b1d-4c8e-9a2f-0c1d2e3f4a5b`,
		Args:              rangeArgs(1, -1, "at least one silence ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	by := byFlag(cmd, c.getenv)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		api, err := c.client()
		if err != nil {
			return err
		}
		for _, id := range args {
			path := "/v1/silences/" + url.PathEscape(id) + "/expire"
			if *by != "" {
				path += "?by=" + url.QueryEscape(*by)
			}
			var out struct{ Outcome string }
			if err := api.do(cmd.Context(), http.MethodPost, path, nil, &out); err != nil {
				return err
			}
			if out.Outcome == outcomeUnchanged {
				fmt.Fprintf(c.stdout, "silence %s had already ended\n", id)
				continue
			}
			fmt.Fprintf(c.stdout, "silence %s expired\n", id)
		}
		return nil
	}
	return cmd
}
