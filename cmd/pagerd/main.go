// Command pagerd is the alert-routing and paging daemon and its CLI.
// It only wires: flags into options, signals into contexts; every decision
// lives in the packages it calls.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes. Scripts and CI tell a command line that is wrong (fix the
// script) from a check or a server that said no (look at the config or the
// incident).
const (
	exitOK      = 0
	exitFailure = 1 // config invalid, server error, nothing found that was asked for
	exitUsage   = 2 // unknown verb or flag, wrong number of arguments, bad flag value
)

// Environment variables that stand in for flags. A flag given on the command
// line wins over its variable.
const (
	envConfig = "PAGERD_CONFIG"
	envServer = "PAGERD_SERVER"
	envToken  = "PAGERD_API_TOKEN"
)

const (
	defaultConfigDir = "deploy/examples/config"
	defaultServer    = "http://localhost:8080"
)

// run is main without the process: tests and the replica test's re-executed
// binary call it.
func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{getenv: os.Getenv, stdout: stdout, stderr: stderr}
	root := c.newRoot()
	if len(args) == 0 {
		// A bare `pagerd` is a mistake in a script, not a request for help.
		fmt.Fprint(stderr, root.UsageString())
		return exitUsage
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	return c.report(cmd, err)
}

// cli holds one invocation's streams, environment and the flags every verb
// shares. A fresh one per run keeps tests independent.
type cli struct {
	getenv         func(string) string
	stdout, stderr io.Writer

	config, server, token *envString

	// ran is set once a verb's own code starts: an error before that came
	// from cobra reading the command line, so it is a usage error.
	ran bool
}

// usageError is a mistake in the command line (exit 2). Errors from a verb
// that are not usageErrors are failures (exit 1).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// errReported is a failure the verb has already explained on stdout (a
// `check` that printed its diagnostics): exit 1 without another line.
var errReported = errors.New("failure already reported")

// report prints err as one line naming the verb and returns the exit code.
func (c *cli) report(cmd *cobra.Command, err error) int {
	path := cmd.CommandPath()
	var ue usageError
	switch {
	case errors.Is(err, errReported):
		return exitFailure
	case errors.As(err, &ue) || !c.ran:
		fmt.Fprintf(c.stderr, "%s: %v\nRun '%s --help' for usage.\n", path, strings.TrimRight(err.Error(), "\n"), path)
		return exitUsage
	default:
		fmt.Fprintf(c.stderr, "%s: %v\n", path, err)
		return exitFailure
	}
}

// Command groups in `pagerd --help`.
const (
	groupDaemon    = "daemon"
	groupConfig    = "config"
	groupIncidents = "incidents"
)

func (c *cli) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "pagerd",
		Short: "Alert routing and paging",
		Long: `pagerd receives alerts from monitors, groups them into incidents, finds who
owns them from HCL on-call schedules and escalation policies, and pages
people by SMS, voice, email or the console until someone acknowledges.

The same binary runs the daemon (serve), answers questions about a config
directory without a daemon (check, route, oncall, feed-url), and acts on the
incidents of a running daemon through its HTTP API (incidents, show, ack,
resolve, escalate, note, silence).

Every verb takes --config, --server and --token; the environment variables
PAGERD_CONFIG, PAGERD_SERVER and PAGERD_API_TOKEN set them when the flag is
not given.

Exit codes: 0 ok, 1 failure (invalid config, server error, nothing found),
2 usage (unknown verb or flag, wrong arguments, bad flag value).`,
		Example: `  pagerd serve --config /etc/pagerd
  pagerd check --config /etc/pagerd
  pagerd oncall --config /etc/pagerd
  pagerd incidents --server http://pagerd:8080
  source <(pagerd completion bash)`,
		SilenceUsage:  true, // usage errors get a one-line hint, not the whole usage
		SilenceErrors: true, // run prints the error, once, as "pagerd VERB: message"
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	pf := root.PersistentFlags()
	c.config = c.envStringFlag(pf, "config", "DIR", envConfig, defaultConfigDir, "config directory of *.hcl files")
	c.server = c.envStringFlag(pf, "server", "URL", envServer, defaultServer, "base URL of a running pagerd, for the incident verbs")
	c.token = c.envStringFlag(pf, "token", "TOKEN", envToken, "", "API integration token for the incident verbs; default the first \"api\" integration of --config")
	_ = root.MarkPersistentFlagDirname("config")

	root.AddGroup(
		&cobra.Group{ID: groupDaemon, Title: "Daemon:"},
		&cobra.Group{ID: groupConfig, Title: "Config, schedules and routing (read --config, no daemon needed):"},
		&cobra.Group{ID: groupIncidents, Title: "Incidents (talk to the pagerd at --server):"},
	)
	root.AddCommand(
		c.serveCmd(), c.checkCmd(), c.testCmd(), c.routeCmd(), c.oncallCmd(), c.feedURLCmd(), c.stakeholdersCmd(),
		c.incidentsCmd(), c.showCmd(), c.changesCmd(),
		c.actCmd(actAck), c.actCmd(actResolve), c.actCmd(actEscalate), c.actCmd(actNote),
		c.declareCmd(), c.severityCmd(), c.assignCmd(), c.updateCmd(), c.timelineCmd(),
		c.postmortemCmd(), c.actionCmd(), c.actionsCmd(), c.loginCmd(),
		c.silenceCmd(),
		c.publishCmd(), c.publicationCmd(), c.statusURLCmd(), c.subscribersCmd(), c.reportsCmd(),
	)
	// Errors cobra returns before a verb's own code starts (unknown verb or
	// flag, wrong number of arguments, a flag value that does not parse) are
	// mistakes in the command line; mark the start so report can tell.
	var mark func(cmds []*cobra.Command)
	mark = func(cmds []*cobra.Command) {
		for _, sub := range cmds {
			if f := sub.RunE; f != nil {
				sub.RunE = func(cmd *cobra.Command, args []string) error {
					c.ran = true
					return f(cmd, args)
				}
			}
			mark(sub.Commands())
		}
	}
	mark(root.Commands())
	return root
}
