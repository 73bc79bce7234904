package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pagerd/pagerd/policies"
)

// route is a dry run: which service, policy and people would an alert with
// these labels reach right now?
func route(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("route", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configDir := configFlag(fs)
	atFlag := fs.String("at", "", "pretend the alert fires at this time (RFC 3339); default now")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: give the alert's labels as name=value", errUsage)
	}
	labels := map[string]string{}
	for _, p := range pos {
		name, value, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return fmt.Errorf("%w: label %q is not name=value", errUsage, p)
		}
		labels[name] = value
	}
	at := time.Now()
	if *atFlag != "" {
		if at, err = time.Parse(time.RFC3339, *atFlag); err != nil {
			return fmt.Errorf("%w: --at: %v", errUsage, err)
		}
	}
	cfg, diags := policies.Load(*configDir)
	if cfg == nil {
		return fmt.Errorf("config %s is invalid (run pagerd check): %s", *configDir, diags.Error())
	}
	svc := cfg.Route(labels)
	if svc == nil {
		fmt.Fprintln(stdout, "service:    (none) — the alert would be stored as unrouted and page nobody")
		return nil
	}
	fmt.Fprintf(stdout, "service:    %s\n", svc.Name)
	group := []string{}
	for _, g := range svc.GroupBy {
		group = append(group, g+"="+labels[g])
	}
	fmt.Fprintf(stdout, "group:      {%s}\n", strings.Join(group, ", "))
	pol := cfg.Escalation(svc.Escalation)
	fmt.Fprintf(stdout, "escalation: %s (repeat %d)\n", svc.Escalation, pol.Repeat)
	start := at
	for i, step := range pol.Steps {
		start = start.Add(step.After)
		fmt.Fprintf(stdout, "  step %d at +%s:\n", i+1, start.Sub(at))
		for _, t := range step.Targets {
			users := cfg.UsersFor(t, start)
			who := strings.Join(users, ", ")
			if who == "" {
				who = "nobody (falls through to the next step)"
			}
			fmt.Fprintf(stdout, "    %-28s → %s\n", t.String(), who)
		}
	}
	return nil
}
