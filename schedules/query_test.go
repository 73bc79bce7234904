package schedules

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// at parses a wall clock in loc or fails the test.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := ParseLocal(s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func days(ds ...time.Weekday) []time.Weekday { return ds }

func clock(t testing.TB, s string) ClockTime {
	t.Helper()
	c, err := ParseClock(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type probe struct {
	when string // wall clock in the schedule's zone
	want string // users joined by ",", "" for nobody
}

func checkProbes(t *testing.T, s *Schedule, probes []probe) {
	t.Helper()
	for _, p := range probes {
		got := strings.Join(s.UsersAt(at(t, s.Location, p.when)), ",")
		if got != p.want {
			t.Errorf("%s: UsersAt(%s) = %q, want %q", s.Name, p.when, got, p.want)
		}
	}
}

func TestRotation(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	tests := []struct {
		name   string
		layer  Layer
		probes []probe
	}{
		{
			name:  "weekly",
			layer: Layer{Name: "w", Users: []string{"alice", "bob"}, Start: at(t, ny, "2026-11-02 09:00"), Every: ShiftLength{Weeks: 1}},
			probes: []probe{
				{"2026-11-02 08:59", ""}, // nothing before Start
				{"2026-11-02 09:00", "alice"},
				{"2026-11-09 08:59", "alice"},
				{"2026-11-09 09:00", "bob"},
				{"2026-11-16 09:00", "alice"},
				{"2027-11-01 09:00", "alice"}, // 52 weeks later: even index
				{"2027-11-08 09:00", "bob"},
			},
		},
		{
			name:  "three days, three users",
			layer: Layer{Name: "d", Users: []string{"a", "b", "c"}, Start: at(t, ny, "2026-01-01 00:00"), Every: ShiftLength{Days: 3}},
			probes: []probe{
				{"2026-01-03 23:59", "a"},
				{"2026-01-04 00:00", "b"},
				{"2026-01-07 00:00", "c"},
				{"2026-01-10 00:00", "a"},
				{"2026-03-08 12:00", "b"}, // day 66 → step 22 → b
				{"2026-12-31 23:59", "b"}, // day 364 → step 121 → b
			},
		},
		{
			name:  "twelve hours, absolute",
			layer: Layer{Name: "h", Users: []string{"a", "b"}, Start: at(t, ny, "2026-03-07 09:00"), Every: ShiftLength{Duration: 12 * time.Hour}},
			probes: []probe{
				{"2026-03-07 20:59", "a"},
				{"2026-03-07 21:00", "b"},
				{"2026-03-08 09:59", "b"}, // an hour lost to DST: handoff at 10:00 EDT
				{"2026-03-08 10:00", "a"},
				{"2026-03-08 22:00", "b"},
			},
		},
		{
			name:  "on_call 2 of 3",
			layer: Layer{Name: "pair", Users: []string{"a", "b", "c"}, Start: at(t, ny, "2026-01-05 09:00"), Every: ShiftLength{Weeks: 1}, OnCall: 2},
			probes: []probe{
				{"2026-01-05 09:00", "a,b"},
				{"2026-01-12 09:00", "b,c"},
				{"2026-01-19 09:00", "c,a"},
				{"2026-01-26 09:00", "a,b"},
			},
		},
		{
			name:  "on_call larger than users, repeated user",
			layer: Layer{Name: "all", Users: []string{"a", "b", "a"}, Start: at(t, ny, "2026-01-05 09:00"), Every: ShiftLength{Days: 1}, OnCall: 5},
			probes: []probe{
				{"2026-01-05 09:00", "a,b"},
				{"2026-01-06 09:00", "b,a"},
			},
		},
		{
			name:   "no users",
			layer:  Layer{Name: "empty", Start: at(t, ny, "2026-01-05 09:00"), Every: ShiftLength{Days: 1}},
			probes: []probe{{"2026-01-06 09:00", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Schedule{Name: tt.name, Location: ny, Layers: []Layer{tt.layer}}
			checkProbes(t, s, tt.probes)
		})
	}
}

func TestLayersAndRestrictions(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	start := at(t, ny, "2026-01-05 09:00") // a Monday
	base := Layer{Name: "base", Users: []string{"base"}, Start: start, Every: ShiftLength{Weeks: 1}}
	tests := []struct {
		name   string
		top    Layer
		probes []probe
	}{
		{
			name: "business hours",
			top: Layer{Name: "biz", Users: []string{"biz"}, Start: start, Every: ShiftLength{Weeks: 1},
				Restrictions: []Restriction{{Days: days(1, 2, 3, 4, 5), From: clock(t, "09:00"), To: clock(t, "17:00")}}},
			probes: []probe{
				{"2026-01-07 08:59", "base"},
				{"2026-01-07 09:00", "biz"},
				{"2026-01-07 16:59", "biz"},
				{"2026-01-07 17:00", "base"},
				{"2026-01-10 12:00", "base"}, // Saturday
				{"2026-01-09 16:59", "biz"},  // Friday
			},
		},
		{
			name: "nights wrap midnight",
			top: Layer{Name: "night", Users: []string{"night"}, Start: start, Every: ShiftLength{Weeks: 1},
				Restrictions: []Restriction{{Days: days(time.Monday), From: clock(t, "18:00"), To: clock(t, "09:00")}}},
			probes: []probe{
				{"2026-01-12 17:59", "base"},
				{"2026-01-12 18:00", "night"},
				{"2026-01-12 23:59", "night"},
				{"2026-01-13 00:00", "night"}, // Tuesday, still Monday's window
				{"2026-01-13 08:59", "night"},
				{"2026-01-13 09:00", "base"},
				{"2026-01-13 18:00", "base"}, // Tuesday evening: not a window day
				{"2026-01-12 08:00", "base"}, // Monday morning: Sunday's window would be, not Monday's
			},
		},
		{
			name: "weekend Saturday 00:00 to Monday 00:00",
			top: Layer{Name: "weekend", Users: []string{"wk"}, Start: start, Every: ShiftLength{Weeks: 1},
				Restrictions: []Restriction{{Days: days(time.Saturday, time.Sunday), From: 0, To: EndOfDay}}},
			probes: []probe{
				{"2026-01-09 23:59", "base"},
				{"2026-01-10 00:00", "wk"},
				{"2026-01-11 23:59", "wk"},
				{"2026-01-12 00:00", "base"},
			},
		},
		{
			name: "Sunday night wraps into Monday",
			top: Layer{Name: "sun", Users: []string{"sun"}, Start: start, Every: ShiftLength{Weeks: 1},
				Restrictions: []Restriction{{Days: days(time.Sunday), From: clock(t, "22:00"), To: clock(t, "06:00")}}},
			probes: []probe{
				{"2026-01-11 21:59", "base"},
				{"2026-01-11 22:00", "sun"},
				{"2026-01-12 05:59", "sun"},
				{"2026-01-12 06:00", "base"},
				{"2026-01-12 22:00", "base"},
			},
		},
		{
			name: "from == to is a whole day from from",
			top: Layer{Name: "day", Users: []string{"day"}, Start: start, Every: ShiftLength{Weeks: 1},
				Restrictions: []Restriction{{Days: days(time.Wednesday), From: clock(t, "12:00"), To: clock(t, "12:00")}}},
			probes: []probe{
				{"2026-01-07 11:59", "base"},
				{"2026-01-07 12:00", "day"},
				{"2026-01-08 11:59", "day"},
				{"2026-01-08 12:00", "base"},
			},
		},
		{
			name: "two windows, no days means every day",
			top: Layer{Name: "two", Users: []string{"two"}, Start: start, Every: ShiftLength{Weeks: 1},
				Restrictions: []Restriction{{From: clock(t, "01:00"), To: clock(t, "02:00")}, {From: clock(t, "13:00"), To: clock(t, "14:00")}}},
			probes: []probe{
				{"2026-01-10 01:30", "two"},
				{"2026-01-10 02:00", "base"},
				{"2026-01-11 13:59", "two"},
				{"2026-01-11 14:00", "base"},
			},
		},
		{
			name: "higher layer not started yet shows the lower",
			top:  Layer{Name: "later", Users: []string{"later"}, Start: at(t, ny, "2026-02-01 00:00"), Every: ShiftLength{Weeks: 1}},
			probes: []probe{
				{"2026-01-31 23:59", "base"},
				{"2026-02-01 00:00", "later"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Schedule{Name: tt.name, Location: ny, Layers: []Layer{base, tt.top}}
			checkProbes(t, s, tt.probes)
		})
	}
}

func TestFollowTheSunLayerZones(t *testing.T) {
	utc := time.UTC
	tokyo, berlin, ny := mustLoad(t, "Asia/Tokyo"), mustLoad(t, "Europe/Berlin"), mustLoad(t, "America/New_York")
	office := func(name string, loc *time.Location) Layer {
		return Layer{Name: name, Users: []string{name}, Location: loc, Start: at(t, loc, "2026-01-05 00:00"), Every: ShiftLength{Weeks: 1},
			Restrictions: []Restriction{{From: clock(t, "09:00"), To: clock(t, "17:00")}}}
	}
	s := &Schedule{Name: "fts", Location: utc, Layers: []Layer{office("tokyo", tokyo), office("berlin", berlin), office("ny", ny)}}
	checkProbes(t, s, []probe{
		{"2026-01-14 00:00", "tokyo"},  // 09:00 JST
		{"2026-01-14 07:59", "tokyo"},  // 16:59 JST
		{"2026-01-14 08:00", "berlin"}, // 09:00 CET (and 17:00 JST)
		{"2026-01-14 13:59", "berlin"}, // 08:59 EST
		{"2026-01-14 14:00", "ny"},     // 09:00 EST wins over berlin (higher layer)
		{"2026-01-14 21:59", "ny"},
		{"2026-01-14 22:00", ""},
		{"2026-07-14 13:00", "ny"}, // 09:00 EDT in summer
		{"2026-07-14 07:00", "berlin"},
	})
}

func TestOverrides(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	s := &Schedule{Name: "ov", Location: ny,
		Layers: []Layer{{Name: "w", Users: []string{"alice", "bob"}, OnCall: 2, Start: at(t, ny, "2026-11-02 09:00"), Every: ShiftLength{Weeks: 1}}},
		Overrides: []Override{
			{User: "carol", From: at(t, ny, "2026-12-24 00:00"), To: at(t, ny, "2026-12-27 00:00")},
			{User: "dave", From: at(t, ny, "2026-12-25 00:00"), To: at(t, ny, "2026-12-26 00:00")},
			{User: "erin", From: at(t, ny, "2026-12-26 12:00"), To: at(t, ny, "2026-12-28 00:00")},
			{User: "", From: at(t, ny, "2026-12-30 00:00"), To: at(t, ny, "2026-12-31 00:00")},    // no user: ignored
			{User: "zed", From: at(t, ny, "2027-01-02 00:00"), To: at(t, ny, "2027-01-01 00:00")}, // empty interval
		},
	}
	checkProbes(t, s, []probe{
		{"2026-12-23 23:59", "bob,alice"},
		{"2026-12-24 00:00", "carol"}, // one override replaces everyone
		{"2026-12-25 00:00", "dave"},  // later-defined wins
		{"2026-12-26 00:00", "carol"},
		{"2026-12-26 12:00", "erin"},
		{"2026-12-28 00:00", "bob,alice"},
		{"2026-12-30 12:00", "alice,bob"}, // override without a user is ignored
		{"2027-01-01 12:00", "alice,bob"}, // so is an empty one
		{"2026-11-01 12:00", ""},
	})
	got := s.OnCallAt(at(t, ny, "2026-12-25 00:00"))
	if want := []Assignment{{User: "dave", Override: true}}; !slices.Equal(got, want) {
		t.Errorf("OnCallAt = %+v, want %+v", got, want)
	}
	got = s.OnCallAt(at(t, ny, "2026-12-28 00:00"))
	if want := []Assignment{{User: "bob", Layer: "w"}, {User: "alice", Layer: "w"}}; !slices.Equal(got, want) {
		t.Errorf("OnCallAt = %+v, want %+v", got, want)
	}
	if got, want := s.OverlappingOverrides(), [][2]int{{0, 1}, {0, 2}}; !slices.Equal(got, want) {
		t.Errorf("OverlappingOverrides() = %v, want %v", got, want)
	}
}

func TestValidate(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	good := Schedule{Name: "ok", Location: ny, Layers: []Layer{{Name: "w", Users: []string{"a"}, Start: at(t, ny, "2026-01-01 09:00"), Every: ShiftLength{Weeks: 1},
		Restrictions: []Restriction{{Days: days(time.Monday), From: 0, To: EndOfDay}}}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	bad := Schedule{Name: "bad", Location: ny,
		Layers: []Layer{
			{Name: "x", Every: ShiftLength{Days: 1, Duration: time.Hour}, OnCall: 2, Restrictions: []Restriction{{From: EndOfDay, To: 0}}},
		},
		Overrides: []Override{{User: "a", From: at(t, ny, "2026-01-02 00:00"), To: at(t, ny, "2026-01-01 00:00")}},
	}
	err := bad.Validate()
	for _, want := range []string{"no users", "cannot be mixed", "no start", "on_call = 2", "restriction from 24:00", "not before"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
}

func TestValidateRefusesStartsThatWouldOverflow(t *testing.T) {
	for _, start := range []time.Time{
		time.Date(1026, 11, 2, 9, 0, 0, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		s := &Schedule{Name: "s", Location: time.UTC, Layers: []Layer{{
			Name: "r", Users: []string{"a"}, Start: start, Every: ShiftLength{Duration: 12 * time.Hour},
		}}}
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "want a date from 1970") {
			t.Errorf("Validate with start %s = %v, want an error naming the range", start, err)
		}
	}
}
