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
	Location  *time.Location // wall-clock zone of rotations and restrictions
	Layers    []Layer
	Overrides []Override
}

// Layer is one rotation, optionally restricted to windows of the week.
type Layer struct {
	Name         string
	Users        []string      // rotation order
	Start        time.Time     // first handoff; its wall clock in Location is the handoff time
	Every        ShiftLength   // shift length
	OnCall       int           // how many consecutive users are on call at once (default 1)
	Restrictions []Restriction // empty: always active
}

// ShiftLength is a shift length. Days and Weeks are counted in wall-clock days of
// the schedule's zone, so a daily 09:00 handoff stays 09:00 across DST; a
// fixed Duration (hours, minutes) is absolute elapsed time.
type ShiftLength struct {
	Weeks    int
	Days     int
	Duration time.Duration
}

// Restriction is a weekly window in the schedule's zone when a layer is
// active, e.g. Mon–Fri 09:00–17:00. A window whose To is not after From
// crosses midnight (nights: 18:00–09:00).
type Restriction struct {
	Days []time.Weekday // empty: every day
	From ClockTime
	To   ClockTime
}

// ClockTime is a wall-clock time of day, minutes since midnight.
type ClockTime int

// Override hands [From, To) to User, whatever the layers say.
type Override struct {
	User string
	From time.Time
	To   time.Time
}
