package policies

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/schedules"
)

// gapHorizon is how far ahead check looks for times when a schedule has no
// one on call.
const gapHorizon = 4 * 7 * 24 * time.Hour

func (l *loader) schedules(cfg *Config, blocks []scheduleBlock) {
	names := map[string]hcl.Range{}
	for i := range blocks {
		b := &blocks[i]
		if !l.unique(names, "schedule", b.Name, b.DefRange) {
			continue
		}
		before := len(l.diags.Errs())
		s := &schedules.Schedule{Name: b.Name, Location: l.location(b.Timezone, b.TimezoneRange, time.UTC)}
		if len(b.Rotations) == 0 {
			l.errorf(b.DefRange, "Schedule without rotation", "Schedule %q needs at least one rotation block.", b.Name)
		}
		rotations := map[string]hcl.Range{}
		for j := range b.Rotations {
			r := &b.Rotations[j]
			if !l.unique(rotations, "rotation", r.Name, r.DefRange) {
				continue
			}
			s.Layers = append(s.Layers, l.layer(cfg, s.Location, r))
		}
		for j := range b.Overrides {
			o := &b.Overrides[j]
			ov := schedules.Override{User: o.User}
			if cfg.Users[o.User] == nil {
				l.errorf(o.UserRange, "Unknown user", "No user %q is defined.", o.User)
			}
			var fromOK, toOK bool
			ov.From, fromOK = l.localTime(o.From, o.FromRange, "from", s.Location)
			ov.To, toOK = l.localTime(o.To, o.ToRange, "to", s.Location)
			if fromOK && toOK && !ov.To.After(ov.From) {
				l.errorf(o.ToRange, "Empty override", "to = %q is not after from = %q.", o.To, o.From)
			}
			s.Overrides = append(s.Overrides, ov)
		}
		cfg.Schedules[s.Name] = s
		// The questions below are only meaningful of a schedule that
		// compiled cleanly.
		if len(l.diags.Errs()) != before {
			continue
		}
		// The checks above point at the offending attribute; this one
		// catches whatever the schedule math rejects that they missed.
		if err := s.Validate(); err != nil {
			l.errorf(b.DefRange, "Invalid schedule", "%s.", err)
			continue
		}
		l.scheduleWarnings(s, b)
	}
}

func (l *loader) layer(cfg *Config, loc *time.Location, r *rotationBlock) schedules.Layer {
	layer := schedules.Layer{Name: r.Name, OnCall: 1}
	layerLoc := loc
	if present(r.TimezoneRange) {
		layerLoc = l.location(r.Timezone, r.TimezoneRange, loc)
		layer.Location = layerLoc
	}
	users, ok := l.userList(cfg, r.Users, "users")
	if ok && len(users) == 0 {
		l.errorf(r.Users.Range(), "Empty rotation", "Rotation %q has no users.", r.Name)
	}
	layer.Users = users
	if every, err := schedules.ParseShiftLength(r.Every); err != nil {
		l.errorf(r.EveryRange, "Invalid shift length", "every: %s.", err)
	} else {
		layer.Every = every
	}
	if start, ok := l.localTime(r.Start, r.StartRange, "start", layerLoc); ok {
		layer.Start = start
		switch {
		case start.Before(schedules.EarliestStart) || !start.Before(schedules.LatestStart):
			l.errorf(r.StartRange, "Invalid date", "start = %q: a rotation starts between %d and %d.",
				r.Start, schedules.EarliestStart.Year(), schedules.LatestStart.Year()-1)
		case wallClock(r.Start) != "" && wallClock(r.Start) != start.In(start.Location()).Format("15:04"):
			// The written handoff time does not exist that day (a DST gap):
			// every handoff of this rotation happens at the moved time.
			l.warnf(r.StartRange.Ptr(), "Start time skipped by DST",
				"%s does not exist on %s in %s (the clocks spring forward), so this rotation hands off at %s every time; pick a start day without a DST change to keep %s.",
				wallClock(r.Start), start.Format(time.DateOnly), start.Location(), start.Format("15:04"), wallClock(r.Start))
		}
	}
	if r.OnCall != nil {
		layer.OnCall = *r.OnCall
		if layer.OnCall < 1 || (len(users) > 0 && layer.OnCall > len(users)) {
			l.errorf(r.OnCallRange, "Invalid on_call", "on_call = %d must be between 1 and the number of users (%d).", layer.OnCall, len(users))
		}
	}
	for _, rb := range r.Restrict {
		layer.Restrictions = append(layer.Restrictions, l.restriction(&rb))
	}
	return layer
}

func (l *loader) restriction(b *restrictBlock) schedules.Restriction {
	var res schedules.Restriction
	days, ranges, _ := l.stringList(b.Days, "days")
	for i, d := range days {
		wd, err := schedules.ParseWeekday(d)
		if err != nil {
			l.errorf(ranges[i], "Invalid day", `%q is not a day of the week; write "mon", "tue", ... or "sun".`, d)
			continue
		}
		res.Days = append(res.Days, wd)
	}
	var err error
	if res.From, err = schedules.ParseClock(b.From); err != nil || res.From == schedules.EndOfDay {
		l.errorf(b.FromRange, "Invalid time of day", `from = %q is not a time of day; write it like "09:00" (00:00 to 23:59).`, b.From)
	}
	if res.To, err = schedules.ParseClock(b.To); err != nil {
		l.errorf(b.ToRange, "Invalid time of day", `to = %q is not a time of day; write it like "17:00" (00:00 to 24:00).`, b.To)
	}
	return res
}

func (l *loader) location(name string, r hcl.Range, def *time.Location) *time.Location {
	if !present(r) {
		return def
	}
	// "Local" would make the schedule mean something different on every
	// machine that loads it.
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		l.errorf(r, "Unknown time zone", `timezone = %q is not an IANA time zone; write it like "Europe/Berlin" or "UTC".`, name)
		return def
	}
	return loc
}

// wallClock is the "HH:MM" written in a "2006-01-02 15:04" date, or "" for
// other layouts (RFC 3339 with an offset names an instant, not a wall clock).
func wallClock(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 16 || (s[10] != ' ' && s[10] != 'T') || strings.ContainsAny(s[16:], "Z+-") {
		return ""
	}
	return s[11:16]
}

func (l *loader) localTime(s string, r hcl.Range, attr string, loc *time.Location) (time.Time, bool) {
	t, err := schedules.ParseLocal(s, loc)
	if err != nil {
		l.errorf(r, "Invalid date", `%s = %q is not a date and time; write it like "2026-11-02 09:00".`, attr, s)
		return time.Time{}, false
	}
	return t, true
}

func (l *loader) scheduleWarnings(s *schedules.Schedule, b *scheduleBlock) {
	if gaps := s.Gaps(l.now, l.now.Add(gapHorizon)); len(gaps) > 0 {
		const layout = "Mon 2006-01-02 15:04 MST"
		g := gaps[0]
		more := ""
		if len(gaps) > 1 {
			more = fmt.Sprintf(" (and %d more gaps)", len(gaps)-1)
		}
		l.warnf(b.DefRange.Ptr(), "Schedule has gaps",
			"No one is on call in schedule %q from %s to %s%s in the next 4 weeks.",
			s.Name, g.Start.In(s.Location).Format(layout), g.End.In(s.Location).Format(layout), more)
	}
	for _, pair := range s.OverlappingOverrides() {
		first, second := b.Overrides[pair[0]], b.Overrides[pair[1]]
		l.warnf(second.DefRange.Ptr(), "Overlapping overrides",
			"This override overlaps the one at %s; where they overlap, the later one wins.", at(first.DefRange))
	}
}
