package router

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/store"
)

// SilenceRequest asks for a new silence.
type SilenceRequest struct {
	Matchers  []string  // Alertmanager's matcher syntax
	StartsAt  time.Time // zero: now
	EndsAt    time.Time
	CreatedBy string
	Comment   string
}

// ErrInvalidSilence wraps why a silence request cannot be granted as
// asked: what it holds, not a failure of the store.
var ErrInvalidSilence = errors.New("invalid silence")

// Limits of a silence's texts and matchers.
const (
	maxSilenceMatchers = 32
	maxSilenceText     = 4 << 10
)

func invalidSilence(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidSilence, fmt.Sprintf(format, args...))
}

// AddSilence creates a silence; every replica honours it at once, and
// alerts already firing that it matches stop paging. Like Alertmanager,
// it refuses a silence none of whose matchers needs a label to be set,
// which would silence every alert.
func (r *Router) AddSilence(ctx context.Context, req SilenceRequest) (incident.Silence, error) {
	r.defaults()
	now := r.Now().UTC()
	sil := incident.Silence{ID: newSilenceID(), StartsAt: req.StartsAt.UTC(), EndsAt: req.EndsAt.UTC(),
		CreatedBy: req.CreatedBy, Comment: req.Comment, UpdatedAt: now}
	if sil.StartsAt.IsZero() || sil.StartsAt.Before(now) {
		sil.StartsAt = now
	}
	switch {
	case len(req.Matchers) == 0:
		return sil, invalidSilence(`matchers: give at least one, such as "alertname=CheckoutDown"`)
	case len(req.Matchers) > maxSilenceMatchers:
		return sil, invalidSilence("matchers: at most %d", maxSilenceMatchers)
	case req.EndsAt.IsZero():
		return sil, invalidSilence("ends_at: say when it ends (or give a duration)")
	case !sil.EndsAt.After(now):
		return sil, invalidSilence("ends_at %s is not in the future", sil.EndsAt.Format(time.RFC3339))
	case !sil.EndsAt.After(sil.StartsAt):
		return sil, invalidSilence("ends_at %s is not after starts_at %s", sil.EndsAt.Format(time.RFC3339), sil.StartsAt.Format(time.RFC3339))
	case sil.CreatedBy == "":
		return sil, invalidSilence("created_by: say who silences")
	case sil.Comment == "":
		return sil, invalidSilence("comment: say why (the next person on call will ask)")
	case len(sil.Comment) > maxSilenceText || len(sil.CreatedBy) > maxSilenceText:
		return sil, invalidSilence("comment and created_by are at most %d bytes", maxSilenceText)
	}
	needsLabel := false
	for i, s := range req.Matchers {
		m, err := labels.ParseMatcher(s)
		if err != nil {
			return sil, invalidSilence("matchers[%d]: %q: %v", i, s, err)
		}
		if m.Type == labels.MatchEqual && strings.HasPrefix(m.Value, "=") {
			// Alertmanager reads "a==b" as a equal to "=b": a typo that
			// would silence nothing while looking like it works.
			return sil, invalidSilence("matchers[%d]: %q: == is not an operator; write %s=%s", i, s, m.Name, strings.TrimPrefix(m.Value, "="))
		}
		needsLabel = needsLabel || !m.Matches("")
		sil.Matchers = append(sil.Matchers, m.String())
	}
	if !needsLabel {
		return sil, invalidSilence("matchers: every one matches an alert without the label, so it would silence every alert; add one that needs a label set, such as \"alertname=CheckoutDown\"")
	}
	if err := r.putSilence(ctx, sil, ""); err != nil {
		return sil, err
	}
	r.Log.Info("silence added", "silence", sil.ID, "matchers", sil.Matchers, "starts", sil.StartsAt, "ends", sil.EndsAt, "by", sil.CreatedBy)
	return sil, nil
}

// Silences lists the silences kept: pending and active ones, and with all
// expired ones too (for the config's resolved_retention).
func (r *Router) Silences(ctx context.Context, all bool) ([]incident.Silence, error) {
	r.defaults()
	_, sils, err := r.Store.Silences(ctx)
	if err != nil {
		return nil, err
	}
	now := r.Now()
	out := []incident.Silence{}
	for _, s := range sils {
		if all || s.State(now) != incident.SilenceExpired {
			out = append(out, s)
		}
	}
	return out, nil
}

// Silence returns one silence; incident.ErrSilenceNotFound when there is
// none by that id.
func (r *Router) Silence(ctx context.Context, id string) (incident.Silence, error) {
	sil, _, err := r.Store.Silence(ctx, id)
	return sil, err
}

// ExpireSilence ends a silence now (a pending one never starts); alerts
// it muted that still fire page at once. changed is false when it had
// ended already.
func (r *Router) ExpireSilence(ctx context.Context, id, by string) (incident.Silence, bool, error) {
	r.defaults()
	for attempt := 0; ; attempt++ {
		sil, rev, err := r.Store.Silence(ctx, id)
		if err != nil {
			return sil, false, err
		}
		now := r.Now().UTC()
		switch sil.State(now) {
		case incident.SilenceExpired:
			return sil, false, nil
		case incident.SilencePending:
			sil.StartsAt = now
		}
		sil.EndsAt, sil.UpdatedAt, sil.ExpiredBy = now, now, by
		err = r.putSilence(ctx, sil, rev)
		if errors.Is(err, store.ErrConflict) && attempt < staleRetries {
			continue // changed meanwhile (expired by someone else?): look again
		}
		if err == nil {
			r.Log.Info("silence expired", "silence", id, "by", by)
		}
		return sil, err == nil, err
	}
}

// putSilence stores a silence, then takes the new silences for this
// replica's snapshot and wakes the engine, which looks again at every open
// incident.
func (r *Router) putSilence(ctx context.Context, sil incident.Silence, rev string) error {
	if err := r.Store.PutSilence(ctx, sil, rev, r.Config().Settings.ResolvedRetention); err != nil {
		return err
	}
	if snap := r.Suppress.snap.Load(); snap != nil {
		if _, err := r.Suppress.reload(ctx, snap); err != nil {
			r.Log.Warn("silences changed but could not be reloaded; the next alert reloads them", "err", err)
		}
	}
	if r.Wake != nil {
		r.Wake()
	}
	return nil
}

// newSilenceID is a random UUID (version 4), as Alertmanager's silence
// ids are.
func newSilenceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
