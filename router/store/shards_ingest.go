package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// Ingest stores a webhook's alerts, each in its group's shard: one
// pipeline a shard, all at once, so a request still costs one round trip
// (per master) however many alerts and shards.
//
// An alert fires in one incident even when a reload moved its group to
// another shard (a group_by change, another service, storm folding
// turned on or off), as it does with one shard, where the fingerprint
// index finds it whatever its group: a trigger may not open an incident
// in its shard until the others were asked whether it fires there
// (placeUnknown), and a resolve or an acknowledgement goes to every
// shard, where it is ignored unless the alert fires there.
func (s *Store) Ingest(ctx context.Context, writes []AlertWrite) ([]IngestResult, error) {
	if len(s.shards) == 1 {
		return s.shard.Ingest(ctx, writes)
	}
	placed := make([]*shard, len(writes))
	for i := range writes {
		placed[i] = s.ingestShard(&writes[i])
	}
	writes = holdTargets(writes)
	jobs := make([][]ingestJob, len(s.shards))
	for i, w := range writes {
		if w.Action != "" && w.Action != incident.AlertTrigger {
			for k := range jobs {
				jobs[k] = append(jobs[k], ingestJob{i, w})
			}
			continue
		}
		w.Action = triggerUnplaced
		jobs[placed[i].index] = append(jobs[placed[i].index], ingestJob{i, w})
	}
	out := make([]IngestResult, len(writes))
	answered := make([]bool, len(writes))
	err := s.ingestJobs(ctx, jobs, func(sh *shard, i int, r IngestResult) {
		// Of a resolve's or an acknowledgement's answers, the shard's where
		// it did something, else its own shard's.
		acted, actedBefore := r.Outcome != incident.AlertIgnored, answered[i] && out[i].Outcome != incident.AlertIgnored
		if !answered[i] || acted && !actedBefore || acted == actedBefore && sh == placed[i] {
			out[i], answered[i] = r, true
		}
	})
	if err == nil {
		err = s.placeUnknown(ctx, writes, placed, out)
	}
	if err != nil {
		return nil, err
	}
	// A shard that calls the router's snapshot of silences stale may be
	// the one behind, if a silence's writer stopped before it copied the
	// version: copy it, so the router's retry can pass.
	for _, r := range out {
		if r.Stale() {
			if err := s.syncSilencesVersion(ctx); err != nil {
				return nil, err
			}
			break
		}
	}
	return out, nil
}

// holdTargets marks the triggers that are targets of an inhibition rule
// whose source comes in the same request (Suppression.hold). Such a
// source may be stored after them: placed in another shard, it reaches
// theirs through the inhibit mirror a moment after both are stored; in
// their shard, it is stored by a later call when it opens an incident
// (placeUnknown), while a target that joins an open incident is stored
// by the first. An incident such a target opens, or frees from
// suppression, holds its first page until then. Other targets page at
// once, as with one shard. writes is copied before it is marked.
func holdTargets(writes []AlertWrite) []AlertWrite {
	if !hasHolds(writes) {
		return writes
	}
	out := slices.Clone(writes)
	markHolds(out)
	return out
}

// HoldTargets marks writes in place as Ingest does (holdTargets), for a
// caller that sends one request's alerts in several calls — the router
// sends again only the alerts the store called stale, whose sources may
// not be among them. With one shard it marks nothing: a source is stored
// before its targets in the same call.
func (s *Store) HoldTargets(writes []AlertWrite) {
	if len(s.shards) > 1 {
		markHolds(writes)
	}
}

// hasHolds says whether any trigger of writes is a source of an
// inhibition rule, so that some target may need marking.
func hasHolds(writes []AlertWrite) bool {
	for _, w := range writes {
		if strings.Contains(" "+w.Suppression.Inhibit, " o:") || strings.Contains(" "+w.Suppression.Inhibit, " b:") {
			return true
		}
	}
	return false
}

// markHolds is holdTargets in place.
func markHolds(writes []AlertWrite) {
	// Rule set key → what mutes its targets in this request, as
	// suppress.lua's sources: "o" mutes every target, "b" the 't' ones.
	sources := map[string]string{}
	for _, w := range writes {
		if w.Suppression.Inhibit == "" || w.Action != "" && w.Action != incident.AlertTrigger {
			continue
		}
		for _, token := range strings.Fields(w.Suppression.Inhibit) {
			if role, key, _ := strings.Cut(token, ":"); role == "o" || role == "b" && sources[key] == "" {
				sources[key] = role
			}
		}
	}
	for i := range writes {
		w := &writes[i]
		if w.Action != "" && w.Action != incident.AlertTrigger {
			continue
		}
		for _, token := range strings.Fields(w.Suppression.Inhibit) {
			role, key, _ := strings.Cut(token, ":")
			if role == "t" && sources[key] != "" || role == "T" && sources[key] == "o" {
				w.Suppression.hold = true
			}
		}
	}
}

// triggerUnplaced is a trigger that may not open an incident (ingest.lua
// answers outcomeUnplaced instead, having written nothing): the alert
// may fire in another shard.
const (
	triggerUnplaced incident.AlertAction  = "trigger?"
	outcomeUnplaced incident.AlertOutcome = "unplaced"
)

// ingestJob is one alert of a request, by its index, for one shard.
type ingestJob struct {
	index int
	write AlertWrite
}

// ingestJobs stores each shard's jobs in that shard, all shards at once,
// and hands each answer to answer.
func (s *Store) ingestJobs(ctx context.Context, jobs [][]ingestJob, answer func(sh *shard, index int, r IngestResult)) error {
	var mu sync.Mutex
	return s.eachShard(func(sh *shard) error {
		own := jobs[sh.index]
		if len(own) == 0 {
			return nil
		}
		ws := make([]AlertWrite, len(own))
		for j, job := range own {
			ws[j] = job.write
		}
		res, err := sh.Ingest(ctx, ws)
		mu.Lock()
		defer mu.Unlock()
		for j, r := range res {
			answer(sh, own[j].index, r)
		}
		return err
	})
}

// homeElsewhere looks alerts (by index) up in the shards they are not
// placed in, one pipeline a shard, all at once, and answers, by index,
// the shard where each belongs after all (nil: none): the one whose
// fingerprint index holds it (it fires there), else one where its group
// is open (a reload gave an unrouted incident's alerts a service, and
// their group opened in that incident's shard).
func (s *Store) homeElsewhere(ctx context.Context, writes []AlertWrite, placed []*shard, alerts []int) ([]*shard, error) {
	firesIn := make([]*shard, len(writes))
	groupIn := make([]*shard, len(writes))
	var mu sync.Mutex
	err := s.eachShard(func(sh *shard) error {
		type look struct{ fp, group *redis.StringCmd }
		pipe := sh.rdb.Pipeline()
		asked := map[int]look{}
		for _, i := range alerts {
			if placed[i] != sh {
				w := &writes[i]
				asked[i] = look{pipe.HGet(ctx, sh.fpIndexKey(w.Fingerprint), w.Fingerprint), pipe.Get(ctx, sh.key("grp", w.GroupID))}
			}
		}
		if len(asked) == 0 {
			return nil
		}
		// Exec answers the first command's error, which may be a miss
		// (redis.Nil) while a later one failed: each is checked, and
		// only a miss counts as "not here".
		cmds, _ := pipe.Exec(ctx)
		for _, c := range cmds {
			if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
				return fmt.Errorf("look for moved alerts: %w", err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for i, l := range asked {
			if l.fp.Err() == nil {
				firesIn[i] = sh
			}
			if l.group.Err() == nil {
				groupIn[i] = sh
			}
		}
		return nil
	})
	for i := range firesIn {
		if firesIn[i] == nil {
			firesIn[i] = groupIn[i]
		}
	}
	return firesIn, err
}

// placeUnknown stores the triggers that their shard did not know and
// that would have opened an incident there: in the shard whose
// fingerprint index says the alert fires there, where it refreshes its
// incident, or where its group is open, which it joins (homeElsewhere),
// else in their own shard, which may open one now. It costs
// two round trips more (the look, the store), for the alerts that open
// incidents only. (Looking up alongside the first store the triggers of
// groups a replica had not seen open saved nothing measurable at 500 and
// 1,000 new incidents a second on one node.)
func (s *Store) placeUnknown(ctx context.Context, writes []AlertWrite, placed []*shard, out []IngestResult) error {
	var unknown []int
	for i, r := range out {
		if r.Outcome == outcomeUnplaced {
			unknown = append(unknown, i)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	belongs, err := s.homeElsewhere(ctx, writes, placed, unknown)
	if err != nil {
		return err
	}
	// Where it fires it may have stopped firing since the look, or its
	// group closed (the incident resolved): it may not open an incident
	// there either, and goes to its own shard after all.
	jobs := make([][]ingestJob, len(s.shards))
	for _, i := range unknown {
		w := writes[i]
		if sh := belongs[i]; sh != nil {
			w.Action = triggerUnplaced
			jobs[sh.index] = append(jobs[sh.index], ingestJob{i, w})
			continue
		}
		w.Action = incident.AlertTrigger
		jobs[placed[i].index] = append(jobs[placed[i].index], ingestJob{i, w})
	}
	if err := s.ingestJobs(ctx, jobs, func(_ *shard, i int, r IngestResult) { out[i] = r }); err != nil {
		return err
	}
	home := make([][]ingestJob, len(s.shards))
	again := false
	for _, i := range unknown {
		if out[i].Outcome == outcomeUnplaced {
			w := writes[i]
			w.Action = incident.AlertTrigger
			home[placed[i].index] = append(home[placed[i].index], ingestJob{i, w})
			again = true
		}
	}
	if !again {
		return nil
	}
	return s.ingestJobs(ctx, home, func(_ *shard, i int, r IngestResult) { out[i] = r })
}
