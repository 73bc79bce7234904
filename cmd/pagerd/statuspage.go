package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// Status page verbs: publish (and its progress), internal pages' links,
// subscribers. Each is one request to the API of the pagerd at --server.

func (c *cli) publishCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "publish ID TEXT...",
		GroupID: groupIncidents,
		Short:   "Publish an incident on status pages, or post a public update of it",
		Long: `Publish incident ID on the status pages of the pagerd at --server, with TEXT
as what customers read (the words after the ID, joined by spaces), or post
a further public update of an incident already published. Every update
goes to the pages' subscribers (email, SMS, webhooks, rooms, Mastodon),
once each, in order.

--page names a page (repeat it for several); without it a new incident
goes on every page that shows a component of its service, and an update
on the pages it is on. --status is investigating, identified, monitoring
or resolved (default: investigating for a new one, else as it was).
--title is the public title (default: the components and how bad it is,
never the alert's name). --component "NAME=STATE" sets a component's
state (operational, degraded_performance, partial_outage, major_outage);
a new incident without it gets its service's components in the state its
severity maps to (the page's component_state).

Once published, the manager's status updates (pagerd update) reach the
pages too, in their public wording (--public), and resolving the incident
resolves it on the pages. Notes never do.`,
		Example: `  pagerd publish 42 --status investigating "Some card payments fail. We are on it."
  pagerd publish 42 --page public --title "Card payments failing" --component "Card payments=major_outage" "Some card payments fail."
  pagerd publish 42 --status resolved "Card payments work again since 14:05 UTC."
  pagerd publication 42`,
		Args:              rangeArgs(2, -1, "an incident ID and the public text"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	pages := cmd.Flags().StringArray("page", nil, "`NAME` of a status page (repeatable)")
	status := cmd.Flags().String("status", "", "`STATUS`: investigating, identified, monitoring or resolved")
	title := cmd.Flags().String("title", "", "public `TITLE` of the incident")
	comps := cmd.Flags().StringArray("component", nil, "`NAME=STATE` of a component (repeatable)")
	by := byFlag(cmd, c.getenv)
	_ = cmd.RegisterFlagCompletionFunc("page", c.completeNames(func(cfg *policies.Config) []string {
		var names []string
		for _, p := range cfg.StatusPages {
			names = append(names, p.Name)
		}
		return names
	}, -1))
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions([]string{"investigating", "identified", "monitoring", "resolved"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := parseIncidentID(args[0])
		if err != nil {
			return err
		}
		if *status != "" {
			if _, err := incident.ParseUpdateState(*status); err != nil {
				return usagef("--status: %v", err)
			}
		}
		body := map[string]any{"pages": *pages, "status": *status, "title": *title, "text": strings.Join(args[1:], " ")}
		if len(*comps) > 0 {
			m := map[string]string{}
			for _, kv := range *comps {
				name, state, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(state) == "" {
					return usagef("--component %q: write NAME=STATE, like \"Checkout API=major_outage\"", kv)
				}
				m[strings.TrimSpace(name)] = strings.TrimSpace(state)
			}
			body["components"] = m
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		var out struct {
			Outcome string   `json:"outcome"`
			Code    string   `json:"code"`
			N       int      `json:"update"`
			Pages   []string `json:"pages"`
			URLs    []string `json:"urls"`
		}
		if err := api.do(cmd.Context(), http.MethodPost, withBy(fmt.Sprintf("/v1/incidents/%d/publish", id), *by), body, &out); err != nil {
			return err
		}
		switch out.Outcome {
		case "published":
			fmt.Fprintf(c.stdout, "incident #%d published on %s as update #%d: %s\n", id, strings.Join(out.Pages, ", "), out.N, strings.Join(out.URLs, " "))
		case "duplicate":
			fmt.Fprintf(c.stdout, "incident #%d: that update was posted already (#%d)\n", id, out.N)
		default:
			fmt.Fprintf(c.stdout, "incident #%d: public update #%d posted on %s\n", id, out.N, strings.Join(out.Pages, ", "))
		}
		fmt.Fprintf(c.stdout, "subscribers are being told; see how far with: pagerd publication %d\n", id)
		return nil
	}
	return cmd
}

func (c *cli) publicationCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "publication ID",
		GroupID: groupIncidents,
		Short:   "Show an incident as its status pages show it, and how far each update got to subscribers",
		Long: `Show incident ID as the status pages of the pagerd at --server have it: its
public title, status, components, pages and public updates, each with how
many of the pages' subscribers it reached, failed or is still on its way
to. -o json prints the API's answer.`,
		Example:           "  pagerd publication 42\n  pagerd publication 42 -o json",
		Args:              exactArgs(1, "an incident ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	format := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, api, err := c.incidentClient(args[0])
		if err != nil {
			return err
		}
		var out struct {
			incident.PageIncident
			URLs       []string            `json:"urls"`
			Deliveries []incident.Delivery `json:"deliveries"`
		}
		if err := api.do(cmd.Context(), http.MethodGet, fmt.Sprintf("/v1/incidents/%d/publication", id), nil, &out); err != nil {
			return err
		}
		if format.String() == "json" {
			return writeJSON(c.stdout, out)
		}
		w := c.stdout
		fmt.Fprintf(w, "%q — %s, on %s\n", out.Title, out.Status, strings.Join(out.Pages, ", "))
		for _, u := range out.URLs {
			fmt.Fprintf(w, "  %s\n", u)
		}
		for name, state := range out.Components {
			fmt.Fprintf(w, "  %s: %s\n", name, state)
		}
		fmt.Fprintln(w, "updates:")
		for i, u := range out.Updates {
			d := incident.Delivery{}
			if i < len(out.Deliveries) {
				d = out.Deliveries[i]
			}
			fmt.Fprintf(w, "  #%d %s %s by %s: %s\n", u.N, u.At.Local().Format(time.DateTime), u.Status, orDash(u.By), u.Body)
			fmt.Fprintf(w, "     subscribers: %d sent, %d failed, %d pending of %d", d.Sent, d.Failed, d.Pending, d.Total)
			if !d.Done.IsZero() {
				fmt.Fprintf(w, " (all reached %s)", d.Done.Local().Format(time.DateTime))
			}
			fmt.Fprintln(w)
		}
		return nil
	}
	return cmd
}

func (c *cli) statusURLCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "status-url PAGE",
		GroupID: groupIncidents,
		Short:   "Print a status page's URL; an internal page's carries its token",
		Long: `Print the URL of status page PAGE of the pagerd at --server. An internal page
(public = false) answers only requests that carry its token, which this
URL does: hand it to employees, not to the world. Changing link_secret
revokes it.`,
		Example:           "  pagerd status-url internal",
		Args:              exactArgs(1, "a status page's name"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		api, err := c.client()
		if err != nil {
			return err
		}
		var out struct {
			URL string `json:"url"`
		}
		if err := api.do(cmd.Context(), http.MethodGet, "/v1/status/"+url.PathEscape(args[0])+"/link", nil, &out); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, out.URL)
		return nil
	}
	return cmd
}

func (c *cli) subscribersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "subscriber (export|delete) PAGE ADDRESS",
		GroupID: groupIncidents,
		Short:   "Export or delete what pagerd keeps of one status page subscriber",
		Long: `Answer a subscriber's request about their data on status page PAGE of the
pagerd at --server. ADDRESS is their email address, phone number (+E.164)
or webhook URL. "export" prints, as JSON, everything pagerd keeps of them:
their address, the components they chose, when they subscribed and
confirmed, how many messages were sent and failed. "delete" forgets them
and everything still queued for them, at once.`,
		Example:           "  pagerd subscriber export public alice@example.com\n  pagerd subscriber delete public +15551230001",
		Args:              exactArgs(3, "export or delete, a page and an address"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		verb, page, addr := args[0], args[1], args[2]
		if verb != "export" && verb != "delete" {
			return usagef("%q: use export or delete", verb)
		}
		api, err := c.client()
		if err != nil {
			return err
		}
		var sub incident.Subscriber
		path := "/v1/status/" + url.PathEscape(page) + "/subscribers?address=" + url.QueryEscape(addr)
		if err := api.do(cmd.Context(), http.MethodGet, path, nil, &sub); err != nil {
			return err
		}
		if verb == "export" {
			return writeJSON(c.stdout, sub)
		}
		if err := api.do(cmd.Context(), http.MethodDelete, "/v1/status/"+url.PathEscape(page)+"/subscribers/"+url.PathEscape(sub.ID), nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "deleted %s subscriber %s of %s, and everything queued for them\n", sub.Kind, addr, page)
		return nil
	}
	return cmd
}

func (c *cli) reportsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "reports [promote REF --service NAME [--sev SEV] | link REF ID]",
		GroupID: groupIncidents,
		Short:   "List customer reports from status pages; promote one to an incident, or link it to one",
		Long: `List the problems customers reported through status pages' forms, newest
first, on the pagerd at --server: reference, page, component, text, and the
incident it was promoted to or linked with.

"promote REF --service NAME" declares an incident on that service for the
report (paged as the service says; --sev sets its severity, --title its
title). "link REF ID" ties it to incident ID, already open for the same
problem.`,
		Example: `  pagerd reports
  pagerd reports promote R-7K3F9Q --service checkout --sev 2
  pagerd reports link R-7K3F9Q 42`,
		Args:              rangeArgs(0, 3, "nothing, promote REF, or link REF ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	service := cmd.Flags().String("service", "", "`NAME` of the service the promoted incident is on")
	sev := cmd.Flags().String("sev", "", "`SEVERITY` of the promoted incident")
	title := cmd.Flags().String("title", "", "`TITLE` of the promoted incident")
	by := byFlag(cmd, c.getenv)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		api, err := c.client()
		if err != nil {
			return err
		}
		switch {
		case len(args) == 0:
			var out struct {
				Reports []incident.Report `json:"reports"`
			}
			if err := api.do(cmd.Context(), http.MethodGet, "/v1/status/reports", nil, &out); err != nil {
				return err
			}
			if len(out.Reports) == 0 {
				fmt.Fprintln(c.stdout, "no reports")
			}
			for _, r := range out.Reports {
				state := "waits for triage"
				if r.Incident != 0 {
					state = fmt.Sprintf("incident #%d (%s)", r.Incident, orDash(r.By))
				}
				fmt.Fprintf(c.stdout, "%s  %s  %s/%s  %s\n    %s\n", r.Ref, r.At.Local().Format(time.DateTime), r.Page, orDash(r.Component), state, oneLine(r.Text))
			}
			return nil
		case len(args) == 2 && args[0] == "promote":
			if *service == "" {
				return usagef("promote needs --service NAME: the service the incident is on")
			}
			var out struct {
				Incident int64 `json:"incident"`
			}
			body := map[string]string{"service": *service, "severity": *sev, "title": *title}
			if err := api.do(cmd.Context(), http.MethodPost, withBy("/v1/status/reports/"+url.PathEscape(args[1])+"/promote", *by), body, &out); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "report %s is incident #%d on %s: paging its escalation now\n", args[1], out.Incident, *service)
			return nil
		case len(args) == 3 && args[0] == "link":
			id, err := parseIncidentID(args[2])
			if err != nil {
				return err
			}
			if err := api.do(cmd.Context(), http.MethodPost, withBy("/v1/status/reports/"+url.PathEscape(args[1])+"/link", *by), map[string]int64{"incident": id}, nil); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "report %s is linked to incident #%d\n", args[1], id)
			return nil
		}
		return usagef("use: pagerd reports, pagerd reports promote REF --service NAME, or pagerd reports link REF ID")
	}
	return cmd
}
