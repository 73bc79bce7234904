package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/incident"
)

// action is one verb that changes an incident through
// POST /v1/incidents/{id}/{name}?by=NAME. The answer is
// {"incident": 42, "outcome": "...", "previous_status": "..."}.
type action struct {
	name                      incident.Action
	use, short, long, example string
	args                      cobra.PositionalArgs
	// body builds the JSON request body from the arguments after ID; nil
	// for actions without one.
	body func(rest []string) (any, error)
	// said words the answer after "incident #42 ": what happened, or, when
	// the outcome is "unchanged", that nothing did and why.
	said func(outcome, previous string) string
}

// outcomeUnchanged is the outcome of an action that changed nothing (an ack
// of an incident already acknowledged): not an error, the wish is granted.
const outcomeUnchanged = string(incident.OutcomeUnchanged)

var (
	actAck = action{
		name:  incident.Ack,
		short: "Acknowledge an incident: escalation stops",
		long: `Acknowledge an incident of the pagerd at --server: someone is on it, so
escalation stops and nobody else is paged. Everyone already paged hears who
acknowledged. If the config sets ack_timeout, paging starts over when the
incident is still open that long after.

--by names who acknowledges in the timeline (default $USER).`,
		example: "  pagerd ack 42\n  pagerd ack 42 --by alice --server http://pagerd:8080",
		said:    statusChange,
	}
	actResolve = action{
		name:  incident.Resolve,
		short: "Resolve an incident",
		long: `Resolve an incident of the pagerd at --server: the problem is over, so
paging stops for good and everyone already paged hears it. An alert of the
incident that fires again opens a new incident.

--by names who resolves in the timeline (default $USER).`,
		example: "  pagerd resolve 42\n  pagerd resolve 42 --by alice",
		said:    statusChange,
	}
	actEscalate = action{
		name:  incident.Escalate,
		short: "Move an incident to its next escalation step now",
		long: `Escalate an incident of the pagerd at --server now: its escalation policy
moves on to the next step at once instead of waiting for the step's delay,
and that step's people are paged. Use it when whoever is being paged cannot
help, or the incident needs more hands than the current step brings.

The server changes nothing for an incident that cannot escalate (one that
is resolved, say); the answer says so, with exit code 0.

--by names who escalates in the timeline (default $USER).`,
		example: "  pagerd escalate 42\n  pagerd escalate 42 --by alice --server http://pagerd:8080",
		said: func(outcome, previous string) string {
			if outcome == outcomeUnchanged {
				return "was not escalated: it is " + previous
			}
			return outcome
		},
	}
	actNote = action{
		name:  incident.Note,
		use:   "note ID TEXT...",
		args:  rangeArgs(2, -1, "an incident ID and the note's text"),
		short: "Add a note to an incident's timeline",
		long: `Add a note to the timeline of an incident of the pagerd at --server: a
fact worth keeping with the incident — what was tried, what was found, who
was called — that shows in 'pagerd show' and is there for the post-mortem.
The words after ID are the text, joined by spaces; quote it to keep it
exactly as written, and put -- before a text that starts with a dash.
A note is at most 4 KiB.

--tag root-cause or --tag resolution marks the note as a candidate root
cause or as what resolved it: the post-mortem draft lists them so.
--by names who writes the note (default $USER).`,
		example: "  pagerd note 42 rolled back checkout to v1.41\n  pagerd note 42 'DB failover started 10:02, ETA 15 min' --by alice\n  pagerd note 42 --tag root-cause 'memory limit 512Mi too low for the new cache'",
		body: func(rest []string) (any, error) {
			text := strings.TrimSpace(strings.Join(rest, " "))
			if text == "" {
				return nil, usagef("the note is empty: give its text after the incident ID")
			}
			return map[string]string{"text": text}, nil
		},
		said: func(outcome, previous string) string {
			if outcome == outcomeUnchanged {
				return "unchanged: the note was not added (incident is " + previous + ")"
			}
			return "note added"
		},
	}
)

// statusChange words ack and resolve, whose outcome is the new status.
func statusChange(outcome, previous string) string {
	if outcome == outcomeUnchanged {
		return "was already " + previous
	}
	return outcome
}

func (c *cli) actCmd(act action) *cobra.Command {
	cmd := &cobra.Command{
		Use:               string(act.name) + " ID",
		GroupID:           groupIncidents,
		Short:             act.short,
		Long:              act.long,
		Example:           act.example,
		Args:              exactArgs(1, "one incident ID"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	if act.use != "" {
		cmd.Use, cmd.Args = act.use, act.args
	}
	by := byFlag(cmd, c.getenv)
	var tag *string
	if act.name == incident.Note {
		tag = cmd.Flags().String("tag", "", "mark the note for the post-mortem: `root-cause` or resolution")
		_ = cmd.RegisterFlagCompletionFunc("tag", cobra.FixedCompletions([]string{"root-cause", "resolution"}, cobra.ShellCompDirectiveNoFileComp))
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := parseIncidentID(args[0])
		if err != nil {
			return err
		}
		var body any
		if act.body != nil {
			if body, err = act.body(args[1:]); err != nil {
				return err
			}
		}
		if tag != nil && *tag != "" {
			t, err := incident.ParseNoteTag(*tag)
			if err != nil {
				return usageError{err}
			}
			body.(map[string]string)["tag"] = string(t)
		}
		return c.act(cmd.Context(), act, id, *by, body)
	}
	return cmd
}

// byFlag adds --by, the person recorded in the timeline.
func byFlag(cmd *cobra.Command, getenv func(string) string) *string {
	return cmd.Flags().String("by", getenv("USER"), "`NAME` of who acts, recorded in the incident's timeline")
}

// act posts an action, with body as JSON when there is one, and says what
// came of it.
func (c *cli) act(ctx context.Context, act action, id int64, by string, body any) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	var out struct {
		Outcome        string `json:"outcome"`
		PreviousStatus string `json:"previous_status"`
	}
	path := fmt.Sprintf("/v1/incidents/%d/%s", id, act.name)
	if by != "" {
		path += "?by=" + url.QueryEscape(by)
	}
	if err := api.do(ctx, http.MethodPost, path, body, &out); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "incident #%d %s\n", id, act.said(out.Outcome, out.PreviousStatus))
	return nil
}
