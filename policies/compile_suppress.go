package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/schedules"
)

// maintenance compiles the `maintenance "NAME"` blocks, once services are
// known.
func (l *loader) maintenance(cfg *Config, blocks []*hcl.Block) {
	names := map[string]hcl.Range{}
	for _, hb := range blocks {
		b := l.block(hb, append(required("duration"),
			attrs("services", "match", "timezone", "start", "every", "weekdays", "day", "at", "from", "until", "announce")...))
		if !l.unique(names, "maintenance window", b.Label(), hb.DefRange) {
			continue
		}
		before := len(l.diags.Errs())
		m := &Maintenance{Name: b.Label()}
		if !suppressName.MatchString(m.Name) {
			l.errorf(hb.LabelRanges[0], "Invalid name",
				"Maintenance window %q: use letters, digits, '.', '_' and '-' only.", m.Name)
		}
		services, ranges, _ := b.Strings("services")
		for i, s := range services {
			if cfg.declaredService(s) == nil {
				l.errorf(ranges[i], "Unknown service", "No service %q is defined.", s)
			}
		}
		m.Services = services
		m.Announce, _ = b.String("announce")
		m.Matchers, _ = l.matchers(b.expr("match"), "match")
		if !b.Written("services") && !b.Written("match") {
			l.errorf(hb.DefRange, "Maintenance window covers nothing",
				`Say which alerts it covers: services = ["NAME", ...], match = ["label=value", ...], or both (match = [] covers every alert).`)
		}
		tz, tzRange := b.String("timezone")
		loc := l.location(tz, tzRange, time.UTC)
		m.Window = l.window(b, loc)
		cfg.Maintenance = append(cfg.Maintenance, m)
		if len(l.diags.Errs()) != before {
			continue
		}
		// The checks above point at the offending attribute; this one
		// catches what the time math rejects that they missed.
		if err := m.Window.Validate(); err != nil {
			l.errorf(hb.DefRange, "Invalid maintenance window", "%s.", strings.ToUpper(err.Error()[:1])+err.Error()[1:])
			continue
		}
		l.maintenanceWarnings(m, hb)
	}
}

// window reads when a maintenance block is open: a one-off start, or a
// recurrence.
func (l *loader) window(b *Block, loc *time.Location) schedules.Window {
	w := schedules.Window{Location: loc}
	if d, r, ok := b.Duration("duration", 0); ok {
		if d == 0 {
			l.errorf(r, "Invalid duration", `duration must be longer than 0s; write it like "2h".`)
		}
		w.Duration = d
	}
	start, startRange := b.String("start")
	every, everyRange := b.String("every")
	recurring := []string{"weekdays", "day", "at", "from", "until"}
	switch {
	case present(startRange) && present(everyRange):
		l.errorf(everyRange, "One-off or recurring",
			`A maintenance window is one-off (start = "...") or recurring (every = "..."), not both.`)
		return w
	case present(startRange):
		w.Start, _ = l.localTime(start, startRange, "start", loc)
		for _, a := range recurring {
			if b.Written(a) {
				l.errorf(b.Attr(a), "Attribute of a recurring window", "%s applies to a recurring window (every = \"...\"); a one-off one opens at start.", a)
			}
		}
		return w
	case !present(everyRange):
		l.errorf(b.Range(), "Maintenance window never opens",
			`Give it start = "2026-12-05 22:00" for a one-off window, or every = "day", "week" or "month" with at = "HH:MM" for a recurring one.`)
		return w
	}
	w.Every = schedules.Recurrence(every)
	if !slices.Contains(schedules.Recurrences, w.Every) {
		l.errorf(everyRange, "Invalid recurrence", `every = %q: use "day", "week" or "month".`, every)
	}
	if at, r := b.String("at"); !present(r) {
		l.errorf(b.Range(), "Recurring window without at", `A recurring window needs at = "HH:MM", the wall clock it opens at.`)
	} else if c, err := schedules.ParseClock(at); err != nil || c == schedules.EndOfDay {
		l.errorf(r, "Invalid time of day", `at = %q is not a time of day; write it like "02:00" (00:00 to 23:59).`, at)
	} else {
		w.At = c
	}
	days, dayRanges, _ := b.Strings("weekdays")
	switch {
	case w.Every == schedules.Weekly && !b.Written("weekdays"):
		l.errorf(b.Range(), "Weekly window without weekdays", `A weekly window needs weekdays = ["sun", ...], the days it opens on.`)
	case w.Every != schedules.Weekly && b.Written("weekdays"):
		l.errorf(b.Attr("weekdays"), "Weekdays of a window that is not weekly", `weekdays applies to every = "week" only.`)
	case w.Every == schedules.Weekly && len(days) == 0 && len(dayRanges) == 0:
		l.errorf(b.Attr("weekdays"), "Weekly window without weekdays", `weekdays needs at least one day, such as ["sun"].`)
	}
	for i, d := range days {
		wd, err := schedules.ParseWeekday(d)
		if err != nil {
			l.errorf(dayRanges[i], "Invalid weekday", "%s.", err)
			continue
		}
		w.Weekdays = append(w.Weekdays, wd)
	}
	day, dayRange := b.Int("day")
	switch {
	case w.Every == schedules.Monthly && !present(dayRange):
		l.errorf(b.Range(), "Monthly window without day", "A monthly window needs day = 1 to 31, the day of the month it opens on.")
	case w.Every != schedules.Monthly && present(dayRange):
		l.errorf(dayRange, "Day of a window that is not monthly", `day applies to every = "month" only.`)
	case present(dayRange) && (day < 1 || day > 31):
		l.errorf(dayRange, "Invalid day of the month", "day = %d: use 1 to 31 (a month without that day has no occurrence).", day)
	}
	w.Day = day
	for _, bound := range []struct {
		attr string
		dst  *schedules.Date
	}{{"from", &w.From}, {"until", &w.Until}} {
		s, r := b.String(bound.attr)
		if !present(r) {
			continue
		}
		d, err := schedules.ParseDate(s)
		if err != nil {
			l.errorf(r, "Invalid date", `%s = %q is not a date; write it like "2027-01-31".`, bound.attr, s)
			continue
		}
		*bound.dst = d
	}
	return w
}

// maintenanceWarnings warns about a window that covers nothing any more,
// or never did.
func (l *loader) maintenanceWarnings(m *Maintenance, hb *hcl.Block) {
	const layout = "Mon 2006-01-02 15:04 MST"
	w := &m.Window
	switch {
	case w.Occurs(l.now):
	case !w.Recurring():
		l.warnf(hb.DefRange.Ptr(), "Maintenance window in the past",
			"Maintenance window %q closed at %s; it covers nothing any more.", m.Name, w.Start.Add(w.Duration).In(w.Location).Format(layout))
	case !w.EverOccurs():
		l.warnf(hb.DefRange.Ptr(), "Maintenance window never occurs",
			"Maintenance window %q opens on no date from %s to %s: %s.", m.Name, w.From, w.Until, recurrenceText(w))
	default:
		l.warnf(hb.DefRange.Ptr(), "Maintenance window over",
			"Maintenance window %q opened for the last time before now (until = %q); it covers nothing any more.", m.Name, w.Until.String())
	}
}

// recurrenceText says when a recurring window opens, for diagnostics.
func recurrenceText(w *schedules.Window) string {
	switch w.Every {
	case schedules.Weekly:
		var days []string
		for _, d := range w.Weekdays {
			days = append(days, d.String())
		}
		return "it opens only on " + strings.Join(days, ", ")
	case schedules.Monthly:
		return fmt.Sprintf("it opens only on day %d of a month", w.Day)
	}
	return "it opens every day"
}

// suppressName is what a maintenance window or an inhibition rule may be
// called: the name goes into why an alert is muted, and a rule's into
// Redis keys.
var suppressName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// inhibits compiles the `inhibit "NAME"` blocks.
func (l *loader) inhibits(cfg *Config, blocks []*hcl.Block) {
	names := map[string]hcl.Range{}
	for _, hb := range blocks {
		b := l.block(hb, append(required("source_match", "target_match"), attrs("equal")...))
		if !l.unique(names, "inhibit rule", b.Label(), hb.DefRange) {
			continue
		}
		r := &InhibitRule{Name: b.Label()}
		if !suppressName.MatchString(r.Name) {
			l.errorf(hb.LabelRanges[0], "Invalid name",
				"Inhibit rule %q: use letters, digits, '.', '_' and '-' only.", r.Name)
		}
		var n int
		if r.Source, n = l.matchers(b.expr("source_match"), "source_match"); n == 0 && b.Written("source_match") {
			l.errorf(b.Attr("source_match"), "Inhibit rule without source",
				"source_match needs at least one matcher: the alerts that mute others while they fire.")
		}
		if r.Target, n = l.matchers(b.expr("target_match"), "target_match"); n == 0 && b.Written("target_match") {
			l.errorf(b.Attr("target_match"), "Inhibit rule without target",
				"target_match needs at least one matcher: the alerts muted while a source fires.")
		}
		equal, ranges, _ := b.Strings("equal")
		for i, e := range equal {
			if e == "" {
				l.errorf(ranges[i], "Invalid label name", "equal needs label names, not empty strings.")
			}
		}
		r.Equal = equal
		if len(r.Source) > 0 && r.Source.String() == r.Target.String() {
			l.warnf(hb.DefRange.Ptr(), "Inhibit rule mutes nothing",
				"Inhibit rule %q has the same source and target matchers: an alert that matches both sides is never muted by another that does too.", r.Name)
		}
		cfg.Inhibits = append(cfg.Inhibits, r)
	}
}
