package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/jsonenc"
)

// AlertWrite is one alert ready to be stored: already routed to a service and
// a group by the router.
type AlertWrite struct {
	Fingerprint string
	Action      incident.AlertAction
	Sender      string    // the integration it came from, for the timeline
	EndsAt      time.Time // zero: no known end
	// Doc is the alert as shown by the API. A resolve without one keeps
	// the document the alert fired with, marked resolved.
	Doc  json.RawMessage
	Name string // alertname, for the timeline

	Service     string
	Escalation  string
	GroupID     string // stable id of (service, group labels)
	GroupLabels map[string]string
	Title       string
	Summary     string
	SourceURL   string
	// Links are what the sender attached to the alert (a dashboard, a
	// silence form): an incident opened by it shows them.
	Links     []incident.Link
	Retention time.Duration

	// What the router decided about muting a firing alert.
	Suppression Suppression

	// Severity is the severity the service's rules give the alert ("" =
	// none), SeverityRank its place among the config's (1 = most severe).
	Severity     string
	SeverityRank int
	// Storm folding of the service: once more than StormIncidents new
	// incidents opened within StormWindow, new ones fold into one storm
	// incident (0: never).
	StormIncidents int
	StormWindow    time.Duration
	// Flap folding: an alert that changed state more than FlapChanges
	// times within FlapWindow is flapping (0: never); a flapping alert
	// resolves once it stayed resolved for FlapHold.
	FlapChanges int
	FlapWindow  time.Duration
	FlapHold    time.Duration
}

// Suppression is what the router decided about muting one firing alert,
// against a snapshot of the silences and the config; the store adds
// inhibition, which depends on what fires on every replica.
type Suppression struct {
	// Silences is the version of the snapshot of silences it decided
	// with: a store whose silences changed since refuses the alert as
	// stale (IngestResult.Stale).
	Silences string
	// Why it is muted by a silence or a maintenance window ("silence:ID",
	// "maintenance:NAME"); "" when neither mutes it.
	Why string
	// ReviewAt is when that may change with time (a silence or a window
	// ends or begins); zero: not by time.
	ReviewAt time.Time
	// Inhibit names the inhibition sets the alert belongs to, as tokens
	// '<role>:<rule>:<equal labels hash>' separated by spaces (see
	// lua/suppress.lua); "" when no rule concerns it.
	Inhibit string
	// hold: with several shards, a source of a rule this alert is a target
	// of comes in the same request and may be stored after it (in another
	// shard, or by a later call): an incident this alert opens, or frees
	// from suppression, holds its first page for INHIBIT_HOLD_MS
	// (holdTargets and Store.HoldTargets set it; ingest.lua reads it).
	hold bool
}

// decided is the suppression as ingest.lua takes it: "" when nothing
// mutes the alert, now or later (most alerts: one short argument), else
// why, when that may change and its inhibition tokens, one a line, and a
// last line "hold" when the alert's first page waits (hold).
func (d Suppression) decided() string {
	if d.Why == "" && d.ReviewAt.IsZero() && d.Inhibit == "" {
		return ""
	}
	out := d.Why + "\n" + strconv.FormatInt(msOrZero(d.ReviewAt), 10) + "\n" + d.Inhibit
	if d.hold {
		out += "\nhold"
	}
	return out
}

// stormArg and flapArg are the alert's folding as ingest.lua takes it
// (arguments 9 and 10 of an alert): "incidents/window_ms" and "changes/window_ms/hold_ms",
// "" when off.
func (w *AlertWrite) stormArg() string {
	if w.StormIncidents <= 0 {
		return ""
	}
	return foldArg(int64(w.StormIncidents), w.StormWindow.Milliseconds())
}

func (w *AlertWrite) flapArg() string {
	if w.FlapChanges <= 0 {
		return ""
	}
	return foldArg(int64(w.FlapChanges), w.FlapWindow.Milliseconds(), w.FlapHold.Milliseconds())
}

// foldArg writes numbers as "a/b/c", with one allocation.
func foldArg(n ...int64) string {
	var b [64]byte
	buf := b[:0]
	for i, v := range n {
		if i > 0 {
			buf = append(buf, '/')
		}
		buf = strconv.AppendInt(buf, v, 10)
	}
	return string(buf)
}

// IngestResult is the fate of one AlertWrite.
type IngestResult struct {
	IncidentID int64
	Outcome    incident.AlertOutcome
}

// outcomeStale is the script's answer for an alert decided with an old
// snapshot of silences.
const outcomeStale incident.AlertOutcome = "stale"

// Stale reports that nothing was stored, because silences changed since
// the snapshot the router decided with: it decides again and resends.
func (r IngestResult) Stale() bool { return r.Outcome == outcomeStale }

// ingestBatch is how many alerts one call of ingest.lua stores. A call's
// fixed cost is shared by its alerts, and Redis runs nothing else while a
// script runs: 50 alerts hold it for well under a millisecond.
const ingestBatch = 50

// Ingest stores a webhook's alerts: ingest.lua takes them in batches, all
// pipelined, so a request costs one round trip however many alerts it
// carries — shared with the requests that arrive while another is on its
// way (coalesce.go). It returns an error unless every alert was stored.
func (s *shard) Ingest(ctx context.Context, writes []AlertWrite) ([]IngestResult, error) {
	if len(writes) == 0 {
		return nil, nil
	}
	call := &ingestCall{
		keys:   make([]string, 0, 2*len(writes)),
		args:   make([]any, 0, ingestPerAlert*len(writes)),
		alerts: len(writes),
	}
	for _, w := range writes {
		wk, wa, err := s.ingestArgs(w)
		if err != nil {
			return nil, err
		}
		call.keys = append(call.keys, wk...)
		call.args = append(call.args, wa[2:]...) // prefix and now go once per script call
	}
	return s.ingest(ctx, call)
}

// encodeGroup is what the scripts keep of an incident's group: its labels'
// JSON, and its links' JSON ("" when none).
func encodeGroup(labels map[string]string, links []incident.Link) (string, string, error) {
	l := jsonenc.AppendStringMap(nil, labels) // what json.Marshal writes, faster
	if len(links) == 0 {
		return string(l), "", nil
	}
	k, err := json.Marshal(links)
	if err != nil {
		return "", "", fmt.Errorf("encode links: %w", err)
	}
	return string(l), string(k), nil
}

// ingestPerAlert is how many of ingest.lua's arguments each alert takes,
// after the prefix and the time that every call starts with.
const ingestPerAlert = 12

// ingestArgs are the keys and arguments of ingest.lua for one alert: a
// call of its own, or, after the first two arguments, part of a batch.
// What only opening or resolving an incident reads goes as one argument
// (incidentArgs): Redis makes every argument a Lua string, whether the
// script reads it or not.
func (s *shard) ingestArgs(w AlertWrite) ([]string, []any, error) {
	groupLabels, links, err := encodeGroup(w.GroupLabels, w.Links)
	if err != nil {
		return nil, nil, err
	}
	action := w.Action
	if action == "" {
		action = incident.AlertTrigger
	}
	group := "grp:" + w.GroupID
	keys := []string{s.prefix + group, s.fpIndexKey(w.Fingerprint)}
	argv := []any{s.prefix, s.nowArg(), w.Fingerprint, packDoc(w.Fingerprint, w.Doc), string(action), msOrZero(w.EndsAt),
		w.Name, w.Sender, orZero(w.Suppression.Silences), w.Suppression.decided(), w.stormArg(), w.flapArg(),
		severityArg(w.Severity, w.SeverityRank),
		incidentArgs(w.Service, w.Escalation, group, groupLabels, w.Title, w.Summary, w.SourceURL, links,
			strconv.FormatInt(retentionMs(w.Retention), 10))}
	return keys, argv, nil
}

// incidentArgs writes ingest.lua's last argument of an alert: its fields
// one after the other, each as "<length>:<bytes>", so any byte may be in
// them.
func incidentArgs(fields ...string) string {
	n := 0
	for _, f := range fields {
		n += len(f) + 4
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
	}
	return string(b)
}

// ingestResult reads ingest.lua's reply to a call for one alert.
func ingestResult(cmd *redis.Cmd) (IngestResult, error) {
	vals, err := cmd.Slice()
	if err != nil || len(vals) != 2 {
		return IngestResult{}, fmt.Errorf("unexpected reply %v: %w", vals, err)
	}
	return ingestPair(vals[0], vals[1]), nil
}

// ingestPair reads one alert's {incident id, outcome} of ingest.lua's reply.
func ingestPair(id, outcome any) IngestResult {
	n, _ := id.(int64)
	o, _ := outcome.(string)
	return IngestResult{IncidentID: n, Outcome: incident.AlertOutcome(o)}
}

// pipelineScript runs one script many times in one round trip with EVALSHA,
// followed by the Durability's WAIT when it asks for one (same connection,
// same round trip). When Redis does not know the script (it restarted, or
// failed over) the whole pipeline is sent again with EVAL: the script is
// idempotent for a call that did not run, and NOSCRIPT means none ran.
func (s *shard) pipelineScript(ctx context.Context, sc *redis.Script, keys [][]string, argv [][]any) ([]*redis.Cmd, *redis.Cmd, error) {
	send := func(useEval bool) ([]*redis.Cmd, *redis.Cmd, error) {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(argv))
		for i := range argv {
			if useEval {
				cmds[i] = sc.Eval(ctx, pipe, keys[i], argv[i]...)
			} else {
				cmds[i] = sc.EvalSha(ctx, pipe, keys[i], argv[i]...)
			}
		}
		wait := s.waitFor(ctx, pipe)
		_, err := pipe.Exec(ctx)
		return cmds, wait, err
	}
	cmds, wait, err := send(false)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		cmds, wait, err = send(true)
	}
	if err != nil {
		return nil, nil, err
	}
	return cmds, wait, nil
}

// severityArg is a severity as the scripts take it: "<rank>:<name>", ""
// for none.
func severityArg(name string, rank int) string {
	if name == "" || rank <= 0 {
		return ""
	}
	return strconv.Itoa(rank) + ":" + name
}
