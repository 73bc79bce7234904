package pagers

import (
	"errors"
	"fmt"

	"github.com/pagerd/pagerd/incident"
)

// Answer is what a person is told after acting on an incident from a
// message — an SMS reply, a chat command or button — in one sentence any
// channel can send: what happened, or why nothing did. Its error is the
// store's alone (the caller answers that the state store is unavailable);
// a refusal, an unknown incident or an invalid request is an answer.
func Answer(req incident.Request, res incident.Result, err error) (string, error) {
	var refused *incident.Refusal
	var invalid *incident.Invalid
	id := req.Incident
	switch {
	case errors.As(err, &refused):
		return "Refused. " + refused.Error(), nil
	case errors.As(err, &invalid):
		return "Nothing changed: " + invalid.Error() + ".", nil
	case errors.Is(err, incident.ErrNotFound):
		return fmt.Sprintf("Incident #%d not found.", id), nil
	case errors.Is(err, incident.ErrClosed):
		return fmt.Sprintf("Incident #%d is resolved; nothing changed.", id), nil
	case err != nil:
		return "", err
	}
	switch {
	case req.Action == incident.Assign && res.Outcome == incident.OutcomeUnchanged:
		return fmt.Sprintf("You are already the %s of incident #%d.", req.Role.Title(), id), nil
	case req.Action == incident.Assign:
		return fmt.Sprintf("Incident #%d: %s is now its %s.", id, req.Assignee, req.Role.Title()), nil
	case req.Action == incident.Note && (res.Outcome == incident.OutcomeNoted || res.Outcome == incident.OutcomeRepeated):
		return fmt.Sprintf("Note added to incident #%d.", id), nil
	case res.Outcome == incident.OutcomeUnchanged:
		return fmt.Sprintf("Incident #%d is already %s.", id, res.Before), nil
	}
	return fmt.Sprintf("Incident #%d %s by %s.", id, res.Outcome, req.By), nil
}
