package schedules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseShiftLength parses a rotation length. Weeks and days ("1w", "2w",
// "3d", "1w2d") are calendar units counted in wall-clock days; anything else
// is a Go duration ("12h", "90m", "1h30m") of absolute elapsed time. Calendar
// and clock units cannot be mixed ("1d12h" is rejected): a wall-clock day
// plus twelve elapsed hours has no single meaning across DST.
func ParseShiftLength(s string) (ShiftLength, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return ShiftLength{}, fmt.Errorf("shift length %q: empty", s)
	}
	if l, ok, err := parseCalendarLength(in); ok {
		if err != nil {
			return ShiftLength{}, fmt.Errorf("shift length %q: %w", s, err)
		}
		return l, nil
	}
	if strings.ContainsAny(in, "wd") {
		return ShiftLength{}, fmt.Errorf("shift length %q: weeks/days (w, d) cannot be mixed with hours or minutes", s)
	}
	d, err := time.ParseDuration(in)
	if err != nil {
		return ShiftLength{}, fmt.Errorf("shift length %q: want e.g. 1w, 2d, 12h or 90m (weeks/days take whole numbers)", s)
	}
	if d < MinShiftDuration {
		return ShiftLength{}, fmt.Errorf("shift length %q: hours/minutes lengths must be at least %s", s, MinShiftDuration)
	}
	return ShiftLength{Duration: d}, nil
}

// parseCalendarLength parses "<n>w<m>d", "<n>w" or "<n>d". ok reports
// whether s is made only of w/d terms; err is set when it is but is invalid.
func parseCalendarLength(s string) (l ShiftLength, ok bool, err error) {
	rest := s
	seen := ""
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return ShiftLength{}, false, nil
		}
		unit := rest[i]
		if unit != 'w' && unit != 'd' {
			return ShiftLength{}, false, nil
		}
		if i > 6 {
			return ShiftLength{}, true, errors.New("too large")
		}
		n, _ := strconv.Atoi(rest[:i])
		if strings.IndexByte(seen, unit) >= 0 || (unit == 'w' && seen != "") {
			return ShiftLength{}, true, errors.New("write weeks before days, each once (e.g. 1w2d)")
		}
		seen += string(unit)
		if unit == 'w' {
			l.Weeks = n
		} else {
			l.Days = n
		}
		rest = rest[i+1:]
	}
	if l.Weeks == 0 && l.Days == 0 {
		return ShiftLength{}, true, errors.New("must be positive")
	}
	return l, true, nil
}

// String formats l the way ParseShiftLength reads it.
func (l ShiftLength) String() string {
	var b strings.Builder
	if l.Weeks != 0 {
		fmt.Fprintf(&b, "%dw", l.Weeks)
	}
	if l.Days != 0 {
		fmt.Fprintf(&b, "%dd", l.Days)
	}
	if l.Duration != 0 || b.Len() == 0 {
		b.WriteString(l.Duration.String())
	}
	return b.String()
}

// calendarDays is the length in wall-clock days, 0 for a Duration length.
func (l ShiftLength) calendarDays() int { return l.Weeks*7 + l.Days }

// MinShiftDuration is the shortest hours/minutes shift: shorter ones are
// no real rotation, and would make every query walk millions of handoffs.
const MinShiftDuration = 15 * time.Minute

// Rotation starts must lie in [EarliestStart, LatestStart): far outside it
// is a typo (1026 for 2026), and elapsed-time arithmetic on hours/minutes
// rotations would overflow time.Duration (±292 years).
var (
	EarliestStart = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	LatestStart   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// validate reports a length that is zero, negative, too short, or mixes
// calendar and clock units.
func (l ShiftLength) validate() error {
	days := l.calendarDays()
	switch {
	case l.Weeks < 0 || l.Days < 0 || l.Duration < 0:
		return fmt.Errorf("shift length %s: must be positive", l)
	case days > 0 && l.Duration != 0:
		return fmt.Errorf("shift length %s: weeks/days cannot be mixed with hours or minutes", l)
	case days == 0 && l.Duration == 0:
		return errors.New("shift length: must be positive")
	case days == 0 && l.Duration < MinShiftDuration:
		return fmt.Errorf("shift length %s: hours/minutes lengths must be at least %s", l, MinShiftDuration)
	}
	return nil
}

// ParseClock parses a wall-clock time of day "HH:MM" (the hour may have one
// digit). "24:00" is accepted and means the end of the day; it is valid only
// as a restriction's To (Schedule.Validate rejects it as From).
func ParseClock(s string) (ClockTime, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, fmt.Errorf("clock time %q: want HH:MM, e.g. 09:00", s)
	}
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("clock time %q: out of range 00:00-24:00", s)
	}
	return ClockTime(hh*60 + mm), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats c as "HH:MM".
func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// EndOfDay is "24:00", valid only as a restriction's To.
const EndOfDay ClockTime = 24 * 60

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// ParseWeekday parses an English weekday, three-letter or full, in any case:
// "mon", "Monday".
func ParseWeekday(s string) (time.Weekday, error) {
	if d, ok := weekdayNames[strings.ToLower(strings.TrimSpace(s))]; ok {
		return d, nil
	}
	return 0, fmt.Errorf("weekday %q: want mon, tue, wed, thu, fri, sat or sun", s)
}

var localLayouts = []string{
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
}

// ParseLocal parses a wall-clock instant "2006-01-02 15:04" (or with a "T",
// or with seconds) in loc, or an RFC 3339 time with an explicit offset
// ("2026-11-02T09:00:00-05:00"), which is taken as the instant it names.
//
// A wall clock that does not exist in loc (02:30 on a spring-forward day) is
// moved forward by the length of the gap (02:30 → 03:30 EDT); one that
// happens twice (01:30 on a fall-back day) is the first occurrence. The
// result is in loc.
func ParseLocal(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	in := strings.TrimSpace(s)
	for _, layout := range localLayouts {
		if w, err := time.Parse(layout, in); err == nil {
			return resolveWall(w, loc), nil
		}
	}
	if t, err := time.Parse(time.RFC3339, in); err == nil {
		return t.In(loc), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want \"2006-01-02 15:04\" (wall clock in %s) or RFC 3339 with an offset", s, loc)
}
