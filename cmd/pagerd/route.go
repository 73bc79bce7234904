package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/escalation"
)

func (c *cli) routeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "route {NAME=VALUE... | --integration NAME --body FILE}",
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

It walks the policy exactly as the engine will if nobody acknowledges:
every step of every repeat, a step that reaches nobody falling through to
the next at once, and each person's notification rules (sms at +0s, a call
at +5m, ...).

With -o json it prints one object:
  {"at": "2027-03-14T05:30:00-04:00", "labels": {"service": "checkout"},
   "routed": true, "service": "checkout", "owner": "team:payments", "group": {"alertname": ""},
   "escalation": "payments", "repeat": 2, "informs": ["webhook:audit"],
   "suppressed": "", "suppressed_until": null,
   "storm": {"incidents": 5, "window_seconds": 300},
   "flapping": {"changes": 4, "window_seconds": 3600, "hold_seconds": 900},
   "steps": [{"step": 1, "round": 0, "at": "2027-03-14T05:30:00-04:00", "offset_seconds": 0,
     "targets": [{"target": "schedule:payments-primary", "users": ["alice"], "destination": false}],
     "notifications": [{"to": "alice", "via": "sms", "at": "2027-03-14T05:30:00-04:00", "offset_seconds": 0}]}]}
at is when the alert fires and each step's at when that step would run (RFC
3339, in --tz); offset_seconds counts from the alert; round counts the
repeats. group holds the service's group_by labels and their values. An
alert no service matches has "routed": false, an empty service, group and
steps. A person target whose users are [] reaches nobody: that step falls
through; a destination target (a webhook, a chat room) is notified itself.
owner is the team that owns the service ("" when none: a service with only
an escalation). informs lists the destinations the service keeps told of every event of
its incidents (its subscribers), whoever is paged. exhausted says when the
policy runs out if nobody acknowledged (when another round would start)
and whom that pages, once, as last resort: {"at": ..., "offset_seconds":
3000, "last_resort": ["carol"], "why": "lead of team \"payments\""}
("last_resort": [] when nobody is set to be told); null without steps.

A maintenance window of --config open when the alert fires holds it: it
would be recorded, and paging would start when the window closes (and any
window that follows at once): "suppressed" names the window
("maintenance:NAME", "" when none holds it), "suppressed_until" says when
it closes (null when none), and the steps count from then. A window that
opens later pauses paging while it is open. Silences and inhibition
depend on what the daemon holds at the time, so route cannot show them:
'pagerd silence list' and 'pagerd show' do.
storm and flapping are the service's folding (0 incidents or changes: off).
Once more than storm.incidents new incidents of the service opened within
its window, the next ones fold into one storm incident: that one pages, by
these same steps, and the folded ones page nobody. An alert that changed
state more than flapping.changes times within its window pages once,
marked flapping, by these steps; its flips after that page nobody.

With --integration and --body it starts from what a sender posts instead
of labels: the body (a file, or - for stdin) is decoded as the
integration's type decodes it — a generic integration through its mapping,
an alertmanager one as a webhook or an API v2 list — and route shows each
alert it becomes (status, fingerprint, dedup key, labels, annotations,
links), then where that alert routes and who would be paged, as above,
honouring the integration's service. A body the integration would refuse
is an error naming the field (exit 1), with the mapping's line for a
generic one. With -o json:
  {"integration": "uptime-kuma", "alerts": [{"status": "firing",
   "fingerprint": "...", "dedup_key": "...", "labels": {...},
   "annotations": {...}, "starts_at": "...", "links": [...],
   "route": {... as above, or null for an alert that resolves or
   acknowledges, which pages nobody}}]}`,
		Example: `  pagerd route alertname=CheckoutDown service=checkout severity=critical
  pagerd route service=checkout severity=page --at "2027-03-14 05:30" --tz America/New_York
  pagerd route service=checkout severity=page -o json | jq -r '.steps[0].targets[].users[]'
  pagerd route --integration uptime-kuma --body down.json`,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	atFlag := cmd.Flags().String("at", "", "pretend the alert fires at `TIME`: RFC 3339, or \"YYYY-MM-DD HH:MM\" in --tz; default now")
	tzFlag := tzFlag(cmd)
	output := formatFlag(cmd)
	integration := cmd.Flags().String("integration", "", "decode --body as integration `NAME` of --config receives it")
	bodyFile := cmd.Flags().String("body", "", "a request body as the integration's sender posts it: `FILE`, or - for stdin")
	_ = cmd.RegisterFlagCompletionFunc("integration", c.completeNames(func(cfg *policies.Config) []string {
		var names []string
		for _, in := range cfg.Integrations {
			names = append(names, in.Name)
		}
		return names
	}, -1))
	cmd.Args = func(_ *cobra.Command, args []string) error {
		if (*integration == "") != (*bodyFile == "") {
			return usagef("--integration and --body go together")
		}
		if *bodyFile != "" {
			if len(args) > 0 {
				return usagef("unexpected argument %q: with --body the labels come from the body", args[0])
			}
			return nil
		}
		return rangeArgs(1, -1, "the alert's labels as NAME=VALUE, or --integration and --body")(nil, args)
	}

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *bodyFile != "" {
			return c.routeBody(*integration, *bodyFile, *atFlag, *tzFlag, output)
		}
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
		if structured(output) {
			return writeData(c.stdout, output, routeJSON(plan))
		}
		return writeRouteTable(c.stdout, plan)
	}
	return cmd
}

// routePlan is what an alert would set in motion if nobody acknowledged:
// the service that owns it, the labels that group it into an incident, and
// every escalation step the engine would run, with whom it reaches and
// when. Service is "" when no service matches. The steps come from
// router/escalation, the planner the engine itself pages by.
type routePlan struct {
	At         time.Time
	Labels     map[string]string
	Service    string
	Owner      string   // the team that owns the service, "" none
	GroupBy    []string // the service's group_by label names, in order
	Escalation string
	Repeat     int
	// Informs are the destinations the service keeps told of every
	// event of its incidents (its subscribers: rooms, webhooks).
	Informs []string
	// Suppressed names the maintenance window that holds the alert when
	// it fires ("" when none does), and SuppressedUntil when paging
	// starts; the steps count from the alert as always.
	Suppressed      string
	SuppressedUntil time.Time
	// Storm and Flapping are the service's folding: past them, the alert
	// folds into a storm incident that pages by these same steps, or pages
	// once as flapping.
	Storm    policies.Storm
	Flapping policies.Flapping
	Steps    []routeStep
	// Exhausted is when, from the alert, the policy runs out if nobody
	// acknowledged; LastResort who is paged then and LastResortWhy why
	// them (none: the timeline alone says so).
	Exhausted     time.Duration
	LastResort    []string
	LastResortWhy string
}

type routeStep struct {
	Round, Index int           // the pass over the policy (0 first) and the step's place in it
	Offset       time.Duration // from the alert
	Targets      []routeTarget
	Deliveries   []routeDelivery
}

type routeTarget struct {
	Target      string   // as written in HCL, "kind:name"
	Users       []string // empty for a person target: nobody, the step falls through
	Destination bool     // a channel's own destination (a webhook), not people
}

// routeDelivery is one notification a step makes: a person's rule, or a
// destination.
type routeDelivery struct {
	To     string // a user, or "channel:destination"
	Via    string
	Offset time.Duration // from the alert
}

func planRoute(cfg *policies.Config, labels map[string]string, at time.Time) routePlan {
	return planRouteFrom(cfg, nil, labels, at)
}

// planRouteFrom is planRoute for an alert integration in sent, which may
// pin its alerts to a service.
func planRouteFrom(cfg *policies.Config, in *policies.Integration, labels map[string]string, at time.Time) routePlan {
	plan := routePlan{At: at, Labels: labels}
	pv := escalation.PreviewAlert(cfg, in, labels, at)
	svc, pol := pv.Service, pv.Policy
	if svc == nil {
		return plan
	}
	plan.Service = svc.Name
	plan.Owner = svc.Owner
	plan.GroupBy = svc.GroupBy
	plan.Escalation = svc.Escalation
	for _, t := range svc.Subscribers {
		plan.Informs = append(plan.Informs, t.String())
	}
	plan.Storm, plan.Flapping = svc.Storm, svc.Flapping
	plan.Repeat = pol.Repeat
	plan.Suppressed, plan.SuppressedUntil = pv.Held, pv.HeldUntil
	walk := pv.Plan
	for _, st := range walk.Steps {
		rs := routeStep{Round: st.Round, Index: st.Index, Offset: st.Start.Sub(at)}
		for _, t := range pol.Steps[st.Index].Targets {
			rt := routeTarget{Target: t.String(), Destination: !t.IsPerson()}
			if t.IsPerson() {
				rt.Users = cfg.UsersFor(t, st.Start)
			}
			rs.Targets = append(rs.Targets, rt)
		}
		plan.Steps = append(plan.Steps, rs)
	}
	if !walk.Exhausted.IsZero() {
		plan.Exhausted = walk.Exhausted.Sub(at)
		plan.LastResort, plan.LastResortWhy = pv.LastResort, pv.LastResortWhy
	}
	for _, d := range walk.Deliveries {
		to := d.Via + ":" + d.Destination
		if d.User != nil {
			to = d.User.Name
		}
		rs := &plan.Steps[d.Step]
		rs.Deliveries = append(rs.Deliveries, routeDelivery{To: to, Via: d.Via, Offset: d.At.Sub(at)})
	}
	return plan
}

func writeRouteTable(w io.Writer, p routePlan) error {
	if p.Service == "" {
		_, err := fmt.Fprintln(w, "service:    (none) — the alert would be stored as unrouted and page nobody")
		return err
	}
	fmt.Fprintf(w, "service:    %s\n", p.Service)
	if p.Owner != "" {
		fmt.Fprintf(w, "owner:      team:%s\n", p.Owner)
	}
	group := []string{}
	for _, g := range p.GroupBy {
		group = append(group, g+"="+p.Labels[g])
	}
	fmt.Fprintf(w, "group:      {%s}\n", strings.Join(group, ", "))
	fmt.Fprintf(w, "storm:      %s\n", p.Storm)
	fmt.Fprintf(w, "flapping:   %s\n", p.Flapping)
	fmt.Fprintf(w, "escalation: %s (repeat %d)\n", p.Escalation, p.Repeat)
	if len(p.Informs) > 0 {
		fmt.Fprintf(w, "informs:    %s\n", strings.Join(p.Informs, ", "))
	}
	if p.Suppressed != "" {
		fmt.Fprintf(w, "suppressed: %s until %s (+%s): recorded, paging starts then\n", p.Suppressed,
			p.SuppressedUntil.In(p.At.Location()).Format(time.RFC3339), p.SuppressedUntil.Sub(p.At))
	}
	for _, step := range p.Steps {
		round := ""
		if step.Round > 0 {
			round = fmt.Sprintf("repeat %d, ", step.Round)
		}
		fmt.Fprintf(w, "  %sstep %d at +%s:\n", round, step.Index+1, step.Offset)
		for _, t := range step.Targets {
			who := strings.Join(t.Users, ", ")
			switch {
			case t.Destination:
				who = "notified"
			case who == "":
				who = "nobody (falls through to the next step)"
			}
			fmt.Fprintf(w, "    %-28s → %s\n", t.Target, who)
		}
		for _, d := range step.Deliveries {
			fmt.Fprintf(w, "      %s via %s at +%s\n", d.To, d.Via, d.Offset)
		}
	}
	if len(p.Steps) > 0 {
		who := "nobody is told (no last_resort, no team lead)"
		if len(p.LastResort) > 0 {
			who = strings.Join(p.LastResort, ", ") + " paged as last resort, " + p.LastResortWhy
		}
		fmt.Fprintf(w, "  exhausted at +%s: %s\n", p.Exhausted, who)
	}
	return nil
}

// routeResult is `pagerd route -o json`.
type routeResult struct {
	At         jsonTime          `json:"at"`
	Labels     map[string]string `json:"labels"`
	Routed     bool              `json:"routed"`
	Service    string            `json:"service"`
	Owner      string            `json:"owner"`
	Group      map[string]string `json:"group"`
	Escalation string            `json:"escalation"`
	Repeat     int               `json:"repeat"`
	Informs    []string          `json:"informs"`
	Suppressed string            `json:"suppressed"`
	Until      jsonTime          `json:"suppressed_until"`
	Storm      routeStormJSON    `json:"storm"`
	Flapping   routeFlapJSON     `json:"flapping"`
	Steps      []routeStepJSON   `json:"steps"`
	Exhausted  *routeExhaustJSON `json:"exhausted"`
}

// routeExhaustJSON is when the policy runs out and whom that pages.
type routeExhaustJSON struct {
	At            jsonTime `json:"at"`
	OffsetSeconds int64    `json:"offset_seconds"`
	LastResort    []string `json:"last_resort"`
	Why           string   `json:"why"`
}

// routeStormJSON is the service's storm folding; incidents 0: off.
type routeStormJSON struct {
	Incidents     int   `json:"incidents"`
	WindowSeconds int64 `json:"window_seconds"`
}

// routeFlapJSON is the service's flap folding; changes 0: off.
type routeFlapJSON struct {
	Changes       int   `json:"changes"`
	WindowSeconds int64 `json:"window_seconds"`
	HoldSeconds   int64 `json:"hold_seconds"`
}

type routeStepJSON struct {
	Step          int                 `json:"step"`  // from 1, as in the table
	Round         int                 `json:"round"` // 0 for the first pass, then each repeat
	At            jsonTime            `json:"at"`
	OffsetSeconds int64               `json:"offset_seconds"`
	Targets       []routeTargetJSON   `json:"targets"`
	Notifications []routeDeliveryJSON `json:"notifications"`
}

type routeTargetJSON struct {
	Target      string   `json:"target"`
	Users       []string `json:"users"`
	Destination bool     `json:"destination"`
}

type routeDeliveryJSON struct {
	To            string   `json:"to"`
	Via           string   `json:"via"`
	At            jsonTime `json:"at"`
	OffsetSeconds int64    `json:"offset_seconds"`
}

// owner is a team as a target, "team:NAME", or "".
func owner(team string) string {
	if team == "" {
		return ""
	}
	return "team:" + team
}

func routeJSON(p routePlan) routeResult {
	out := routeResult{
		At: jsonTime(p.At), Labels: p.Labels, Routed: p.Service != "", Service: p.Service, Owner: owner(p.Owner),
		Group: map[string]string{}, Escalation: p.Escalation, Repeat: p.Repeat, Steps: []routeStepJSON{},
		Informs:    append([]string{}, p.Informs...),
		Suppressed: p.Suppressed, Until: jsonTime(p.SuppressedUntil.In(p.At.Location())),
		Storm: routeStormJSON{Incidents: p.Storm.Incidents, WindowSeconds: int64(p.Storm.Window / time.Second)},
		Flapping: routeFlapJSON{Changes: p.Flapping.Changes, WindowSeconds: int64(p.Flapping.Window / time.Second),
			HoldSeconds: int64(p.Flapping.Hold / time.Second)},
	}
	for _, g := range p.GroupBy {
		out.Group[g] = p.Labels[g]
	}
	for _, st := range p.Steps {
		sj := routeStepJSON{Step: st.Index + 1, Round: st.Round, At: jsonTime(p.At.Add(st.Offset)),
			OffsetSeconds: int64(st.Offset / time.Second), Targets: []routeTargetJSON{}, Notifications: []routeDeliveryJSON{}}
		for _, t := range st.Targets {
			users := t.Users
			if users == nil {
				users = []string{}
			}
			sj.Targets = append(sj.Targets, routeTargetJSON{Target: t.Target, Users: users, Destination: t.Destination})
		}
		for _, d := range st.Deliveries {
			sj.Notifications = append(sj.Notifications, routeDeliveryJSON{To: d.To, Via: d.Via,
				At: jsonTime(p.At.Add(d.Offset)), OffsetSeconds: int64(d.Offset / time.Second)})
		}
		out.Steps = append(out.Steps, sj)
	}
	if len(p.Steps) > 0 {
		out.Exhausted = &routeExhaustJSON{At: jsonTime(p.At.Add(p.Exhausted)), OffsetSeconds: int64(p.Exhausted / time.Second),
			LastResort: append([]string{}, p.LastResort...), Why: p.LastResortWhy}
	}
	return out
}
