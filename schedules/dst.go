package schedules

import "time"

// resolveWall turns a wall clock (the fields of w, whatever its zone) into an
// instant in loc, with pagerd's DST rules, which time.Date does not promise:
//   - a wall clock inside a spring-forward gap moves forward by the length of
//     the gap (02:30 → 03:30 EDT), i.e. it is read with the offset in force
//     before the transition;
//   - a wall clock that happens twice is its first occurrence.
func resolveWall(w time.Time, loc *time.Location) time.Time {
	y, mo, d := w.Date()
	h, mi, s := w.Clock()
	return resolveDate(y, mo, d, h, mi, s, w.Nanosecond(), loc)
}

func resolveDate(y int, mo time.Month, d, h, mi, s, ns int, loc *time.Location) time.Time {
	wall := time.Date(y, mo, d, h, mi, s, ns, time.UTC) // wall clock as if UTC
	guess := time.Date(y, mo, d, h, mi, s, ns, loc)
	start, end := guess.ZoneBounds()
	if start.IsZero() && end.IsZero() {
		return guess // fixed offset: no transitions
	}
	// Candidate zone periods: the one time.Date picked and its neighbours.
	// Transitions are weeks apart, so a wall clock's instants lie in these.
	var periods [3]period
	periods[1] = periodOf(guess)
	n := 1
	if !start.IsZero() {
		periods[0] = periodOf(start.Add(-time.Second).In(loc))
		n = 0
	}
	last := 2
	if !end.IsZero() {
		periods[2] = periodOf(end.In(loc))
	} else {
		last = 1
	}
	for i := n; i <= last; i++ { // earliest valid instant: first occurrence
		p := periods[i]
		u := wall.Add(-time.Duration(p.offset) * time.Second)
		if p.contains(u) {
			return u.In(loc)
		}
	}
	// In a gap between consecutive periods a and b: read with a's offset.
	for i := n; i < last; i++ {
		a := periods[i]
		u := wall.Add(-time.Duration(a.offset) * time.Second)
		if !u.Before(a.end) {
			b := periods[i+1]
			if wall.Add(-time.Duration(b.offset) * time.Second).Before(b.start) {
				return u.In(loc)
			}
		}
	}
	return guess
}

// period is a span of constant UTC offset; zero start/end mean unbounded.
type period struct {
	start, end time.Time
	offset     int
}

func periodOf(t time.Time) period {
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	return period{start: s, end: e, offset: off}
}

func (p period) contains(u time.Time) bool {
	return (p.start.IsZero() || !u.Before(p.start)) && (p.end.IsZero() || u.Before(p.end))
}
