package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/policies"
)

// stakeholdersJSON is `pagerd stakeholders -o json`: the matrix as the
// API shows it.
type stakeholdersJSON = command.Matrix

func (c *cli) stakeholdersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "stakeholders SERVICE",
		GroupID: groupConfig,
		Short:   "Who is told what, and when, about an incident of a service",
		Long: `Show the stakeholder matrix of a service of --config: for an incident there,
who is told at each moment — when it is declared (opens at, or reaches, a
severity that engages its stakeholders), on every status update, on each
change of state (investigating, identified, monitoring, resolved), when
it is resolved — in which quadrant, through what, in which wording.
Nothing is sent and no daemon is needed; schedules are resolved now.

The four quadrants and what each gets by default (docs/incident-command.md):
  manage closely  management, product: a direct message through their own
                  notification rules on declaration, every update and
                  resolution; internal wording
  keep informed   developers, support: room messages and an email digest
                  on each change of state; internal wording
  keep satisfied  customers: the status page and its subscriptions;
                  public wording
  monitor         everyone else: the status page and its feed

--sev says which severity the incident has (default the most severe the
block engages); one that does not engage the stakeholders tells nobody.

With -o json it prints {"service", "stakeholders", "severities",
"engaged", "severity", "deliveries": [{"moment", "quadrant", "who", "via",
"wording", "digest", "subscribers"}], "quadrants": {"manage_closely":
{"on", "people", "rooms", "emails"}, ...}}; every key is always present.`,
		Example: `  pagerd stakeholders checkout
  pagerd stakeholders checkout --sev SEV3
  pagerd stakeholders checkout -o json | jq '.deliveries[] | select(.moment == "update")'`,
		Args: exactArgs(1, "one service"),
		ValidArgsFunction: c.completeNames(func(cfg *policies.Config) []string {
			var names []string
			for _, s := range cfg.Services {
				names = append(names, s.Name)
			}
			return names
		}, 1),
	}
	sev := cmd.Flags().String("sev", "", "`SEVERITY` of the incident (default the most severe that engages them)")
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := c.loadConfig()
		if err != nil {
			return err
		}
		svc := cfg.Service(args[0])
		if svc == nil {
			return fmt.Errorf("no service %q in %s: the services are %s", args[0], c.config.String(), serviceNames(cfg))
		}
		if *sev != "" {
			name, ok := cfg.ParseSeverity(*sev)
			if !ok {
				return usagef("--sev %q is not a severity: use %s", *sev, strings.Join(cfg.Command.Severities, ", "))
			}
			*sev = name
		}
		out := command.MatrixOf(cfg, svc.Name, *sev, time.Now())
		if output.String() == "json" {
			return writeJSON(c.stdout, out)
		}
		return writeStakeholders(c.stdout, out)
	}
	return cmd
}

func serviceNames(cfg *policies.Config) string {
	var names []string
	for _, s := range cfg.Services {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// writeStakeholders is the table of `pagerd stakeholders`.
func writeStakeholders(w io.Writer, out stakeholdersJSON) error {
	switch {
	case out.Block == "":
		fmt.Fprintf(w, "service %s: no stakeholders block covers it, so nobody is told beyond whom its escalation pages\n", out.Service)
		return nil
	case !out.Engaged:
		fmt.Fprintf(w, "service %s: stakeholders %q hear of incidents of %s; one of %s tells nobody\n",
			out.Service, out.Block, strings.Join(out.Severities, " or "), orDash(out.Severity))
		return nil
	}
	fmt.Fprintf(w, "service %s: stakeholders %q, for incidents of %s (shown: %s)\n\n",
		out.Service, out.Block, strings.Join(out.Severities, " or "), out.Severity)
	if len(out.Deliveries) == 0 {
		fmt.Fprintln(w, "nobody: its quadrants name no one")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tQUADRANT\tWHO\tVIA\tGETS")
	for _, d := range out.Deliveries {
		gets := "message, " + d.Wording + " wording"
		switch {
		case d.Digest:
			gets = "email digest, " + d.Wording + " wording"
		case d.Via == "status page":
			gets = fmt.Sprintf("the status page, %s wording, %d subscriber", d.Wording, len(d.Subscribers))
			if len(d.Subscribers) != 1 {
				gets += "s"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strings.ReplaceAll(d.Moment, "_", " "), strings.ReplaceAll(d.Quadrant, "_", " "),
			oneLine(d.Who), d.Via, gets)
	}
	return tw.Flush()
}
