package schedules

import "time"

func (l *Layer) loc(s *Schedule) *time.Location {
	switch {
	case l.Location != nil:
		return l.Location
	case s.Location != nil:
		return s.Location
	}
	return time.UTC
}

func (l *Layer) onCallCount() int {
	n := max(l.OnCall, 1)
	return min(n, len(l.Users))
}

// handoff returns the instant of handoff k >= 0: Start plus k lengths. For
// calendar lengths it is Start's wall clock k*days later, resolved with the
// DST rules of resolveDate; handoff 0 is Start itself.
func (l *Layer) handoff(k int, loc *time.Location) time.Time {
	if k == 0 {
		return l.Start
	}
	if d := l.Every.Duration; d > 0 {
		return l.Start.Add(time.Duration(k) * d)
	}
	st := l.Start.In(loc)
	y, m, d := st.Date()
	hh, mm, ss := st.Clock()
	return resolveDate(y, m, d+k*l.Every.calendarDays(), hh, mm, ss, st.Nanosecond(), loc)
}

// step returns k such that handoff(k) <= t < handoff(k+1), for t >= Start,
// by arithmetic: elapsed time over the length, or the difference of local
// calendar dates over the days, then a correction of at most a step or two
// for wall-clock times near the handoff.
func (l *Layer) step(t time.Time, loc *time.Location) int {
	if d := l.Every.Duration; d > 0 {
		return int(t.Sub(l.Start) / d)
	}
	days := l.Every.calendarDays()
	k := floorDiv(dayNumber(t.In(loc))-dayNumber(l.Start.In(loc)), days)
	k = max(k, 0)
	for k > 0 && t.Before(l.handoff(k, loc)) {
		k--
	}
	for !t.Before(l.handoff(k+1, loc)) {
		k++
	}
	return k
}

// dayNumber is the civil date of t's wall clock as days since 1970-01-01.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// activeAt reports whether local (a time in the layer's zone) falls inside
// one of the restriction windows, judged by its wall clock. A window with To
// not after From runs past midnight into the next day: Mon 18:00–09:00 ends
// Tue 09:00, and From == To is a whole day from From.
func (l *Layer) activeAt(local time.Time) bool {
	hh, mm, ss := local.Clock()
	sec := hh*3600 + mm*60 + ss
	wd := local.Weekday()
	for _, r := range l.Restrictions {
		from, to := int(r.From)*60, int(r.To)*60
		if from < to {
			if sec >= from && sec < to && r.on(wd) {
				return true
			}
			continue
		}
		if (sec >= from && r.on(wd)) || (sec < to && r.on((wd+6)%7)) {
			return true
		}
	}
	return false
}

func (r Restriction) on(d time.Weekday) bool {
	if len(r.Days) == 0 {
		return true
	}
	for _, x := range r.Days {
		if x == d {
			return true
		}
	}
	return false
}

// cuts calls add with every instant in (from, to) where this layer's answer
// may change: its start, its handoffs, the edges of its restriction windows
// (every occurrence of each edge's wall clock) and its zone's transitions
// (where wall clocks jump).
func (l *Layer) cuts(s *Schedule, from, to time.Time, add func(time.Time)) {
	if len(l.Users) == 0 || l.Every.validate() != nil || !l.Start.Before(to) {
		return
	}
	loc := l.loc(s)
	add(l.Start)
	begin := from
	if begin.Before(l.Start) {
		begin = l.Start
	}
	for k := l.step(begin, loc) + 1; ; k++ {
		h := l.handoff(k, loc)
		if !h.Before(to) {
			break
		}
		add(h)
	}
	if len(l.Restrictions) == 0 {
		return
	}
	for t := begin; t.Before(to); {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() {
			break
		}
		add(end)
		t = end
	}
	var clocks []ClockTime
	for _, r := range l.Restrictions {
		clocks = append(clocks, r.From, r.To)
	}
	first := begin.In(loc)
	y, m, d := first.Date()
	last := dayNumber(to.In(loc)) + 1
	for i := -1; ; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		if int(day.Unix()/86400) > last {
			break
		}
		for _, c := range clocks {
			wallInstants(day.Year(), day.Month(), day.Day(), int(c), loc, add)
		}
	}
}

// wallInstants calls add with every instant whose wall clock in loc is the
// given date and minute of day (24:00 is the next midnight): none, one, or
// two on a fall-back day. A wall clock in a spring-forward gap has none; the
// zone transition is a cut of its own.
func wallInstants(y int, m time.Month, d, minute int, loc *time.Location, add func(time.Time)) {
	wall := time.Date(y, m, d, 0, minute, 0, 0, time.UTC)
	guess := time.Date(y, m, d, 0, minute, 0, 0, loc)
	start, end := guess.ZoneBounds()
	if start.IsZero() && end.IsZero() {
		add(guess)
		return
	}
	ps := []period{periodOf(guess)}
	if !start.IsZero() {
		ps = append(ps, periodOf(start.Add(-time.Second).In(loc)))
	}
	if !end.IsZero() {
		ps = append(ps, periodOf(end.In(loc)))
	}
	for _, p := range ps {
		if u := wall.Add(-time.Duration(p.offset) * time.Second); p.contains(u) {
			add(u)
		}
	}
}
