package schedules

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Zones with DST both ways, half-hour offsets, a 30-minute DST shift
// (Lord Howe) and transitions at midnight (Santiago).
var propertyZones = []string{
	"UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata",
	"Australia/Lord_Howe", "America/Santiago",
}

func randomSchedule(r *rand.Rand, locs []*time.Location) *Schedule {
	loc := locs[r.IntN(len(locs))]
	s := &Schedule{Name: "rand", Location: loc}
	pool := []string{"a", "b", "c", "d", "e"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1 + r.IntN(4) {
		l := Layer{Name: string(rune('A' + i))}
		if r.IntN(4) == 0 {
			l.Location = locs[r.IntN(len(locs))]
		}
		for range 1 + r.IntN(4) {
			l.Users = append(l.Users, pool[r.IntN(len(pool))])
		}
		l.OnCall = r.IntN(len(l.Users) + 1)
		switch r.IntN(4) {
		case 0:
			l.Every = ShiftLength{Days: 1 + r.IntN(3)}
		case 1:
			l.Every = ShiftLength{Weeks: 1 + r.IntN(2)}
		case 2:
			l.Every = ShiftLength{Weeks: r.IntN(2), Days: 1 + r.IntN(6)}
		default:
			l.Every = ShiftLength{Duration: []time.Duration{90 * time.Minute, 8 * time.Hour, 12 * time.Hour, 25 * time.Hour}[r.IntN(4)]}
		}
		// Start on a minute, often in the small hours where DST happens.
		hour := r.IntN(24)
		if r.IntN(2) == 0 {
			hour = r.IntN(4)
		}
		sl := l.Location
		if sl == nil {
			sl = loc
		}
		day := base.AddDate(0, 0, r.IntN(300))
		l.Start = resolveDate(day.Year(), day.Month(), day.Day(), hour, r.IntN(4)*15, 0, 0, sl)
		for range r.IntN(3) {
			var rs Restriction
			for d := range 7 {
				if r.IntN(2) == 0 {
					rs.Days = append(rs.Days, time.Weekday(d))
				}
			}
			rs.From = ClockTime(r.IntN(48) * 30)
			rs.To = ClockTime(r.IntN(49) * 30)
			l.Restrictions = append(l.Restrictions, rs)
		}
		s.Layers = append(s.Layers, l)
	}
	for range r.IntN(4) {
		from := base.Add(time.Duration(r.IntN(400*24*4)) * 15 * time.Minute)
		s.Overrides = append(s.Overrides, Override{User: pool[r.IntN(len(pool))], From: from, To: from.Add(time.Duration(1+r.IntN(96)) * 30 * time.Minute)})
	}
	return s
}

// refResolve is a slow, independent statement of the DST rules: try every
// instant on a 15-minute grid around the wall clock (all offsets in use are
// multiples of 15 minutes) and keep the earliest one showing that wall
// clock; if none does, the wall clock is in a gap, and is read with the
// offset in force just before the first instant whose wall clock passes it.
func refResolve(y int, m time.Month, d, hh, mm int, loc *time.Location) time.Time {
	wall := time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
	wallOf := func(u time.Time) time.Time {
		l := u.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
	}
	lo := wall.Add(-15 * time.Hour)
	for u := lo; u.Before(wall.Add(15 * time.Hour)); u = u.Add(15 * time.Minute) {
		if wallOf(u).Equal(wall) {
			return u.In(loc)
		}
	}
	for u := lo; ; u = u.Add(15 * time.Minute) {
		if wallOf(u).After(wall) {
			_, off := u.Add(-15 * time.Minute).In(loc).Zone()
			return wall.Add(-time.Duration(off) * time.Second).In(loc)
		}
	}
}

// refHandoffs steps from Start through every handoff up to horizon.
func refHandoffs(s *Schedule, l *Layer, horizon time.Time) []time.Time {
	loc := l.loc(s)
	hs := []time.Time{l.Start}
	st := l.Start.In(loc)
	for k := 1; ; k++ {
		var h time.Time
		if l.Every.Duration > 0 {
			h = hs[k-1].Add(l.Every.Duration)
		} else {
			day := time.Date(st.Year(), st.Month(), st.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, k*l.Every.calendarDays())
			h = refResolve(day.Year(), day.Month(), day.Day(), st.Hour(), st.Minute(), loc)
		}
		hs = append(hs, h)
		if h.After(horizon) {
			return hs
		}
	}
}

// refActive: is the wall clock of t within a window opened today or
// yesterday?
func refActive(l *Layer, t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	wall := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
	for _, r := range l.Restrictions {
		for back := 0; back <= 1; back++ {
			day := time.Date(lt.Year(), lt.Month(), lt.Day()-back, 0, 0, 0, 0, time.UTC)
			if len(r.Days) > 0 && !slices.Contains(r.Days, day.Weekday()) {
				continue
			}
			open := day.Add(time.Duration(r.From) * time.Minute)
			end := day.Add(time.Duration(r.To) * time.Minute)
			if r.To <= r.From {
				end = end.AddDate(0, 0, 1)
			}
			if !wall.Before(open) && wall.Before(end) {
				return true
			}
		}
	}
	return false
}

// refUsers is who is on call at t by brute force.
func refUsers(s *Schedule, handoffs [][]time.Time, t time.Time) string {
	for i := len(s.Overrides) - 1; i >= 0; i-- {
		if o := s.Overrides[i]; !t.Before(o.From) && t.Before(o.To) {
			return o.User
		}
	}
	for i := len(s.Layers) - 1; i >= 0; i-- {
		l := &s.Layers[i]
		if t.Before(l.Start) || (len(l.Restrictions) > 0 && !refActive(l, t, l.loc(s))) {
			continue
		}
		// handoffs[i] was built by stepping from Start; find t's step in it.
		k := sort.Search(len(handoffs[i]), func(j int) bool { return handoffs[i][j].After(t) }) - 1
		var users []string
		n := max(1, l.OnCall)
		for j := 0; j < n && j < len(l.Users); j++ {
			if u := l.Users[(k+j)%len(l.Users)]; !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
		return strings.Join(users, ",")
	}
	return ""
}

func loadZones(t testing.TB) []*time.Location {
	var locs []*time.Location
	for _, z := range propertyZones {
		locs = append(locs, mustLoad(t, z))
	}
	return locs
}

func TestPropertyOnCallMatchesReference(t *testing.T) {
	locs := loadZones(t)
	r := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC)
	hi := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	for n := range 300 {
		s := randomSchedule(r, locs)
		handoffs := make([][]time.Time, len(s.Layers))
		for i := range s.Layers {
			handoffs[i] = refHandoffs(s, &s.Layers[i], hi.AddDate(0, 0, 60))
		}
		var samples []time.Time
		for range 40 {
			samples = append(samples, lo.Add(time.Duration(r.Int64N(int64(hi.Sub(lo))))))
		}
		for i := range s.Layers { // handoffs and the instants around them
			for _, h := range handoffs[i] {
				if h.After(hi) {
					break
				}
				samples = append(samples, h, h.Add(-time.Nanosecond))
			}
		}
		for _, o := range s.Overrides {
			samples = append(samples, o.From, o.To, o.To.Add(-time.Nanosecond))
		}
		for _, tm := range samples {
			if got, want := strings.Join(s.UsersAt(tm), ","), refUsers(s, handoffs, tm); got != want {
				t.Fatalf("schedule %d (%s): UsersAt(%s) = %q, reference %q\n%+v", n, s.Location, tm.Format(time.RFC3339Nano), got, want, s)
			}
		}
	}
}

// TestPropertyShiftsAgreeWithOnCall: shifts of one reason never overlap or
// touch (they would have merged), every instant is covered by exactly the
// shifts of the users OnCallAt names, and gaps are exactly the rest.
func TestPropertyShiftsAgreeWithOnCall(t *testing.T) {
	locs := loadZones(t)
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 200 {
		s := randomSchedule(r, locs)
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(300*24)) * time.Hour)
		to := from.Add(time.Duration(1+r.IntN(60*24)) * time.Hour)
		shifts := s.Shifts(from, to)
		gaps := s.Gaps(from, to)
		byReason := map[Assignment][]Shift{}
		for i, sh := range shifts {
			if !sh.Start.Before(sh.End) || sh.Start.Before(from) || sh.End.After(to) {
				t.Fatalf("schedule %d: bad shift %+v in [%s, %s)", n, sh, from, to)
			}
			if i > 0 && shifts[i-1].Start.After(sh.Start) {
				t.Fatalf("schedule %d: shifts not sorted", n)
			}
			key := Assignment{User: sh.User, Layer: sh.Layer, Override: sh.Override}
			if prev := byReason[key]; len(prev) > 0 && !prev[len(prev)-1].End.Before(sh.Start) {
				t.Fatalf("schedule %d: %+v overlaps or touches %+v", n, prev[len(prev)-1], sh)
			}
			byReason[key] = append(byReason[key], sh)
		}
		var samples []time.Time
		for _, sh := range shifts {
			samples = append(samples, sh.Start, sh.End.Add(-time.Nanosecond))
		}
		for range 30 {
			samples = append(samples, from.Add(time.Duration(r.Int64N(int64(to.Sub(from))))))
		}
		for _, tm := range samples {
			var fromShifts []Assignment
			for _, sh := range shifts {
				if !tm.Before(sh.Start) && tm.Before(sh.End) {
					fromShifts = append(fromShifts, Assignment{User: sh.User, Layer: sh.Layer, Override: sh.Override})
				}
			}
			want := s.OnCallAt(tm)
			cmpA := func(a, b Assignment) int { return strings.Compare(a.User, b.User) }
			slices.SortFunc(fromShifts, cmpA)
			slices.SortFunc(want, cmpA)
			if !slices.Equal(fromShifts, want) {
				t.Fatalf("schedule %d at %s: shifts say %v, OnCallAt %v\n%+v", n, tm, fromShifts, want, s)
			}
			inGap := slices.ContainsFunc(gaps, func(g Gap) bool { return !tm.Before(g.Start) && tm.Before(g.End) })
			if inGap != (len(want) == 0) {
				t.Fatalf("schedule %d at %s: in a gap %v, on call %v", n, tm, inGap, want)
			}
		}
	}
}

// TestPropertyCalendarHandoffWallClock: a Weeks/Days rotation hands off at
// Start's wall clock every time, except on a day when that wall clock does
// not exist, when it is moved forward by exactly the gap; and a shift lasts
// its days give or take the DST shift.
func TestPropertyCalendarHandoffWallClock(t *testing.T) {
	locs := loadZones(t)
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		loc := locs[r.IntN(len(locs))]
		l := Layer{Users: []string{"a"}, Every: ShiftLength{Weeks: r.IntN(2), Days: 1 + r.IntN(3)}}
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
		hh, mm := r.IntN(4), r.IntN(4)*15
		if r.IntN(3) == 0 {
			hh = r.IntN(24)
		}
		l.Start = resolveDate(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, loc)
		st := l.Start.In(loc)
		if st.Hour() != hh || st.Minute() != mm {
			continue // Start itself fell in a gap; its wall clock is the moved one
		}
		want := hh*60 + mm
		prev := l.Start
		for k := 1; k < 120; k++ {
			h := l.handoff(k, loc).In(loc)
			got := h.Hour()*60 + h.Minute()
			if got != want {
				// Must be a gap: the wall clock does not exist that day, and
				// the handoff is that wall clock read with the earlier offset.
				_, offBefore := h.Add(-6 * time.Hour).Zone()
				_, offAfter := h.Zone()
				gap := (offAfter - offBefore) / 60
				if gap <= 0 || got != want+gap {
					t.Fatalf("%s start %s: handoff %d at %s, want wall clock %02d:%02d", loc, l.Start, k, h, hh, mm)
				}
			}
			length := h.Sub(prev)
			nominal := time.Duration(l.Every.calendarDays()) * 24 * time.Hour
			if length < nominal-time.Hour || length > nominal+time.Hour {
				t.Fatalf("%s: shift %d lasts %v, nominal %v", loc, k, length, nominal)
			}
			if step := l.step(h, loc); step != k {
				t.Fatalf("%s: step(handoff(%d)) = %d", loc, k, step)
			}
			if step := l.step(h.Add(-time.Nanosecond), loc); step != k-1 {
				t.Fatalf("%s: step(handoff(%d)-1ns) = %d", loc, k, step)
			}
			prev = h
		}
	}
}
