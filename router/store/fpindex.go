package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// migrateFingerprintIndex moves the fingerprint keys of the layout before
// the fingerprint index (fp:<fingerprint>, one per firing alert; see
// fp_index in lua/common.lua) into the index, then marks the deployment
// migrated (fp_migrated), after which ingest.lua stops looking for them
// on its hot path. Every replica runs it at start until one has finished;
// moving a key twice is harmless. Until then, and on the paths where it is
// cheap (acknowledge, resolve, inhibition), the old keys are read too.
func (s *shard) migrateFingerprintIndex(ctx context.Context) error {
	marker := s.key("fp_migrated")
	done, err := s.rdb.Exists(ctx, marker).Result()
	if err != nil {
		return fmt.Errorf("fingerprint index migration: %w", err)
	}
	if done == 1 {
		return nil
	}
	moved := 0
	scan := func(ctx context.Context, node redis.UniversalClient) error {
		iter := node.Scan(ctx, 0, s.prefix+"fp:*", 1000).Iterator()
		batch := []any{s.prefix}
		flush := func() error {
			if len(batch) == 1 {
				return nil
			}
			n, err := s.lua.migrateFp.Run(ctx, s.rdb, s.anchor(), batch...).Int()
			moved, batch = moved+n, batch[:1]
			return err
		}
		for iter.Next(ctx) {
			batch = append(batch, strings.TrimPrefix(iter.Val(), s.prefix+"fp:"))
			if len(batch) > 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return scan(ctx, node) })
	} else {
		err = scan(ctx, s.rdb)
	}
	if err == nil {
		err = s.rdb.Set(ctx, marker, moved, 0).Err()
	}
	if err != nil {
		return fmt.Errorf("fingerprint index migration: %w", err)
	}
	return nil
}
