package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pagerd/pagerd/incident"
)

// KindInhibitSource is the event a shard publishes when one of its
// alerts joins or leaves the sources of an inhibition rule (with several
// shards only; lua/suppress.lua's source_changed): Tag '+' or '-',
// Detail '<role>:<rule set key>', Actor the fingerprint. It names no
// incident and no service, so consumers other than the mirror pass it by.
const KindInhibitSource incident.Kind = "inhibit_source"

// InhibitMirrorGroup is the consumer group of the reader that copies
// those events into the other shards (events.InhibitMirror). The first
// sharded start creates it on the home shard's stream before it publishes
// the sources firing then (lua/layout.lua), so that it reads them.
const InhibitMirrorGroup = "inhibit-mirror"

// ErrUnreadableEvent is an event a consumer cannot make sense of: trying
// it again will not help.
var ErrUnreadableEvent = errors.New("unreadable event")

// MirrorInhibitSource copies a source change that shard's event stream
// carried (ev, a KindInhibitSource event) into every other shard, so that
// a target there sees the rule's sources whichever shard holds them
// (lua/inhibit_mirror.lua). Each copy is idempotent: a change handed over
// twice (a reader that crashed before it acknowledged) lands once.
func (s *Store) MirrorInhibitSource(ctx context.Context, ev incident.Event) error {
	if ev.Kind != KindInhibitSource {
		return nil
	}
	origin, _ := tagged(ev.ID)
	role, key, ok := strings.Cut(ev.Detail, ":")
	if !ok || ev.Actor == "" || (ev.Tag != "+" && ev.Tag != "-") {
		return fmt.Errorf("inhibition source event %s (%q %q %q): %w", ev.ID, ev.Tag, ev.Detail, ev.Actor, ErrUnreadableEvent)
	}
	member := strconv.Itoa(origin) + "/" + ev.Actor
	return s.eachShard(func(sh *shard) error {
		if sh.index == origin {
			return nil
		}
		if err := sh.run(ctx, sh.lua.inhibitMirror, sh.anchor(), sh.nowArg(), ev.Tag, role, key, member).Err(); err != nil {
			return fmt.Errorf("mirror inhibition source %s into shard %d: %w", member, sh.index, err)
		}
		return nil
	})
}
