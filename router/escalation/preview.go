package escalation

import (
	"time"

	"github.com/pagerd/pagerd/policies"
)

// Preview is what an alert would set in motion if nobody acknowledged
// it: the service that owns it, the maintenance window that holds it
// when it fires, every escalation step the engine would run and whom it
// reaches, and whom the policy's end pages. `pagerd route` prints it and
// `pagerd test` checks policy tests against it; both get it from the
// planner the engine pages by.
type Preview struct {
	At     time.Time
	Labels map[string]string
	// Service owns the alert; nil when none matches (it would be stored
	// as unrouted, paging nobody). Policy is its escalation policy.
	Service *policies.Service
	Policy  *policies.Escalation
	// Held names the maintenance window that holds the alert when it
	// fires ("" when none does), and HeldUntil when paging starts.
	Held      string
	HeldUntil time.Time
	// Plan is every step of every round, from when paging starts.
	Plan Plan
	// LastResort is who is paged when the policy runs out (at
	// Plan.Exhausted), and LastResortWhy why them.
	LastResort    []string
	LastResortWhy string
}

// maxChainedWindows bounds how many back-to-back maintenance windows a
// preview follows.
const maxChainedWindows = 16

// endOfTime is where a preview walks to: every step of every round.
var endOfTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// PreviewAlert previews an alert with labels, sent by integration in (nil:
// any sender; an integration may pin its alerts to a service), firing at
// at.
func PreviewAlert(cfg *policies.Config, in *policies.Integration, labels map[string]string, at time.Time) Preview {
	p := Preview{At: at, Labels: labels}
	p.Service = cfg.ServiceFor(in, labels)
	if p.Service == nil {
		return p
	}
	p.Policy = cfg.Escalation(p.Service.Escalation)
	// An open maintenance window holds the alert, and the ones that
	// follow on at once: the engine pages from when the last closes.
	from := at
	for range maxChainedWindows {
		m, end := cfg.MaintenanceAt(p.Service.Name, labels, from)
		if m == nil {
			break
		}
		if p.Held == "" {
			p.Held = "maintenance:" + m.Name
		}
		from, p.HeldUntil = end, end
	}
	p.Plan = Walk(cfg, p.Policy, State{RunAt: from}, endOfTime)
	if !p.Plan.Exhausted.IsZero() {
		p.LastResort, p.LastResortWhy = cfg.LastResort(p.Service, p.Policy, p.Plan.Exhausted)
	}
	return p
}
