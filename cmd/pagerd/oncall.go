package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/schedules"
)

func (c *cli) oncallCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "oncall [SCHEDULE]",
		GroupID: groupConfig,
		Short:   "Show who is on call now, at a given time, or over the coming shifts",
		Long: `Show who is on call according to the schedules of --config: by default who
holds each schedule right now and until when. --at looks at another instant;
--next N lists each schedule's next N shifts; --until lists every shift from
--at up to that time. SCHEDULE narrows it to one schedule, --user to one
person's shifts across all schedules.

Times are read and shown in --tz (default the local zone; with --user, that
user's timezone when the config gives one). --at and --until
take RFC 3339 (2027-03-14T05:30:00Z) or a wall-clock time "2027-03-14 05:30"
in --tz.

No daemon is needed: this reads the config directory only, so it answers
"who will be paged" before a config is deployed.

With -o json it prints one object:
  {"at": "2026-12-01T12:00:00-05:00", "until": null,
   "shifts": [{"schedule": "payments-primary", "user": "alice", "layer": "weekly",
     "override": false, "start": "2026-11-30T09:00:00-05:00",
     "end": "2026-12-07T09:00:00-05:00"}]}
Times are RFC 3339 in --tz; until is null without --until; end is
exclusive. layer is the rotation the shift comes from ("" for an override,
which has "override": true). Nobody on call is "shifts": [], exit 0.`,
		Example: `  pagerd oncall                                  # who is on call now, every schedule
  pagerd oncall payments-primary --next 4 --tz America/New_York
  pagerd oncall --user alice --until "2027-01-01 00:00"
  pagerd oncall --at 2026-12-24T18:00:00Z
  pagerd oncall ops -o json | jq -r '.shifts[].user'`,
		Args:              rangeArgs(0, 1, "at most one schedule name"),
		ValidArgsFunction: c.completeNames(func(cfg *policies.Config) []string { return keys(cfg.Schedules) }, 1),
	}
	fs := cmd.Flags()
	atFlag := fs.String("at", "", "look at `TIME`: RFC 3339, or \"YYYY-MM-DD HH:MM\" in --tz; default now")
	untilFlag := fs.String("until", "", "list every shift from --at until `TIME` (same forms as --at)")
	next := new(count)
	fs.Var(next, "next", "list the next `N` shifts of each schedule")
	user := fs.String("user", "", "only the shifts of user `NAME`, across all schedules")
	tzFlag := tzFlag(cmd)
	output := formatFlag(cmd)
	_ = cmd.RegisterFlagCompletionFunc("user", c.completeNames(func(cfg *policies.Config) []string { return keys(cfg.Users) }, -1))

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *next > 0 && *untilFlag != "" {
			return usagef("--next and --until exclude each other")
		}
		loc, err := parseTZ(*tzFlag)
		if err != nil {
			return err
		}

		at := time.Now()
		if *atFlag != "" {
			if at, err = parseTimeFlag("at", *atFlag, loc); err != nil {
				return err
			}
		}
		var until time.Time
		if *untilFlag != "" {
			if until, err = parseTimeFlag("until", *untilFlag, loc); err != nil {
				return err
			}
			if !until.After(at) {
				return usagef("--until %s is not after --at %s", until.In(loc).Format(timeLayout), at.In(loc).Format(timeLayout))
			}
		}
		cfg, err := c.loadConfig()
		if err != nil {
			return err
		}
		// One person's shifts read best in their own zone, when the config
		// gives them one and --tz does not say otherwise: wall-clock --at
		// and --until are theirs too.
		if u := cfg.Users[*user]; *tzFlag == "" && u != nil && u.Location != nil {
			loc = u.Location
			if *atFlag != "" {
				at, _ = parseTimeFlag("at", *atFlag, loc)
			}
			if *untilFlag != "" {
				until, _ = parseTimeFlag("until", *untilFlag, loc)
			}
		}
		// Asking for someone or something the config does not have is a
		// failure, not an empty answer: "nobody is on call" for a typo in
		// a name would be a wrong answer.
		var scheds []*schedules.Schedule
		if len(args) == 1 {
			s := cfg.Schedules[args[0]]
			if s == nil {
				return fmt.Errorf("no schedule %q in config directory %q (schedules: %s)", args[0], c.config.String(), names(cfg.Schedules))
			}
			scheds = append(scheds, s)
		} else {
			for _, s := range cfg.Schedules {
				scheds = append(scheds, s)
			}
			sort.Slice(scheds, func(i, j int) bool { return scheds[i].Name < scheds[j].Name })
		}
		if *user != "" && cfg.Users[*user] == nil {
			return fmt.Errorf("no user %q in config directory %q (users: %s)", *user, c.config.String(), names(cfg.Users))
		}

		shifts := findShifts(scheds, *user, at, until, int(*next))
		if structured(output) {
			return writeData(c.stdout, output, oncallJSON(shifts, at, until, loc))
		}
		if len(shifts) == 0 {
			fmt.Fprintln(c.stdout, noShifts(*user, at, until, int(*next), loc))
			return nil
		}
		return schedules.WriteTable(c.stdout, shifts, loc)
	}
	return cmd
}

// timeLayout is how the CLI writes an instant for people.
const timeLayout = "2006-01-02 15:04 MST"

// findShifts answers the three questions oncall asks: with until set, every
// shift from at to until; with next > 0, each schedule's next shifts; else
// who is on call at the instant at. With user set, only that user's shifts.
func findShifts(scheds []*schedules.Schedule, user string, at, until time.Time, next int) []schedules.Shift {
	collect := func(from, to time.Time) []schedules.Shift {
		if user != "" {
			return schedules.UserShifts(user, scheds, from, to)
		}
		var out []schedules.Shift
		for _, s := range scheds {
			out = append(out, s.Shifts(from, to)...)
		}
		return out
	}
	var shifts []schedules.Shift
	switch {
	case !until.IsZero():
		shifts = collect(at, until)
	case next > 0:
		per := map[string]int{}
		for _, sh := range collect(at.AddDate(-1, 0, 0), at.AddDate(1, 0, 0)) {
			if sh.End.After(at) && per[sh.Schedule] < next {
				per[sh.Schedule]++
				shifts = append(shifts, sh)
			}
		}
	default:
		// Who is on call at that instant, with when their shift ends.
		for _, sh := range collect(at.AddDate(-1, 0, 0), at.AddDate(0, 3, 0)) {
			if !sh.Start.After(at) && sh.End.After(at) {
				shifts = append(shifts, sh)
			}
		}
	}
	return shifts
}

// noShifts says, in a sentence, that the question had an empty answer.
func noShifts(user string, at, until time.Time, next int, loc *time.Location) string {
	who := "nobody is"
	if user != "" {
		who = user + " is not"
	}
	switch {
	case !until.IsZero():
		return fmt.Sprintf("%s on call between %s and %s", who, at.In(loc).Format(timeLayout), until.In(loc).Format(timeLayout))
	case next > 0:
		return fmt.Sprintf("%s on call in the year after %s", who, at.In(loc).Format(timeLayout))
	}
	return fmt.Sprintf("%s on call at %s", who, at.In(loc).Format(timeLayout))
}

// oncallResult is `pagerd oncall -o json`.
type oncallResult struct {
	At     jsonTime    `json:"at"`
	Until  jsonTime    `json:"until"`
	Shifts []shiftJSON `json:"shifts"`
}

type shiftJSON struct {
	Schedule string   `json:"schedule"`
	User     string   `json:"user"`
	Layer    string   `json:"layer"`
	Override bool     `json:"override"`
	Start    jsonTime `json:"start"`
	End      jsonTime `json:"end"`
}

func oncallJSON(shifts []schedules.Shift, at, until time.Time, loc *time.Location) oncallResult {
	out := oncallResult{At: jsonTime(at.In(loc)), Shifts: []shiftJSON{}}
	if !until.IsZero() {
		out.Until = jsonTime(until.In(loc))
	}
	for _, sh := range shifts {
		out.Shifts = append(out.Shifts, shiftJSON{
			Schedule: sh.Schedule, User: sh.User, Layer: sh.Layer, Override: sh.Override,
			Start: jsonTime(sh.Start.In(loc)), End: jsonTime(sh.End.In(loc)),
		})
	}
	return out
}

func (c *cli) feedURLCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "feed-url schedule|user NAME",
		GroupID: groupConfig,
		Short:   "Print the iCalendar feed URL of a schedule or a user",
		Long: `Print the URL of an iCalendar feed, with its signed token, that calendar
apps (Google Calendar, Outlook, Apple Calendar) subscribe to: a schedule's
shifts, or one user's shifts across every schedule.

The token is signed with link_secret from the pagerd block of --config,
which must be set; changing link_secret invalidates every feed URL handed
out. The URL starts with the config's public_url.`,
		Example: `  pagerd feed-url schedule payments-primary
  pagerd feed-url user alice --config /etc/pagerd`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 || (args[0] != "schedule" && args[0] != "user") {
				return usagef("want schedule NAME or user NAME")
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			switch {
			case len(args) == 0:
				return []cobra.Completion{"schedule", "user"}, cobra.ShellCompDirectiveNoFileComp
			case len(args) == 1 && args[0] == "schedule":
				return c.completeNames(func(cfg *policies.Config) []string { return keys(cfg.Schedules) }, -1)(cmd, nil, "")
			case len(args) == 1 && args[0] == "user":
				return c.completeNames(func(cfg *policies.Config) []string { return keys(cfg.Users) }, -1)(cmd, nil, "")
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			if len(cfg.Settings.LinkSecret) == 0 {
				return fmt.Errorf("feed tokens need link_secret in the pagerd block of %s", c.config.String())
			}
			kind, name := args[0], args[1]
			if kind == "schedule" && cfg.Schedules[name] == nil {
				return fmt.Errorf("no schedule %q in config directory %q (schedules: %s)", name, c.config.String(), names(cfg.Schedules))
			} else if kind == "user" && cfg.Users[name] == nil {
				return fmt.Errorf("no user %q in config directory %q (users: %s)", name, c.config.String(), names(cfg.Users))
			}
			b := links.Builder{PublicURL: cfg.Settings.PublicURL, Signer: links.Signer{Key: cfg.Settings.LinkSecret}}
			fmt.Fprintln(c.stdout, b.Feed(kind, name))
			return nil
		},
	}
}

// completeNames completes an argument from names in the config (schedules,
// users) when there are fewer than max arguments so far (max < 0: any).
// A config that does not load completes nothing rather than failing.
func (c *cli) completeNames(list func(*policies.Config) []string, max int) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, _ := policies.Load(c.config.String())
		if cfg == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return list(cfg), cobra.ShellCompDirectiveNoFileComp
	}
}
