package schedules

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func TestParseShiftLength(t *testing.T) {
	tests := []struct {
		in      string
		want    ShiftLength
		wantErr string
	}{
		{in: "1w", want: ShiftLength{Weeks: 1}},
		{in: "2w", want: ShiftLength{Weeks: 2}},
		{in: "1d", want: ShiftLength{Days: 1}},
		{in: "3d", want: ShiftLength{Days: 3}},
		{in: "1w2d", want: ShiftLength{Weeks: 1, Days: 2}},
		{in: " 12h ", want: ShiftLength{Duration: 12 * time.Hour}},
		{in: "90m", want: ShiftLength{Duration: 90 * time.Minute}},
		{in: "1h30m", want: ShiftLength{Duration: 90 * time.Minute}},
		{in: "", wantErr: `""`},
		{in: "0d", wantErr: "positive"},
		{in: "0w0d", wantErr: "positive"},
		{in: "0h", wantErr: "at least 15m"},
		{in: "-1h", wantErr: "at least 15m"},
		{in: "1s", wantErr: "at least 15m"},
		{in: "14m59s", wantErr: "at least 15m"},
		{in: "1d12h", wantErr: "mixed"},
		{in: "2d1w", wantErr: "weeks before days"},
		{in: "1w1w", wantErr: "weeks before days"},
		{in: "w", wantErr: `"w"`},
		{in: "1x", wantErr: `"1x"`},
		{in: "weekly", wantErr: `"weekly"`},
		{in: "99999999d", wantErr: "too large"},
	}
	for _, tt := range tests {
		got, err := ParseShiftLength(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseShiftLength(%q) error = %v, want containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseShiftLength(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
		}
		if back, err := ParseShiftLength(got.String()); err != nil || back != got {
			t.Errorf("ParseShiftLength(%q.String()=%q) = %+v, %v", tt.in, got.String(), back, err)
		}
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in      string
		want    ClockTime
		wantErr bool
	}{
		{in: "00:00", want: 0},
		{in: "09:00", want: 540},
		{in: "9:05", want: 545},
		{in: "17:30", want: 1050},
		{in: "23:59", want: 1439},
		{in: "24:00", want: EndOfDay},
		{in: "24:01", wantErr: true},
		{in: "25:00", wantErr: true},
		{in: "12:60", wantErr: true},
		{in: "12:5", wantErr: true},
		{in: "1200", wantErr: true},
		{in: "-1:00", wantErr: true},
		{in: "", wantErr: true},
		{in: "ab:cd", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseClock(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseClock(%q) = %v, %v, want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), tt.in) {
			t.Errorf("ParseClock(%q) error %q does not name the input", tt.in, err)
		}
	}
	if got := ClockTime(545).String(); got != "09:05" {
		t.Errorf("ClockTime(545).String() = %q, want 09:05", got)
	}
}

func TestParseWeekday(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Weekday
		wantErr bool
	}{
		{in: "mon", want: time.Monday},
		{in: "Monday", want: time.Monday},
		{in: "TUE", want: time.Tuesday},
		{in: "sunday", want: time.Sunday},
		{in: "sat", want: time.Saturday},
		{in: "mo", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseWeekday(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("ParseWeekday(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseLocal(t *testing.T) {
	tests := []struct {
		zone, in string
		want     string // RFC 3339 of the instant
		wantErr  bool
	}{
		{zone: "America/New_York", in: "2026-11-02 09:00", want: "2026-11-02T09:00:00-05:00"},
		{zone: "America/New_York", in: "2026-07-02T09:00", want: "2026-07-02T09:00:00-04:00"},
		{zone: "America/New_York", in: "2026-07-02 09:00:30", want: "2026-07-02T09:00:30-04:00"},
		{zone: "America/New_York", in: "2026-07-02T09:00:00+02:00", want: "2026-07-02T03:00:00-04:00"},
		// Spring forward: 02:30 does not exist; moved forward by the gap.
		{zone: "America/New_York", in: "2026-03-08 02:30", want: "2026-03-08T03:30:00-04:00"},
		{zone: "America/New_York", in: "2026-03-08 02:00", want: "2026-03-08T03:00:00-04:00"},
		{zone: "America/New_York", in: "2026-03-08 03:00", want: "2026-03-08T03:00:00-04:00"},
		// Fall back: 01:30 happens twice; the first (EDT) one.
		{zone: "America/New_York", in: "2026-11-01 01:30", want: "2026-11-01T01:30:00-04:00"},
		{zone: "America/New_York", in: "2026-11-01 01:00", want: "2026-11-01T01:00:00-04:00"},
		{zone: "America/New_York", in: "2026-11-01 02:00", want: "2026-11-01T02:00:00-05:00"},
		{zone: "Europe/Berlin", in: "2026-03-29 02:30", want: "2026-03-29T03:30:00+02:00"},
		{zone: "Europe/Berlin", in: "2026-10-25 02:30", want: "2026-10-25T02:30:00+02:00"},
		{zone: "Australia/Sydney", in: "2026-04-05 02:30", want: "2026-04-05T02:30:00+11:00"},
		{zone: "Australia/Sydney", in: "2026-10-04 02:30", want: "2026-10-04T03:30:00+11:00"},
		{zone: "Asia/Kolkata", in: "2026-03-08 02:30", want: "2026-03-08T02:30:00+05:30"},
		{zone: "UTC", in: "2028-02-29 23:59", want: "2028-02-29T23:59:00Z"},
		{zone: "UTC", in: "2027-02-29 10:00", wantErr: true},
		{zone: "UTC", in: "2026-11-02", wantErr: true},
		{zone: "UTC", in: "tomorrow", wantErr: true},
	}
	for _, tt := range tests {
		loc := mustLoad(t, tt.zone)
		got, err := ParseLocal(tt.in, loc)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseLocal(%q, %s) = %v, %v, want an error naming the input", tt.in, tt.zone, got, err)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != tt.want {
			t.Errorf("ParseLocal(%q, %s) = %s, %v, want %s", tt.in, tt.zone, got.Format(time.RFC3339), err, tt.want)
		}
		if got.Location() != loc {
			t.Errorf("ParseLocal(%q, %s) location = %v", tt.in, tt.zone, got.Location())
		}
	}
}

func FuzzParseShiftLength(f *testing.F) {
	for _, s := range []string{"1w", "2d", "1w2d", "12h", "90m", "1h30m", "0d", "-1h", "1d12h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseShiftLength(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParseShiftLength(%q) error %q does not name the input", s, err)
			}
			return
		}
		if err := l.validate(); err != nil {
			t.Fatalf("ParseShiftLength(%q) = %+v, which does not validate: %v", s, l, err)
		}
		if back, err := ParseShiftLength(l.String()); err != nil || back.calendarDays() != l.calendarDays() || back.Duration != l.Duration {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v, %v", s, l, l.String(), back, err)
		}
	})
}

func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"09:00", "9:00", "24:00", "24:01", "23:59", "00:00", "1:2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseClock(s)
		if err != nil {
			return
		}
		if c < 0 || c > EndOfDay {
			t.Fatalf("ParseClock(%q) = %d, out of range", s, c)
		}
		if back, err := ParseClock(c.String()); err != nil || back != c {
			t.Fatalf("round trip %q -> %d -> %q -> %d, %v", s, c, c.String(), back, err)
		}
	})
}
