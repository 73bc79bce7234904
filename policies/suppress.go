package policies

import (
	"slices"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/pagerd/pagerd/schedules"
)

// Maintenance is a maintenance window (`maintenance "NAME"`): while it is
// open, the alerts it covers are recorded but page nobody.
type Maintenance struct {
	Name string
	// Services it covers; empty: an alert of any service.
	Services []string
	// Matchers an alert must match too; empty: any labels.
	Matchers labels.Matchers
	Window   schedules.Window
	// Announce, when set, is what status pages showing a component of
	// its services say of it, ahead of time and while it is open.
	Announce string
}

// Covers reports whether the window applies to an alert of service with
// labels lset, whether or not it is open.
func (m *Maintenance) Covers(service string, lset map[string]string) bool {
	return (len(m.Services) == 0 || slices.Contains(m.Services, service)) && Matches(m.Matchers, lset)
}

// InhibitRule (`inhibit "NAME"`) mutes the alerts that match Target while
// an alert that matches Source fires with the same values of the Equal
// labels — Alertmanager's inhibition. An alert that matches both sides
// is not muted by alerts that also match both, itself included.
type InhibitRule struct {
	Name   string
	Source labels.Matchers
	Target labels.Matchers
	Equal  []string
}

// Matches reports whether every matcher of ms matches lset (a label that
// is absent reads as empty, as in Alertmanager). No matchers match
// everything.
func Matches(ms labels.Matchers, lset map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(lset[m.Name]) {
			return false
		}
	}
	return true
}

// MaintenanceAt returns the first maintenance window that covers an alert
// of service with labels lset and is open at t, and when its occurrence
// closes; nil when none is.
func (c *Config) MaintenanceAt(service string, lset map[string]string, t time.Time) (*Maintenance, time.Time) {
	for _, m := range c.Maintenance {
		if !m.Covers(service, lset) {
			continue
		}
		if end, ok := m.Window.ActiveAt(t); ok {
			return m, end
		}
	}
	return nil, time.Time{}
}

// NextMaintenance is when the next maintenance window covering an alert of
// service with labels lset opens after t; zero when none will.
func (c *Config) NextMaintenance(service string, lset map[string]string, t time.Time) time.Time {
	var next time.Time
	for _, m := range c.Maintenance {
		if !m.Covers(service, lset) {
			continue
		}
		if s, _, ok := m.Window.Next(t); ok && (next.IsZero() || s.Before(next)) {
			next = s
		}
	}
	return next
}
