package schedules

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchSchedule is five layers — weekly, daily business hours, 12h absolute,
// a weekend layer and a follow-the-sun layer in another zone — with ten
// overrides.
func benchSchedule(b *testing.B) *Schedule {
	ny, berlin := mustLoad(b, "America/New_York"), mustLoad(b, "Europe/Berlin")
	weekdays := days(1, 2, 3, 4, 5)
	s := &Schedule{Name: "bench", Location: ny, Layers: []Layer{
		{Name: "weekly", Users: []string{"a", "b", "c", "d"}, Start: at(b, ny, "2026-01-05 09:00"), Every: ShiftLength{Weeks: 1}},
		{Name: "biz", Users: []string{"e", "f", "g"}, Start: at(b, ny, "2026-01-05 09:00"), Every: ShiftLength{Days: 1},
			Restrictions: []Restriction{{Days: weekdays, From: clock(b, "09:00"), To: clock(b, "17:00")}}},
		{Name: "half", Users: []string{"h", "i"}, Start: at(b, ny, "2026-01-05 08:00"), Every: ShiftLength{Duration: 12 * time.Hour},
			Restrictions: []Restriction{{Days: weekdays, From: clock(b, "18:00"), To: clock(b, "08:00")}}},
		{Name: "weekend", Users: []string{"j", "k"}, Start: at(b, ny, "2026-01-03 00:00"), Every: ShiftLength{Weeks: 2},
			Restrictions: []Restriction{{Days: days(time.Saturday, time.Sunday), From: 0, To: EndOfDay}}},
		{Name: "emea", Users: []string{"l", "m", "n"}, Location: berlin, Start: at(b, berlin, "2026-01-05 09:00"), Every: ShiftLength{Weeks: 1}, OnCall: 2,
			Restrictions: []Restriction{{Days: weekdays, From: clock(b, "09:00"), To: clock(b, "13:00")}}},
	}}
	r := rand.New(rand.NewPCG(7, 8))
	base := at(b, ny, "2026-01-01 00:00")
	for range 10 {
		from := base.Add(time.Duration(r.IntN(365*24)) * time.Hour)
		s.Overrides = append(s.Overrides, Override{User: "o", From: from, To: from.Add(8 * time.Hour)})
	}
	if err := s.Validate(); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkOnCallAt(b *testing.B) {
	s := benchSchedule(b)
	r := rand.New(rand.NewPCG(9, 10))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	instants := make([]time.Time, 1024)
	for i := range instants {
		instants[i] = base.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.OnCallAt(instants[i%len(instants)])
		i++
	}
}

func BenchmarkShiftsOneYear(b *testing.B) {
	s := benchSchedule(b)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = len(s.Shifts(from, to))
	}
	b.ReportMetric(float64(n), "shifts")
}
