package schedules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Assignment says who is on call and why: through the rotation layer named
// Layer, or through an override (Override true, Layer "").
type Assignment struct {
	User     string
	Layer    string
	Override bool
}

// Shift is a contiguous stretch of one user on call in one schedule for one
// reason: a layer (Layer) or an override (Override true, Layer "").
type Shift struct {
	Schedule string
	User     string
	Layer    string
	Override bool
	Start    time.Time
	End      time.Time // exclusive
}

// Gap is a stretch [Start, End) when nobody is on call.
type Gap struct{ Start, End time.Time }

// winner is who resolves an instant: the override at index override, or the
// rotation step k of layer layer; both -1 when nobody is on call.
type winner struct {
	override int
	layer    int
	k        int
}

var nobody = winner{override: -1, layer: -1}

// resolve finds what decides instant t, in O(layers + overrides): the
// later-defined active override, else the highest layer that has started
// and is inside one of its restriction windows.
func (s *Schedule) resolve(t time.Time) winner {
	for i := len(s.Overrides) - 1; i >= 0; i-- {
		o := &s.Overrides[i]
		if o.User != "" && !t.Before(o.From) && t.Before(o.To) {
			return winner{override: i, layer: -1}
		}
	}
	for i := len(s.Layers) - 1; i >= 0; i-- {
		l := &s.Layers[i]
		if len(l.Users) == 0 || l.Every.validate() != nil || t.Before(l.Start) {
			continue
		}
		loc := l.loc(s)
		if len(l.Restrictions) > 0 && !l.activeAt(t.In(loc)) {
			continue
		}
		return winner{override: -1, layer: i, k: l.step(t, loc)}
	}
	return nobody
}

// assignments lists who w puts on call, in rotation order, without repeats.
func (s *Schedule) assignments(w winner, dst []Assignment) []Assignment {
	switch {
	case w.override >= 0:
		return append(dst, Assignment{User: s.Overrides[w.override].User, Override: true})
	case w.layer >= 0:
		l := &s.Layers[w.layer]
		n := len(l.Users)
		start := len(dst)
		for j := range l.onCallCount() {
			u := l.Users[(w.k+j)%n]
			if !slices.ContainsFunc(dst[start:], func(a Assignment) bool { return a.User == u }) {
				dst = append(dst, Assignment{User: u, Layer: l.Name})
			}
		}
	}
	return dst
}

// OnCallAt returns who is on call at t and why. Overrides beat every layer
// (the later-defined of overlapping overrides wins, and it alone is on call);
// otherwise the highest layer that has started and is inside one of its
// restriction windows decides, with its OnCall users in rotation order.
// Nobody on call is an empty result.
func (s *Schedule) OnCallAt(t time.Time) []Assignment {
	return s.assignments(s.resolve(t), nil)
}

// UsersAt returns the users on call at t, as OnCallAt orders them.
func (s *Schedule) UsersAt(t time.Time) []string {
	as := s.OnCallAt(t)
	users := make([]string, len(as))
	for i, a := range as {
		users[i] = a.User
	}
	return users
}

// Shifts returns who is on call in [from, to), clipped to it. Back-to-back
// pieces of one user for the same reason (same layer, or override) merge into
// one shift: a one-person daily rotation is one long shift, not one a day.
// A change of reason (layer to override, or layer to layer) starts a new
// shift. Sorted by Start, then User, then Layer.
func (s *Schedule) Shifts(from, to time.Time) []Shift {
	var shifts []Shift
	open := map[Assignment]int{} // reason → index of its shift still running
	var buf []Assignment
	s.sweep(from, to, func(start, end time.Time, w winner) {
		buf = s.assignments(w, buf[:0])
		for _, a := range buf {
			if i, ok := open[a]; ok && shifts[i].End.Equal(start) {
				shifts[i].End = end
				continue
			}
			open[a] = len(shifts)
			shifts = append(shifts, Shift{Schedule: s.Name, User: a.User, Layer: a.Layer, Override: a.Override, Start: start, End: end})
		}
	})
	sortShifts(shifts)
	return shifts
}

func sortShifts(shifts []Shift) {
	slices.SortStableFunc(shifts, func(a, b Shift) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.User, b.User),
			cmp.Compare(a.Schedule, b.Schedule), cmp.Compare(a.Layer, b.Layer))
	})
}

// ShiftStarts returns the moments in [from, to) when a user goes on call in
// this schedule having not been on call in it the instant before: the
// moments worth a "your shift starts in an hour" notice. A user handed on
// without a break (layer to layer, layer to override, or a one-person
// rotation's handoff to themselves) is not starting a shift. Layer and
// Override say why the user is on call at Start; End is when that unbroken
// stretch ends, clipped to to (ask Shifts for more). Sorted like Shifts.
//
// A notifier looks ahead, e.g. ShiftStarts(now, now+1h) on every tick, and
// sends at most once per (Schedule, User, Start); the answer depends only on
// the schedule, so every replica computes the same keys.
func (s *Schedule) ShiftStarts(from, to time.Time) []Shift {
	if !from.Before(to) {
		return nil
	}
	before := map[string]bool{}
	for _, u := range s.UsersAt(from.Add(-time.Nanosecond)) {
		before[u] = true
	}
	var shifts []Shift
	open := map[string]int{} // user → index of their stretch still running
	var buf []Assignment
	s.sweep(from, to, func(start, end time.Time, w winner) {
		buf = s.assignments(w, buf[:0])
		for _, a := range buf {
			if i, ok := open[a.User]; ok && shifts[i].End.Equal(start) {
				shifts[i].End = end
				continue
			}
			open[a.User] = len(shifts)
			shifts = append(shifts, Shift{Schedule: s.Name, User: a.User, Layer: a.Layer, Override: a.Override, Start: start, End: end})
		}
	})
	shifts = slices.DeleteFunc(shifts, func(sh Shift) bool { return sh.Start.Equal(from) && before[sh.User] })
	sortShifts(shifts)
	return shifts
}

// Gaps returns the stretches of [from, to) when nobody is on call, merged
// and in order.
func (s *Schedule) Gaps(from, to time.Time) []Gap {
	var gaps []Gap
	s.sweep(from, to, func(start, end time.Time, w winner) {
		if w != nobody {
			return
		}
		if n := len(gaps); n > 0 && gaps[n-1].End.Equal(start) {
			gaps[n-1].End = end
			return
		}
		gaps = append(gaps, Gap{Start: start, End: end})
	})
	return gaps
}

// sweep cuts [from, to) at every instant where the answer may change —
// handoffs, layer starts, restriction window edges, zone transitions,
// override edges — and calls fn for each piece with what decides it.
func (s *Schedule) sweep(from, to time.Time, fn func(start, end time.Time, w winner)) {
	if !from.Before(to) {
		return
	}
	cuts := []time.Time{from, to}
	add := func(t time.Time) {
		if t.After(from) && t.Before(to) {
			cuts = append(cuts, t)
		}
	}
	for _, o := range s.Overrides {
		add(o.From)
		add(o.To)
	}
	for i := range s.Layers {
		s.Layers[i].cuts(s, from, to, add)
	}
	slices.SortFunc(cuts, time.Time.Compare)
	cuts = slices.CompactFunc(cuts, time.Time.Equal)
	for i := 0; i+1 < len(cuts); i++ {
		fn(cuts[i], cuts[i+1], s.resolve(cuts[i]))
	}
}

// OverlappingOverrides returns the index pairs [i, j], i < j, of overrides
// whose intervals overlap; where they do, j (the later-defined) wins.
// Sorted by i, then j.
func (s *Schedule) OverlappingOverrides() [][2]int {
	var pairs [][2]int
	for i, a := range s.Overrides {
		for j := i + 1; j < len(s.Overrides); j++ {
			b := s.Overrides[j]
			if a.From.Before(b.To) && b.From.Before(a.To) && a.From.Before(a.To) && b.From.Before(b.To) {
				pairs = append(pairs, [2]int{i, j})
			}
		}
	}
	return pairs
}

// Validate reports everything that makes s ill-formed, joined. The query
// methods do not panic on an invalid schedule: a layer with no users, a bad
// length or no start covers nothing, and an empty override is ignored.
func (s *Schedule) Validate() error {
	var errs []error
	for i, l := range s.Layers {
		name := l.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("schedule %q: rotation %q: %s", s.Name, name, fmt.Sprintf(format, args...)))
		}
		if len(l.Users) == 0 {
			bad("no users")
		}
		if err := l.Every.validate(); err != nil {
			bad("%v", err)
		}
		if l.Start.IsZero() {
			bad("no start")
		} else if l.Start.Before(EarliestStart) || !l.Start.Before(LatestStart) {
			bad("start %s: want a date from %d to %d", l.Start.Format(time.DateOnly), EarliestStart.Year(), LatestStart.Year()-1)
		}
		if l.OnCall < 0 || l.OnCall > len(l.Users) {
			bad("on_call = %d, want 1 to %d (the number of users)", l.OnCall, len(l.Users))
		}
		for _, r := range l.Restrictions {
			if r.From < 0 || r.From >= EndOfDay {
				bad("restriction from %s: want 00:00 to 23:59", r.From)
			}
			if r.To < 0 || r.To > EndOfDay {
				bad("restriction to %s: want 00:00 to 24:00", r.To)
			}
			for _, d := range r.Days {
				if d < time.Sunday || d > time.Saturday {
					bad("restriction day %d: not a weekday", d)
				}
			}
		}
	}
	for i, o := range s.Overrides {
		if o.User == "" {
			errs = append(errs, fmt.Errorf("schedule %q: override #%d: no user", s.Name, i+1))
		}
		if !o.From.Before(o.To) {
			errs = append(errs, fmt.Errorf("schedule %q: override #%d (%s): from %s is not before to %s",
				s.Name, i+1, o.User, o.From.Format(time.RFC3339), o.To.Format(time.RFC3339)))
		}
	}
	return errors.Join(errs...)
}

// UserShifts returns user's shifts in [from, to) across scheds, sorted by
// Start, then Schedule.
func UserShifts(user string, scheds []*Schedule, from, to time.Time) []Shift {
	var out []Shift
	for _, s := range scheds {
		for _, sh := range s.Shifts(from, to) {
			if sh.User == user {
				out = append(out, sh)
			}
		}
	}
	sortShifts(out)
	return out
}
