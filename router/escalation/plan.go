// Package escalation plans an incident's escalation: which steps of its
// policy have started by a given moment, whom each reaches, which
// notifications they make due and when the next thing happens. It is a
// pure function of the incident's state, the policy, the schedules and the
// time — no I/O — shared by the engine, which pages, and by `pagerd route`,
// which shows what the engine would do.
package escalation

import (
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/pagerd/pagerd/policies"
)

// State is what planning needs to know about an incident.
type State struct {
	Incident int64
	Run      int       // the escalation run; it grows when an ack times out
	RunAt    time.Time // when the run began
	// Escalations are the times, during the run, someone asked to
	// escalate now: each starts the step after the current one at once.
	Escalations []time.Time
	// Suppressed says why every alert firing in the incident is muted (a
	// silence, a maintenance window, an inhibition rule); while it is not
	// "", the incident pages nobody. When it clears, a new run starts.
	Suppressed string
	// FoldedInto is the storm incident the incident was folded into; a
	// folded incident pages nobody: its storm pages for it.
	FoldedInto int64
}

// Pages reports whether an incident in this state pages anyone at all.
func (st State) Pages() bool { return st.FoldedInto == 0 && st.Suppressed == "" }

// Step is one escalation step that has started.
type Step struct {
	Round int // which pass over the policy, 0 first (see Escalation.Repeat)
	Index int // position in the policy, 0 first
	// ID names the step by its content, so that editing a policy
	// mid-incident does not page again for steps that already ran.
	ID    string
	Key   string // the idempotency-key prefix of its notifications
	Start time.Time
	// Forced: it started early because someone escalated.
	Forced bool
	// People are the users it reaches, once each, in target order.
	People []string
	// Destinations are the channels' own destinations it notifies.
	Destinations []policies.Target
}

// Empty reports whether the step reaches nobody (a schedule gap, say).
func (s Step) Empty() bool { return len(s.People) == 0 && len(s.Destinations) == 0 }

// Delivery is one notification a started step makes: a user's
// notification rule, or a destination.
type Delivery struct {
	Key  string    // idempotency key: step, recipient, rule, channel
	At   time.Time // when it is due
	Step int       // index into Plan.Steps
	// Round and Index are its step's pass over the policy and place in
	// it (0 first), for what the timeline says of it.
	Round, Index int
	// User is the person it goes to; nil for a destination.
	User *policies.User
	// Via is the channel: the rule's for a person, the destination's own
	// for a destination.
	Via         string
	After       time.Duration // the rule's delay after the step started
	Destination string        // the destination's name; "" for a person
}

// Plan is what an escalation has done by a moment, and what comes next.
type Plan struct {
	Steps      []Step     // every step started by then, in order
	Deliveries []Delivery // what those steps notify, in step order
	// Next is when the next step starts; zero when every step of every
	// round has started.
	Next time.Time
	// Exhausted is when the policy has run out, once every step of every
	// round has started: when another round would have begun (the last
	// step's start plus RepeatAfter, at least a minute, and no earlier than
	// its last notification), or at once when someone escalated during
	// the last step. Zero while steps remain. Whether the incident is
	// still unacknowledged then is the caller's to know.
	Exhausted time.Time
	// Rounds is how many passes over the policy there are in all.
	Rounds int
}

// Exhausted reports, in words, that pol ran out after its rounds with
// nobody acknowledging: "escalation payments exhausted after 2 rounds;
// nobody acknowledged".
func Exhausted(pol *policies.Escalation) string {
	rounds := "1 round"
	if pol.Repeat > 0 {
		rounds = fmt.Sprintf("%d rounds", pol.Repeat+1)
	}
	return fmt.Sprintf("escalation %s exhausted after %s; nobody acknowledged", pol.Name, rounds)
}

// Walk plans pol for an incident in state st, up to until. A step's after
// counts from the start of the step before it (the first step's from the
// run's start; a repeat's first step from the last step, after
// RepeatAfter). A step that reaches nobody is passed through at once
// rather than paging nobody, and an escalation request starts the next
// step at the moment it was made. An incident that pages nobody (folded
// into a storm, or suppressed) has an empty plan.
func Walk(cfg *policies.Config, pol *policies.Escalation, st State, until time.Time) Plan {
	var p Plan
	if pol == nil || len(pol.Steps) == 0 || !st.Pages() {
		return p
	}
	p.Rounds = pol.Repeat + 1
	ids := stepIDs(pol)
	forced := slices.Clone(st.Escalations)
	slices.SortFunc(forced, func(a, b time.Time) int { return a.Compare(b) })
	start := st.RunAt
	for round := 0; round <= pol.Repeat; round++ {
		for i, step := range pol.Steps {
			first := round == 0 && i == 0
			isForced := false
			if !first {
				due := start.Add(step.After)
				switch {
				case round > 0 && i == 0:
					due = start.Add(max(pol.RepeatAfter, time.Minute))
				case p.Steps[len(p.Steps)-1].Empty():
					due = start // the step before reached nobody
				}
				// The earliest escalation request made while the step
				// before ran starts this one early.
				for len(forced) > 0 && forced[0].Before(start) {
					forced = forced[1:] // made before the current step: spent
				}
				if len(forced) > 0 && forced[0].Before(due) {
					due, isForced = forced[0], true
					forced = forced[1:]
				}
				start = due
			}
			if start.After(until) {
				p.Next = start
				return p
			}
			s := Step{
				Round: round, Index: i, ID: ids[i], Start: start, Forced: isForced,
				Key: fmt.Sprintf("%d:%d:%d:%s", st.Incident, st.Run, round, ids[i]),
			}
			s.People, s.Destinations = reach(cfg, step, start)
			p.Steps = append(p.Steps, s)
			p.Deliveries = append(p.Deliveries, deliveries(cfg, s, len(p.Steps)-1)...)
		}
	}
	p.Exhausted = start.Add(max(pol.RepeatAfter, time.Minute))
	for _, d := range p.Deliveries {
		p.Exhausted = latest(p.Exhausted, d.At)
	}
	for _, f := range forced {
		if !f.Before(start) {
			// Escalating from the last step asks for more than the policy
			// has: it has run out.
			p.Exhausted = earliestOf(p.Exhausted, f)
			break
		}
	}
	return p
}

func earliestOf(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Due splits a plan's deliveries at now: those due by now that done does
// not hold, and when the next thing happens (a later rule of a started
// step, or the next step; zero: nothing more).
func (p Plan) Due(now time.Time, done map[string]bool) (due []Delivery, next time.Time) {
	next = p.Next
	for _, d := range p.Deliveries {
		switch {
		case d.At.After(now):
			if next.IsZero() || d.At.Before(next) {
				next = d.At
			}
		case !done[d.Key]:
			due = append(due, d)
		}
	}
	return due, next
}

// reach is whom a step notifies at start: each person once, in target
// order, and each destination.
func reach(cfg *policies.Config, step policies.EscalationStep, start time.Time) ([]string, []policies.Target) {
	seen := map[string]bool{}
	var people []string
	var dests []policies.Target
	for _, t := range step.Targets {
		if !t.IsPerson() {
			dests = append(dests, t)
			continue
		}
		for _, u := range cfg.UsersFor(t, start) {
			if !seen[u] {
				seen[u] = true
				people = append(people, u)
			}
		}
	}
	return people, dests
}

// deliveries expands a step into its notifications: every rule of every
// person, and every destination at the step's start.
func deliveries(cfg *policies.Config, s Step, index int) []Delivery {
	var out []Delivery
	for _, name := range s.People {
		user := cfg.Users[name]
		if user == nil {
			continue
		}
		for _, rule := range user.NotifyRules() {
			out = append(out, Delivery{
				Key: fmt.Sprintf("%s:%s:%s@%s", s.Key, name, rule.Via, rule.After),
				At:  s.Start.Add(rule.After), Step: index, Round: s.Round, Index: s.Index,
				User: user, Via: rule.Via, After: rule.After,
			})
		}
	}
	for _, t := range s.Destinations {
		out = append(out, Delivery{
			Key: s.Key + ":" + t.String(), At: s.Start, Step: index, Round: s.Round, Index: s.Index,
			Via: t.Kind, Destination: t.Name,
		})
	}
	return out
}

// stepIDs names each step of a policy by its content (delay and targets);
// identical steps are told apart by their occurrence.
func stepIDs(pol *policies.Escalation) []string {
	ids := make([]string, len(pol.Steps))
	seen := map[string]int{}
	for i, step := range pol.Steps {
		h := fnv.New32a()
		fmt.Fprint(h, step.After)
		for _, t := range step.Targets {
			fmt.Fprint(h, "|", t.String())
		}
		id := fmt.Sprintf("%08x", h.Sum32())
		if n := seen[id]; n > 0 {
			ids[i] = fmt.Sprintf("%s.%d", id, n)
		} else {
			ids[i] = id
		}
		seen[id]++
	}
	return ids
}
