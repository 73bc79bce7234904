package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/store"
)

// Suppressor decides which firing alerts are muted — stored and shown,
// paging nobody — by silences, maintenance windows and inhibition rules.
// Silences live in Redis; each replica decides against a snapshot of them
// it keeps until the store says it is stale (every ingest and review
// script checks the snapshot's version), so a silence made through one
// replica is honoured by every other at once without any message between
// them. Maintenance windows and inhibition rules come from the config;
// which inhibiting alerts fire is shared state the store keeps.
type Suppressor struct {
	Store *store.Store

	snap    atomic.Pointer[silenceSnapshot]
	loading sync.Mutex
}

// silenceSnapshot is the silences of one version, compiled: those that
// had not ended when it was loaded.
type silenceSnapshot struct {
	version  string
	silences []compiledSilence
}

type compiledSilence struct {
	id         string
	start, end time.Time
	matchers   labels.Matchers
}

// staleRetries bounds how often one decision is redone because silences
// changed meanwhile: each retry follows a change someone made by hand.
const staleRetries = 5

// snapshot returns the current snapshot, loading the first.
func (s *Suppressor) snapshot(ctx context.Context) (*silenceSnapshot, error) {
	if snap := s.snap.Load(); snap != nil {
		return snap, nil
	}
	return s.reload(ctx, nil)
}

// reload loads the silences anew, unless another caller already replaced
// the stale snapshot meanwhile.
func (s *Suppressor) reload(ctx context.Context, stale *silenceSnapshot) (*silenceSnapshot, error) {
	s.loading.Lock()
	defer s.loading.Unlock()
	if cur := s.snap.Load(); cur != nil && cur != stale {
		return cur, nil
	}
	version, all, err := s.Store.Silences(ctx)
	if err != nil {
		return nil, err
	}
	now, err := s.Store.Now(ctx)
	if err != nil {
		return nil, err
	}
	snap := &silenceSnapshot{version: version}
	for _, sil := range all {
		if !sil.EndsAt.After(now) {
			continue
		}
		cs := compiledSilence{id: sil.ID, start: sil.StartsAt, end: sil.EndsAt}
		for _, m := range sil.Matchers {
			pm, err := labels.ParseMatcher(m)
			if err != nil {
				return nil, fmt.Errorf("silence %s: matcher %q: %w", sil.ID, m, err)
			}
			cs.matchers = append(cs.matchers, pm)
		}
		snap.silences = append(snap.silences, cs)
	}
	s.snap.Store(snap)
	return snap, nil
}

// decide is what Go decides about one firing alert of service with labels
// lset at now: whether a silence or a maintenance window mutes it and
// until when, and which inhibition sets it belongs to.
func decide(cfg *policies.Config, snap *silenceSnapshot, service string, lset map[string]string, now time.Time) store.Suppression {
	d := store.Suppression{Silences: snap.version}
	soonest := func(t time.Time) {
		if !t.IsZero() && (d.ReviewAt.IsZero() || t.Before(d.ReviewAt)) {
			d.ReviewAt = t
		}
	}
	var silencedUntil time.Time
	for i := range snap.silences {
		sil := &snap.silences[i]
		if !policies.Matches(sil.matchers, lset) {
			continue
		}
		switch {
		case now.Before(sil.start):
			soonest(sil.start)
		case now.Before(sil.end) && sil.end.After(silencedUntil):
			// Of several, the one that lasts longest says why.
			d.Why, silencedUntil = "silence:"+sil.id, sil.end
		}
	}
	soonest(silencedUntil)
	if len(cfg.Maintenance) > 0 {
		if m, end := cfg.MaintenanceAt(service, lset, now); m != nil {
			if d.Why == "" {
				d.Why = "maintenance:" + m.Name
			}
			soonest(end)
		}
		soonest(cfg.NextMaintenance(service, lset, now))
	}
	d.Inhibit = inhibitTokens(cfg, lset)
	return d
}

// inhibitTokens names the inhibition sets an alert with labels lset
// belongs to (see lua/suppress.lua): for each rule whose source or target
// it matches, '<role>:<rule>:<hash of its equal labels' values>'.
func inhibitTokens(cfg *policies.Config, lset map[string]string) string {
	var b strings.Builder
	for _, r := range cfg.Inhibits {
		src, tgt := policies.Matches(r.Source, lset), policies.Matches(r.Target, lset)
		if !src && !tgt {
			continue
		}
		h := fnv.New64a()
		for _, name := range r.Equal {
			h.Write([]byte(lset[name]))
			h.Write([]byte{0})
		}
		key := r.Name + ":" + strconv.FormatUint(h.Sum64(), 36)
		add := func(role string) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(role + ":" + key)
		}
		switch {
		case src && tgt:
			add("b")
			add("T")
		case src:
			add("o")
		default:
			add("t")
		}
	}
	return b.String()
}

// Review decides anew why each alert firing in inc is muted, and records
// it: a silence or maintenance window ended or began, silences changed,
// or an inhibiting alert started or stopped firing. When the incident is
// suppressed no more, its escalation starts over (the store sees to it).
func (s *Suppressor) Review(ctx context.Context, cfg *policies.Config, inc *incident.Incident, now time.Time) error {
	fps := make([]string, 0, len(inc.Firing))
	for fp := range inc.Firing {
		fps = append(fps, fp)
	}
	docs, err := s.Store.AlertDocs(ctx, inc.ID, fps)
	if err != nil {
		return err
	}
	alerts := make([]storedAlert, 0, len(docs))
	for fp, doc := range docs {
		var a storedAlert
		if err := json.Unmarshal(doc, &a); err != nil {
			return fmt.Errorf("incident %d: alert %s: corrupt document: %w", inc.ID, fp, err)
		}
		a.Fingerprint = fp
		alerts = append(alerts, a)
	}
	snap, err := s.snapshot(ctx)
	for attempt := 0; err == nil; attempt++ {
		var reviewAt time.Time
		reviewed := make([]store.ReviewedAlert, len(alerts))
		for i, a := range alerts {
			d := decide(cfg, snap, inc.Service, a.Labels, now)
			if !d.ReviewAt.IsZero() && (reviewAt.IsZero() || d.ReviewAt.Before(reviewAt)) {
				reviewAt = d.ReviewAt
			}
			reviewed[i] = store.ReviewedAlert{Fingerprint: a.Fingerprint, Name: alertName(&ingest.Alert{Labels: a.Labels, DedupKey: a.DedupKey, Fingerprint: a.Fingerprint}), Suppression: d}
		}
		err = s.Store.Review(ctx, inc.ID, inc.Service, snap.version, reviewAt, reviewed)
		if !errors.Is(err, store.ErrStale) || attempt == staleRetries {
			return err
		}
		snap, err = s.reload(ctx, snap)
	}
	return err
}

// storeAlerts stores a request's writes in one round trip, each firing
// alert (whose labels are labels[i]) with what the suppressor decides
// about it. Alerts that may
// inhibit others go first, so the others of the same request see them
// fire. Alerts the store finds decided with stale silences are decided
// again with fresh ones and sent again (only those: the rest are stored).
func (r *Router) storeAlerts(ctx context.Context, cfg *policies.Config, labels []map[string]string, writes []store.AlertWrite) ([]store.IngestResult, error) {
	snap, err := r.Suppress.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	now := r.Now()
	decideAll := func(indices []int) {
		for _, i := range indices {
			if writes[i].Action == incident.AlertTrigger {
				writes[i].Suppression = decide(cfg, snap, writes[i].Service, labels[i], now)
			}
		}
	}
	all := make([]int, len(writes))
	for i := range all {
		all[i] = i
	}
	decideAll(all)
	// Marked on the whole request, so that a target sent again alone (its
	// write was stale) still waits for a source stored in another call.
	r.Store.HoldTargets(writes)
	pending := sourcesFirst(writes, all)
	results := make([]store.IngestResult, len(writes))
	for attempt := 0; ; attempt++ {
		batch := writes
		if len(pending) != len(writes) || !isIdentity(pending) {
			batch = make([]store.AlertWrite, len(pending))
			for j, i := range pending {
				batch[j] = writes[i]
			}
		}
		stored, err := r.Store.Ingest(ctx, batch)
		if err != nil {
			return nil, err
		}
		var stale []int
		for j, res := range stored {
			if res.Stale() {
				stale = append(stale, pending[j])
				continue
			}
			results[pending[j]] = res
		}
		if len(stale) == 0 {
			return results, nil
		}
		if attempt == staleRetries {
			return nil, fmt.Errorf("store alerts: %w", store.ErrStale)
		}
		if snap, err = r.Suppress.reload(ctx, snap); err != nil {
			return nil, err
		}
		decideAll(stale)
		r.Store.HoldTargets(writes)
		pending = sourcesFirst(writes, stale)
	}
}

// sourcesFirst orders indices of writes so that alerts that are sources
// of an inhibition rule come first, each group in its order.
func sourcesFirst(writes []store.AlertWrite, indices []int) []int {
	isSource := func(i int) bool {
		inh := writes[i].Suppression.Inhibit
		return strings.HasPrefix(inh, "o:") || strings.HasPrefix(inh, "b:") ||
			strings.Contains(inh, " o:") || strings.Contains(inh, " b:")
	}
	n := 0
	for _, i := range indices {
		if isSource(i) {
			n++
		}
	}
	if n == 0 || n == len(indices) {
		return indices
	}
	out := make([]int, 0, len(indices))
	for _, i := range indices {
		if isSource(i) {
			out = append(out, i)
		}
	}
	for _, i := range indices {
		if !isSource(i) {
			out = append(out, i)
		}
	}
	return out
}

func isIdentity(indices []int) bool {
	for j, i := range indices {
		if i != j {
			return false
		}
	}
	return true
}
