package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// Customer reports from status pages' forms: sp:report:<ref> (a hash),
// indexed by sp:reports (by when they came). They are kept for the
// pages' history.

const reportAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// AddReport stores a report under a new reference, which it returns.
func (s *shard) AddReport(ctx context.Context, r incident.Report, keep time.Duration) (string, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return "", err
	}
	for range 5 {
		var b [6]byte
		_, _ = rand.Read(b[:])
		for i := range b {
			b[i] = reportAlphabet[int(b[i])%len(reportAlphabet)]
		}
		ref := "R-" + string(b[:])
		k := s.key("sp", "report", ref)
		ok, err := s.rdb.HSetNX(ctx, k, "ref", ref).Result()
		if err != nil {
			return "", fmt.Errorf("store report: %w", err)
		}
		if !ok {
			continue // taken: draw again
		}
		pipe := s.rdb.TxPipeline()
		pipe.HSet(ctx, k, "page", r.Page, "at_ms", now.UnixMilli(), "component", r.Component, "text", r.Text, "email", r.Email)
		pipe.PExpire(ctx, k, keep)
		pipe.ZAdd(ctx, s.key("sp", "reports"), redis.Z{Score: float64(now.UnixMilli()), Member: ref})
		pipe.ZRemRangeByScore(ctx, s.key("sp", "reports"), "-inf", strconv.FormatInt(now.Add(-keep).UnixMilli(), 10))
		if _, err := pipe.Exec(ctx); err != nil {
			return "", fmt.Errorf("store report: %w", err)
		}
		return ref, nil
	}
	return "", errors.New("store report: no free reference")
}

// Report returns a report by reference; ErrNotFound when there is none.
func (s *shard) Report(ctx context.Context, ref string) (*incident.Report, error) {
	h, err := s.rdb.HGetAll(ctx, s.key("sp", "report", ref)).Result()
	if err != nil {
		return nil, fmt.Errorf("load report: %w", err)
	}
	if len(h) == 0 || h["ref"] == "" || h["text"] == "" {
		return nil, fmt.Errorf("report %s: %w", ref, ErrNotFound)
	}
	r := &incident.Report{Ref: h["ref"], Page: h["page"], At: msTime(h["at_ms"]), Component: h["component"], Text: h["text"],
		Email: h["email"], By: h["by"]}
	r.Incident, _ = strconv.ParseInt(h["incident"], 10, 64)
	return r, nil
}

// Reports returns the latest reports, newest first, at most limit.
func (s *shard) Reports(ctx context.Context, limit int64) ([]*incident.Report, error) {
	refs, err := s.rdb.ZRevRange(ctx, s.key("sp", "reports"), 0, limit-1).Result()
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	out := []*incident.Report{}
	for _, ref := range refs {
		r, err := s.Report(ctx, ref)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// LinkReport ties a report to the incident it was promoted to, or that
// was already open for it.
func (s *shard) LinkReport(ctx context.Context, ref string, id int64, by string) error {
	if _, err := s.Report(ctx, ref); err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, s.key("sp", "report", ref), "incident", id, "by", by).Err(); err != nil {
		return fmt.Errorf("link report %s: %w", ref, err)
	}
	return nil
}
