package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// Action items and post-mortems (lua/action.lua): an item is a hash
// `action:<n>` listed in `actions` (by number) and `actions:inc:<id>`;
// open items with a due date wait in `actions:remind`, scored by when
// their owner is next reminded. A post-mortem's state is the hash
// `pm:<id>`. None of them expire: the backlog outlives incidents.

// ErrActionNotFound is the error for an action item that does not exist.
var ErrActionNotFound = errors.New("action item not found")

// ChoreActions is the timer of the backlog's chore (overdue reminders).
const ChoreActions = "actions"

// NewAction is an action item to add.
type NewAction struct {
	Incident     int64
	Title, Owner string
	Kind         incident.ActionKind
	Due          string    // "2027-01-15" or ""
	OverdueAt    time.Time // when it is overdue (zero: no due date)
	By, Via      string
}

// AddAction stores an action item of an incident that is still kept and
// returns its number; an unknown incident is ErrNotFound.
func (s *shard) AddAction(ctx context.Context, a NewAction) (int64, error) {
	vals, err := s.action(ctx, "add", a.Incident, a.Title, a.Owner, string(a.Kind), a.Due, msOrZero(a.OverdueAt), a.By, a.Via)
	if err != nil {
		return 0, fmt.Errorf("add an action item to incident %d: %w", a.Incident, err)
	}
	if vals[0] == "not_found" {
		return 0, fmt.Errorf("incident %d: %w", a.Incident, ErrNotFound)
	}
	return strconv.ParseInt(vals[1], 10, 64)
}

// ActionDone marks item n done; it reports false when it was done before.
func (s *shard) ActionDone(ctx context.Context, n int64, by, via string) (bool, error) {
	vals, err := s.action(ctx, "done", n, by, via)
	if err != nil {
		return false, fmt.Errorf("action item %d done: %w", n, err)
	}
	switch vals[0] {
	case "not_found":
		return false, fmt.Errorf("action item %d: %w", n, ErrActionNotFound)
	case "unchanged":
		return false, nil
	}
	return true, nil
}

// ActionReminded moves item n's next reminder to next, unless it was done
// meanwhile.
func (s *shard) ActionReminded(ctx context.Context, n int64, next time.Time) error {
	if _, err := s.action(ctx, "reminded", n, next.UnixMilli()); err != nil {
		return fmt.Errorf("action item %d reminded: %w", n, err)
	}
	return nil
}

// DueReminders returns the open items whose owner is due a reminder at
// now, and when the next one after them is due (zero: none).
func (s *shard) DueReminders(ctx context.Context, now time.Time, limit int64) ([]incident.ActionItem, time.Time, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: s.key("actions", "remind"), ByScore: true,
		Start: "-inf", Stop: strconv.FormatInt(now.UnixMilli(), 10), Count: limit}).Result()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("due action reminders: %w", err)
	}
	items, err := s.loadActions(ctx, ids)
	if err != nil {
		return nil, time.Time{}, err
	}
	next, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: s.key("actions", "remind"), ByScore: true,
		Start: "(" + strconv.FormatInt(now.UnixMilli(), 10), Stop: "+inf", Count: 1}).Result()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("next action reminder: %w", err)
	}
	var at time.Time
	if len(next) > 0 {
		at = time.UnixMilli(int64(next[0].Score)).UTC()
	}
	return items, at, nil
}

// Action returns item n.
func (s *shard) Action(ctx context.Context, n int64) (incident.ActionItem, error) {
	items, err := s.loadActions(ctx, []string{strconv.FormatInt(n, 10)})
	if err != nil {
		return incident.ActionItem{}, err
	}
	if len(items) == 0 {
		return incident.ActionItem{}, fmt.Errorf("action item %d: %w", n, ErrActionNotFound)
	}
	return items[0], nil
}

// Actions returns every action item, oldest first; with incident > 0,
// that incident's only.
func (s *shard) Actions(ctx context.Context, inc int64) ([]incident.ActionItem, error) {
	set := s.key("actions")
	if inc > 0 {
		set = s.key("actions", "inc", strconv.FormatInt(inc, 10))
	}
	ids, err := s.rdb.ZRange(ctx, set, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list action items: %w", err)
	}
	return s.loadActions(ctx, ids)
}

func (s *shard) loadActions(ctx context.Context, ids []string) ([]incident.ActionItem, error) {
	if len(ids) == 0 {
		return []incident.ActionItem{}, nil
	}
	pipe := s.rdb.Pipeline()
	hs := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		hs[i] = pipe.HGetAll(ctx, s.key("action", id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("load action items: %w", err)
	}
	out := make([]incident.ActionItem, 0, len(ids))
	for _, h := range hs {
		if len(h.Val()) > 0 {
			out = append(out, decodeAction(h.Val()))
		}
	}
	return out, nil
}

func decodeAction(h map[string]string) incident.ActionItem {
	num := func(k string) int64 { n, _ := strconv.ParseInt(h[k], 10, 64); return n }
	return incident.ActionItem{
		ID: num("id"), Incident: num("incident"), Service: h["service"], Title: h["title"], Owner: h["owner"],
		Kind: incident.ActionKind(h["kind"]), Due: h["due"], CreatedAt: msTime(h["created_ms"]), CreatedBy: h["created_by"],
		DoneAt: msTime(h["done_ms"]), DoneBy: h["done_by"],
	}
}

// storedItem is an action item as the script writes it into events.
type storedItem struct {
	ID        int64  `json:"id"`
	Incident  int64  `json:"incident"`
	Service   string `json:"service"`
	Title     string `json:"title"`
	Owner     string `json:"owner"`
	Kind      string `json:"kind"`
	Due       string `json:"due"`
	CreatedMs int64  `json:"created_ms"`
	CreatedBy string `json:"created_by"`
	DoneMs    int64  `json:"done_ms"`
	DoneBy    string `json:"done_by"`
}

func decodeItem(doc string) (*incident.ActionItem, error) {
	var si storedItem
	if err := json.Unmarshal([]byte(doc), &si); err != nil {
		return nil, err
	}
	ms := func(n int64) time.Time {
		if n == 0 {
			return time.Time{}
		}
		return time.UnixMilli(n).UTC()
	}
	return &incident.ActionItem{ID: si.ID, Incident: si.Incident, Service: si.Service, Title: si.Title, Owner: si.Owner,
		Kind: incident.ActionKind(si.Kind), Due: si.Due, CreatedAt: ms(si.CreatedMs), CreatedBy: si.CreatedBy,
		DoneAt: ms(si.DoneMs), DoneBy: si.DoneBy}, nil
}

// NamePostmortemOwner names who owns incident id's post-mortem, once:
// it returns the owner in place, theirs when one was named before.
// detail is the fact's text.
func (s *shard) NamePostmortemOwner(ctx context.Context, id int64, owner, why string, required bool, detail string) (string, error) {
	req := "0"
	if required {
		req = "1"
	}
	vals, err := s.action(ctx, "pm_owner", id, owner, why, req, detail)
	if err != nil {
		return "", fmt.Errorf("name the post-mortem owner of incident %d: %w", id, err)
	}
	if vals[0] == "not_found" {
		return "", fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	return vals[1], nil
}

// PostmortemDone marks incident id's post-mortem done; it reports false
// when it was before. An incident still open is incident.ErrInvalid.
func (s *shard) PostmortemDone(ctx context.Context, id int64, by, via string) (bool, error) {
	vals, err := s.action(ctx, "pm_done", id, by, via)
	if err != nil {
		return false, fmt.Errorf("post-mortem of incident %d done: %w", id, err)
	}
	switch vals[0] {
	case "not_found":
		return false, fmt.Errorf("incident %d: %w", id, ErrNotFound)
	case "open":
		return false, incident.Invalidf("incident #%d is %s: its post-mortem comes once it is resolved", id, vals[1])
	case "unchanged":
		return false, nil
	}
	return true, nil
}

// PostmortemWritten records where incident id's draft was written, and
// the SHA-256 of what was (hex), which tells pagerd's own draft from one
// people edited since.
func (s *shard) PostmortemWritten(ctx context.Context, id int64, path, sum string) error {
	if _, err := s.action(ctx, "pm_path", id, path, sum); err != nil {
		return fmt.Errorf("post-mortem of incident %d written: %w", id, err)
	}
	return nil
}

// Postmortem returns the state of incident id's post-mortem (its
// Incident set, the rest zero before the incident resolved).
func (s *shard) Postmortem(ctx context.Context, id int64) (incident.Postmortem, error) {
	h, err := s.rdb.HGetAll(ctx, s.key("pm", strconv.FormatInt(id, 10))).Result()
	if err != nil {
		return incident.Postmortem{}, fmt.Errorf("load the post-mortem of incident %d: %w", id, err)
	}
	return incident.Postmortem{Incident: id, Owner: h["owner"], OwnerWhy: h["why"], Required: h["required"] == "1",
		NamedAt: msTime(h["named_ms"]), DoneAt: msTime(h["done_ms"]), DoneBy: h["done_by"], Path: h["path"], DraftSum: h["sum"]}, nil
}

func (s *shard) action(ctx context.Context, op string, args ...any) ([]string, error) {
	argv := append([]any{s.prefix, s.nowArg(), op}, args...)
	cmds, wait, err := s.pipelineScript(ctx, s.lua.action, [][]string{s.anchor()}, [][]any{argv})
	if err == nil {
		err = s.replicated(wait)
	}
	if err != nil {
		return nil, err
	}
	vals, err := cmds[0].StringSlice()
	if err != nil || len(vals) != 2 {
		return nil, fmt.Errorf("unexpected reply %v: %w", vals, err)
	}
	if vals[0] == "unknown_op" {
		return nil, fmt.Errorf("action script: unknown op %s", vals[1])
	}
	return vals, nil
}
