package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pagerd/pagerd/schedules"
)

// envString is a string flag backed by an environment variable: the flag
// given on the command line wins, then the variable, then the default.
// The variable is read when the value is needed, not when the flag is
// declared, so --help never prints a secret taken from the environment.
type envString struct {
	flag   *pflag.Flag
	env    string
	getenv func(string) string
}

func (e *envString) String() string {
	if e.flag.Changed {
		return e.flag.Value.String()
	}
	if v := e.getenv(e.env); v != "" {
		return v
	}
	return e.flag.DefValue
}

// source names where the value came from, for messages that say what to change.
func (e *envString) source() string {
	switch {
	case e.flag.Changed:
		return "--" + e.flag.Name
	case e.getenv(e.env) != "":
		return e.env
	}
	return "the default"
}

// envStringFlag adds a string flag whose value is shown as valueName in
// the help ("--config DIR") and defaults to the variable env, then def.
func (c *cli) envStringFlag(fs *pflag.FlagSet, name, valueName, env, def, usage string) *envString {
	fs.Var(&namedString{value: def, name: valueName}, name, usage+" (env "+env+")")
	return &envString{flag: fs.Lookup(name), env: env, getenv: c.getenv}
}

// namedString is a string flag value with a name for the help.
type namedString struct{ value, name string }

func (s *namedString) String() string     { return s.value }
func (s *namedString) Set(v string) error { s.value = v; return nil }
func (s *namedString) Type() string       { return s.name }

// choice is a flag value that must be one of a few words, so a typo is a
// usage error when the flags are read rather than a surprise later.
type choice struct {
	value   string
	allowed []string
}

func (ch *choice) String() string { return ch.value }
func (ch *choice) Type() string   { return strings.Join(ch.allowed, "|") }
func (ch *choice) Set(s string) error {
	for _, a := range ch.allowed {
		if s == a {
			ch.value = s
			return nil
		}
	}
	last := len(ch.allowed) - 1
	if last < 1 {
		return fmt.Errorf("want %s", strings.Join(ch.allowed, ""))
	}
	return fmt.Errorf("want %s or %s", strings.Join(ch.allowed[:last], ", "), ch.allowed[last])
}

// choiceFlag adds a flag taking one of allowed (the first is the default),
// with shell completion of the words.
func choiceFlag(cmd *cobra.Command, name, short, usage string, allowed ...string) *choice {
	ch := &choice{value: allowed[0], allowed: allowed}
	cmd.Flags().VarP(ch, name, short, usage)
	_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(allowed, cobra.ShellCompDirectiveNoFileComp))
	return ch
}

// exactArgs, rangeArgs and noArgs are cobra's argument checks with a message
// that names what the verb wants instead of counting.
func exactArgs(n int, want string) cobra.PositionalArgs {
	return rangeArgs(n, n, want)
}

func rangeArgs(lo, hi int, want string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < lo || (hi >= 0 && len(args) > hi) {
			return usagef("want %s, got %d argument%s", want, len(args), plural(len(args)))
		}
		return nil
	}
}

func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q: this verb takes flags only", args[0])
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// count is a flag taking a whole number of things, 1 or more; its error
// says so instead of quoting strconv.
type count int

func (n *count) String() string { return strconv.Itoa(int(*n)) }
func (n *count) Type() string   { return "N" }
func (n *count) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return errors.New("want a whole number, 1 or more")
	}
	*n = count(v)
	return nil
}

// tzFlag adds --tz, the zone wall-clock times are read and shown in.
func tzFlag(cmd *cobra.Command) *string {
	tz := cmd.Flags().String("tz", "", "time `ZONE` (IANA name) for reading and showing times; default the local zone")
	_ = cmd.RegisterFlagCompletionFunc("tz", cobra.FixedCompletions(
		[]string{"UTC", "America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney"},
		cobra.ShellCompDirectiveNoFileComp))
	return tz
}

// parseTZ reads --tz; empty is the local zone.
func parseTZ(name string) (*time.Location, error) {
	if name == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, usagef("--tz %q is not a time zone: want an IANA name such as UTC, Europe/Berlin or America/New_York", name)
	}
	return loc, nil
}

// parseTimeFlag reads a time flag (--at, --until) with schedules.ParseLocal,
// the parser the config's own times go through. Its error is replaced, not
// wrapped: the message here names the flag and shows both accepted forms
// with an example, which is all the parser could say.
func parseTimeFlag(flag, value string, loc *time.Location) (time.Time, error) {
	t, err := schedules.ParseLocal(value, loc)
	if err != nil {
		zone := loc.String()
		if loc == time.Local {
			zone = "the local time zone, or --tz"
		}
		return time.Time{}, usagef("--%s %q: want RFC 3339 such as 2027-03-14T05:30:00Z or 2027-03-14T05:30:00-04:00, "+
			"or a wall-clock time \"2027-03-14 05:30\" (in %s)", flag, value, zone)
	}
	return t, nil
}

var (
	_ pflag.Value = (*choice)(nil)
	_ pflag.Value = (*namedString)(nil)
	_ pflag.Value = (*count)(nil)
)
