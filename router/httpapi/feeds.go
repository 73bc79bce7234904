package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/schedules"
)

// Calendar feeds cover a window around now: by default a week back and 90
// days ahead; ?past_days= and ?days= change it (up to 90 and 366).
const (
	defaultPastDays   = 7
	defaultFutureDays = 90
)

// feedWindow reads the window from the query; it answers bad values itself.
func (s *Server) feedWindow(w http.ResponseWriter, r *http.Request) (from, to time.Time, ok bool) {
	days := func(name string, def, most int) (int, bool) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return def, true
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > most {
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("%s must be a whole number of days from 0 to %d", name, most), err)
			return 0, false
		}
		return n, true
	}
	past, ok := days("past_days", defaultPastDays, 90)
	if !ok {
		return from, to, false
	}
	future, ok := days("days", defaultFutureDays, 366)
	if !ok {
		return from, to, false
	}
	now := s.Now()
	return now.AddDate(0, 0, -past), now.AddDate(0, 0, future), true
}

// feedLookback is how far before a feed's window shifts are looked for, so
// that a shift already running at the window's start keeps its true start,
// and with it its UID: calendar clients would otherwise see the first event
// replaced on every fetch. A shift that began even earlier (a one-person
// rotation is one long shift) is clipped at a boundary of a fixed 35-day
// grid, which moves once a month rather than on every fetch.
const feedLookback = 35 * 24 * time.Hour

// lookbackFrom is where a feed starting at from queries shifts from.
func lookbackFrom(from time.Time) time.Time {
	return from.Add(-feedLookback).Truncate(feedLookback)
}

// inWindow keeps the shifts that end after from; the query began
// feedLookback earlier.
func inWindow(shifts []schedules.Shift, from time.Time) []schedules.Shift {
	out := shifts[:0]
	for _, sh := range shifts {
		if sh.End.After(from) {
			out = append(out, sh)
		}
	}
	return out
}

func (s *Server) feedAuthorized(w http.ResponseWriter, r *http.Request, feed string) bool {
	if s.Links().Signer.FeedTokenValid(feed, r.URL.Query().Get("token")) {
		return true
	}
	s.fail(w, r, http.StatusForbidden, "missing or wrong feed token", nil)
	return false
}

func (s *Server) scheduleFeed(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "schedule feeds end in .ics", nil)
		return
	}
	if !s.feedAuthorized(w, r, links.FeedName("schedule", name)) {
		return
	}
	sched := s.Config().Schedules[name]
	if sched == nil {
		s.fail(w, r, http.StatusNotFound, "no such schedule", nil)
		return
	}
	from, to, ok := s.feedWindow(w, r)
	if !ok {
		return
	}
	s.writeCalendar(w, r, "On call: "+name, inWindow(sched.Shifts(lookbackFrom(from), to), from), s.Now())
}

func (s *Server) userFeed(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !s.feedAuthorized(w, r, links.FeedName("user", name)) {
		return
	}
	cfg := s.Config()
	if cfg.Users[name] == nil {
		s.fail(w, r, http.StatusNotFound, "no such user", nil)
		return
	}
	all := make([]*schedules.Schedule, 0, len(cfg.Schedules))
	for _, sc := range cfg.Schedules {
		all = append(all, sc)
	}
	from, to, ok := s.feedWindow(w, r)
	if !ok {
		return
	}
	s.writeCalendar(w, r, "On call: "+name, inWindow(schedules.UserShifts(name, all, lookbackFrom(from), to), from), s.Now())
}

func (s *Server) writeCalendar(w http.ResponseWriter, r *http.Request, title string, shifts []schedules.Shift, now time.Time) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	if err := schedules.WriteICal(w, title, shifts, now); err != nil {
		s.Log.Error("write calendar", "err", err, "request_id", requestID(r))
	}
}
