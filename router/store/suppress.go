package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// ErrStale means silences changed since the snapshot a decision was made
// with: reload them and decide again.
var ErrStale = errors.New("silences changed since the snapshot")

// ErrMoved is Review's answer when the incident belongs to another service
// than the one its alerts were judged for: a reload rerouted it meanwhile.
var ErrMoved = errors.New("incident moved to another service")

// ErrConflict means a silence changed since it was read.
var ErrConflict = errors.New("silence changed meanwhile")

// Silences returns every silence kept — active, pending, and expired ones
// within their retention — with the version of that set, read
// atomically.
func (s *shard) Silences(ctx context.Context) (version string, silences []incident.Silence, err error) {
	pipe := s.rdb.TxPipeline()
	ver := pipe.Get(ctx, s.key("silences:ver"))
	docs := pipe.HGetAll(ctx, s.key("silences"))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return "", nil, fmt.Errorf("load silences: %w", err)
	}
	version = orZero(ver.Val())
	for id, doc := range docs.Val() {
		var sil incident.Silence
		if err := json.Unmarshal([]byte(doc), &sil); err != nil {
			return "", nil, fmt.Errorf("silence %s: corrupt document: %w", id, err)
		}
		silences = append(silences, sil)
	}
	sort.Slice(silences, func(i, j int) bool {
		if !silences[i].StartsAt.Equal(silences[j].StartsAt) {
			return silences[i].StartsAt.Before(silences[j].StartsAt)
		}
		return silences[i].ID < silences[j].ID
	})
	return version, silences, nil
}

// Silence returns one silence, and its revision for PutSilence.
func (s *shard) Silence(ctx context.Context, id string) (incident.Silence, string, error) {
	doc, err := s.rdb.HGet(ctx, s.key("silences"), id).Result()
	if errors.Is(err, redis.Nil) {
		return incident.Silence{}, "", fmt.Errorf("silence %s: %w", id, incident.ErrSilenceNotFound)
	}
	if err != nil {
		return incident.Silence{}, "", fmt.Errorf("load silence %s: %w", id, err)
	}
	var sil incident.Silence
	if err := json.Unmarshal([]byte(doc), &sil); err != nil {
		return incident.Silence{}, "", fmt.Errorf("silence %s: corrupt document: %w", id, err)
	}
	return sil, doc, nil
}

// PutSilence stores a new silence (rev "") or a changed one (rev from
// Silence), unless it changed since: then ErrConflict. Every replica
// honours the change at once, and the engine looks again at every open
// incident. Silences that ended more than retention ago are dropped.
func (s *shard) PutSilence(ctx context.Context, sil incident.Silence, rev string, retention time.Duration) error {
	doc, err := json.Marshal(sil)
	if err != nil {
		return fmt.Errorf("encode silence: %w", err)
	}
	cmds, wait, err := s.pipelineScript(ctx, s.lua.silence, [][]string{s.anchor()},
		[][]any{{s.prefix, s.nowArg(), sil.ID, rev, string(doc), sil.EndsAt.UnixMilli(), retentionMs(retention)}})
	if err == nil {
		err = s.replicated(wait)
	}
	if err != nil {
		return fmt.Errorf("store silence %s: %w", sil.ID, err)
	}
	if res, _ := cmds[0].Text(); res == "conflict" {
		return fmt.Errorf("silence %s: %w", sil.ID, ErrConflict)
	}
	return nil
}

// AlertDocs returns the stored documents of an incident's alerts
// fingerprints names, by fingerprint (absent ones are left out).
func (s *shard) AlertDocs(ctx context.Context, id int64, fingerprints []string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(fingerprints))
	if len(fingerprints) == 0 {
		return out, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.incidentKey(id)+":alerts", fingerprints...).Result()
	if err != nil {
		return nil, fmt.Errorf("load alerts of incident %d: %w", id, err)
	}
	for i, v := range vals {
		if doc, ok := v.(string); ok {
			out[fingerprints[i]] = unpackDoc(fingerprints[i], doc)
		}
	}
	return out, nil
}

// ReviewedAlert is what the router found, looking again, about one firing
// alert of an incident.
type ReviewedAlert struct {
	Fingerprint string
	Name        string // for the timeline
	Suppression Suppression
}

// Review records, all at once, why the firing alerts of incident id are
// muted now, as the router found looking again; reviewAt is when that may
// change with time (zero: not by time); service is the service the
// router judged them for. It returns ErrStale, changing nothing, when
// silences changed since the router's snapshot, and ErrMoved when the
// incident has another service now.
func (s *shard) Review(ctx context.Context, id int64, service, silences string, reviewAt time.Time, alerts []ReviewedAlert) error {
	argv := []any{s.prefix, s.nowArg(), id, orZero(silences), msOrZero(reviewAt), service}
	for _, a := range alerts {
		argv = append(argv, a.Fingerprint, a.Name, a.Suppression.Why, a.Suppression.Inhibit)
	}
	cmds, wait, err := s.pipelineScript(ctx, s.lua.review, [][]string{s.anchor()}, [][]any{argv})
	if err == nil {
		err = s.replicated(wait)
	}
	if err != nil {
		return fmt.Errorf("review incident %d: %w", id, err)
	}
	switch res, _ := cmds[0].Text(); res {
	case "stale":
		return fmt.Errorf("review incident %d: %w", id, ErrStale)
	case "moved":
		return fmt.Errorf("review incident %d: %w", id, ErrMoved)
	}
	return nil
}
