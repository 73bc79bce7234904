package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/schedules"
)

func oncall(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("oncall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configDir := configFlag(fs)
	atFlag := fs.String("at", "", "instant to look at (RFC 3339 or \"2006-01-02 15:04\" in --tz); default now")
	untilFlag := fs.String("until", "", "list every shift from --at until this time")
	next := fs.Int("next", 0, "list the next N shifts of each schedule")
	user := fs.String("user", "", "only this user's shifts, across all schedules")
	tzFlag := fs.String("tz", "", "time zone to show times in (IANA name); default the local zone")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("%w: at most one schedule name", errUsage)
	}
	if *next > 0 && *untilFlag != "" {
		return fmt.Errorf("%w: --next and --until exclude each other", errUsage)
	}
	loc := time.Local
	if *tzFlag != "" {
		if loc, err = time.LoadLocation(*tzFlag); err != nil {
			return fmt.Errorf("%w: --tz: %v", errUsage, err)
		}
	}
	at := time.Now()
	if *atFlag != "" {
		if at, err = schedules.ParseLocal(*atFlag, loc); err != nil {
			return fmt.Errorf("%w: --at: %v", errUsage, err)
		}
	}
	cfg, diags := policies.Load(*configDir)
	if cfg == nil {
		return fmt.Errorf("config %s is invalid (run pagerd check): %s", *configDir, diags.Error())
	}
	var scheds []*schedules.Schedule
	if len(pos) == 1 {
		s := cfg.Schedules[pos[0]]
		if s == nil {
			return fmt.Errorf("no schedule %q in %s", pos[0], *configDir)
		}
		scheds = append(scheds, s)
	} else {
		for _, s := range cfg.Schedules {
			scheds = append(scheds, s)
		}
		sort.Slice(scheds, func(i, j int) bool { return scheds[i].Name < scheds[j].Name })
	}

	var shifts []schedules.Shift
	collect := func(from, to time.Time) []schedules.Shift {
		if *user != "" {
			return schedules.UserShifts(*user, scheds, from, to)
		}
		var out []schedules.Shift
		for _, s := range scheds {
			out = append(out, s.Shifts(from, to)...)
		}
		return out
	}
	switch {
	case *untilFlag != "":
		until, err := schedules.ParseLocal(*untilFlag, loc)
		if err != nil {
			return fmt.Errorf("%w: --until: %v", errUsage, err)
		}
		shifts = collect(at, until)
	case *next > 0:
		per := map[string]int{}
		for _, sh := range collect(at.AddDate(-1, 0, 0), at.AddDate(1, 0, 0)) {
			if sh.End.After(at) && per[sh.Schedule] < *next {
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
		if len(shifts) == 0 {
			fmt.Fprintf(stdout, "nobody is on call at %s\n", at.In(loc).Format("2006-01-02 15:04 MST"))
			return nil
		}
	}
	return schedules.WriteTable(stdout, shifts, loc)
}

func feedURL(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("feed-url", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configDir := configFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || (pos[0] != "schedule" && pos[0] != "user") {
		return fmt.Errorf("%w: feed-url schedule NAME | feed-url user NAME", errUsage)
	}
	cfg, diags := policies.Load(*configDir)
	if cfg == nil {
		return fmt.Errorf("config %s is invalid (run pagerd check): %s", *configDir, diags.Error())
	}
	if len(cfg.Settings.LinkSecret) == 0 {
		return fmt.Errorf("feed tokens need link_secret in the pagerd block of %s", *configDir)
	}
	kind, name := pos[0], pos[1]
	if kind == "schedule" && cfg.Schedules[name] == nil {
		return fmt.Errorf("no schedule %q", name)
	} else if kind == "user" && cfg.Users[name] == nil {
		return fmt.Errorf("no user %q", name)
	}
	b := links.Builder{PublicURL: cfg.Settings.PublicURL, Signer: links.Signer{Key: cfg.Settings.LinkSecret}}
	fmt.Fprintln(stdout, b.Feed(kind, name))
	return nil
}
