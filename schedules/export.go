package schedules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	ics "github.com/arran4/golang-ical"
)

// WriteICal writes shifts as an RFC 5545 calendar named calName, with CRLF
// line ends, one VEVENT per shift. Each event's UID is derived from
// (Schedule, User, Start), so a subscribed calendar app updates a shift whose
// end moved instead of showing it twice; DTSTAMP is now.
func WriteICal(w io.Writer, calName string, shifts []Shift, now time.Time) error {
	cal := ics.NewCalendarFor("pagerd")
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	cal.SetXWRCalName(calName)
	for _, sh := range shifts {
		ev := cal.AddEvent(shiftUID(sh))
		ev.SetDtStampTime(now)
		ev.SetStartAt(sh.Start)
		ev.SetEndAt(sh.End)
		ev.SetSummary(fmt.Sprintf("On call: %s (%s)", sh.User, sh.Schedule))
		ev.SetDescription(fmt.Sprintf("%s on call for schedule %s (%s).", sh.User, sh.Schedule, shiftReason(sh)))
	}
	var buf bytes.Buffer
	if err := cal.SerializeTo(&buf, ics.WithNewLineWindows); err != nil {
		return fmt.Errorf("ical: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// shiftUID is stable across renders for the same schedule, user and start.
func shiftUID(sh Shift) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d", sh.Schedule, sh.User, sh.Start.UnixNano())
	return hex.EncodeToString(h.Sum(nil)[:16]) + "@pagerd"
}

func shiftReason(sh Shift) string {
	if sh.Override {
		return "override"
	}
	if sh.Layer == "" {
		return "rotation"
	}
	return "rotation " + sh.Layer
}

// WriteTable writes shifts as an aligned table with times in loc (nil: UTC):
// schedule, user, from, to, duration and why (layer or override).
func WriteTable(w io.Writer, shifts []Shift, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHEDULE\tUSER\tFROM\tTO\tDURATION\tVIA")
	const layout = "Mon 2006-01-02 15:04 MST"
	for _, sh := range shifts {
		via := sh.Layer
		if sh.Override {
			via = "override"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", sh.Schedule, sh.User,
			sh.Start.In(loc).Format(layout), sh.End.In(loc).Format(layout),
			formatSpan(sh.End.Sub(sh.Start)), via)
	}
	return tw.Flush()
}

// formatSpan writes a duration in days, hours and minutes: "7d", "1d1h",
// "23h", "1h30m", "0m".
func formatSpan(d time.Duration) string {
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	hours := d / time.Hour
	mins := (d - hours*time.Hour) / time.Minute
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if hours > 0 {
		fmt.Fprintf(&b, "%dh", hours)
	}
	if mins > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%dm", mins)
	}
	return b.String()
}
