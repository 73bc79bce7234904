package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// Incident command's state: an incident's severity, roles and status
// updates live in its hash and an ':updates' list that expires with it;
// each change is one script call (lua/command.lua, lua/declare.lua) that
// also leaves its fact and wakes the engine.

// Declaration is an incident opened by hand.
type Declaration struct {
	Service, Escalation string
	Title, Summary      string
	Severity            string // "" = none
	SeverityRank        int
	By, Via             string
}

// Declare opens an incident by hand; it is paged through its escalation
// like any other, at once.
func (s *shard) Declare(ctx context.Context, d Declaration) (int64, error) {
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return 0, fmt.Errorf("declare: %w", err)
	}
	id, err := s.run(ctx, s.lua.declare, s.anchor(), s.nowArg(), d.Service, d.Escalation, d.Title, d.Summary,
		severityArg(d.Severity, d.SeverityRank), d.By, d.Via, hex.EncodeToString(nonce[:])).Int64()
	if err != nil {
		return 0, fmt.Errorf("declare an incident on %s: %w", d.Service, err)
	}
	return id, nil
}

// CommandResult is what a command action did: its outcome, the status the
// incident had, and what it replaced (the role's previous holder, the
// previous severity) or, for an update, its number.
type CommandResult struct {
	Outcome incident.Outcome
	Before  incident.Status
	Was     string
}

// Assign gives role to user on incident id ("" takes it back). A resolved
// incident refuses with incident.ErrClosed.
func (s *shard) Assign(ctx context.Context, id int64, role incident.Role, user, by, via string) (CommandResult, error) {
	return s.command(ctx, id, "assign", by, via, string(role), user)
}

// SetSeverity sets incident id's severity by hand: its alerts no longer
// change it.
func (s *shard) SetSeverity(ctx context.Context, id int64, name string, rank int, by, via string) (CommandResult, error) {
	return s.command(ctx, id, "severity", by, via, severityArg(name, rank))
}

// PostUpdate stores a status update of incident id (its N and At are the
// store's); posting incident.StateResolved resolves the incident, kept
// then for retention. A resolved incident refuses with incident.ErrClosed.
func (s *shard) PostUpdate(ctx context.Context, id int64, u incident.StatusUpdate, retention time.Duration) (CommandResult, error) {
	return s.command(ctx, id, "update", u.By, u.Via, string(u.State), u.Text, u.PublicText, retentionMs(retention))
}

func (s *shard) command(ctx context.Context, id int64, op, by, via string, args ...any) (CommandResult, error) {
	argv := append([]any{s.prefix, s.nowArg(), id, op, by, via}, args...)
	cmds, wait, err := s.pipelineScript(ctx, s.lua.command, [][]string{s.anchor()}, [][]any{argv})
	if err == nil {
		err = s.replicated(wait)
	}
	if err != nil {
		return CommandResult{}, fmt.Errorf("%s on incident %d: %w", op, id, err)
	}
	vals, err := cmds[0].StringSlice()
	if err != nil || len(vals) != 3 {
		return CommandResult{}, fmt.Errorf("%s on incident %d: unexpected reply %v: %w", op, id, vals, err)
	}
	res := CommandResult{Outcome: incident.Outcome(vals[0]), Before: incident.Status(vals[1]), Was: vals[2]}
	switch vals[0] {
	case "not_found":
		return CommandResult{}, fmt.Errorf("incident %d: %w", id, ErrNotFound)
	case "closed":
		return res, fmt.Errorf("incident %d: %w", id, incident.ErrClosed)
	}
	return res, nil
}

// storedUpdate is a status update as the script writes it: its time in
// milliseconds, which Lua can tell, rather than RFC 3339, which it cannot.
type storedUpdate struct {
	N          int    `json:"n"`
	AtMs       int64  `json:"at_ms"`
	By         string `json:"by"`
	Via        string `json:"via"`
	State      string `json:"status"`
	Text       string `json:"text"`
	PublicText string `json:"public_text"`
}

func decodeUpdate(doc string) (incident.StatusUpdate, error) {
	var su storedUpdate
	if err := json.Unmarshal([]byte(doc), &su); err != nil {
		return incident.StatusUpdate{}, err
	}
	return incident.StatusUpdate{N: su.N, At: time.UnixMilli(su.AtMs).UTC(), By: su.By, Via: su.Via,
		State: incident.UpdateState(su.State), Text: su.Text, PublicText: su.PublicText}, nil
}

// Updates returns incident id's status updates, oldest first.
func (s *shard) Updates(ctx context.Context, id int64) ([]incident.StatusUpdate, error) {
	docs, err := s.rdb.LRange(ctx, s.incidentKey(id)+":updates", 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("load updates of incident %d: %w", id, err)
	}
	out := make([]incident.StatusUpdate, 0, len(docs))
	for _, d := range docs {
		u, err := decodeUpdate(d)
		if err != nil {
			return nil, fmt.Errorf("incident %d: corrupt status update: %w", id, err)
		}
		out = append(out, u)
	}
	return out, nil
}

// TimelinePage returns at most limit facts of incident id's timeline after
// the fact whose ID is after ("" = from the start), oldest first, and the
// cursor of the next page ("" when this is the last).
func (s *shard) TimelinePage(ctx context.Context, id int64, after string, limit int64) ([]incident.Fact, string, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	// One more than asked tells whether a next page exists.
	msgs, err := s.rdb.XRangeN(ctx, s.incidentKey(id)+":timeline", start, "+", limit+1).Result()
	if err != nil {
		return nil, "", fmt.Errorf("load timeline of incident %d: %w", id, err)
	}
	next := ""
	if int64(len(msgs)) > limit {
		msgs = msgs[:limit]
		next = msgs[len(msgs)-1].ID
	}
	out := make([]incident.Fact, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, decodeFact(m.ID, m.Values))
	}
	return out, next, nil
}
