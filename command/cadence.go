package command

import (
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

// The clocks of incident command, as pure functions of the config and the
// incident: the engine's duty acts on them, and every view shows them, so
// both always agree — and a reload's new cadence applies at once.

// since is when an incident's command clocks start: when it took its
// severity (a new severity restarts them), or opened.
func since(inc *incident.Incident) time.Time {
	if inc.SeverityAt.After(inc.CreatedAt) {
		return inc.SeverityAt
	}
	return inc.CreatedAt
}

// NextUpdateAt is when the next status update of inc is due: its
// severity's cadence after the latest update, or after the clocks
// started when none was posted since; zero when none is due (it is
// resolved, or its severity has no cadence).
func NextUpdateAt(cfg *policies.Config, inc *incident.Incident) time.Time {
	every := cfg.Command.Cadence[inc.Severity]
	if !inc.Open() || every <= 0 || inc.FoldedInto != 0 {
		return time.Time{}
	}
	from := since(inc)
	if inc.LastUpdateAt.After(from) {
		from = inc.LastUpdateAt
	}
	return from.Add(every)
}

// OverdueAt is when the update due at NextUpdateAt is overdue, and the
// communications lead is told; zero when none is due.
func OverdueAt(cfg *policies.Config, inc *incident.Incident) time.Time {
	due := NextUpdateAt(cfg, inc)
	if due.IsZero() {
		return due
	}
	return due.Add(cfg.Command.OverdueAfter)
}

// ManagerNeededAt is when inc, still without a manager, pages its
// service's manager rotation; zero when it does not need one (it has one,
// is resolved, or its severity does not call for one).
func ManagerNeededAt(cfg *policies.Config, inc *incident.Incident) time.Time {
	// An incident folded into a storm pages nobody: its storm is what
	// people handle.
	if !inc.Open() || inc.Role(incident.RoleManager) != "" || !cfg.NeedsManager(inc.Severity) || inc.FoldedInto != 0 {
		return time.Time{}
	}
	return since(inc).Add(cfg.Command.ManagerWithin)
}

// View is what views show of an incident's command clocks.
type View struct {
	NextUpdateAt time.Time `json:"next_update_at,omitzero"`
	// UpdateOverdue: the update due at NextUpdateAt has not come.
	UpdateOverdue bool `json:"update_overdue,omitempty"`
	// ManagerNeededAt: it needs a manager; past this, the rotation is paged.
	ManagerNeededAt time.Time `json:"manager_needed_at,omitzero"`
}

// ViewOf is inc's command clocks at now.
func ViewOf(cfg *policies.Config, inc *incident.Incident, now time.Time) View {
	next := NextUpdateAt(cfg, inc)
	return View{NextUpdateAt: next, UpdateOverdue: !next.IsZero() && !now.Before(next), ManagerNeededAt: ManagerNeededAt(cfg, inc)}
}
