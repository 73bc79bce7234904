package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Heartbeats: each has a hash, hb:<name> — first (when the deployment
// first had it), last (its last beat, 0 for none), missed (when its
// current miss was found, 0 while it is not missed) and fp (the
// fingerprint of the alert that miss fired) — and, while it is watched, a
// deadline in the timers as "hb:<name>", claimed by the engine like an
// incident's timer so that exactly one replica at a time checks it. The
// set "heartbeats" lists every name registered.

// HeartbeatState is what Redis holds of one heartbeat.
type HeartbeatState struct {
	Name  string
	Known bool      // registered: a config of this deployment had it, or it beat
	First time.Time // when it was registered
	Last  time.Time // its last beat; zero: none yet
	// Missed is when its current miss was found; zero while it is not
	// missed. Fingerprint is then the alert that miss fired.
	Missed      time.Time
	Fingerprint string
}

// Since is when its current period started: its last beat, or when it was
// registered.
func (h HeartbeatState) Since() time.Time {
	if h.Last.After(h.First) {
		return h.Last
	}
	return h.First
}

func (s *shard) heartbeatKey(name string) string { return s.key("hb", name) }

// Heartbeat reads the state of one heartbeat.
func (s *shard) Heartbeat(ctx context.Context, name string) (HeartbeatState, error) {
	h, err := s.rdb.HGetAll(ctx, s.heartbeatKey(name)).Result()
	if err != nil {
		return HeartbeatState{}, fmt.Errorf("read heartbeat %s: %w", name, err)
	}
	return HeartbeatState{Name: name, Known: len(h) > 0, First: msTime(h["first"]), Last: msTime(h["last"]),
		Missed: msTime(h["missed"]), Fingerprint: h["fp"]}, nil
}

// SyncHeartbeats registers the heartbeats of a config (name → how long a
// beat lasts): one the deployment has not had is watched from now. Then
// it makes every registered heartbeat due, so that the engine checks each
// against the config in force. A replica calls it when it starts and on
// every reload.
func (s *shard) SyncHeartbeats(ctx context.Context, windows map[string]time.Duration) error {
	args := []any{s.nowArg()}
	for _, name := range slices.Sorted(maps.Keys(windows)) {
		args = append(args, name, windows[name].Milliseconds())
	}
	if err := s.run(ctx, s.lua.heartbeats, s.anchor(), args...).Err(); err != nil {
		return fmt.Errorf("sync heartbeats: %w", err)
	}
	return nil
}

// BeatResult is what a beat did.
type BeatResult struct {
	At       time.Time // when it was recorded, on the store's clock
	Deadline time.Time // when the next beat is due by
	// WasMissed: the beat ends a miss. Resolved says what resolving its
	// alert did (ignored when nothing fired).
	WasMissed bool
	Resolved  IngestResult
}

// Beat records a beat of heartbeat name, alive for window from now, and
// in the same round trip resolves the alert its miss fired, if any:
// resolve is that alert, as the router would store it.
func (s *shard) Beat(ctx context.Context, name string, window time.Duration, resolve AlertWrite) (BeatResult, error) {
	rkeys, rargs, err := s.ingestArgs(resolve)
	if err != nil {
		return BeatResult{}, err
	}
	bkeys := []string{s.heartbeatKey(name)}
	bargs := []any{s.prefix, s.nowArg(), name, max(window.Milliseconds(), 1)}
	send := func(useEval bool) (*redis.Cmd, *redis.Cmd, *redis.Cmd, error) {
		pipe := s.rdb.Pipeline()
		run := func(sc *redis.Script, keys []string, args []any) *redis.Cmd {
			if useEval {
				return sc.Eval(ctx, pipe, keys, args...)
			}
			return sc.EvalSha(ctx, pipe, keys, args...)
		}
		b := run(s.lua.beat, bkeys, bargs)
		r := run(s.lua.ingest, rkeys, rargs)
		wait := s.waitFor(ctx, pipe)
		_, err := pipe.Exec(ctx)
		return b, r, wait, err
	}
	b, r, wait, err := send(false)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		b, r, wait, err = send(true)
	}
	if err == nil {
		err = s.replicated(wait)
	}
	if err != nil {
		return BeatResult{}, fmt.Errorf("beat heartbeat %s: %w", name, err)
	}
	vals, err := b.Int64Slice()
	if err != nil || len(vals) != 3 {
		return BeatResult{}, fmt.Errorf("beat heartbeat %s: unexpected reply %v: %w", name, vals, err)
	}
	res := BeatResult{At: time.UnixMilli(vals[0]).UTC(), Deadline: time.UnixMilli(vals[1]).UTC(), WasMissed: vals[2] != 0}
	if res.Resolved, err = ingestResult(r); err != nil {
		return BeatResult{}, fmt.Errorf("beat heartbeat %s: resolve its alert: %w", name, err)
	}
	return res, nil
}

// ErrBeatMeanwhile: the heartbeat beat (or its miss was found) since its
// state was read; nothing was done.
var ErrBeatMeanwhile = errors.New("the heartbeat changed since it was read")

// MissHeartbeat fires the alert of a missed heartbeat, found missed at at
// from st: atomically, and only if the heartbeat has neither beaten nor
// changed otherwise since st was read (ErrBeatMeanwhile then). So however
// many replicas find the same miss, its alert fires once; and a beat that
// races the miss either comes first (no alert) or resolves the alert.
// previous, when set, is the alert the miss fired before, resolved in the
// same transaction (the heartbeat's labels changed): the new alert fires
// first, so that it joins the incident the old one leaves. fire is decided
// with a snapshot of silences (fire.Suppression): ErrStale, with nothing
// done, when silences changed since.
func (s *shard) MissHeartbeat(ctx context.Context, st HeartbeatState, at time.Time, fire AlertWrite, previous *AlertWrite) (IngestResult, error) {
	keys, args, err := s.ingestArgs(fire)
	if err != nil {
		return IngestResult{}, err
	}
	var pkeys []string
	var pargs []any
	if previous != nil {
		if pkeys, pargs, err = s.ingestArgs(*previous); err != nil {
			return IngestResult{}, err
		}
	}
	missed := at
	if !st.Missed.IsZero() {
		missed = st.Missed
	}
	key, silences := s.heartbeatKey(st.Name), s.key("silences:ver")
	var cmd *redis.Cmd
	err = s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		// The alert is muted as the silences of its snapshot say; they
		// must not change before it is stored (the script would refuse it
		// as stale, and the miss be recorded without its alert).
		ver, err := tx.Get(ctx, silences).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if orZero(ver) != orZero(fire.Suppression.Silences) {
			return ErrStale
		}
		cur, err := tx.HMGet(ctx, key, "last", "missed", "fp").Result()
		if err != nil {
			return err
		}
		last, _ := cur[0].(string)
		was, _ := cur[1].(string)
		fp, _ := cur[2].(string)
		if !msTime(last).Equal(st.Last) || !msTime(was).Equal(st.Missed) || fp != st.Fingerprint {
			return ErrBeatMeanwhile
		}
		_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			// EVAL, not EVALSHA: a NOSCRIPT inside MULTI would leave the
			// rest of the transaction applied.
			cmd = s.lua.ingest.Eval(ctx, pipe, keys, args...)
			if previous != nil {
				s.lua.ingest.Eval(ctx, pipe, pkeys, pargs...)
			}
			pipe.HSet(ctx, key, "missed", max(missed.UnixMilli(), 1), "fp", fire.Fingerprint)
			return nil
		})
		return err
	}, key, silences)
	switch {
	case errors.Is(err, ErrStale):
		return IngestResult{}, fmt.Errorf("fire missed heartbeat %s: %w", st.Name, err)
	case errors.Is(err, ErrBeatMeanwhile), errors.Is(err, redis.TxFailedErr):
		return IngestResult{}, ErrBeatMeanwhile
	case err != nil:
		return IngestResult{}, fmt.Errorf("fire missed heartbeat %s: %w", st.Name, err)
	}
	res, err := ingestResult(cmd)
	if err != nil {
		return IngestResult{}, fmt.Errorf("fire missed heartbeat %s: %w", st.Name, err)
	}
	return res, nil
}

// ForgetHeartbeat drops a heartbeat the config no longer has, resolving
// the alert its miss fired (resolve; nil when none fired), which no beat
// will resolve now.
func (s *shard) ForgetHeartbeat(ctx context.Context, name string, resolve *AlertWrite) error {
	_, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		if resolve != nil {
			keys, args, err := s.ingestArgs(*resolve)
			if err != nil {
				return err
			}
			s.lua.ingest.Eval(ctx, pipe, keys, args...)
		}
		pipe.Del(ctx, s.heartbeatKey(name))
		pipe.SRem(ctx, s.key("heartbeats"), name)
		pipe.ZRem(ctx, s.key("timers"), heartbeatMember+name)
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget heartbeat %s: %w", name, err)
	}
	return nil
}
