package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Report is what a run found. Its JSON (--json) is stable: fields may be
// added, none renamed.
type Report struct {
	Settings Settings     `json:"settings"`
	Started  time.Time    `json:"started"`
	Faults   []FaultEvent `json:"faults"`
	Alerts   AlertReport  `json:"alerts"`
	Acks     AckReport    `json:"acks"`
	// Pages has one row per fault kind pages are counted under (see
	// harness.groups; "none": before the first fault), then "overall".
	Pages     []PageRow   `json:"pages"`
	Resume    []ResumeRow `json:"redis_resume"`
	Problems  []Problem   `json:"problems"`
	Receivers Receivers   `json:"receivers"`
	Pass      bool        `json:"pass"`
	Failures  []string    `json:"failures"`
}

// Settings are the run's options, as the report shows them.
type Settings struct {
	Replicas      int      `json:"replicas"`
	Duration      string   `json:"duration"`
	Incidents     int      `json:"incidents"`
	Schedule      []string `json:"schedule"`
	Sentinel      bool     `json:"sentinel"`
	WaitReplicas  int      `json:"wait_replicas,omitempty"`
	Seed          uint64   `json:"seed"`
	AlertRate     float64  `json:"alert_rate"`
	StepAfter     string   `json:"step_after"`
	AckShare      float64  `json:"ack_share"`
	MaxLate       string   `json:"max_late,omitempty"`
	MaxDuplicates int      `json:"max_duplicates"`
	MaxResume     string   `json:"max_resume,omitempty"`
}

// AlertReport: every alert pagerd answered 2xx for must be stored.
type AlertReport struct {
	Sent2xx  int            `json:"sent_2xx"`
	Stored   int            `json:"stored"`
	Lost     []string       `json:"lost"` // "fingerprint@incident"
	Refused  map[string]int `json:"refused"`
	Gone     []int64        `json:"incidents_lost"` // answered 2xx for, then 404
	Tracked  int            `json:"incidents"`
	Opened   int            `json:"incidents_opened"`
	Unopened int            `json:"incidents_not_opened"`
}

// AckReport: every acknowledgement answered 200 must hold.
type AckReport struct {
	Planned      int      `json:"planned"`
	Acknowledged int      `json:"acknowledged_200"`
	Stored       int      `json:"stored"`
	Lost         []int64  `json:"lost"`
	Raced        int      `json:"pages_raced"` // due between the request and the acknowledgement, not sent: not expected
	Notes        []string `json:"notes"`
}

// PageRow counts pages by idempotency key.
type PageRow struct {
	Group      string  `json:"group"`
	Expected   int     `json:"expected"`
	Delivered  int     `json:"delivered"`
	Missing    int     `json:"missing"`
	Duplicated int     `json:"duplicated"`  // keys received more than once
	Extra      int     `json:"extra_sends"` // receipts beyond the first
	Unexpected int     `json:"unexpected"`  // receipts nobody should have had
	LateP50    float64 `json:"late_p50_s"`
	LateP95    float64 `json:"late_p95_s"`
	LateP99    float64 `json:"late_p99_s"`
	LateMax    float64 `json:"late_max_s"`
	late       []time.Duration
}

// ResumeRow is how soon pages went out after Redis came back: of the
// pages it held up (due while it was away, or due within a second before
// and not received when it went), the latest first receipt minus the
// moment it answered again.
type ResumeRow struct {
	Fault       int     `json:"fault"` // index into Faults
	Outage      float64 `json:"outage_s"`
	PagesHeld   int     `json:"pages_held"`
	Undelivered int     `json:"undelivered"`
	Resume      float64 `json:"resume_s"` // the longest; 0 when none was held
}

// Problem is one key that went wrong.
type Problem struct {
	What     string      `json:"what"` // missing, duplicate, late, unexpected
	Key      string      `json:"key"`
	Incident int64       `json:"incident"`
	Channel  string      `json:"channel"`
	Who      string      `json:"who"`
	Group    string      `json:"group"`
	Due      time.Time   `json:"due,omitzero"`
	Received []time.Time `json:"received"`
	Late     float64     `json:"late_s"`
}

// Receivers is what the receivers saw besides pages.
type Receivers struct {
	Notices       int      `json:"notices"` // acknowledged notices (not pages)
	BadSignatures int      `json:"bad_signatures"`
	Unreadable    []string `json:"unreadable"`
}

// report counts, per idempotency key, what the planner expected against
// what the receivers took.
func (h *harness) report(start, end time.Time, plan []scheduled) *Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.opts
	r := &Report{Started: start, Faults: h.faults, Settings: Settings{
		Replicas: o.Replicas, Duration: o.Duration.String(), Incidents: o.Incidents, Sentinel: o.Sentinel, WaitReplicas: o.WaitReplicas,
		Seed: o.Seed, AlertRate: o.AlertRate, StepAfter: o.StepAfter.String(), AckShare: o.AckShare,
		MaxDuplicates: o.MaxDuplicates,
	}}
	for _, s := range plan {
		r.Settings.Schedule = append(r.Settings.Schedule, s.String())
	}
	if o.MaxLate > 0 {
		r.Settings.MaxLate = o.MaxLate.String()
	}
	if o.MaxResume > 0 {
		r.Settings.MaxResume = o.MaxResume.String()
	}
	if r.Faults == nil {
		r.Faults = []FaultEvent{}
	}

	ids := make([]int64, 0, len(h.incidents))
	for id := range h.incidents {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	// Alerts: every 2xx must be in its incident.
	r.Alerts.Refused = h.rejected
	r.Alerts.Tracked = len(ids)
	for _, a := range h.alerts {
		r.Alerts.Sent2xx++
		t := h.incidents[a.Incident]
		if t != nil && t.State != nil && !t.Gone && slices.ContainsFunc(t.State.Alerts, func(s storedAlert) bool {
			return s.Fingerprint == a.Fingerprint
		}) {
			r.Alerts.Stored++
			continue
		}
		r.Alerts.Lost = append(r.Alerts.Lost, fmt.Sprintf("%s@%d", a.Fingerprint, a.Incident))
	}
	for _, id := range ids {
		t := h.incidents[id]
		if t.Gone || t.State == nil {
			r.Alerts.Gone = append(r.Alerts.Gone, id)
		}
		if t.Name != "" {
			r.Alerts.Opened++
		}
	}
	r.Alerts.Unopened = o.Incidents - r.Alerts.Opened

	// Acknowledgements.
	for _, id := range ids {
		t := h.incidents[id]
		if t.AckAfter == 0 {
			continue
		}
		r.Acks.Planned++
		if t.AckNote != "" {
			r.Acks.Notes = append(r.Acks.Notes, fmt.Sprintf("#%d: %s", id, t.AckNote))
		}
		if !t.AckOK {
			continue
		}
		r.Acks.Acknowledged++
		if t.State != nil && !t.State.AckedAt.IsZero() {
			r.Acks.Stored++
		} else {
			r.Acks.Lost = append(r.Acks.Lost, id)
		}
	}

	// Pages.
	rows := map[string]*PageRow{}
	row := func(g string) *PageRow {
		if rows[g] == nil {
			rows[g] = &PageRow{Group: g}
		}
		return rows[g]
	}
	overall := &PageRow{Group: "overall"}
	listLate := o.MaxLate
	if listLate == 0 {
		listLate = time.Second
	}
	matched := map[string]bool{}
	type due struct {
		at    time.Time
		first time.Time // zero: never received
	}
	var dues []due
	for _, id := range ids {
		t := h.incidents[id]
		if t.State == nil {
			continue
		}
		groups := h.groups(t.Plan)
		for _, p := range t.Plan {
			rs := h.rec.received(p.Match)
			matched[p.Match] = true
			prob := Problem{Key: p.Key, Incident: p.Incident, Channel: p.Channel, Who: p.Who, Due: p.Due.UTC()}
			for _, rc := range rs {
				prob.Received = append(prob.Received, rc.At.UTC())
			}
			if !required(p, t.State, t.AckTried) {
				after := !t.State.AckedAt.IsZero() && !p.Due.Before(t.State.AckedAt)
				switch {
				case after && len(rs) > 0:
					// Due after the acknowledgement: nobody should get it.
					prob.What, prob.Group = "unexpected", h.groupAt(rs[0].At)
					row(prob.Group).Unexpected += len(rs)
					overall.Unexpected += len(rs)
					r.Problems = append(r.Problems, prob)
				case !after && len(rs) == 0:
					r.Acks.Raced++
				case !after:
					// Raced the acknowledgement and went out: a page
					// like any other.
					h.countPage(row(groups[p.Key]), overall, p, rs, &r.Problems, listLate)
				}
				continue
			}
			dues = append(dues, due{at: p.Due})
			if len(rs) > 0 {
				dues[len(dues)-1].first = rs[0].At
			}
			h.countPage(row(groups[p.Key]), overall, p, rs, &r.Problems, listLate)
		}
	}
	for _, rc := range h.rec.all() {
		if matched[rc.Match] {
			continue
		}
		g := h.groupAt(rc.At)
		row(g).Unexpected++
		overall.Unexpected++
		r.Problems = append(r.Problems, Problem{What: "unexpected", Key: "(" + rc.Channel + " " + rc.ID + ": matches no planned page)",
			Incident: rc.Incident, Channel: rc.Channel, Group: g, Received: []time.Time{rc.At.UTC()}})
	}
	groups := make([]string, 0, len(rows))
	for g := range rows {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool { return groupOrder(groups[i]) < groupOrder(groups[j]) })
	for _, g := range groups {
		r.Pages = append(r.Pages, rows[g].finish())
	}
	r.Pages = append(r.Pages, overall.finish())
	slices.SortStableFunc(r.Problems, func(a, b Problem) int {
		if c := strings.Compare(problemOrder(a.What), problemOrder(b.What)); c != 0 {
			return c
		}
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})

	// Redis outages: how soon after Redis answered again did the pages
	// it held up go out? Those due while it was away, and those due just
	// before (within pagerd's 1s poll) not yet received when it went.
	for i, f := range h.faults {
		if f.Up.IsZero() {
			continue
		}
		rr := ResumeRow{Fault: i, Outage: f.Up.Sub(f.Down).Seconds()}
		var worst time.Duration
		for _, d := range dues {
			if d.at.Before(f.Down.Add(-time.Second)) || !d.at.Before(f.Up) || (!d.first.IsZero() && d.first.Before(f.Down)) {
				continue
			}
			rr.PagesHeld++
			if d.first.IsZero() {
				rr.Undelivered++
				continue
			}
			worst = max(worst, d.first.Sub(f.Up))
		}
		rr.Resume = worst.Seconds()
		r.Resume = append(r.Resume, rr)
	}

	h.rec.mu.Lock()
	r.Receivers = Receivers{Notices: h.rec.notices, BadSignatures: h.rec.badSignatures, Unreadable: h.rec.unreadable}
	h.rec.mu.Unlock()

	for _, l := range []*[]string{&r.Alerts.Lost, &r.Acks.Notes, &r.Receivers.Unreadable} {
		if *l == nil {
			*l = []string{}
		}
	}
	for _, l := range []*[]int64{&r.Alerts.Gone, &r.Acks.Lost} {
		if *l == nil {
			*l = []int64{}
		}
	}
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	if r.Resume == nil {
		r.Resume = []ResumeRow{}
	}
	r.verdict(o)
	return r
}

// countPage counts one expected page, and notes what went wrong with it.
func (h *harness) countPage(row, overall *PageRow, p planned, rs []receipt, problems *[]Problem, listLate time.Duration) {
	prob := Problem{Key: p.Key, Incident: p.Incident, Channel: p.Channel, Who: p.Who, Group: row.Group, Due: p.Due.UTC()}
	for _, rc := range rs {
		prob.Received = append(prob.Received, rc.At.UTC())
	}
	for _, x := range []*PageRow{row, overall} {
		x.Expected++
		switch {
		case len(rs) == 0:
			x.Missing++
		default:
			x.Delivered++
			x.late = append(x.late, rs[0].At.Sub(p.Due))
			if len(rs) > 1 {
				x.Duplicated++
				x.Extra += len(rs) - 1
			}
		}
	}
	switch {
	case len(rs) == 0:
		prob.What = "missing"
		*problems = append(*problems, prob)
		return
	case len(rs) > 1:
		prob.What = "duplicate"
		prob.Late = rs[0].At.Sub(p.Due).Seconds()
		*problems = append(*problems, prob)
	}
	if late := rs[0].At.Sub(p.Due); late > listLate {
		prob.What, prob.Late = "late", late.Seconds()
		*problems = append(*problems, prob)
	}
}

// groups is the fault each page of an incident is counted under: the one
// that caught it in flight; for a page received twice, the one that last
// started before the second copy came (what made it be sent again); for a
// page more than a second late, a fault that started within inFlight
// after it was due (it was being sent then: a page due just before a
// kill, claimed by the killed replica and sent late by the one that took
// its incident over, is the kill's, even while an earlier fault is still
// going on); else the one that last started
// before it was due — unless the incident was already
// held up then (an earlier page more than a second late and still not
// received when this one came due), when it is the fault that held up
// that earlier page: a replica killed mid-escalation delays the rest of
// its incident, whatever happens meanwhile.
func (h *harness) groups(plan []planned) map[string]string {
	byDue := slices.Clone(plan)
	slices.SortStableFunc(byDue, func(a, b planned) int { return a.Due.Compare(b.Due) })
	out := map[string]string{}
	var (
		held        bool      // the incident is held up
		heldGroup   string    // by a fault of this kind
		heldUntil   time.Time // until its late pages arrived
		heldForever bool      // one never did
	)
	caught := map[string]string{} // webhook-id → the fault that caught it
	for _, f := range h.faults {
		if f.Caught != "" {
			caught[f.Caught] = f.Kind
		}
	}
	for _, p := range byDue {
		g := h.groupAt(p.Due)
		if held && (heldForever || heldUntil.After(p.Due)) {
			g = heldGroup
		} else {
			held = false
		}
		rs := h.rec.received(p.Match)
		switch {
		case len(rs) > 1:
			g = h.groupAt(rs[1].At)
		case len(rs) == 1 && rs[0].At.Sub(p.Due) > time.Second:
			if f, ok := h.faultSoonAfter(p.Due); ok {
				g = f
			}
		}
		if k, ok := caught[p.Match]; ok {
			g = k
		}
		out[p.Key] = g
		if len(rs) > 0 && rs[0].At.Sub(p.Due) <= time.Second {
			continue
		}
		if !held {
			held, heldGroup, heldUntil, heldForever = true, g, time.Time{}, false
		}
		if len(rs) == 0 {
			heldForever = true
		} else if rs[0].At.After(heldUntil) {
			heldUntil = rs[0].At
		}
	}
	return out
}

// inFlight is how long after its due time a page may still be on its
// way out (claimed, rendered, sent) on a loaded machine.
const inFlight = 2 * time.Second

// faultSoonAfter is the kind of the first fault that started after t,
// within inFlight.
func (h *harness) faultSoonAfter(t time.Time) (string, bool) {
	for _, f := range h.faults {
		if f.Start.After(t) && !f.Start.After(t.Add(inFlight)) {
			return f.Kind, true
		}
	}
	return "", false
}

// groupAt is the fault kind that last started at or before t ("none"
// before the first).
func (h *harness) groupAt(t time.Time) string {
	g := faultNone
	for _, f := range h.faults {
		if !f.Start.After(t) {
			g = f.Kind
		}
	}
	return g
}

func groupOrder(g string) int {
	if i := slices.Index(faultKinds, g); i >= 0 {
		return i + 1
	}
	return 0 // none
}

func problemOrder(what string) string {
	return map[string]string{"missing": "0", "unexpected": "1", "duplicate": "2", "late": "3"}[what]
}

func (r *PageRow) finish() PageRow {
	slices.Sort(r.late)
	r.LateP50, r.LateP95, r.LateP99 = pct(r.late, 50), pct(r.late, 95), pct(r.late, 99)
	if n := len(r.late); n > 0 {
		r.LateMax = r.late[n-1].Seconds()
	}
	return *r
}

// pct is the p-th percentile (nearest rank) of sorted, in seconds.
func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(i, 0)].Seconds()
}
