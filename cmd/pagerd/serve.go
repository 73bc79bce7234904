package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/policies"
)

func (c *cli) serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "serve",
		GroupID: groupDaemon,
		Short:   "Run the daemon: receive alerts, page, escalate",
		Long: `Run the pagerd daemon: it receives alert webhooks, groups them into incidents
in Redis, pages the people the config names and escalates until someone
acknowledges. It serves the HTTP API the incident verbs talk to, and
/healthz, /readyz and /metrics.

State lives only in Redis, so any number of replicas can share one (give
them the same --namespace). Without --redis, serve starts an embedded
in-process Redis and warns that state is lost on restart: fine to try
pagerd, not for production.

SIGHUP reloads the config directory; a config that does not load is
refused and the running one stays. SIGINT and SIGTERM stop the daemon
gracefully: requests and pages in flight finish (up to --shutdown-grace),
are recorded, and everything it holds is handed to the other replicas at
once.`,
		Example: `  # Try it: embedded Redis, the example config, pages printed to the console
  pagerd serve --config deploy/examples/config

  # Production: a real Redis, JSON logs
  PAGERD_REDIS_URL=redis://redis:6379 pagerd serve --config /etc/pagerd --log-format json`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	listen := c.envStringFlag(fs, "listen", "ADDR", "PAGERD_LISTEN", ":8080", "HTTP listen address")
	redisURL := c.envStringFlag(fs, "redis", "URL", "PAGERD_REDIS_URL", "", "Redis URL; empty: embedded in-process Redis, state lost on restart")
	namespace := c.envStringFlag(fs, "namespace", "NAME", "PAGERD_NAMESPACE", "pagerd", "Redis key namespace; replicas sharing one Redis must use the same")
	shards := c.envStringFlag(fs, "redis-shards", "N", "PAGERD_REDIS_SHARDS", "1",
		"spread the keyspace over N hash tags so that a Redis Cluster spreads incidents over its masters (a multiple of the masters); fixed at the first start with N > 1, and every replica must use the same")
	logFormat := choiceFlag(cmd, "log-format", "", "log format", "text", "json")
	logLevel := choiceFlag(cmd, "log-level", "", "least severe log level written", "info", "debug", "warn", "error")
	poll := fs.Duration("poll", time.Second, "longest the engine sleeps without looking at the timers; timers any replica sets earlier wake it at once (a safety net)")
	grace := fs.Duration("shutdown-grace", 20*time.Second, "on SIGTERM, how long requests and pages in flight may take to finish; keep it below the orchestrator's kill timeout (Kubernetes: 30s)")

	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		nShards, err := strconv.Atoi(shards.String())
		if err != nil || nShards < 1 {
			return usagef("%s %q: want a whole number, 1 or more", shards.source(), shards.String())
		}
		configDir := c.config.String()
		if err := checkConfigDir(configDir); err != nil {
			return err
		}
		var level slog.Level
		if err := level.UnmarshalText([]byte(logLevel.String())); err != nil {
			return usagef("--log-level: %w", err)
		}
		hopts := &slog.HandlerOptions{Level: level}
		var handler slog.Handler = slog.NewTextHandler(c.stderr, hopts)
		if logFormat.String() == "json" {
			handler = slog.NewJSONHandler(c.stderr, hopts)
		}
		log := slog.New(handler)
		app.LogRedisTo(log.With("component", "redis"))

		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		a, err := app.New(ctx, app.Options{
			ConfigDir: configDir, Listen: listen.String(), RedisURL: redisURL.String(), Namespace: namespace.String(),
			Shards: nShards, Log: log, Console: c.stdout, Poll: *poll, Grace: *grace,
		})
		if err != nil {
			return err
		}
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for range hup {
				_ = a.Reload()
			}
		}()
		return a.Run(ctx)
	}
	return cmd
}

func (c *cli) checkCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "check [DIR]",
		GroupID: groupConfig,
		Short:   "Validate a config directory",
		Long: `Load a config directory the way serve does and report every problem with
the file, line and column it comes from, warnings included, then a one-line
summary. Exit code 1 when the config would be refused, so it belongs in CI
before a deploy or a reload.

The directory is --config (or PAGERD_CONFIG); a single DIR argument is still
accepted and wins over both.

With -o json it prints one object instead, for CI annotations:
  {"valid": false, "summary": "config invalid: 1 error", "errors": 1, "warnings": 0,
   "diagnostics": [{"severity": "error", "summary": "Unknown escalation",
     "detail": "...", "file": "conf/services.hcl", "line": 2, "column": 16}]}
severity is "error" or "warning"; file is "" and line and column are 0 for
a diagnostic without a source position. A directory that does not exist is
an error on stderr (exit 1) and prints nothing on stdout.

When the config is valid and has policy tests (*_test.hcl, tests/*.hcl),
check runs them as 'pagerd test' does and fails (exit 1) when one fails;
with -o json their report is under "tests" (null without tests), in the
shape 'pagerd test -o json' prints.`,
		Example: `  pagerd check --config /etc/pagerd
  pagerd check deploy/examples/config        # same, positional form
  pagerd check -o json | jq '.diagnostics[] | select(.severity == "error")'`,
		Args: rangeArgs(0, 1, "at most one config directory"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
	}
	output := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		dir := c.config.String()
		if len(args) == 1 {
			dir = args[0]
		}
		if err := checkConfigDir(dir); err != nil {
			return err
		}
		if structured(output) {
			loaded := policies.LoadDir(dir)
			out := checkJSON(loaded)
			if loaded.Config != nil {
				out.Tests = checkTestsJSON(dir, loaded.Config)
			}
			if err := writeData(c.stdout, output, out); err != nil {
				return err
			}
			if loaded.Config == nil || (out.Tests != nil && !out.Tests.Passed) {
				return errReported
			}
			return nil
		}
		if !policies.Check(dir, c.stdout) {
			return errReported
		}
		// The config is valid: its policy tests, when it has any, too.
		if loaded := policies.LoadDir(dir); loaded.Config != nil && !checkTests(c.stdout, dir, loaded.Config) {
			return errReported
		}
		return nil
	}
	return cmd
}

// checkResult is `pagerd check -o json`.
type checkResult struct {
	Valid       bool             `json:"valid"`
	Summary     string           `json:"summary"`
	Errors      int              `json:"errors"`
	Warnings    int              `json:"warnings"`
	Diagnostics []diagnosticJSON `json:"diagnostics"`
	Tests       *testReport      `json:"tests"`
}

type diagnosticJSON struct {
	Severity string `json:"severity"` // "error" or "warning"
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	File     string `json:"file"` // "" when the diagnostic has no source position
	Line     int    `json:"line"`
	Column   int    `json:"column"`
}

func checkJSON(l *policies.Loaded) checkResult {
	out := checkResult{Valid: l.Config != nil, Summary: l.Summary(), Diagnostics: []diagnosticJSON{}}
	for _, d := range l.Diags {
		dj := diagnosticJSON{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			dj.Severity = "warning"
			out.Warnings++
		} else {
			out.Errors++
		}
		if s := d.Subject; s != nil {
			dj.File, dj.Line, dj.Column = s.Filename, s.Start.Line, s.Start.Column
		}
		out.Diagnostics = append(out.Diagnostics, dj)
	}
	return out
}
