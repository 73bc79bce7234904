package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// Incident loads one incident and its firing alerts in one round trip.
func (s *shard) Incident(ctx context.Context, id int64) (*incident.Incident, error) {
	ik := s.incidentKey(id)
	pipe := s.rdb.Pipeline()
	h := pipe.HGetAll(ctx, ik)
	f := pipe.HGetAll(ctx, ik+":firing")
	m := pipe.HGetAll(ctx, ik+":muted")
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("load incident %d: %w", id, err)
	}
	if len(h.Val()) == 0 {
		return nil, fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	inc, err := decodeIncident(h.Val(), f.Val())
	if err == nil && len(m.Val()) > 0 {
		inc.SuppressedAlerts = m.Val()
	}
	return inc, err
}

func msTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

func decodeIncident(h, firing map[string]string) (*incident.Incident, error) {
	num := func(k string) int64 { n, _ := strconv.ParseInt(h[k], 10, 64); return n }
	inc := &incident.Incident{
		ID: num("id"), Service: h["service"], Escalation: h["escalation"],
		Title: h["title"], Summary: h["summary"], SourceURL: h["source_url"],
		Status: incident.Status(h["status"]), CreatedAt: msTime(h["created_ms"]), AckedAt: msTime(h["acked_ms"]),
		AckedBy: h["acked_by"], ResolvedAt: msTime(h["resolved_ms"]), ResolvedBy: h["resolved_by"],
		Run: int(num("run")), RunAt: msTime(h["run_ms"]), AlertsTotal: int(num("alerts_total")),
		Firing:     make(map[string]time.Time, len(firing)),
		Suppressed: h["suppressed"], ReviewAt: msTime(h["review_ms"]), NeedsReview: h["review"] != "",
		FoldedInto: num("folded_into"), Flapping: h["flapping"] == "1",
	}
	if h["storm"] == "1" {
		inc.Storm = &incident.Storm{
			Folded: int(num("folded")), Open: int(num("folded_open")),
			LastFoldedAt: msTime(h["storm_last_ms"]), Window: time.Duration(num("storm_window_ms")) * time.Millisecond,
			PassedAt: msTime(h["storm_passed_ms"]),
		}
	}
	inc.Severity, inc.SeverityRank = h["sev"], int(num("sev_rank"))
	inc.SeverityAt, inc.SeverityBy, inc.DeclaredBy = msTime(h["sev_ms"]), h["sev_by"], h["declared_by"]
	inc.UpdateState, inc.LastUpdateAt, inc.Updates = incident.UpdateState(h["phase"]), msTime(h["updated_ms"]), int(num("updates"))
	for _, role := range incident.Roles {
		if who := h["role:"+string(role)]; who != "" {
			if inc.Roles == nil {
				inc.Roles = map[incident.Role]string{}
			}
			inc.Roles[role] = who
		}
	}
	if e := h["escalations"]; e != "" {
		for _, ms := range strings.Split(e, ",") {
			if t := msTime(ms); !t.IsZero() {
				inc.Escalations = append(inc.Escalations, t)
			}
		}
	}
	if err := json.Unmarshal([]byte(h["group_labels"]), &inc.GroupLabels); err != nil {
		return nil, fmt.Errorf("incident %d: corrupt group labels: %w", inc.ID, err)
	}
	if l := h["links"]; l != "" {
		if err := json.Unmarshal([]byte(l), &inc.Links); err != nil {
			return nil, fmt.Errorf("incident %d: corrupt links: %w", inc.ID, err)
		}
	}
	for fp, v := range firing {
		inc.Firing[fp] = msTime(v)
	}
	inc.FiringCount = len(firing)
	return inc, nil
}

// Alerts returns an incident's alerts as stored (the decoded payload form).
func (s *shard) Alerts(ctx context.Context, id int64) ([]json.RawMessage, error) {
	docs, err := s.rdb.HGetAll(ctx, s.incidentKey(id)+":alerts").Result()
	if err != nil {
		return nil, fmt.Errorf("load alerts of incident %d: %w", id, err)
	}
	fps := make([]string, 0, len(docs))
	for fp := range docs {
		fps = append(fps, fp)
	}
	sort.Strings(fps)
	out := make([]json.RawMessage, len(fps))
	for i, fp := range fps {
		out[i] = unpackDoc(fp, docs[fp])
	}
	return out, nil
}

// Timeline returns all of an incident's facts, oldest first.
func (s *shard) Timeline(ctx context.Context, id int64) ([]incident.Fact, error) {
	msgs, err := s.rdb.XRange(ctx, s.incidentKey(id)+":timeline", "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("load timeline of incident %d: %w", id, err)
	}
	out := make([]incident.Fact, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, decodeFact(m.ID, m.Values))
	}
	return out, nil
}

func decodeFact(id string, v map[string]any) incident.Fact {
	str := func(k string) string { s, _ := v[k].(string); return s }
	return incident.Fact{
		ID: id, At: msTime(str("at")), Kind: incident.Kind(str("event")),
		Actor: str("actor"), Via: str("via"), Detail: str("detail"), Tag: str("tag"),
	}
}

// List returns incidents, newest first: the open ones, or all kept ones.
func (s *shard) List(ctx context.Context, openOnly bool, limit int64) ([]*incident.Incident, error) {
	set := s.key("incidents")
	if openOnly {
		set = s.key("open")
	}
	ids, err := s.rdb.ZRevRange(ctx, set, 0, limit-1).Result()
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	pipe := s.rdb.Pipeline()
	hs := make([]*redis.MapStringStringCmd, len(ids))
	fs := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		hs[i] = pipe.HGetAll(ctx, s.key("inc", id))
		fs[i] = pipe.HGetAll(ctx, s.key("inc", id, "firing"))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	out := make([]*incident.Incident, 0, len(ids))
	var gone []any
	for i := range ids {
		if len(hs[i].Val()) == 0 { // retention ran out: forget it
			gone = append(gone, ids[i])
			continue
		}
		inc, err := decodeIncident(hs[i].Val(), fs[i].Val())
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	if len(gone) > 0 {
		s.rdb.ZRem(ctx, s.key("incidents"), gone...)
	}
	return out, nil
}

// Act applies a person's action to an incident. A note's text is
// req.Text; retention is how long a resolved incident is kept.
func (s *shard) Act(ctx context.Context, req incident.Request, retention time.Duration) (incident.Result, error) {
	doc := ""
	if req.Action == incident.Note && req.Thread != "" {
		// Only consumers need it (the chat layer, not to post the note
		// back where it was written): it rides on the event, not the
		// timeline.
		b, _ := json.Marshal(noteDoc{Thread: req.Thread})
		doc = string(b)
	}
	delivery := ""
	if req.Action == incident.Note {
		delivery = req.Delivery
	}
	return s.transition(ctx, req.Incident, string(req.Action), req.By, req.Via, retention, req.Text, string(req.Tag), doc,
		delivery, deliveryKeptFor.Milliseconds())
}

// deliveryKeptFor is how long a note's delivery is remembered: longer
// than any sender goes on delivering again (Slack: three times within
// the hour).
const deliveryKeptFor = 24 * time.Hour

// noteDoc is what a note's event carries beside its fact.
type noteDoc struct {
	Thread string `json:"thread,omitempty"`
}

// Refused records on an incident's timeline that req was refused, and
// why (a fact of kind action_refused, not published): the incident is
// otherwise unchanged.
func (s *shard) Refused(ctx context.Context, req incident.Request, why string) error {
	_, err := s.transition(ctx, req.Incident, "refuse", req.By, req.Via, 0, why)
	return err
}

// Reopen starts escalating an acknowledged incident again because its
// acknowledgement timed out — unless it was acknowledged anew since ackedAt
// was read. It reports whether it reopened.
func (s *shard) Reopen(ctx context.Context, id int64, ackedAt time.Time, by string) (bool, error) {
	res, err := s.transition(ctx, id, "reopen", by, "", time.Minute, strconv.FormatInt(ackedAt.UnixMilli(), 10))
	return res.Outcome == incident.OutcomeReopened, err
}

func (s *shard) transition(ctx context.Context, id int64, action, by, via string, retention time.Duration, extra string, more ...any) (incident.Result, error) {
	cmds, wait, err := s.pipelineScript(ctx, s.lua.transition, [][]string{s.anchor()},
		[][]any{append([]any{s.prefix, s.nowArg(), id, action, by, via, retentionMs(retention), extra}, more...)})
	if err == nil {
		err = s.replicated(wait)
	}
	if err != nil {
		return incident.Result{}, fmt.Errorf("%s incident %d: %w", action, id, err)
	}
	vals, err := cmds[0].StringSlice()
	if err != nil {
		return incident.Result{}, fmt.Errorf("%s incident %d: %w", action, id, err)
	}
	if vals[0] == "not_found" {
		return incident.Result{}, fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	return incident.Result{Outcome: incident.Outcome(vals[0]), Before: incident.Status(vals[1])}, nil
}

// ExpireAlerts resolves the incident's alerts whose endsAt has passed; it
// reports whether that closed the incident.
func (s *shard) ExpireAlerts(ctx context.Context, id int64, retention time.Duration) (closed bool, err error) {
	vals, err := s.run(ctx, s.lua.expire, s.anchor(), s.nowArg(), id, retentionMs(retention)).Int64Slice()
	if err != nil {
		return false, fmt.Errorf("expire alerts of incident %d: %w", id, err)
	}
	return vals[1] == 1, nil
}

// Append states a fact on an incident's timeline (and on the event stream
// when its kind is published). With a non-empty once key the fact is
// written at most once per key within onceTTL, across replicas; Append
// reports whether it was written.
func (s *shard) Append(ctx context.Context, id int64, kind incident.Kind, detail, once string, onceTTL time.Duration) (bool, error) {
	n, err := s.run(ctx, s.lua.appendFact, []string{s.incidentKey(id)}, id, s.nowArg(), string(kind), detail, once, max(onceTTL.Milliseconds(), 1)).Int()
	if err != nil {
		return false, fmt.Errorf("append to timeline of incident %d: %w", id, err)
	}
	return n == 1, nil
}
