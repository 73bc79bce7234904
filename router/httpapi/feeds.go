package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/pagerd/pagerd/schedules"
)

// Calendar feeds cover this window around now.
const (
	feedPast   = 7 * 24 * time.Hour
	feedFuture = 90 * 24 * time.Hour
)

// FeedName is what a feed token signs, for `pagerd feed-url` and the handlers.
func FeedName(kind, name string) string { return kind + ":" + name }

func (s *Server) feedAuthorized(w http.ResponseWriter, r *http.Request, feed string) bool {
	if s.Links.FeedTokenValid(feed, r.URL.Query().Get("token")) {
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
	if !s.feedAuthorized(w, r, FeedName("schedule", name)) {
		return
	}
	sched := s.Config().Schedules[name]
	if sched == nil {
		s.fail(w, r, http.StatusNotFound, "no such schedule", nil)
		return
	}
	now := s.Now()
	s.writeCalendar(w, r, "On call: "+name, sched.Shifts(now.Add(-feedPast), now.Add(feedFuture)), now)
}

func (s *Server) userFeed(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !s.feedAuthorized(w, r, FeedName("user", name)) {
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
	now := s.Now()
	s.writeCalendar(w, r, "On call: "+name, schedules.UserShifts(name, all, now.Add(-feedPast), now.Add(feedFuture)), now)
}

func (s *Server) writeCalendar(w http.ResponseWriter, r *http.Request, title string, shifts []schedules.Shift, now time.Time) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	if err := schedules.WriteICal(w, title, shifts, now); err != nil {
		s.Log.Error("write calendar", "err", err, "request_id", requestID(r))
	}
}
