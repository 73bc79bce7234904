package store

import (
	"context"
	"fmt"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// RerouteTarget is where some of the firing alerts of an incident no
// service owned belong under the current config: its service and group,
// as an AlertWrite of theirs says.
type RerouteTarget struct {
	Service     string
	Escalation  string
	GroupID     string
	GroupLabels map[string]string
	Title       string
	Summary     string
	SourceURL   string
	Links       []incident.Link
	Alerts      []RerouteAlert
}

// RerouteAlert is one alert to move: its fingerprint, and its name for the
// timeline.
type RerouteAlert struct {
	Fingerprint string
	Name        string
}

// Reroute moves the firing alerts of incident id, which the service
// unrouted owns, to targets, in one script: the incident itself becomes
// the first target whose group has no open incident (unless stay says
// some of its alerts still match no service), keeping its id and timeline
// and paging from now as its new service says; alerts of a group with an
// open incident join it, those of any further target open one; an
// incident left without firing alerts resolves. by names who reroutes,
// for the timeline; retention is how long a resolved incident is kept.
// It returns the incidents that took alerts: none when the incident was
// no longer unrouted and open (another replica rerouted it).
func (s *shard) Reroute(ctx context.Context, id int64, unrouted string, targets []RerouteTarget, stay bool, by string, retention time.Duration) ([]int64, error) {
	stays := "0"
	if stay {
		stays = "1"
	}
	args := []any{s.prefix, s.nowArg(), id, unrouted, stays, retentionMs(retention), by, len(targets)}
	for _, t := range targets {
		labels, links, err := encodeGroup(t.GroupLabels, t.Links)
		if err != nil {
			return nil, err
		}
		args = append(args, t.Service, t.Escalation, "grp:"+t.GroupID, labels, t.Title, t.Summary,
			t.SourceURL, links, len(t.Alerts))
		for _, a := range t.Alerts {
			args = append(args, a.Fingerprint, a.Name)
		}
	}
	cmds, wait, err := s.pipelineScript(ctx, s.lua.reroute, [][]string{s.anchor()}, [][]any{args})
	if err == nil {
		err = s.replicated(wait)
	}
	if err != nil {
		return nil, fmt.Errorf("reroute incident %d: %w", id, err)
	}
	moved, err := cmds[0].Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("reroute incident %d: %w", id, err)
	}
	return moved, nil
}
