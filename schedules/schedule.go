// Package schedules is pagerd's on-call time math: rotations, layers,
// restrictions and overrides, and the questions asked of them ("who is on
// call at t", "which shifts between a and b", "where are the gaps").
// It does no I/O; callers pass instants and get answers.
package schedules

import "time"

// Schedule is a compiled on-call schedule. Layers are ordered from lowest to
// highest: where a higher layer has someone on call it wins. Overrides win
// over every layer; where two overlap the later-defined one wins.
type Schedule struct {
	Name      string
	Location  *time.Location // wall-clock zone of rotations and restrictions (nil: UTC)
	Layers    []Layer
	Overrides []Override
}

// Layer is one rotation, optionally restricted to windows of the week.
type Layer struct {
	Name         string
	Users        []string      // rotation order
	Start        time.Time     // first handoff; nothing before it. Its wall clock in the layer's zone is the handoff time
	Every        ShiftLength   // shift length
	OnCall       int           // how many consecutive users are on call at once (0 means 1)
	Restrictions []Restriction // empty: always active

	// Location, when set, is this layer's wall-clock zone for its handoffs
	// (Start, Every) and its Restrictions, instead of the schedule's:
	// follow-the-sun layers each keep office hours in their own zone.
	Location *time.Location
}

// ShiftLength is a shift length. Days and Weeks are counted in wall-clock
// days of the layer's zone, so a daily 09:00 handoff stays 09:00 across DST
// (that shift lasts 23 or 25 hours); a Duration (hours, minutes) is absolute
// elapsed time. Set either Weeks/Days or Duration, not both.
type ShiftLength struct {
	Weeks    int
	Days     int
	Duration time.Duration
}

// Restriction is a weekly window, judged by the wall clock of the layer's
// zone, when a layer is active, e.g. Mon–Fri 09:00–17:00. Days are the days
// the window opens on (empty: every day). A window whose To is not after From
// crosses midnight into the next day (Mon 18:00–09:00 ends Tue 09:00;
// From == To is 24 hours). To may be EndOfDay (24:00); From may not.
type Restriction struct {
	Days []time.Weekday // empty: every day
	From ClockTime
	To   ClockTime
}

// ClockTime is a wall-clock time of day, minutes since midnight.
type ClockTime int

// Override hands [From, To) to User alone, whatever the layers say (even a
// layer with several people on call). Where overrides overlap, the
// later-defined one wins.
type Override struct {
	User string
	From time.Time
	To   time.Time
}
