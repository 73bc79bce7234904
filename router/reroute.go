package router

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/store"
)

// rerouteBy names who moves an unrouted incident, on its timeline.
const rerouteBy = "config reload"

// reroute gives the firing alerts of inc, an open incident no service
// owned, to the services cfg routes them to, in one store operation: the
// incident moves to its alerts' service (or hands each alert to the
// incident of its service and group) and pages from now as that service
// says. Alerts that still match no service stay. Replicas may do it at
// once: the store moves each alert once. It reports whether anything
// moved.
//
// Both the reload path (Router.RerouteUnrouted, on the replica that
// reloaded, under its new config) and the engine (on whichever replica
// claims the incident's timer, under its config) call it, so a reload on
// any replica moves the incident even while others still run the old
// config, and an alert stored unrouted by a replica not reloaded yet is
// moved by the next one that is.
func reroute(ctx context.Context, st *store.Store, cfg *policies.Config, inc *incident.Incident, log *slog.Logger) (bool, error) {
	docs, err := st.Alerts(ctx, inc.ID)
	if err != nil {
		return false, err
	}
	var targets []store.RerouteTarget
	byGroup := map[string]int{}
	stay := false
	for _, raw := range docs {
		var sa storedAlert
		if err := json.Unmarshal(raw, &sa); err != nil {
			return false, fmt.Errorf("incident %d: corrupt alert: %w", inc.ID, err)
		}
		if _, firing := inc.Firing[sa.Fingerprint]; !firing {
			continue
		}
		a := sa.alert()
		p := place(cfg, cfg.Integration(sa.Integration), &a)
		if p.Service == UnroutedService {
			stay = true
			continue
		}
		i, seen := byGroup[p.GroupID]
		if !seen {
			i = len(targets)
			byGroup[p.GroupID] = i
			targets = append(targets, store.RerouteTarget{
				Service: p.Service, Escalation: p.Escalation, GroupID: p.GroupID, GroupLabels: p.GroupLabels,
				Title: p.Title, Summary: summaryOf(&a), SourceURL: orDefault(a.GeneratorURL, a.ClientURL), Links: a.Links,
			})
		}
		targets[i].Alerts = append(targets[i].Alerts, store.RerouteAlert{Fingerprint: a.Fingerprint, Name: alertName(&a)})
	}
	if len(targets) == 0 {
		return false, nil
	}
	moved, err := st.Reroute(ctx, inc.ID, UnroutedService, targets, stay, rerouteBy, cfg.Settings.ResolvedRetention)
	if err != nil || len(moved) == 0 {
		return false, err
	}
	services := make([]string, len(targets))
	for i, t := range targets {
		services[i] = t.Service
	}
	log.Info("unrouted incident's alerts moved to their services", "incident", inc.ID,
		"services", slices.Compact(services), "incidents", moved)
	return true, nil
}

// RerouteUnrouted moves the alerts of every open unrouted incident that
// the current config routes: what a reload does at once on the replica
// that reloaded. It returns how many incidents it moved alerts of.
func (r *Router) RerouteUnrouted(ctx context.Context) (int, error) {
	cfg := r.Config()
	open, err := r.Store.List(ctx, true, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, inc := range open {
		if inc.Service != UnroutedService {
			continue
		}
		moved, err := reroute(ctx, r.Store, cfg, inc, r.Log)
		if err != nil {
			return n, err
		}
		if moved {
			n++
		}
	}
	if n > 0 && r.Wake != nil {
		r.Wake()
	}
	return n, nil
}

// alert is the alert a stored document keeps, as it fires.
func (sa *storedAlert) alert() ingest.Alert {
	return ingest.Alert{
		Action: incident.AlertTrigger, Labels: sa.Labels, Annotations: sa.Annotations,
		StartsAt: sa.StartsAt, EndsAt: sa.EndsAt, GeneratorURL: sa.GeneratorURL,
		Fingerprint: sa.Fingerprint, DedupKey: sa.DedupKey, Links: sa.Links, Details: sa.Details,
		Client: sa.Client, ClientURL: sa.ClientURL,
	}
}
