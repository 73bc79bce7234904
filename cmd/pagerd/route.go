package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/policies"
)

func (c *cli) routeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "route NAME=VALUE...",
		GroupID: groupConfig,
		Short:   "Dry run: which service, escalation and people an alert would reach",
		Long: `Dry run of routing: given an alert's labels, show which service of --config
would own it, how it would be grouped into an incident, and who each step of
the service's escalation policy would page, and when. Nothing is sent and no
daemon is needed, so it answers "would this alert wake the right person?"
before a config change ships.

--at pretends the alert fires at another time (RFC 3339 such as
2027-03-14T05:30:00Z, or a wall-clock "2027-03-14 05:30" in --tz, default
the local zone): schedules are resolved at the time each step would run.

With -o json it prints one object:
  {"at": "2027-03-14T05:30:00-04:00", "labels": {"service": "checkout"},
   "routed": true, "service": "checkout", "group": {"alertname": ""},
   "escalation": "payments", "repeat": 2,
   "steps": [{"step": 1, "at": "2027-03-14T05:30:00-04:00", "offset_seconds": 0,
     "targets": [{"target": "schedule:payments-primary", "users": ["alice"]}]}]}
at is when the alert fires and each step's at when that step would run (RFC
3339, in --tz); offset_seconds counts from the alert. group holds the
service's group_by labels and their values. An alert no service matches has
"routed": false, an empty service, group and steps. A target whose users
are [] reaches nobody: that step falls through.`,
		Example: `  pagerd route alertname=CheckoutDown service=checkout severity=critical
  pagerd route service=checkout severity=page --at "2027-03-14 05:30" --tz America/New_York
  pagerd route service=checkout severity=page -o json | jq -r '.steps[0].targets[].users[]'`,
		Args:              rangeArgs(1, -1, "the alert's labels as NAME=VALUE"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	atFlag := cmd.Flags().String("at", "", "pretend the alert fires at `TIME`: RFC 3339, or \"YYYY-MM-DD HH:MM\" in --tz; default now")
	tzFlag := tzFlag(cmd)
	output := outputFlag(cmd)

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		labels := map[string]string{}
		for _, a := range args {
			name, value, ok := strings.Cut(a, "=")
			if !ok || name == "" {
				return usagef("label %q is not NAME=VALUE", a)
			}
			labels[name] = value
		}
		loc, err := parseTZ(*tzFlag)
		if err != nil {
			return err
		}
		at := time.Now().In(loc)
		if *atFlag != "" {
			if at, err = parseTimeFlag("at", *atFlag, loc); err != nil {
				return err
			}
		}
		cfg, err := c.loadConfig()
		if err != nil {
			return err
		}
		plan := planRoute(cfg, labels, at)
		if output.String() == "json" {
			return writeJSON(c.stdout, routeJSON(plan))
		}
		return writeRouteTable(c.stdout, plan)
	}
	return cmd
}

// routePlan is what an alert would set in motion: the service that owns it,
// the labels that group it into an incident, and who each escalation step
// reaches. Service is "" when no service matches.
type routePlan struct {
	At         time.Time
	Labels     map[string]string
	Service    string
	GroupBy    []string // the service's group_by label names, in order
	Escalation string
	Repeat     int
	Steps      []routeStep
}

// routeStep is one escalation step: when it runs (Offset after the alert
// fires) and whom each of its targets reaches then.
type routeStep struct {
	Offset  time.Duration
	Targets []routeTarget
}

type routeTarget struct {
	Target string   // as written in HCL, "kind:name"
	Users  []string // empty: nobody, the step falls through
}

// planRoute computes where an alert with labels, firing at at, goes.
//
// It is the dry run's own copy of the decision, kept apart from the
// printing so that its body can be replaced by the escalation planner the
// engine uses (DESIGN.md: "escalation planning is a pure function shared by
// the engine and pagerd route") without touching the output.
func planRoute(cfg *policies.Config, labels map[string]string, at time.Time) routePlan {
	plan := routePlan{At: at, Labels: labels}
	svc := cfg.Route(labels)
	if svc == nil {
		return plan
	}
	plan.Service = svc.Name
	plan.GroupBy = svc.GroupBy
	plan.Escalation = svc.Escalation
	pol := cfg.Escalation(svc.Escalation)
	plan.Repeat = pol.Repeat
	start := at
	for _, step := range pol.Steps {
		start = start.Add(step.After)
		rs := routeStep{Offset: start.Sub(at)}
		for _, t := range step.Targets {
			rs.Targets = append(rs.Targets, routeTarget{Target: t.String(), Users: cfg.UsersFor(t, start)})
		}
		plan.Steps = append(plan.Steps, rs)
	}
	return plan
}

// writeRouteTable prints a plan for people.
func writeRouteTable(w io.Writer, p routePlan) error {
	if p.Service == "" {
		_, err := fmt.Fprintln(w, "service:    (none) — the alert would be stored as unrouted and page nobody")
		return err
	}
	fmt.Fprintf(w, "service:    %s\n", p.Service)
	group := []string{}
	for _, g := range p.GroupBy {
		group = append(group, g+"="+p.Labels[g])
	}
	fmt.Fprintf(w, "group:      {%s}\n", strings.Join(group, ", "))
	fmt.Fprintf(w, "escalation: %s (repeat %d)\n", p.Escalation, p.Repeat)
	for i, step := range p.Steps {
		fmt.Fprintf(w, "  step %d at +%s:\n", i+1, step.Offset)
		for _, t := range step.Targets {
			who := strings.Join(t.Users, ", ")
			if who == "" {
				who = "nobody (falls through to the next step)"
			}
			fmt.Fprintf(w, "    %-28s → %s\n", t.Target, who)
		}
	}
	return nil
}

// routeResult is `pagerd route -o json`.
type routeResult struct {
	At         jsonTime          `json:"at"`
	Labels     map[string]string `json:"labels"`
	Routed     bool              `json:"routed"`
	Service    string            `json:"service"`
	Group      map[string]string `json:"group"`
	Escalation string            `json:"escalation"`
	Repeat     int               `json:"repeat"`
	Steps      []routeStepJSON   `json:"steps"`
}

type routeStepJSON struct {
	Step          int               `json:"step"` // from 1, as in the table
	At            jsonTime          `json:"at"`
	OffsetSeconds int64             `json:"offset_seconds"`
	Targets       []routeTargetJSON `json:"targets"`
}

type routeTargetJSON struct {
	Target string   `json:"target"`
	Users  []string `json:"users"`
}

func routeJSON(p routePlan) routeResult {
	out := routeResult{
		At: jsonTime(p.At), Labels: p.Labels, Routed: p.Service != "", Service: p.Service,
		Group: map[string]string{}, Escalation: p.Escalation, Repeat: p.Repeat, Steps: []routeStepJSON{},
	}
	for _, g := range p.GroupBy {
		out.Group[g] = p.Labels[g]
	}
	for i, st := range p.Steps {
		sj := routeStepJSON{Step: i + 1, At: jsonTime(p.At.Add(st.Offset)), OffsetSeconds: int64(st.Offset / time.Second), Targets: []routeTargetJSON{}}
		for _, t := range st.Targets {
			users := t.Users
			if users == nil {
				users = []string{}
			}
			sj.Targets = append(sj.Targets, routeTargetJSON{Target: t.Target, Users: users})
		}
		out.Steps = append(out.Steps, sj)
	}
	return out
}
