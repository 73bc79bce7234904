package router

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/store"
)

// Heartbeats. Each heartbeat of the config has a deadline in the timers,
// claimed like an incident's timer, so that exactly one replica at a time
// checks it: when it passes without a beat, the heartbeat's alert fires
// and opens (or joins) an incident on its service like any alert, paged
// by the service's escalation; the next beat resolves that alert.

// heartbeatSender is the integration a heartbeat's alert is recorded as
// coming from: the heartbeat itself, its alerts pinned to its service.
func heartbeatSender(hb *policies.Heartbeat) *policies.Integration {
	return &policies.Integration{Name: "heartbeat:" + hb.Name, Type: policies.HeartbeatIntegration, Service: hb.Service}
}

// heartbeatAlert is the alert hb fires when it is missed: alertname
// HeartbeatMissed and heartbeat=NAME, with the heartbeat's own labels.
// since is when the period that ran out began (its last beat).
func heartbeatAlert(hb *policies.Heartbeat, action incident.AlertAction, since time.Time) ingest.Alert {
	labels := map[string]string{model.AlertNameLabel: policies.HeartbeatAlertName}
	for k, v := range hb.Labels {
		labels[k] = v
	}
	labels[policies.HeartbeatLabel] = hb.Name
	// Valid by construction: pagerd check vetted the heartbeat's labels.
	labels, fp, _ := ingest.Labels(-1, labels)
	summary := hb.Summary
	if summary == "" {
		summary = "heartbeat " + hb.Name + " missed"
	}
	a := ingest.Alert{Action: action, Labels: labels, Fingerprint: fp, Annotations: map[string]string{"summary": summary}}
	if !since.IsZero() {
		a.StartsAt = since.Add(hb.Window())
		a.Annotations["description"] = fmt.Sprintf("No beat since %s: expected every %s, with %s of grace.",
			since.UTC().Format(time.RFC3339), hb.Every, hb.Grace)
	}
	return a
}

// resolveByFingerprint is a write that resolves the alert of fingerprint
// fp, keeping the document it fired with (as a sender resolving by key
// does): for a heartbeat whose alert changed, or that is gone.
func resolveByFingerprint(cfg *policies.Config, name, fp string) store.AlertWrite {
	return store.AlertWrite{Fingerprint: fp, Action: incident.AlertResolve, Sender: "heartbeat:" + name,
		Name: policies.HeartbeatAlertName + " " + fp, GroupID: "heartbeat:" + name, Retention: cfg.Settings.ResolvedRetention}
}

// BeatResult is what a beat did.
type BeatResult = store.BeatResult

// Beat records a beat of hb, and resolves the alert its miss fired, in
// one round trip.
func (r *Router) Beat(ctx context.Context, hb *policies.Heartbeat) (BeatResult, error) {
	cfg := r.Config()
	a := heartbeatAlert(hb, incident.AlertResolve, time.Time{})
	w, err := r.write(cfg, heartbeatSender(hb), 0, &a)
	if err != nil {
		return BeatResult{}, err
	}
	// Resolved by fingerprint, the document it fired with kept.
	w.Doc = nil
	res, err := r.Store.Beat(ctx, hb.Name, hb.Window(), w)
	if err != nil {
		return BeatResult{}, err
	}
	if res.WasMissed {
		r.Log.Info("missed heartbeat beats again", "heartbeat", hb.Name, "incident", res.Resolved.IncidentID, "outcome", res.Resolved.Outcome)
	}
	if r.Wake != nil && (res.Resolved.Outcome == incident.AlertClosed || res.Resolved.Outcome == incident.AlertEnded) {
		r.Wake()
	}
	return res, nil
}

// SyncHeartbeats registers the heartbeats of the current config and has
// every registered one checked against it: at start and after a reload,
// so that a new heartbeat is watched from now, a changed period applies
// at once and a removed heartbeat stops.
func (e *Engine) SyncHeartbeats(ctx context.Context) error {
	windows := map[string]time.Duration{}
	for _, hb := range e.Config().Heartbeats {
		windows[hb.Name] = hb.Window()
	}
	if err := e.Store.SyncHeartbeats(ctx, windows); err != nil {
		return err
	}
	e.Wake()
	return nil
}

// checkHeartbeat is the engine's work on a heartbeat's claimed deadline at
// now: fire its alert if it passed without a beat, and say when to look
// again (zero: not until something changes — a beat, a reload).
func (e *Engine) checkHeartbeat(ctx context.Context, name string, now time.Time) (time.Time, error) {
	cfg := e.Config()
	st, err := e.Store.Heartbeat(ctx, name)
	if err != nil {
		return time.Time{}, err
	}
	hb := cfg.Heartbeat(name)
	if hb == nil {
		// Gone from the config: stop watching it, and resolve the alert a
		// miss fired, which no beat will resolve now.
		if !st.Known {
			return time.Time{}, nil
		}
		var resolve *store.AlertWrite
		if !st.Missed.IsZero() && st.Fingerprint != "" {
			w := resolveByFingerprint(cfg, name, st.Fingerprint)
			resolve = &w
		}
		if err := e.Store.ForgetHeartbeat(ctx, name, resolve); err != nil {
			return time.Time{}, err
		}
		e.Log.Info("heartbeat removed from the config: no longer watched", "heartbeat", name, "was_missed", resolve != nil)
		return time.Time{}, nil
	}
	if !st.Known {
		// Not registered yet (a replica that has not synced): register
		// it, which makes it due again.
		return time.Time{}, e.Store.SyncHeartbeats(ctx, map[string]time.Duration{name: hb.Window()})
	}
	alert := heartbeatAlert(hb, incident.AlertTrigger, st.Since())
	var previous *store.AlertWrite
	switch {
	case st.Missed.IsZero():
		if deadline := st.Since().Add(hb.Window()); now.Before(deadline) {
			return deadline, nil
		}
	case st.Fingerprint == "" || st.Fingerprint == alert.Fingerprint:
		return time.Time{}, nil // missed: the next beat ends it
	default:
		// Its labels changed while it was missed: the miss moves to the
		// new alert, and the old one resolves.
		w := resolveByFingerprint(cfg, name, st.Fingerprint)
		previous = &w
	}
	rt := &Router{Store: e.Store, Config: e.Config, Log: e.Log}
	w, err := rt.write(cfg, heartbeatSender(hb), 0, &alert)
	if err != nil {
		return time.Time{}, err
	}
	// Muted like any alert: a silence or a maintenance window may cover
	// it.
	snap, err := e.Suppress.snapshot(ctx)
	if err != nil {
		return time.Time{}, err
	}
	w.Suppression = decide(cfg, snap, w.Service, alert.Labels, now)
	res, err := e.Store.MissHeartbeat(ctx, st, now, w, previous)
	switch {
	case errors.Is(err, store.ErrBeatMeanwhile):
		return now, nil // look again at what changed
	case errors.Is(err, store.ErrStale):
		if _, err := e.Suppress.reload(ctx, snap); err != nil {
			return time.Time{}, err
		}
		return now, nil // decide again with the silences as they are
	}
	if err != nil {
		return time.Time{}, err
	}
	e.Log.Warn("heartbeat missed", "heartbeat", name, "since", st.Since(), "every", hb.Every, "grace", hb.Grace,
		"incident", res.IncidentID, "outcome", res.Outcome)
	e.Wake() // its incident is due now
	return time.Time{}, nil
}
