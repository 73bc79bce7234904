package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// AlertWrite is one alert ready to be stored: already routed to a service and
// a group by the router.
type AlertWrite struct {
	Fingerprint string
	Resolved    bool
	EndsAt      time.Time       // zero: no known end
	Doc         json.RawMessage // the alert as shown by the API
	Name        string          // alertname, for the timeline

	Service     string
	Escalation  string
	GroupID     string // stable id of (service, group labels)
	GroupLabels map[string]string
	Title       string
	Summary     string
	SourceURL   string
	Retention   time.Duration
}

// Outcome says what storing one alert did.
type Outcome string

const (
	Triggered     Outcome = "triggered"      // opened a new incident
	Grouped       Outcome = "grouped"        // joined an open incident
	Deduplicated  Outcome = "deduplicated"   // already firing there: no new page
	AlertResolved Outcome = "alert_resolved" // one alert ended, others still fire
	Resolved      Outcome = "resolved"       // its last alert ended: incident closed
	Ignored       Outcome = "ignored"        // resolved alert we never saw firing
)

// IngestResult is the fate of one AlertWrite.
type IngestResult struct {
	IncidentID int64
	Outcome    Outcome
}

// Ingest stores a webhook's alerts: one script per alert, all pipelined, so a
// request costs one round trip however many alerts it carries. It returns an
// error unless every alert was stored.
func (s *Store) Ingest(ctx context.Context, writes []AlertWrite) ([]IngestResult, error) {
	if len(writes) == 0 {
		return nil, nil
	}
	argv := make([][]any, len(writes))
	keys := make([][]string, len(writes))
	for i, w := range writes {
		groupLabels, err := json.Marshal(w.GroupLabels)
		if err != nil {
			return nil, fmt.Errorf("encode group labels: %w", err)
		}
		var ends int64
		if !w.EndsAt.IsZero() {
			ends = w.EndsAt.UnixMilli()
		}
		resolved := 0
		if w.Resolved {
			resolved = 1
		}
		group := "grp:" + w.GroupID
		keys[i] = []string{s.prefix + group, s.key("fp", w.Fingerprint)}
		argv[i] = []any{s.prefix, s.nowArg(), w.Fingerprint, string(w.Doc), resolved, ends,
			w.Service, w.Escalation, group, string(groupLabels), w.Title, w.Summary,
			w.SourceURL, retentionMs(w.Retention), w.Name}
	}

	cmds, err := s.pipelineScript(ctx, s.ingest, keys, argv)
	if err != nil {
		return nil, fmt.Errorf("store alerts: %w", err)
	}
	results := make([]IngestResult, len(cmds))
	for i, cmd := range cmds {
		vals, err := cmd.Slice()
		if err != nil || len(vals) != 2 {
			return nil, fmt.Errorf("store alert %d: unexpected reply %v: %w", i, vals, err)
		}
		id, _ := vals[0].(int64)
		outcome, _ := vals[1].(string)
		results[i] = IngestResult{IncidentID: id, Outcome: Outcome(outcome)}
	}
	return results, nil
}

// pipelineScript runs one script many times in one round trip with EVALSHA.
// When Redis does not know the script (it restarted, or failed over) the
// whole pipeline is sent again with EVAL: the script is idempotent for a
// call that did not run, and NOSCRIPT means none ran.
func (s *Store) pipelineScript(ctx context.Context, sc *redis.Script, keys [][]string, argv [][]any) ([]*redis.Cmd, error) {
	send := func(useEval bool) ([]*redis.Cmd, error) {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(argv))
		for i := range argv {
			if useEval {
				cmds[i] = sc.Eval(ctx, pipe, keys[i], argv[i]...)
			} else {
				cmds[i] = sc.EvalSha(ctx, pipe, keys[i], argv[i]...)
			}
		}
		_, err := pipe.Exec(ctx)
		return cmds, err
	}
	cmds, err := send(false)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		cmds, err = send(true)
	}
	if err != nil {
		return nil, err
	}
	return cmds, nil
}
