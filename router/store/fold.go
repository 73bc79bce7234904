package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// Folded returns up to limit of the incidents folded into storm id,
// newest first, and how many there are in all.
func (s *shard) Folded(ctx context.Context, id int64, limit int64) ([]*incident.Incident, int64, error) {
	key := s.incidentKey(id) + ":folded"
	pipe := s.rdb.Pipeline()
	total := pipe.ZCard(ctx, key)
	idsCmd := pipe.ZRevRange(ctx, key, 0, limit-1)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, 0, fmt.Errorf("list incidents folded into %d: %w", id, err)
	}
	ids := idsCmd.Val()
	pipe = s.rdb.Pipeline()
	hs := make([]*redis.MapStringStringCmd, len(ids))
	fs := make([]*redis.MapStringStringCmd, len(ids))
	for i, fid := range ids {
		hs[i] = pipe.HGetAll(ctx, s.key("inc", fid))
		fs[i] = pipe.HGetAll(ctx, s.key("inc", fid, "firing"))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("list incidents folded into %d: %w", id, err)
	}
	out := make([]*incident.Incident, 0, len(ids))
	for i := range ids {
		if len(hs[i].Val()) == 0 {
			continue // its retention ran out
		}
		inc, err := decodeIncident(hs[i].Val(), fs[i].Val())
		if err != nil {
			return nil, 0, err
		}
		out = append(out, inc)
	}
	return out, total.Val(), nil
}

// SettleStorm passes storm incident id if no incident folded into it for
// its window, and resolves it once it passed with none of its folded
// incidents open; retention is how long a resolved incident is kept. It
// reports whether the storm has passed and whether this call resolved it.
func (s *shard) SettleStorm(ctx context.Context, id int64, retention time.Duration) (passed, resolved bool, err error) {
	cmds, wait, err := s.pipelineScript(ctx, s.lua.storm, [][]string{{s.incidentKey(id)}},
		[][]any{{s.prefix, s.nowArg(), strconv.FormatInt(id, 10), retentionMs(retention)}})
	if err == nil {
		err = s.replicated(wait)
	}
	if err != nil {
		return false, false, fmt.Errorf("settle storm %d: %w", id, err)
	}
	vals, err := cmds[0].Int64Slice()
	if err != nil || len(vals) != 2 {
		return false, false, fmt.Errorf("settle storm %d: unexpected reply %v: %w", id, vals, err)
	}
	return vals[0] == 1, vals[1] == 1, nil
}
