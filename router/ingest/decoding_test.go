package ingest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// A time RFC 3339 accepts can still fall outside the years 0000 to 9999 in
// UTC, which pagerd cannot keep: it is refused as the alert's fault (422,
// naming the field), never accepted to fail in the store.
func TestParseTimeOutOfRange(t *testing.T) {
	tests := []struct {
		in      string
		refused bool
	}{
		{"9999-12-31T23:59:59-23:59", true}, // 10000-01-01T23:58:59Z
		{"0000-01-01T00:00:00+23:59", true}, // -0001-12-31T00:01:00Z
		{"9999-12-31T23:59:59.999999999Z", false},
		{"9999-12-31T23:59:59+23:59", false},
		{"0000-01-01T00:00:00Z", false},
		{"0000-01-01T00:00:00-23:59", false},
	}
	for _, tc := range tests {
		got, err := ParseTime(3, "endsAt", tc.in)
		if !tc.refused {
			if err != nil {
				t.Errorf("ParseTime(%q) = %v, want it accepted", tc.in, err)
			} else if _, err := json.Marshal(got); err != nil {
				t.Errorf("ParseTime(%q) = %s, which cannot be encoded: %v", tc.in, got, err)
			}
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("ParseTime(%q) = %s, %v; want a *DecodeError", tc.in, got, err)
		}
		if de.Kind != Invalid || de.HTTPStatus() != 422 || de.Index != 3 || de.Field != "endsAt" ||
			!strings.HasPrefix(de.Error(), "alerts[3].endsAt: ") || !strings.Contains(de.Error(), "out of range") {
			t.Errorf("ParseTime(%q) error = %+v (%q), want a 422 naming alerts[3].endsAt", tc.in, de, de.Error())
		}
	}
}

func TestStorableTime(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), true},
		{time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)), false},
	} {
		if got := StorableTime(tc.t); got != tc.want {
			t.Errorf("StorableTime(%s) = %v, want %v", tc.t, got, tc.want)
		}
	}
}
