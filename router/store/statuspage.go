package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// Status pages keep their incidents apart from the incidents themselves:
// sp:inc:<id> (a hash) and sp:inc:<id>:updates (a list of public
// updates), indexed by sp:incidents (every one, by when it was published)
// and sp:active (the unresolved ones). A resolved one is kept for the
// pages' history, long after the incident's own retention. Every change
// is one call of lua/statuspage.lua, which also bumps sp:changes, the
// stream replicas watch to refresh what they serve.

// PagePost is one public update of an incident.
type PagePost struct {
	Incident int64
	Service  string
	Pages    []string // added to the pages it is published on
	Title    string   // "" keeps the title it has
	Status   incident.UpdateState
	Body     string
	// Components are the components whose state changes, by name.
	Components map[string]string
	By, Via    string
	// Source makes the update once per key (the incident's status update
	// it mirrors, an automatic first update): a repeat stores nothing.
	Source string
	// Keep is how long a resolved one stays for the pages' history.
	Keep time.Duration
	// Code is the public code it gets if it is new.
	Code string
}

// PagePosted is what posting did.
type PagePosted struct {
	// Outcome is "published" (new on a page), "updated" or "duplicate".
	Outcome string
	N       int // the update's number (the earlier one for a duplicate)
	Code    string
}

// PostPage stores a public update of an incident, publishing it on
// post.Pages if it was not yet, and puts a public_update fact on its
// timeline (and so on the event stream).
func (s *shard) PostPage(ctx context.Context, post PagePost) (PagePosted, error) {
	comps := ""
	if len(post.Components) > 0 {
		b, err := json.Marshal(post.Components)
		if err != nil {
			return PagePosted{}, fmt.Errorf("post on status page: %w", err)
		}
		comps = string(b)
	}
	vals, err := s.run(ctx, s.lua.statusPage, s.anchor(), s.nowArg(), post.Incident, strings.Join(post.Pages, ","),
		post.Title, string(post.Status), post.Body, comps, post.By, post.Via, post.Source,
		retentionMs(post.Keep), post.Code, post.Service).StringSlice()
	if err != nil {
		return PagePosted{}, fmt.Errorf("post incident %d on status page: %w", post.Incident, err)
	}
	if len(vals) != 3 {
		return PagePosted{}, fmt.Errorf("post incident %d on status page: unexpected reply %v", post.Incident, vals)
	}
	n, _ := strconv.Atoi(vals[1])
	return PagePosted{Outcome: vals[0], N: n, Code: vals[2]}, nil
}

// PageIncident returns incident id as status pages have it, or
// ErrNotFound when it was never published (or its history ran out).
func (s *shard) PageIncident(ctx context.Context, id int64) (*incident.PageIncident, error) {
	out, err := s.pageIncidents(ctx, []string{strconv.FormatInt(id, 10)})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("incident %d on status pages: %w", id, ErrNotFound)
	}
	return out[0], nil
}

// PageIncidents returns every incident published since since, and every
// one still unresolved, oldest first.
func (s *shard) PageIncidents(ctx context.Context, since time.Time) ([]*incident.PageIncident, error) {
	pipe := s.rdb.Pipeline()
	recent := pipe.ZRangeByScore(ctx, s.key("sp", "incidents"), &redis.ZRangeBy{Min: strconv.FormatInt(since.UnixMilli(), 10), Max: "+inf"})
	active := pipe.ZRange(ctx, s.key("sp", "active"), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("list status page incidents: %w", err)
	}
	ids := append(active.Val(), recent.Val()...)
	slices.SortFunc(ids, func(a, b string) int {
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		return int(x - y)
	})
	return s.pageIncidents(ctx, slices.Compact(ids))
}

func (s *shard) pageIncidents(ctx context.Context, ids []string) ([]*incident.PageIncident, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	hashes := make([]*redis.MapStringStringCmd, len(ids))
	lists := make([]*redis.StringSliceCmd, len(ids))
	for i, id := range ids {
		k := s.key("sp", "inc", id)
		hashes[i] = pipe.HGetAll(ctx, k)
		lists[i] = pipe.LRange(ctx, k+":updates", 0, -1)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("load status page incidents: %w", err)
	}
	out := make([]*incident.PageIncident, 0, len(ids))
	for i := range ids {
		h := hashes[i].Val()
		if len(h) == 0 {
			continue // expired since the index was read
		}
		p, err := decodePageIncident(h, lists[i].Val())
		if err != nil {
			return nil, fmt.Errorf("status page incident %s: %w", ids[i], err)
		}
		out = append(out, p)
	}
	return out, nil
}

func decodePageIncident(h map[string]string, docs []string) (*incident.PageIncident, error) {
	id, _ := strconv.ParseInt(h["id"], 10, 64)
	p := &incident.PageIncident{ID: id, Code: h["code"], Title: h["title"], Service: h["service"],
		Status: incident.UpdateState(h["status"]), Components: map[string]string{},
		CreatedAt: msTime(h["created_ms"]), UpdatedAt: msTime(h["updated_ms"]),
		MonitoringAt: msTime(h["monitoring_ms"]), ResolvedAt: msTime(h["resolved_ms"])}
	if h["pages"] != "" {
		p.Pages = strings.Split(h["pages"], ",")
	}
	if c := h["components"]; c != "" {
		if err := json.Unmarshal([]byte(c), &p.Components); err != nil {
			return nil, fmt.Errorf("components: %w", err)
		}
	}
	for _, d := range docs {
		var u struct {
			N          int               `json:"n"`
			AtMs       int64             `json:"at_ms"`
			Status     string            `json:"status"`
			Body       string            `json:"body"`
			Components map[string]string `json:"components"`
			By         string            `json:"by"`
			Via        string            `json:"via"`
		}
		if err := json.Unmarshal([]byte(d), &u); err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
		if u.Components == nil {
			u.Components = map[string]string{}
		}
		p.Updates = append(p.Updates, incident.PageUpdate{N: u.N, At: time.UnixMilli(u.AtMs).UTC(), Status: incident.UpdateState(u.Status),
			Body: u.Body, Components: maps.Clone(u.Components), By: u.By, Via: u.Via})
	}
	return p, nil
}

// PageChanges waits up to block for a change of the status pages after
// the one called after ("" = anything from now on; "0" = any at all), and
// returns the latest change's name ("" when none came). A replica that
// serves the pages from memory reads them again only then.
func (s *shard) PageChanges(ctx context.Context, after string, block time.Duration) (string, error) {
	if after == "" {
		after = "$"
	}
	streams, err := s.rdb.XRead(ctx, &redis.XReadArgs{
		Streams: []string{s.key("sp", "changes"), after}, Count: 100, Block: max(block, time.Millisecond),
	}).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("wait for status page changes: %w", err)
	}
	last := ""
	for _, st := range streams {
		for _, m := range st.Messages {
			last = m.ID
		}
	}
	return last, nil
}

// LastPageChange is the name of the latest change of the status pages,
// "0" when there was none yet: where PageChanges starts watching.
func (s *shard) LastPageChange(ctx context.Context) (string, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.key("sp", "changes"), "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("read status page changes: %w", err)
	}
	if len(msgs) == 0 {
		return "0", nil
	}
	return msgs[0].ID, nil
}
