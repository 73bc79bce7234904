package incident

import (
	"errors"
	"time"
)

// Silence mutes the alerts its matchers select from StartsAt to EndsAt,
// as in Alertmanager: they are stored and shown but page nobody. Every
// replica honours it: it lives in Redis.
type Silence struct {
	ID string `json:"id"`
	// Matchers are in Alertmanager's syntax ("alertname=CheckoutDown",
	// "cluster=~eu.*"); an alert is silenced when it matches them all.
	Matchers  []string  `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"`
	UpdatedAt time.Time `json:"updated_at"`
	// ExpiredBy names who ended it early, if someone did.
	ExpiredBy string `json:"expired_by,omitempty"`
}

// SilenceState is where a silence stands at a moment.
type SilenceState string

const (
	SilencePending SilenceState = "pending" // starts later
	SilenceActive  SilenceState = "active"  // mutes what it matches
	SilenceExpired SilenceState = "expired" // over, kept for the record
)

// State is where s stands at now.
func (s *Silence) State(now time.Time) SilenceState {
	switch {
	case !now.Before(s.EndsAt):
		return SilenceExpired
	case now.Before(s.StartsAt):
		return SilencePending
	}
	return SilenceActive
}

// ErrSilenceNotFound is the error for a silence that does not exist (or
// whose retention ran out).
var ErrSilenceNotFound = errors.New("silence not found")
