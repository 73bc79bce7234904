package schedules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Window is a maintenance window: a span of time in which pagerd records
// alerts but pages nobody. It is one-off (Start set) or recurs every day,
// week or month at a wall-clock time of its zone. Each occurrence lasts
// Duration of elapsed time, so a 3h window opening at 01:00 on a
// fall-back night closes at 03:00 of the second pass through 03:00 minus
// an hour — three real hours later, whatever the clocks say.
type Window struct {
	Location *time.Location // wall-clock zone; nil: UTC
	Duration time.Duration  // how long each occurrence lasts (elapsed time)

	// Start is when a one-off window opens; zero for a recurring one.
	Start time.Time

	// Every is how a recurring window repeats; "" for a one-off.
	Every Recurrence
	// Weekdays are the days a weekly window opens on.
	Weekdays []time.Weekday
	// Day is the day of the month (1-31) a monthly window opens on;
	// months without that day (a 31st, February's 29th in a common year)
	// have no occurrence.
	Day int
	// At is the wall-clock time each occurrence opens. A time skipped by
	// a DST change opens the window as much later as the gap is long
	// (02:30 → 03:30); a time that happens twice opens it at the first.
	At ClockTime
	// From and Until bound the dates (in Location) a recurring window may
	// open on, both inclusive; zero: unbounded.
	From, Until Date
}

// Recurrence is how often a recurring window repeats.
type Recurrence string

const (
	Daily   Recurrence = "day"
	Weekly  Recurrence = "week"
	Monthly Recurrence = "month"
)

// Recurrences lists every recurrence, as written in HCL.
var Recurrences = []Recurrence{Daily, Weekly, Monthly}

// period is the nominal length of one recurrence: an occurrence may not
// last longer, or occurrences would overlap.
func (r Recurrence) period() time.Duration {
	switch r {
	case Daily:
		return 24 * time.Hour
	case Weekly:
		return 7 * 24 * time.Hour
	case Monthly:
		return 28 * 24 * time.Hour
	}
	return 0
}

// Date is a calendar date, without a time or a zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether d is the zero Date (no bound).
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as "2006-01-02".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return d.midnight().Compare(e.midnight())
}

func (d Date) midnight() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// addDays is the date n days after d (before, for negative n).
func (d Date) addDays(n int) Date { return dateOf(d.midnight().AddDate(0, 0, n)) }

func (d Date) weekday() time.Weekday { return d.midnight().Weekday() }

// dateOf is the calendar date of t's wall clock.
func dateOf(t time.Time) Date {
	y, m, day := t.Date()
	return Date{y, m, day}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD, e.g. 2027-01-31", s)
	}
	return dateOf(t), nil
}

// Recurring reports whether the window repeats.
func (w *Window) Recurring() bool { return w.Every != "" }

func (w *Window) loc() *time.Location {
	if w.Location == nil {
		return time.UTC
	}
	return w.Location
}

// Validate reports a window that is malformed: no or a negative duration,
// a recurrence without the day it needs, an occurrence longer than the
// recurrence (they would overlap), or bounds the wrong way round. A valid
// window may still never occur; see Occurs.
func (w *Window) Validate() error {
	if w.Duration <= 0 {
		return errors.New("duration must be positive")
	}
	if !w.Recurring() {
		if w.Start.IsZero() {
			return errors.New("a one-off window needs a start")
		}
		return nil
	}
	if !slices.Contains(Recurrences, w.Every) {
		return fmt.Errorf("every = %q: want day, week or month", w.Every)
	}
	if w.Duration > w.Every.period() {
		return fmt.Errorf("duration %s is longer than a %s (%s): occurrences would overlap", shortDuration(w.Duration), w.Every, shortDuration(w.Every.period()))
	}
	switch {
	case w.Every == Weekly && len(w.Weekdays) == 0:
		return errors.New("a weekly window needs the weekdays it opens on")
	case w.Every == Monthly && (w.Day < 1 || w.Day > 31):
		return fmt.Errorf("day %d of the month: want 1 to 31", w.Day)
	case w.At < 0 || w.At >= EndOfDay:
		return fmt.Errorf("at %s: want 00:00 to 23:59", w.At)
	case !w.From.IsZero() && !w.Until.IsZero() && w.Until.Compare(w.From) < 0:
		return fmt.Errorf("until %s is before from %s", w.Until, w.From)
	}
	return nil
}

// shortDuration formats d without trailing zero units: "25h", "1h30m".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// opensOn reports whether a recurring window has an occurrence opening on
// date d.
func (w *Window) opensOn(d Date) bool {
	if (!w.From.IsZero() && d.Compare(w.From) < 0) || (!w.Until.IsZero() && d.Compare(w.Until) > 0) {
		return false
	}
	switch w.Every {
	case Daily:
		return true
	case Weekly:
		return slices.Contains(w.Weekdays, d.weekday())
	case Monthly:
		return d.Day == w.Day
	}
	return false
}

// startOn is when the occurrence of date d opens.
func (w *Window) startOn(d Date) time.Time {
	return resolveDate(d.Year, d.Month, d.Day, int(w.At)/60, int(w.At)%60, 0, 0, w.loc())
}

// ActiveAt reports whether t falls in an occurrence of the window, and if
// so when that occurrence closes.
func (w *Window) ActiveAt(t time.Time) (end time.Time, ok bool) {
	if !w.Recurring() {
		end = w.Start.Add(w.Duration)
		return end, !t.Before(w.Start) && t.Before(end)
	}
	// An occurrence covering t opened at most Duration before it, so on
	// one of the few dates before t's (a DST gap can move an opening
	// past midnight, hence one more).
	today := dateOf(t.In(w.loc()))
	back := int(w.Duration/(24*time.Hour)) + 2
	for i := 0; i <= back; i++ {
		d := today.addDays(-i)
		if !w.opensOn(d) {
			continue
		}
		s := w.startOn(d)
		if e := s.Add(w.Duration); !t.Before(s) && t.Before(e) {
			return e, true
		}
	}
	return time.Time{}, false
}

// searchDays bounds how far Next looks for an unbounded window's next
// occurrence: every unbounded recurrence opens within 62 days (a monthly
// window on the 31st), so finding none in this many means none will come.
const searchDays = 800

// Next returns the first occurrence that opens after t, and when it
// closes; ok is false when there is none.
func (w *Window) Next(t time.Time) (start, end time.Time, ok bool) {
	if !w.Recurring() {
		if w.Start.After(t) {
			return w.Start, w.Start.Add(w.Duration), true
		}
		return time.Time{}, time.Time{}, false
	}
	// The occurrence of t's own date may still be ahead of it; the one of
	// the date before, moved past midnight by a DST gap, too.
	d := dateOf(t.In(w.loc())).addDays(-1)
	if !w.From.IsZero() && d.Compare(w.From) < 0 {
		d = w.From
	}
	for i := 0; i < searchDays; i, d = i+1, d.addDays(1) {
		if !w.Until.IsZero() && d.Compare(w.Until) > 0 {
			break
		}
		if !w.opensOn(d) {
			continue
		}
		if s := w.startOn(d); s.After(t) {
			return s, s.Add(w.Duration), true
		}
	}
	return time.Time{}, time.Time{}, false
}

// Occurs reports whether the window is open at t or opens after it.
func (w *Window) Occurs(t time.Time) bool {
	if _, ok := w.ActiveAt(t); ok {
		return true
	}
	_, _, ok := w.Next(t)
	return ok
}

// EverOccurs reports whether the window opens at all, at any time: a
// recurring window whose bounds leave no date it opens on (a monthly
// window on the 30th bounded to one February) never does.
func (w *Window) EverOccurs() bool {
	if !w.Recurring() {
		return true
	}
	from := w.From
	if from.IsZero() {
		return true // unbounded below: some occurrence exists
	}
	// Looking from the start of the day before From: the first date it
	// may open on is From.
	t := resolveDate(from.Year, from.Month, from.Day, 0, 0, 0, 0, w.loc()).Add(-48 * time.Hour)
	_, _, ok := w.Next(t)
	return ok
}
