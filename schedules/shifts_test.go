package schedules

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// fmtShifts renders shifts compactly in loc for comparison.
func fmtShifts(shifts []Shift, loc *time.Location) string {
	var parts []string
	for _, sh := range shifts {
		via := sh.Layer
		if sh.Override {
			via = "override"
		}
		parts = append(parts, fmt.Sprintf("%s %s %s-%s %s", sh.Schedule, sh.User,
			sh.Start.In(loc).Format("01-02T15:04"), sh.End.In(loc).Format("01-02T15:04"), via))
	}
	return strings.Join(parts, "\n")
}

func fmtGaps(gaps []Gap, loc *time.Location) string {
	var parts []string
	for _, g := range gaps {
		parts = append(parts, g.Start.In(loc).Format("01-02T15:04")+"-"+g.End.In(loc).Format("01-02T15:04"))
	}
	return strings.Join(parts, "\n")
}

// primary: weekly alice/bob from Mon 2026-01-05 09:00, a business-hours
// layer for carol on weekdays, an override for dave.
func primary(t testing.TB) *Schedule {
	ny := mustLoad(t, "America/New_York")
	return &Schedule{Name: "primary", Location: ny,
		Layers: []Layer{
			{Name: "weekly", Users: []string{"alice", "bob"}, Start: at(t, ny, "2026-01-05 09:00"), Every: ShiftLength{Weeks: 1}},
			{Name: "biz", Users: []string{"carol"}, Start: at(t, ny, "2026-01-05 09:00"), Every: ShiftLength{Days: 1},
				Restrictions: []Restriction{{Days: days(1, 2, 3, 4, 5), From: clock(t, "09:00"), To: clock(t, "17:00")}}},
		},
		Overrides: []Override{{User: "dave", From: at(t, ny, "2026-01-07 12:00"), To: at(t, ny, "2026-01-07 14:00")}},
	}
}

func TestShifts(t *testing.T) {
	s := primary(t)
	ny := s.Location
	tests := []struct {
		name     string
		from, to string
		want     string
	}{
		{
			name: "before start, clipped", from: "2026-01-04 00:00", to: "2026-01-05 18:00",
			want: "primary carol 01-05T09:00-01-05T17:00 biz\nprimary alice 01-05T17:00-01-05T18:00 weekly",
		},
		{
			name: "business hours cut the weekly, override cuts biz, daily biz merges", from: "2026-01-06 08:00", to: "2026-01-08 10:00",
			want: `primary alice 01-06T08:00-01-06T09:00 weekly
primary carol 01-06T09:00-01-06T17:00 biz
primary alice 01-06T17:00-01-07T09:00 weekly
primary carol 01-07T09:00-01-07T12:00 biz
primary dave 01-07T12:00-01-07T14:00 override
primary carol 01-07T14:00-01-07T17:00 biz
primary alice 01-07T17:00-01-08T09:00 weekly
primary carol 01-08T09:00-01-08T10:00 biz`,
		},
		{
			name: "weekend: weekly handoff, merged over days", from: "2026-01-09 16:00", to: "2026-01-13 00:00",
			want: `primary carol 01-09T16:00-01-09T17:00 biz
primary alice 01-09T17:00-01-12T09:00 weekly
primary carol 01-12T09:00-01-12T17:00 biz
primary bob 01-12T17:00-01-13T00:00 weekly`,
		},
		{name: "empty range", from: "2026-01-09 16:00", to: "2026-01-09 16:00", want: ""},
		{name: "reversed range", from: "2026-01-10 16:00", to: "2026-01-09 16:00", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fmtShifts(s.Shifts(at(t, ny, tt.from), at(t, ny, tt.to)), ny)
			if got != tt.want {
				t.Errorf("Shifts(%s, %s) =\n%s\nwant\n%s", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestShiftsOnCallTwoSortedByUser(t *testing.T) {
	utc := time.UTC
	s := &Schedule{Name: "pair", Location: utc, Layers: []Layer{
		{Name: "p", Users: []string{"c", "b", "a"}, OnCall: 2, Start: at(t, utc, "2026-01-01 00:00"), Every: ShiftLength{Days: 1}}}}
	got := fmtShifts(s.Shifts(at(t, utc, "2026-01-01 00:00"), at(t, utc, "2026-01-04 00:00")), utc)
	// Day 0: c,b; day 1: b,a; day 2: a,c. b's two days merge.
	want := `pair b 01-01T00:00-01-03T00:00 p
pair c 01-01T00:00-01-02T00:00 p
pair a 01-02T00:00-01-04T00:00 p
pair c 01-03T00:00-01-04T00:00 p`
	if got != want {
		t.Errorf("Shifts =\n%s\nwant\n%s", got, want)
	}
}

func TestGaps(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	s := &Schedule{Name: "biz-only", Location: ny,
		Layers: []Layer{{Name: "biz", Users: []string{"a"}, Start: at(t, ny, "2026-01-05 00:00"), Every: ShiftLength{Weeks: 1},
			Restrictions: []Restriction{{Days: days(1, 2, 3, 4, 5), From: clock(t, "09:00"), To: clock(t, "17:00")}}}},
		Overrides: []Override{{User: "b", From: at(t, ny, "2026-01-10 10:00"), To: at(t, ny, "2026-01-10 11:00")}},
	}
	got := fmtGaps(s.Gaps(at(t, ny, "2026-01-01 00:00"), at(t, ny, "2026-01-13 00:00")), ny)
	want := `01-01T00:00-01-05T09:00
01-05T17:00-01-06T09:00
01-06T17:00-01-07T09:00
01-07T17:00-01-08T09:00
01-08T17:00-01-09T09:00
01-09T17:00-01-10T10:00
01-10T11:00-01-12T09:00
01-12T17:00-01-13T00:00`
	if got != want {
		t.Errorf("Gaps =\n%s\nwant\n%s", got, want)
	}
	full := &Schedule{Name: "full", Location: ny, Layers: []Layer{{Name: "l", Users: []string{"a"}, Start: at(t, ny, "2026-01-01 00:00"), Every: ShiftLength{Days: 1}}}}
	if g := full.Gaps(at(t, ny, "2026-01-02 00:00"), at(t, ny, "2026-03-01 00:00")); len(g) != 0 {
		t.Errorf("full coverage Gaps = %v, want none", g)
	}
}

func TestUserShifts(t *testing.T) {
	s := primary(t)
	ny := s.Location
	other := &Schedule{Name: "db", Location: time.UTC, Layers: []Layer{
		{Name: "d", Users: []string{"carol", "alice"}, Start: at(t, time.UTC, "2026-01-06 00:00"), Every: ShiftLength{Days: 1}}}}
	got := fmtShifts(UserShifts("alice", []*Schedule{other, s}, at(t, ny, "2026-01-06 08:00"), at(t, ny, "2026-01-08 10:00")), ny)
	want := `primary alice 01-06T08:00-01-06T09:00 weekly
primary alice 01-06T17:00-01-07T09:00 weekly
db alice 01-06T19:00-01-07T19:00 d
primary alice 01-07T17:00-01-08T09:00 weekly`
	if got != want {
		t.Errorf("UserShifts =\n%s\nwant\n%s", got, want)
	}
	if got := UserShifts("nobody", []*Schedule{s, other}, at(t, ny, "2026-01-06 08:00"), at(t, ny, "2026-01-08 10:00")); len(got) != 0 {
		t.Errorf("UserShifts(nobody) = %v", got)
	}
}

func TestShiftStarts(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	s := &Schedule{Name: "ss", Location: ny,
		Layers: []Layer{
			{Name: "weekly", Users: []string{"alice", "bob"}, Start: at(t, ny, "2026-01-05 09:00"), Every: ShiftLength{Weeks: 1}},
			{Name: "solo", Users: []string{"alice"}, Start: at(t, ny, "2026-01-05 09:00"), Every: ShiftLength{Weeks: 1},
				Restrictions: []Restriction{{Days: days(time.Friday), From: clock(t, "12:00"), To: clock(t, "13:00")}}},
		},
		Overrides: []Override{{User: "alice", From: at(t, ny, "2026-01-08 00:00"), To: at(t, ny, "2026-01-08 12:00")}},
	}
	tests := []struct {
		from, to string
		want     string
	}{
		// alice on call from Monday 09:00; the override on Thursday and the
		// solo layer on Friday continue her stretch; bob starts the next Monday.
		{from: "2026-01-05 00:00", to: "2026-01-13 00:00", want: `ss alice 01-05T09:00-01-12T09:00 weekly
ss bob 01-12T09:00-01-13T00:00 weekly`},
		// Window opening inside alice's stretch: no start for her.
		{from: "2026-01-06 00:00", to: "2026-01-12 09:00", want: ``},
		// Window opening exactly at a start: included.
		{from: "2026-01-12 09:00", to: "2026-01-12 10:00", want: `ss bob 01-12T09:00-01-12T10:00 weekly`},
		// bob's Friday: solo layer puts alice on for an hour; bob comes back.
		{from: "2026-01-16 00:00", to: "2026-01-17 00:00", want: `ss alice 01-16T12:00-01-16T13:00 solo
ss bob 01-16T13:00-01-17T00:00 weekly`},
	}
	for _, tt := range tests {
		got := fmtShifts(s.ShiftStarts(at(t, ny, tt.from), at(t, ny, tt.to)), ny)
		if got != tt.want {
			t.Errorf("ShiftStarts(%s, %s) =\n%s\nwant\n%s", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestWriteICal(t *testing.T) {
	s := primary(t)
	ny := s.Location
	shifts := s.Shifts(at(t, ny, "2026-01-06 08:00"), at(t, ny, "2026-01-08 10:00"))
	now1 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var a, b bytes.Buffer
	if err := WriteICal(&a, "payments on call", shifts, now1); err != nil {
		t.Fatal(err)
	}
	if err := WriteICal(&b, "payments on call", shifts, now1.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	out := a.String()
	if !strings.HasSuffix(out, "END:VCALENDAR\r\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
		t.Errorf("not CRLF-terminated lines:\n%q", out)
	}
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "VERSION:2.0\r\n", "PRODID:", "METHOD:PUBLISH\r\n",
		"X-WR-CALNAME:payments on call\r\n", "SUMMARY:On call: dave (primary)\r\n",
		"DTSTART:20260107T170000Z\r\n", "DTEND:20260107T190000Z\r\n", "DTSTAMP:20260101T120000Z\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("ical output lacks %q", want)
		}
	}
	for _, line := range strings.Split(out, "\r\n") {
		if len(line) > 75 {
			t.Errorf("line longer than 75 octets: %q", line)
		}
	}
	uids := regexp.MustCompile(`UID:(\S+)`)
	ua, ub := uids.FindAllString(a.String(), -1), uids.FindAllString(b.String(), -1)
	if len(ua) != len(shifts) || strings.Join(ua, " ") != strings.Join(ub, " ") {
		t.Errorf("UIDs differ between renders or miscounted:\n%v\n%v", ua, ub)
	}
	seen := map[string]bool{}
	for _, u := range ua {
		if seen[u] {
			t.Errorf("duplicate %s", u)
		}
		seen[u] = true
	}

	cal, err := ics.ParseCalendar(strings.NewReader(out))
	if err != nil {
		t.Fatalf("parse back: %v", err)
	}
	events := cal.Events()
	if len(events) != len(shifts) {
		t.Fatalf("parsed %d VEVENTs, want %d", len(events), len(shifts))
	}
	for i, ev := range events {
		start, err1 := ev.GetStartAt()
		end, err2 := ev.GetEndAt()
		if err1 != nil || err2 != nil || !start.Equal(shifts[i].Start) || !end.Equal(shifts[i].End) {
			t.Errorf("event %d = %v–%v (%v, %v), want %v–%v", i, start, end, err1, err2, shifts[i].Start, shifts[i].End)
		}
	}

	// A shift whose end moved keeps its UID; a different user does not.
	moved := shifts[0]
	moved.End = moved.End.Add(time.Hour)
	other := shifts[0]
	other.User = "zed"
	if shiftUID(moved) != shiftUID(shifts[0]) || shiftUID(other) == shiftUID(shifts[0]) {
		t.Error("UID must depend on schedule, user and start only")
	}
}

func TestWriteTable(t *testing.T) {
	s := primary(t)
	ny := s.Location
	shifts := s.Shifts(at(t, ny, "2026-01-07 11:00"), at(t, ny, "2026-01-07 17:30"))
	var buf bytes.Buffer
	if err := WriteTable(&buf, shifts, time.UTC); err != nil {
		t.Fatal(err)
	}
	want := `SCHEDULE  USER   FROM                      TO                        DURATION  VIA
primary   carol  Wed 2026-01-07 16:00 UTC  Wed 2026-01-07 17:00 UTC  1h        biz
primary   dave   Wed 2026-01-07 17:00 UTC  Wed 2026-01-07 19:00 UTC  2h        override
primary   carol  Wed 2026-01-07 19:00 UTC  Wed 2026-01-07 22:00 UTC  3h        biz
primary   alice  Wed 2026-01-07 22:00 UTC  Wed 2026-01-07 22:30 UTC  30m       weekly
`
	if got := buf.String(); got != want {
		t.Errorf("WriteTable =\n%s\nwant\n%s", got, want)
	}
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{0, "0m"}, {90 * time.Minute, "1h30m"}, {25 * time.Hour, "1d1h"}, {7 * 24 * time.Hour, "7d"}, {167 * time.Hour, "6d23h"}} {
		if got := formatSpan(tt.d); got != tt.want {
			t.Errorf("formatSpan(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
