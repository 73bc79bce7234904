// Package router decides what happens to an alert: which service owns it,
// which incident it joins, who is paged and when, and what an
// acknowledgement stops. Intake decoding lives in router/ingest, the
// escalation plan in router/escalation, Redis in router/store; this package
// ties them to the compiled policies.
package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/store"
)

// UnroutedService owns alerts that match no service, under a config whose
// pagerd block says unrouted = "record" (`pagerd check` refuses a config
// with neither that nor a catch-all service). They are stored and listed,
// never dropped, but nobody is paged; a reload that gives them a service
// moves them to it (reroute.go).
const UnroutedService = "unrouted"

// Router turns decoded alerts into stored incidents, and people's actions
// into incident changes.
type Router struct {
	Store  *store.Store
	Config func() *policies.Config
	Log    *slog.Logger
	// Wake, when set, is told that new work may be due at once, so the
	// local engine pages without waiting for its next poll.
	Wake func()
	// Suppress decides which alerts are muted; the engine should share
	// it (one snapshot of silences per replica). Nil: one of its own.
	Suppress *Suppressor
	// Commands applies incident command's actions (assign, severity,
	// update: incident.Action.IsCommand) once Act has checked who may;
	// nil: they are refused as unknown.
	Commands Commands
	// Now is the clock silences and maintenance windows are judged by
	// (default time.Now).
	Now func() time.Time

	once sync.Once
}

// Commands applies the actions of incident command, which the command
// package decides: the router checks who may act, and pages.
type Commands interface {
	Apply(ctx context.Context, cfg *policies.Config, req incident.Request) (incident.Result, error)
}

func (r *Router) defaults() {
	r.once.Do(func() {
		if r.Suppress == nil {
			r.Suppress = &Suppressor{Store: r.Store}
		}
		if r.Now == nil {
			r.Now = time.Now
		}
	})
}

// storedAlert is how an alert is kept and shown by the API.
type storedAlert struct {
	Fingerprint  string            `json:"fingerprint"`
	DedupKey     string            `json:"dedup_key,omitempty"`
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	Links        []incident.Link   `json:"links,omitempty"`
	Details      json.RawMessage   `json:"details,omitempty"`
	Client       string            `json:"client,omitempty"`
	ClientURL    string            `json:"client_url,omitempty"`
	Integration  string            `json:"integration"`
}

// Ingest routes and stores what one request of integration in carries, in
// one Redis round trip for its alerts, and returns one Result for each of
// batch.Alerts, in order. An alert that cannot be stored because of what
// it holds is refused alone (its Result's Err, an *ingest.DecodeError
// naming it), the others stored: sending it again cannot help. A change
// that cannot be stored is an *ingest.DecodeError for the request, before
// anything is stored. Any other error is the store's, and nothing may be
// assumed stored: the caller answers 503 and the sender retries (storing
// is idempotent per fingerprint).
func (r *Router) Ingest(ctx context.Context, in *policies.Integration, batch *ingest.Batch) ([]ingest.Result, error) {
	r.defaults()
	cfg := r.Config()
	for i, c := range batch.Changes {
		if !ingest.StorableTime(c.At) {
			return nil, ingest.Invalidf(-1, fmt.Sprintf("changes[%d].timestamp", i),
				"%s is out of range: %s", c.At.Format(time.RFC3339Nano), ingest.TimeRange)
		}
	}
	results := make([]ingest.Result, len(batch.Alerts))
	writes := make([]store.AlertWrite, 0, len(batch.Alerts))
	written := make([]int, 0, len(batch.Alerts)) // the index in batch.Alerts of each write
	labels := make([]map[string]string, 0, len(batch.Alerts))
	for i := range batch.Alerts {
		a := &batch.Alerts[i]
		if a.DedupKey != "" {
			a.Fingerprint = ingest.KeyFingerprint(in.Name, a.DedupKey)
		}
		results[i] = ingest.Result{Index: batch.Position(i), Alert: a}
		w, err := r.write(cfg, in, results[i].Index, a)
		var bad *ingest.DecodeError
		switch {
		case errors.As(err, &bad):
			results[i].Outcome, results[i].Err = incident.AlertRejected, bad
			continue
		case err != nil:
			return nil, err
		}
		writes = append(writes, w)
		written = append(written, i)
		labels = append(labels, a.Labels)
	}
	stored, err := r.storeAlerts(ctx, cfg, labels, writes)
	if err != nil {
		return nil, err
	}
	wake := false
	for j, s := range stored {
		res := &results[written[j]]
		res.IncidentID, res.Outcome = s.IncidentID, s.Outcome
		if writes[j].Service == UnroutedService && (s.Outcome == incident.AlertTriggered || s.Outcome == incident.AlertGrouped) {
			// Stored, but it pages nobody: say so rather than "triggered".
			res.Outcome = incident.AlertUnrouted
		}
		switch s.Outcome {
		// An alert that ended may have been muting others (inhibition).
		case incident.AlertTriggered, incident.AlertClosed, incident.AlertAcknowledged, incident.AlertEnded, incident.AlertFolded:
			wake = true
		}
	}
	for _, c := range batch.Changes {
		if err := r.change(ctx, cfg, in, c); err != nil {
			return nil, err
		}
	}
	if wake && r.Wake != nil {
		r.Wake()
	}
	return results, nil
}

// write routes alert index of a request to its service and group and
// makes its write. An alert it cannot encode is an *ingest.DecodeError
// naming the alert and, where it can tell, the field.
func (r *Router) write(cfg *policies.Config, in *policies.Integration, index int, a *ingest.Alert) (store.AlertWrite, error) {
	status := "firing"
	if a.Action == incident.AlertResolve {
		status = "resolved"
	}
	doc, err := encodeAlert(index, storedAlert{
		Fingerprint: a.Fingerprint, DedupKey: a.DedupKey, Status: status, Labels: a.Labels,
		Annotations: a.Annotations, StartsAt: a.StartsAt, EndsAt: a.EndsAt,
		GeneratorURL: a.GeneratorURL, Links: a.Links, Details: a.Details,
		Client: a.Client, ClientURL: a.ClientURL, Integration: in.Name,
	})
	if err != nil {
		return store.AlertWrite{}, err
	}
	if a.DedupKey != "" && len(a.Labels) == 0 {
		// Acknowledged or resolved by key alone: nothing new to keep, and
		// the store keeps what the alert fired with.
		doc = nil
	}
	p := place(cfg, in, a)
	if p.Service == UnroutedService && a.Action == incident.AlertTrigger {
		r.Log.Warn("alert matches no service; stored unrouted, nobody paged",
			"alertname", a.Labels[model.AlertNameLabel], "fingerprint", a.Fingerprint)
	}
	w := store.AlertWrite{
		Fingerprint: a.Fingerprint, Action: a.Action, Sender: in.Name, EndsAt: a.EndsAt, Doc: doc,
		Name:      alertName(a),
		Summary:   summaryOf(a),
		SourceURL: orDefault(a.GeneratorURL, a.ClientURL),
		Links:     a.Links,
		Retention: cfg.Settings.ResolvedRetention,
		Service:   p.Service, Escalation: p.Escalation, GroupID: p.GroupID, GroupLabels: p.GroupLabels, Title: p.Title,
	}
	if p.svc != nil {
		foldLike(&w, p.svc)
		if a.Action == incident.AlertTrigger {
			// One map lookup: the incident's severity rides along with the
			// alert's script, no extra round trip.
			w.Severity = cfg.SeverityOf(p.svc, a.Labels)
			w.SeverityRank = cfg.SeverityRank(w.Severity)
		}
	}
	return w, nil
}

// placement is where an alert belongs: its service (UnroutedService when
// none matches), that service's escalation, its group and the title of an
// incident it would open.
type placement struct {
	Service, Escalation, GroupID string
	GroupLabels                  map[string]string
	Title                        string
	svc                          *policies.Service // nil when unrouted
}

// place finds where alert a of integration in belongs under cfg. Ingest
// and the rerouting of unrouted incidents after a reload both ask it, so
// that they agree.
func place(cfg *policies.Config, in *policies.Integration, a *ingest.Alert) placement {
	svc := cfg.ServiceFor(in, a.Labels)
	p := placement{svc: svc}
	switch {
	case svc == nil:
		p.Service = UnroutedService
		p.GroupLabels = map[string]string{model.AlertNameLabel: a.Labels[model.AlertNameLabel]}
	case a.DedupKey != "" && !hasAny(a.Labels, svc.GroupBy):
		// A sender that addresses its alerts by key, with none of the
		// labels the service groups by: each alert is its own incident,
		// as in PagerDuty.
		p.Service, p.Escalation = svc.Name, svc.Escalation
		p.GroupLabels = map[string]string{}
		p.GroupID = svc.Name + ":key:" + a.Fingerprint
	default:
		p.Service, p.Escalation = svc.Name, svc.Escalation
		p.GroupLabels = groupLabels(svc.GroupBy, a.Labels)
	}
	if p.GroupID == "" {
		p.GroupID = p.Service + ":" + model.LabelSet(toLabelSet(p.GroupLabels)).Fingerprint().String()
	}
	p.Title = title(a, p.GroupLabels)
	return p
}

// alertName names an alert on its incident's timeline.
func alertName(a *ingest.Alert) string {
	return orDefault(a.Labels[model.AlertNameLabel], a.DedupKey) + " " + a.Fingerprint
}

// encodeAlert is the document kept for alert index. What it cannot encode
// is the alert's content, not the store's failure: an *ingest.DecodeError
// (422) naming the alert and the field at fault, so the sender is told
// instead of retrying a request that can never be stored.
func encodeAlert(index int, sa storedAlert) ([]byte, error) {
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"startsAt", sa.StartsAt}, {"endsAt", sa.EndsAt}} {
		if !ingest.StorableTime(f.t) {
			return nil, ingest.Invalidf(index, f.name, "%s cannot be stored: %s",
				f.t.UTC().Format(time.RFC3339Nano), ingest.TimeRange)
		}
	}
	if doc, ok := appendAlertDoc(make([]byte, 0, 512), &sa); ok {
		return doc, nil
	}
	doc, err := json.Marshal(sa)
	if err == nil {
		return doc, nil
	}
	// Name the field: encode them one by one (only on this path).
	field := ""
	for _, f := range []struct {
		name string
		v    any
	}{{"labels", sa.Labels}, {"annotations", sa.Annotations}, {"links", sa.Links}, {"details", sa.Details}} {
		if _, ferr := json.Marshal(f.v); ferr != nil {
			field = f.name
			break
		}
	}
	de := ingest.Invalidf(index, field, "cannot be stored: %v", err)
	de.Err = err
	return nil, de
}

// change records a change event with the service it concerns.
func (r *Router) change(ctx context.Context, cfg *policies.Config, in *policies.Integration, c incident.Change) error {
	labels := map[string]string{"summary": c.Summary, "source": c.Source}
	c.Service = UnroutedService
	if svc := cfg.ServiceFor(in, labels); svc != nil {
		c.Service = svc.Name
	}
	c.Integration = in.Name
	if _, err := r.Store.RecordChange(ctx, c); err != nil {
		return err
	}
	r.Log.Info("change recorded", "service", c.Service, "integration", in.Name, "summary", c.Summary)
	return nil
}

// foldLike makes w fold alert storms and flapping alerts as svc says.
func foldLike(w *store.AlertWrite, svc *policies.Service) {
	if svc.Storm.On() {
		w.StormIncidents, w.StormWindow = svc.Storm.Incidents, svc.Storm.Window
	}
	if svc.Flapping.On() {
		w.FlapChanges, w.FlapWindow, w.FlapHold = svc.Flapping.Changes, svc.Flapping.Window, svc.Flapping.Hold
	}
}

func hasAny(labels map[string]string, names []string) bool {
	for _, n := range names {
		if labels[n] != "" {
			return true
		}
	}
	return false
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
// e.g. "CheckoutDown cluster=eu1"; an alert with neither (a PagerDuty
// event, say) by its summary.
func title(a *ingest.Alert, group map[string]string) string {
	parts := []string{}
	if name := a.Labels[model.AlertNameLabel]; name != "" {
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
	if len(parts) > 0 {
		return strings.Join(parts, " ")
	}
	if s := summaryOf(a); s != "" {
		return s
	}
	return "alert " + model.LabelSet(toLabelSet(a.Labels)).String()
}

func summaryOf(a *ingest.Alert) string {
	for _, k := range []string{"summary", "description", "message"} {
		if v := a.Annotations[k]; v != "" {
			return v
		}
	}
	return ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Act applies a person's action to an incident, from any front end, once
// req's credential and the service's responders rule allow it (see
// authorize); otherwise it returns a *incident.Refusal, whose text tells
// the person who may, and records the attempt on the timeline.
// Escalation stops at once on an acknowledgement: the engine's send claims
// refuse pages for an incident no longer triggered.
func (r *Router) Act(ctx context.Context, req incident.Request) (incident.Result, error) {
	cfg := r.Config()
	if req.Action == incident.Note && len(req.Text) > incident.MaxNote {
		// Every front end's notes are held to one size (the API answers
		// 413 before it gets here; a chat thread's reply arrives here).
		return incident.Result{}, incident.Invalidf("a note is at most 4 KiB, and this one is %d bytes", len(req.Text))
	}
	if err := r.authorize(ctx, cfg, req); err != nil {
		return incident.Result{}, err
	}
	var res incident.Result
	var err error
	switch {
	case req.Action.IsCommand() && r.Commands != nil:
		res, err = r.Commands.Apply(ctx, cfg, req)
	case req.Action.IsCommand():
		err = incident.Invalidf("%s is not available on this daemon", req.Action)
	default:
		res, err = r.Store.Act(ctx, req, cfg.Settings.ResolvedRetention)
	}
	if err != nil {
		return incident.Result{}, err
	}
	r.Log.Info("incident "+string(res.Outcome), "incident", req.Incident, "action", req.Action,
		"by", req.By, "via", req.Via, "before", res.Before)
	if r.Wake != nil && res.Outcome != incident.OutcomeUnchanged && res.Outcome != incident.OutcomeRepeated {
		r.Wake()
	}
	return res, nil
}
