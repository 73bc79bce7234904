package schedules

import (
	"testing"
	"time"
)

// TestHandoffsAcrossDST follows a rotation through the Shifts API and checks
// each handoff's local wall clock and each shift's elapsed length.
func TestHandoffsAcrossDST(t *testing.T) {
	tests := []struct {
		name    string
		zone    string
		start   string // first handoff, wall clock
		every   ShiftLength
		until   string
		walls   []string        // handoffs after start, "2006-01-02 15:04 MST"
		lengths []time.Duration // of each shift from start, same count as walls
	}{
		{
			name: "New York daily 09:00 over spring forward", zone: "America/New_York",
			start: "2026-03-07 09:00", every: ShiftLength{Days: 1}, until: "2026-03-10 00:00",
			walls:   []string{"2026-03-08 09:00 EDT", "2026-03-09 09:00 EDT"},
			lengths: []time.Duration{23 * time.Hour, 24 * time.Hour},
		},
		{
			name: "New York daily 09:00 over fall back", zone: "America/New_York",
			start: "2026-10-31 09:00", every: ShiftLength{Days: 1}, until: "2026-11-03 00:00",
			walls:   []string{"2026-11-01 09:00 EST", "2026-11-02 09:00 EST"},
			lengths: []time.Duration{25 * time.Hour, 24 * time.Hour},
		},
		{
			name: "New York daily 02:30 does not exist on spring-forward day", zone: "America/New_York",
			start: "2026-03-07 02:30", every: ShiftLength{Days: 1}, until: "2026-03-10 00:00",
			walls:   []string{"2026-03-08 03:30 EDT", "2026-03-09 02:30 EDT"},
			lengths: []time.Duration{24 * time.Hour, 23 * time.Hour},
		},
		{
			name: "New York daily 01:30 happens twice: first one", zone: "America/New_York",
			start: "2026-10-31 01:30", every: ShiftLength{Days: 1}, until: "2026-11-03 00:00",
			walls:   []string{"2026-11-01 01:30 EDT", "2026-11-02 01:30 EST"},
			lengths: []time.Duration{24 * time.Hour, 25 * time.Hour},
		},
		{
			name: "New York 12h absolute across spring forward", zone: "America/New_York",
			start: "2026-03-07 09:00", every: ShiftLength{Duration: 12 * time.Hour}, until: "2026-03-08 23:00",
			walls:   []string{"2026-03-07 21:00 EST", "2026-03-08 10:00 EDT", "2026-03-08 22:00 EDT"},
			lengths: []time.Duration{12 * time.Hour, 12 * time.Hour, 12 * time.Hour},
		},
		{
			name: "Berlin weekly over spring forward", zone: "Europe/Berlin",
			start: "2026-03-22 09:00", every: ShiftLength{Weeks: 1}, until: "2026-04-06 00:00",
			walls:   []string{"2026-03-29 09:00 CEST", "2026-04-05 09:00 CEST"},
			lengths: []time.Duration{167 * time.Hour, 168 * time.Hour},
		},
		{
			name: "Berlin weekly over fall back", zone: "Europe/Berlin",
			start: "2026-10-18 09:00", every: ShiftLength{Weeks: 1}, until: "2026-11-02 00:00",
			walls:   []string{"2026-10-25 09:00 CET", "2026-11-01 09:00 CET"},
			lengths: []time.Duration{169 * time.Hour, 168 * time.Hour},
		},
		{
			name: "Berlin daily 02:30 gap and repeat", zone: "Europe/Berlin",
			start: "2026-03-28 02:30", every: ShiftLength{Days: 1}, until: "2026-03-30 12:00",
			walls:   []string{"2026-03-29 03:30 CEST", "2026-03-30 02:30 CEST"},
			lengths: []time.Duration{24 * time.Hour, 23 * time.Hour},
		},
		{
			name: "Berlin daily 02:30 on fall back: first (CEST) occurrence", zone: "Europe/Berlin",
			start: "2026-10-24 02:30", every: ShiftLength{Days: 1}, until: "2026-10-26 12:00",
			walls:   []string{"2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"},
			lengths: []time.Duration{24 * time.Hour, 25 * time.Hour},
		},
		{
			name: "Sydney daily 09:00 over April fall back", zone: "Australia/Sydney",
			start: "2026-04-04 09:00", every: ShiftLength{Days: 1}, until: "2026-04-06 12:00",
			walls:   []string{"2026-04-05 09:00 AEST", "2026-04-06 09:00 AEST"},
			lengths: []time.Duration{25 * time.Hour, 24 * time.Hour},
		},
		{
			name: "Sydney daily 02:30 over October spring forward", zone: "Australia/Sydney",
			start: "2026-10-03 02:30", every: ShiftLength{Days: 1}, until: "2026-10-05 12:00",
			walls:   []string{"2026-10-04 03:30 AEDT", "2026-10-05 02:30 AEDT"},
			lengths: []time.Duration{24 * time.Hour, 23 * time.Hour},
		},
		{
			name: "Sydney weekly over October spring forward", zone: "Australia/Sydney",
			start: "2026-09-28 09:00", every: ShiftLength{Weeks: 1}, until: "2026-10-13 00:00",
			walls:   []string{"2026-10-05 09:00 AEDT", "2026-10-12 09:00 AEDT"},
			lengths: []time.Duration{167 * time.Hour, 168 * time.Hour},
		},
		{
			name: "Kolkata daily, half-hour offset, no DST", zone: "Asia/Kolkata",
			start: "2026-03-07 02:30", every: ShiftLength{Days: 1}, until: "2026-03-09 12:00",
			walls:   []string{"2026-03-08 02:30 IST", "2026-03-09 02:30 IST"},
			lengths: []time.Duration{24 * time.Hour, 24 * time.Hour},
		},
		{
			name: "Kolkata 12h", zone: "Asia/Kolkata",
			start: "2026-03-07 09:00", every: ShiftLength{Duration: 12 * time.Hour}, until: "2026-03-08 12:00",
			walls:   []string{"2026-03-07 21:00 IST", "2026-03-08 09:00 IST"},
			lengths: []time.Duration{12 * time.Hour, 12 * time.Hour},
		},
		{
			name: "leap day daily", zone: "America/New_York",
			start: "2028-02-27 09:00", every: ShiftLength{Days: 1}, until: "2028-03-02 00:00",
			walls:   []string{"2028-02-28 09:00 EST", "2028-02-29 09:00 EST", "2028-03-01 09:00 EST"},
			lengths: []time.Duration{24 * time.Hour, 24 * time.Hour, 24 * time.Hour},
		},
		{
			name: "leap day weekly across it", zone: "America/New_York",
			start: "2028-02-24 09:00", every: ShiftLength{Weeks: 1}, until: "2028-03-10 00:00",
			walls:   []string{"2028-03-02 09:00 EST", "2028-03-09 09:00 EST"},
			lengths: []time.Duration{168 * time.Hour, 168 * time.Hour},
		},
		{
			name: "leap day weekly from it", zone: "UTC",
			start: "2028-02-29 00:00", every: ShiftLength{Weeks: 1}, until: "2028-03-15 00:00",
			walls:   []string{"2028-03-07 00:00 UTC", "2028-03-14 00:00 UTC"},
			lengths: []time.Duration{168 * time.Hour, 168 * time.Hour},
		},
	}
	users := []string{"u0", "u1", "u2", "u3", "u4"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoad(t, tt.zone)
			s := &Schedule{Name: "dst", Location: loc, Layers: []Layer{{Name: "l", Users: users, Start: at(t, loc, tt.start), Every: tt.every}}}
			shifts := s.Shifts(at(t, loc, tt.start), at(t, loc, tt.until))
			if len(shifts) != len(tt.walls)+1 {
				t.Fatalf("got %d shifts, want %d: %v", len(shifts), len(tt.walls)+1, shifts)
			}
			for i, w := range tt.walls {
				sh := shifts[i+1]
				if got := sh.Start.In(loc).Format("2006-01-02 15:04 MST"); got != w {
					t.Errorf("handoff %d at %s, want %s", i+1, got, w)
				}
				if sh.User != users[i+1] {
					t.Errorf("shift %d user %s, want %s", i+1, sh.User, users[i+1])
				}
			}
			for i, want := range tt.lengths {
				if got := shifts[i].End.Sub(shifts[i].Start); got != want {
					t.Errorf("shift %d (%s) lasts %v, want %v", i, shifts[i].Start.In(loc).Format(time.RFC3339), got, want)
				}
			}
		})
	}
}

// TestRestrictionAcrossDST: restriction windows follow the wall clock, so a
// window that straddles a transition is shorter or longer, and a repeated
// hour is inside its window twice.
func TestRestrictionAcrossDST(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	night := Layer{Name: "night", Users: []string{"n"}, Start: at(t, ny, "2026-01-01 00:00"), Every: ShiftLength{Weeks: 1},
		Restrictions: []Restriction{{From: clock(t, "01:00"), To: clock(t, "01:30")}}}
	s := &Schedule{Name: "r", Location: ny, Layers: []Layer{night}}
	from, to := at(t, ny, "2026-11-01 00:00"), at(t, ny, "2026-11-01 04:00")
	shifts := s.Shifts(from, to)
	// 01:00–01:30 EDT and again 01:00–01:30 EST.
	want := []string{"01:00 EDT-01:30 EDT", "01:00 EST-01:30 EST"}
	if len(shifts) != len(want) {
		t.Fatalf("Shifts = %v, want %v", shifts, want)
	}
	for i, sh := range shifts {
		if got := sh.Start.In(ny).Format("15:04 MST") + "-" + sh.End.In(ny).Format("15:04 MST"); got != want[i] {
			t.Errorf("shift %d = %s, want %s", i, got, want[i])
		}
	}
	// Spring forward: a 02:00–03:00 window does not happen; 01:00–04:00 lasts 2h.
	s.Layers[0].Restrictions = []Restriction{{From: clock(t, "02:00"), To: clock(t, "03:00")}}
	if got := s.Shifts(at(t, ny, "2026-03-08 00:00"), at(t, ny, "2026-03-08 12:00")); len(got) != 0 {
		t.Errorf("02:00–03:00 on spring-forward day: Shifts = %v, want none", got)
	}
	s.Layers[0].Restrictions = []Restriction{{From: clock(t, "01:00"), To: clock(t, "04:00")}}
	got := s.Shifts(at(t, ny, "2026-03-08 00:00"), at(t, ny, "2026-03-08 12:00"))
	if len(got) != 1 || got[0].End.Sub(got[0].Start) != 2*time.Hour {
		t.Errorf("01:00–04:00 on spring-forward day: Shifts = %v, want one of 2h", got)
	}
}
