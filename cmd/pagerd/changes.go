package main

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// changesResult is `pagerd changes -o json`.
type changesResult struct {
	Service string       `json:"service"`
	Changes []changeJSON `json:"changes"`
}

func (c *cli) changesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "changes SERVICE",
		GroupID: groupIncidents,
		Short:   "List a service's recent changes (deploys, config pushes) that senders reported",
		Long: `List the change events the pagerd at --server recorded for SERVICE, newest
first: deploys, feature flags, config pushes — what senders post to the
PagerDuty-compatible /v2/change/enqueue. Change events page nobody; they
are what to look at first when something breaks ('pagerd show' lists the
ones from the day before an incident opened).

With -o json it prints one object:
  {"service": "checkout", "changes": [{"at": "2026-11-27T09:50:00Z",
    "service": "checkout", "summary": "deploy 42", "source": "ci",
    "integration": "ci", "links": [{"href": "https://ci/42", "text": "build"}],
    "custom_details": null}]}`,
		Example: `  pagerd changes checkout
  pagerd changes checkout -o json | jq -r '.changes[0].summary'`,
		Args: exactArgs(1, "one service name"),
		ValidArgsFunction: c.completeNames(func(cfg *policies.Config) []string {
			var names []string
			for _, s := range cfg.Services {
				if s.Name != "" { // not an ownership map's default, named per alert
					names = append(names, s.Name)
				}
			}
			return names
		}, 1),
	}
	output := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		api, err := c.client()
		if err != nil {
			return err
		}
		var out struct {
			Changes []incident.Change `json:"changes"`
		}
		if err := api.do(cmd.Context(), http.MethodGet, "/v1/services/"+url.PathEscape(args[0])+"/changes", nil, &out); err != nil {
			return err
		}
		if structured(output) {
			res := changesResult{Service: args[0], Changes: []changeJSON{}}
			for _, ch := range out.Changes {
				res.Changes = append(res.Changes, changeOut(ch))
			}
			return writeData(c.stdout, output, res)
		}
		if len(out.Changes) == 0 {
			_, err := fmt.Fprintf(c.stdout, "no changes recorded for %s\n", args[0])
			return err
		}
		for _, ch := range out.Changes {
			fmt.Fprintf(c.stdout, "%s  %s", ch.At.Local().Format("2006-01-02 15:04:05"), oneLine(ch.Summary))
			if ch.Source != "" {
				fmt.Fprintf(c.stdout, " (%s)", oneLine(ch.Source))
			}
			fmt.Fprintf(c.stdout, "  via %s\n", ch.Integration)
			for _, l := range ch.Links {
				fmt.Fprintf(c.stdout, "    %s\n", link(l))
			}
		}
		return nil
	}
	return cmd
}
