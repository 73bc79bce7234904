// Package router decides what happens to an alert: which service owns it,
// which incident it joins, who is paged and when, and what an
// acknowledgement stops. Intake decoding lives in router/ingest, Redis in
// router/store; this package ties them to the compiled policies.
package router

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/store"
)

// UnroutedService owns alerts that match no service. They are stored and
// listed, never dropped, but nobody is paged: `pagerd check` warns when a
// config has no catch-all service.
const UnroutedService = "unrouted"

// Router turns decoded alerts into stored incidents.
type Router struct {
	Store  *store.Store
	Config func() *policies.Config
	Log    *slog.Logger
	// Wake, when set, is told that new work may be due at once, so the
	// local engine pages without waiting for its next poll.
	Wake func()
}

// storedAlert is how an alert is kept and shown by the API.
type storedAlert struct {
	Fingerprint  string            `json:"fingerprint"`
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	Integration  string            `json:"integration"`
}

// Ingest routes and stores the alerts of one request in one Redis round
// trip. On error nothing may be assumed stored: the caller answers 503 and
// the sender retries (storing is idempotent per fingerprint).
func (r *Router) Ingest(ctx context.Context, integration string, alerts []ingest.Alert, now time.Time) ([]store.IngestResult, error) {
	cfg := r.Config()
	writes := make([]store.AlertWrite, len(alerts))
	for i, a := range alerts {
		status := "firing"
		resolved := a.Resolved(now)
		if resolved {
			status = "resolved"
		}
		doc, err := json.Marshal(storedAlert{
			Fingerprint: a.Fingerprint, Status: status, Labels: a.Labels,
			Annotations: a.Annotations, StartsAt: a.StartsAt, EndsAt: a.EndsAt,
			GeneratorURL: a.GeneratorURL, Integration: integration,
		})
		if err != nil {
			return nil, fmt.Errorf("encode alert %d: %w", i, err)
		}
		w := store.AlertWrite{
			Fingerprint: a.Fingerprint, Resolved: resolved, EndsAt: a.EndsAt, Doc: doc,
			Name:      a.Labels[model.AlertNameLabel] + " " + a.Fingerprint,
			Summary:   summaryOf(a),
			SourceURL: a.GeneratorURL,
			Retention: cfg.Settings.ResolvedRetention,
		}
		svc := cfg.Route(a.Labels)
		if svc == nil {
			w.Service = UnroutedService
			w.GroupLabels = map[string]string{model.AlertNameLabel: a.Labels[model.AlertNameLabel]}
			r.Log.Warn("alert matches no service; stored unrouted, nobody paged",
				"alertname", a.Labels[model.AlertNameLabel], "fingerprint", a.Fingerprint)
		} else {
			w.Service, w.Escalation = svc.Name, svc.Escalation
			w.GroupLabels = groupLabels(svc.GroupBy, a.Labels)
		}
		w.GroupID = w.Service + ":" + model.LabelSet(toLabelSet(w.GroupLabels)).Fingerprint().String()
		w.Title = title(a.Labels, w.GroupLabels)
		writes[i] = w
	}
	results, err := r.Store.Ingest(ctx, writes)
	if err != nil {
		return nil, err
	}
	for _, res := range results {
		if res.Outcome == store.Triggered || res.Outcome == store.Resolved {
			if r.Wake != nil {
				r.Wake()
			}
			break
		}
	}
	return results, nil
}

// groupLabels picks the group_by labels of an alert; a missing label groups
// as empty, as in Alertmanager.
func groupLabels(by []string, lset map[string]string) map[string]string {
	out := make(map[string]string, len(by))
	for _, name := range by {
		out[name] = lset[name]
	}
	return out
}

func toLabelSet(m map[string]string) model.LabelSet {
	ls := make(model.LabelSet, len(m))
	for k, v := range m {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls
}

// title names an incident by its alertname and the other group labels,
// e.g. "CheckoutDown cluster=eu1".
func title(lset, group map[string]string) string {
	parts := []string{}
	if name := lset[model.AlertNameLabel]; name != "" {
		parts = append(parts, name)
	}
	keys := make([]string, 0, len(group))
	for k := range group {
		if k != model.AlertNameLabel && group[k] != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+group[k])
	}
	if len(parts) == 0 {
		return "alert " + model.LabelSet(toLabelSet(lset)).String()
	}
	return strings.Join(parts, " ")
}

func summaryOf(a ingest.Alert) string {
	for _, k := range []string{"summary", "description", "message"} {
		if v := a.Annotations[k]; v != "" {
			return v
		}
	}
	return ""
}

// Act applies a person's "ack" or "resolve" to an incident, from any
// channel (via: "sms", "link", "api", ...). Escalation stops at once: the
// engine's send claims refuse pages for an incident no longer triggered.
func (r *Router) Act(ctx context.Context, id int64, action, by, via string) (outcome, before string, err error) {
	outcome, before, err = r.Store.Transition(ctx, id, action, by, via, r.Config().Settings.ResolvedRetention)
	if err != nil {
		return "", "", err
	}
	r.Log.Info("incident "+outcome, "incident", id, "action", action, "by", by, "via", via, "before", before)
	if r.Wake != nil && outcome != store.Unchanged {
		r.Wake()
	}
	return outcome, before, nil
}
