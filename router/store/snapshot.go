package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/pagerd/pagerd/incident"
)

// Snapshot is an incident as the engine reads it to work on it: its state
// and the idempotency keys of its finished sends, read together so that a
// step costs one round trip for both (and none when the claim read it).
type Snapshot struct {
	Incident *incident.Incident
	Done     map[string]bool
}

// IncidentSnapshot reads an incident and its finished sends in one round
// trip. ErrNotFound when the incident is gone.
func (s *shard) IncidentSnapshot(ctx context.Context, id int64) (Snapshot, error) {
	ik := s.incidentKey(id)
	pipe := s.rdb.Pipeline()
	h := pipe.HGetAll(ctx, ik)
	f := pipe.HGetAll(ctx, ik+":firing")
	m := pipe.HGetAll(ctx, ik+":muted")
	sends := pipe.HGetAll(ctx, ik+":sends")
	if _, err := pipe.Exec(ctx); err != nil {
		return Snapshot{}, fmt.Errorf("load incident %d: %w", id, err)
	}
	return snapshotOf(id, h.Val(), f.Val(), m.Val(), sends.Val())
}

// snapshotOf decodes what IncidentSnapshot or claim_due.lua read.
func snapshotOf(id int64, h, firing, muted, sends map[string]string) (Snapshot, error) {
	if len(h) == 0 {
		return Snapshot{}, fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	inc, err := decodeIncident(h, firing)
	if err != nil {
		return Snapshot{}, err
	}
	if len(muted) > 0 {
		inc.SuppressedAlerts = muted
	}
	return Snapshot{Incident: inc, Done: doneOf(sends)}, nil
}

// doneOf is the keys of an incident's ':sends' hash whose send finished.
func doneOf(sends map[string]string) map[string]bool {
	done := make(map[string]bool, len(sends))
	for k, v := range sends {
		if strings.HasPrefix(v, "done:") {
			done[k] = true
		}
	}
	return done
}

// claimSnapshot decodes one claimed incident's state as claim_due.lua
// returns it: four flattened hashes (the incident, its firing alerts, its
// muted alerts, its sends), or none when the incident is gone. A reply it
// cannot read leaves the claim without a snapshot: the engine reads the
// incident itself.
func claimSnapshot(id int64, v any) *Snapshot {
	parts, ok := v.([]any)
	if !ok || len(parts) != 4 {
		return nil
	}
	hashes := make([]map[string]string, 4)
	for i, p := range parts {
		flat, ok := p.([]any)
		if !ok || len(flat)%2 != 0 {
			return nil
		}
		m := make(map[string]string, len(flat)/2)
		for j := 0; j < len(flat); j += 2 {
			k, kok := flat[j].(string)
			val, vok := flat[j+1].(string)
			if !kok || !vok {
				return nil
			}
			m[k] = val
		}
		hashes[i] = m
	}
	snap, err := snapshotOf(id, hashes[0], hashes[1], hashes[2], hashes[3])
	if err != nil {
		return nil
	}
	return &snap
}
