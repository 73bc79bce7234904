// Command pagerd is the alert-routing and paging daemon and its CLI.
// It only wires: flags into options, signals into contexts; every decision
// lives in the packages it calls.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `pagerd — alert routing and paging

Usage:
  pagerd serve     [--config DIR] [--listen ADDR] [--redis URL]   run the daemon
  pagerd check     DIR                                            validate a config directory
  pagerd route     [--config DIR] label=value ...                 which service, policy and people an alert reaches
  pagerd oncall    [--config DIR] [SCHEDULE] [--at T] [--next N | --until T] [--user U] [--tz ZONE]
  pagerd feed-url  [--config DIR] schedule|user NAME              calendar feed URL with its token
  pagerd incidents [--all] [--server URL] [--token T]             list incidents
  pagerd show      ID                                             one incident with alerts and timeline
  pagerd ack       ID                                             acknowledge an incident
  pagerd resolve   ID                                             resolve an incident

Environment: PAGERD_CONFIG, PAGERD_REDIS_URL, PAGERD_SERVER, PAGERD_API_TOKEN.
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// errUsage marks a mistake in the command line (exit 2).
var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(args []string, stdout, stderr io.Writer) error{
		"serve":     serve,
		"check":     check,
		"route":     route,
		"oncall":    oncall,
		"feed-url":  feedURL,
		"incidents": incidents,
		"show":      show,
		"ack":       func(a []string, o, e io.Writer) error { return act("ack", a, o, e) },
		"resolve":   func(a []string, o, e io.Writer) error { return act("resolve", a, o, e) },
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "pagerd: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd(args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "pagerd %s: %v\n", args[0], err)
		return 2
	case errors.Is(err, errCheckFailed):
		return 1
	}
	fmt.Fprintf(stderr, "pagerd %s: %v\n", args[0], err)
	return 1
}

// envOr returns the environment variable, or def when it is unset.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// configFlag adds the shared --config flag.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", envOr("PAGERD_CONFIG", "deploy/examples/config"), "config directory of *.hcl files (env PAGERD_CONFIG)")
}

// parseInterspersed parses flags that may come after positional arguments
// ("pagerd ack 42 --server URL").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
