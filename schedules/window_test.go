package schedules

import (
	"math/rand/v2"
	"testing"
	"time"
)

// wall reads "2006-01-02 15:04 MST" in loc, the abbreviation (or the
// offset, "+1030", for zones that have none) telling the two passes of a
// fall-back hour apart.
func wall(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	w, err := time.ParseInLocation("2006-01-02 15:04 MST", s, loc)
	if err != nil {
		if w, err = time.ParseInLocation("2006-01-02 15:04 -0700", s, loc); err == nil {
			return w
		}
		t.Fatal(err)
	}
	return w
}

// TestWindowNextAcrossDSTAndLeapDays checks where occurrences open and
// close around DST changes and February 29th, in several zones: a wall
// clock skipped by a change opens the window as much later as the gap is
// long, one that happens twice opens it at the first pass, and the
// duration is elapsed time.
func TestWindowNextAcrossDSTAndLeapDays(t *testing.T) {
	tests := []struct {
		name  string
		zone  string
		w     Window
		after string // Next is asked after this wall clock
		open  string // wall clock it opens, in the zone
		close string
	}{
		{
			name: "Berlin weekly Sunday 02:00 on spring-forward day opens at 03:00", zone: "Europe/Berlin",
			w:     Window{Every: Weekly, Weekdays: []time.Weekday{time.Sunday}, At: 120, Duration: 3 * time.Hour},
			after: "2026-03-28 12:00 CET", open: "2026-03-29 03:00 CEST", close: "2026-03-29 06:00 CEST",
		},
		{
			name: "Berlin weekly Sunday 02:00 on fall-back day opens at the first 02:00, lasts 3 real hours", zone: "Europe/Berlin",
			w:     Window{Every: Weekly, Weekdays: []time.Weekday{time.Sunday}, At: 120, Duration: 3 * time.Hour},
			after: "2026-10-24 12:00 CEST", open: "2026-10-25 02:00 CEST", close: "2026-10-25 04:00 CET",
		},
		{
			name: "New York daily 01:30 on fall-back day: the EDT pass", zone: "America/New_York",
			w:     Window{Every: Daily, At: 90, Duration: time.Hour},
			after: "2026-10-31 02:00 EDT", open: "2026-11-01 01:30 EDT", close: "2026-11-01 01:30 EST",
		},
		{
			name: "New York daily 02:30 does not exist on spring-forward day", zone: "America/New_York",
			w:     Window{Every: Daily, At: 150, Duration: 30 * time.Minute},
			after: "2026-03-07 12:00 EST", open: "2026-03-08 03:30 EDT", close: "2026-03-08 04:00 EDT",
		},
		{
			name: "Lord Howe daily 02:15 in the 30-minute spring gap opens at 02:45", zone: "Australia/Lord_Howe",
			w:     Window{Every: Daily, At: 135, Duration: time.Hour},
			after: "2026-10-03 12:00 +1030", open: "2026-10-04 02:45 +1100", close: "2026-10-04 03:45 +1100",
		},
		{
			name: "Santiago daily 00:30 on a midnight spring forward opens at 01:30", zone: "America/Santiago",
			w:     Window{Every: Daily, At: 30, Duration: time.Hour},
			after: "2026-09-05 12:00 -0400", open: "2026-09-06 01:30 -0300", close: "2026-09-06 02:30 -0300",
		},
		{
			name: "Santiago daily 23:30 on the day whose 23:00 hour repeats: first pass", zone: "America/Santiago",
			w:     Window{Every: Daily, At: 23*60 + 30, Duration: 2 * time.Hour},
			after: "2026-04-04 12:00 -0300", open: "2026-04-04 23:30 -0300", close: "2026-04-05 00:30 -0400",
		},
		{
			name: "Sydney weekly Sunday 02:30 in the April repeat: first (AEDT) pass", zone: "Australia/Sydney",
			w:     Window{Every: Weekly, Weekdays: []time.Weekday{time.Sunday}, At: 150, Duration: time.Hour},
			after: "2026-04-04 12:00 AEDT", open: "2026-04-05 02:30 AEDT", close: "2026-04-05 02:30 AEST",
		},
		{
			name: "Kolkata (no DST) monthly on the 29th skips a common-year February", zone: "Asia/Kolkata",
			w:     Window{Every: Monthly, Day: 29, At: 22 * 60, Duration: 4 * time.Hour},
			after: "2027-02-01 00:00 IST", open: "2027-03-29 22:00 IST", close: "2027-03-30 02:00 IST",
		},
		{
			name: "Kolkata monthly on the 29th opens on a leap day, closing in March", zone: "Asia/Kolkata",
			w:     Window{Every: Monthly, Day: 29, At: 22 * 60, Duration: 4 * time.Hour},
			after: "2028-02-01 00:00 IST", open: "2028-02-29 22:00 IST", close: "2028-03-01 02:00 IST",
		},
		{
			name: "New York monthly on the 31st skips April", zone: "America/New_York",
			w:     Window{Every: Monthly, Day: 31, At: 0, Duration: time.Hour},
			after: "2026-04-01 00:00 EDT", open: "2026-05-31 00:00 EDT", close: "2026-05-31 01:00 EDT",
		},
		{
			name: "Berlin weekly Tuesday 23:00 lands on February 29th", zone: "Europe/Berlin",
			w:     Window{Every: Weekly, Weekdays: []time.Weekday{time.Tuesday}, At: 23 * 60, Duration: 2 * time.Hour},
			after: "2028-02-28 00:00 CET", open: "2028-02-29 23:00 CET", close: "2028-03-01 01:00 CET",
		},
		{
			name: "UTC daily bounded by from: nothing before it", zone: "UTC",
			w:     Window{Every: Daily, At: 60, Duration: time.Hour, From: Date{2027, 1, 10}},
			after: "2026-12-01 00:00 UTC", open: "2027-01-10 01:00 UTC", close: "2027-01-10 02:00 UTC",
		},
		{
			name: "Apia daily 10:00 on 2011-12-30, a date the zone skipped", zone: "Pacific/Apia",
			w:     Window{Every: Daily, At: 600, Duration: time.Hour},
			after: "2011-12-29 12:00 -1000", open: "2011-12-31 10:00 +1400", close: "2011-12-31 11:00 +1400",
		},
		{
			name: "one-off on a leap day", zone: "Asia/Kolkata",
			w:     Window{Start: time.Date(2028, 2, 29, 16, 30, 0, 0, time.UTC), Duration: 4 * time.Hour},
			after: "2028-02-29 00:00 IST", open: "2028-02-29 22:00 IST", close: "2028-03-01 02:00 IST",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustLoad(t, tc.zone)
			tc.w.Location = loc
			if err := tc.w.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			after := wall(t, loc, tc.after)
			open, closes := wall(t, loc, tc.open), wall(t, loc, tc.close)
			s, e, ok := tc.w.Next(after)
			if !ok || !s.Equal(open) || !e.Equal(closes) {
				t.Fatalf("Next(%s) = %s – %s, %v; want %s – %s", after, s.In(loc), e.In(loc), ok, open, closes)
			}
			for _, at := range []time.Time{open, open.Add(e.Sub(s) / 2), closes.Add(-time.Second)} {
				if end, ok := tc.w.ActiveAt(at); !ok || !end.Equal(closes) {
					t.Errorf("ActiveAt(%s) = %s, %v; want open until %s", at.In(loc), end.In(loc), ok, closes)
				}
			}
			for _, at := range []time.Time{open.Add(-time.Second), closes} {
				if end, ok := tc.w.ActiveAt(at); ok && end.Equal(closes) {
					t.Errorf("ActiveAt(%s) = open until %s; want this occurrence closed", at.In(loc), end.In(loc))
				}
			}
		})
	}
}

func TestWindowOccurs(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		w            Window
		occurs, ever bool
	}{
		{"one-off ahead", Window{Start: now.Add(time.Hour), Duration: time.Hour}, true, true},
		{"one-off open now", Window{Start: now.Add(-time.Minute), Duration: time.Hour}, true, true},
		{"one-off in the past", Window{Start: now.Add(-2 * time.Hour), Duration: time.Hour}, false, true},
		{"weekly unbounded", Window{Every: Weekly, Weekdays: []time.Weekday{time.Sunday}, Duration: time.Hour}, true, true},
		{"daily that ended", Window{Every: Daily, Duration: time.Hour, Until: Date{2026, 11, 1}}, false, true},
		{"weekly Sunday bounded to a Monday-Friday week", Window{Every: Weekly, Weekdays: []time.Weekday{time.Sunday}, Duration: time.Hour,
			From: Date{2027, 1, 4}, Until: Date{2027, 1, 8}}, false, false},
		{"monthly on the 30th bounded to one February", Window{Every: Monthly, Day: 30, Duration: time.Hour,
			From: Date{2027, 2, 1}, Until: Date{2027, 2, 28}}, false, false},
		{"monthly on the 29th bounded to a leap February", Window{Every: Monthly, Day: 29, Duration: time.Hour,
			From: Date{2028, 2, 1}, Until: Date{2028, 2, 29}}, true, true},
		{"monthly on the 29th bounded to a common February", Window{Every: Monthly, Day: 29, Duration: time.Hour,
			From: Date{2027, 2, 1}, Until: Date{2027, 2, 28}}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.w.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := tc.w.Occurs(now); got != tc.occurs {
				t.Errorf("Occurs(now) = %v, want %v", got, tc.occurs)
			}
			if got := tc.w.EverOccurs(); got != tc.ever {
				t.Errorf("EverOccurs() = %v, want %v", got, tc.ever)
			}
		})
	}
}

func TestWindowValidate(t *testing.T) {
	tests := []struct {
		name string
		w    Window
	}{
		{"no duration", Window{Every: Daily}},
		{"one-off without start", Window{Duration: time.Hour}},
		{"unknown recurrence", Window{Every: "year", Duration: time.Hour}},
		{"weekly without weekdays", Window{Every: Weekly, Duration: time.Hour}},
		{"monthly day 32", Window{Every: Monthly, Day: 32, Duration: time.Hour}},
		{"daily longer than a day", Window{Every: Daily, Duration: 25 * time.Hour}},
		{"at 24:00", Window{Every: Daily, At: EndOfDay, Duration: time.Hour}},
		{"until before from", Window{Every: Daily, Duration: time.Hour, From: Date{2027, 2, 1}, Until: Date{2027, 1, 1}}},
	}
	for _, tc := range tests {
		if err := tc.w.Validate(); err == nil {
			t.Errorf("%s: Validate() = nil, want an error", tc.name)
		}
	}
}

// TestWindowAgainstBruteForce holds ActiveAt and Next to a reference that
// lists every occurrence over a wide range of dates, for random windows in
// zones with DST both ways, half-hour offsets and midnight transitions.
func TestWindowAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 2028))
	var locs []*time.Location
	for _, z := range propertyZones {
		locs = append(locs, mustLoad(t, z))
	}
	base := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 300 {
		w := Window{Location: locs[r.IntN(len(locs))], At: ClockTime(r.IntN(4)*60 + r.IntN(4)*15)}
		if r.IntN(2) == 0 {
			w.At += ClockTime(r.IntN(20) * 60)
		}
		switch r.IntN(3) {
		case 0:
			w.Every = Daily
		case 1:
			w.Every = Weekly
			for d := range 7 {
				if r.IntN(3) == 0 {
					w.Weekdays = append(w.Weekdays, time.Weekday(d))
				}
			}
			if len(w.Weekdays) == 0 {
				w.Weekdays = []time.Weekday{time.Weekday(r.IntN(7))}
			}
		default:
			w.Every = Monthly
			w.Day = []int{1, 15, 28, 29, 30, 31}[r.IntN(6)]
		}
		w.Duration = time.Duration(1+r.IntN(int(w.Every.period()/(15*time.Minute)))) * 15 * time.Minute
		if r.IntN(3) == 0 {
			w.From = dateOf(base.AddDate(0, 0, r.IntN(900)))
			w.Until = w.From.addDays(r.IntN(120))
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("window %d: %v", i, err)
		}
		starts := referenceStarts(&w, dateOf(base).addDays(-40), dateOf(base).addDays(1600))
		for range 20 {
			at := base.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Minute)
			if r.IntN(3) == 0 && len(starts) > 0 { // right at an edge
				s := starts[r.IntN(len(starts))]
				if s.After(base.AddDate(3, 0, 0)) {
					continue
				}
				at = []time.Time{s, s.Add(-time.Minute), s.Add(w.Duration), s.Add(w.Duration - time.Minute)}[r.IntN(4)]
			}
			var wantEnd time.Time
			var wantNext time.Time
			for _, s := range starts {
				if e := s.Add(w.Duration); !at.Before(s) && at.Before(e) && e.After(wantEnd) {
					wantEnd = e
				}
				if s.After(at) && (wantNext.IsZero() || s.Before(wantNext)) {
					wantNext = s
				}
			}
			end, ok := w.ActiveAt(at)
			if ok != !wantEnd.IsZero() || !end.Equal(wantEnd) {
				t.Fatalf("window %d %+v: ActiveAt(%s) = %s, %v; want %s", i, w, at, end, ok, wantEnd)
			}
			next, _, ok := w.Next(at)
			if ok != !wantNext.IsZero() || !next.Equal(wantNext) {
				t.Fatalf("window %d %+v: Next(%s) = %s, %v; want %s", i, w, at, next, ok, wantNext)
			}
		}
	}
}

// referenceStarts lists every opening of w on the dates from..to, by
// asking each date.
func referenceStarts(w *Window, from, to Date) []time.Time {
	var out []time.Time
	for d := from; d.Compare(to) <= 0; d = d.addDays(1) {
		if w.opensOn(d) {
			out = append(out, w.startOn(d))
		}
	}
	return out
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]Date{"2028-02-29": {2028, 2, 29}, " 2027-01-31 ": {2027, 1, 31}} {
		if got, err := ParseDate(in); err != nil || got != want || got.String() != want.String() {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"2027-02-29", "2027-13-01", "31.01.2027", ""} {
		if _, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) = nil error, want one", in)
		}
	}
}
