package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// incidentCall authenticates an API call about one incident and parses
// its {id}; on false it has answered the request itself.
func (s *Server) incidentCall(w http.ResponseWriter, r *http.Request) (*policies.Integration, int64, bool) {
	in, ok := s.authenticate(w, r, policies.APIIntegration)
	if !ok {
		return nil, 0, false
	}
	id, ok := s.incidentID(w, r)
	return in, id, ok
}

// incidentID parses the {id} path value; it writes the error itself.
func (s *Server) incidentID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, http.StatusBadRequest, "incident id must be a positive number, not "+strconv.Quote(r.PathValue("id")), err)
		return 0, false
	}
	return id, true
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	openOnly := r.URL.Query().Get("status") != "all"
	limit := int64(100)
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > 1000 {
			s.fail(w, r, http.StatusBadRequest, "limit must be between 1 and 1000", err)
			return
		}
		limit = n
	}
	incs, err := s.Store.List(r.Context(), openOnly, limit)
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
		return
	}
	views := make([]incidentView, 0, len(incs))
	for _, inc := range incs {
		views = append(views, s.view(inc))
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": views})
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	inc, err := s.Store.Incident(r.Context(), id)
	if s.storeFailed(w, r, err) {
		return
	}
	alerts, err := s.Store.Alerts(r.Context(), id)
	if s.storeFailed(w, r, err) {
		return
	}
	// A long timeline (an alert storm's) pages through: the first page
	// here, the rest at /v1/incidents/{id}/timeline?after=timeline_next.
	timeline, more, err := s.Store.TimelinePage(r.Context(), id, "", maxTimelinePage)
	if s.storeFailed(w, r, err) {
		return
	}
	updates, err := s.Store.Updates(r.Context(), id)
	if s.storeFailed(w, r, err) {
		return
	}
	changes, err := s.recentChanges(r, inc)
	if s.storeFailed(w, r, err) {
		return
	}
	var folded []*incident.Incident
	if inc.Storm != nil {
		if folded, _, err = s.Store.Folded(r.Context(), id, maxFolded); s.storeFailed(w, r, err) {
			return
		}
	}
	writeJSON(w, http.StatusOK, struct {
		incidentView
		Alerts   []json.RawMessage `json:"alerts"`
		Timeline []incident.Fact   `json:"timeline"`
		// TimelineNext, when set, is where the rest of the timeline starts:
		// GET /v1/incidents/{id}/timeline?after=TimelineNext.
		TimelineNext string `json:"timeline_next,omitempty"`
		// Updates are its status updates, oldest first.
		Updates []incident.StatusUpdate `json:"status_updates"`
		// Changes are the service's changes in the day before the incident
		// opened and since: what changed before it broke.
		Changes []incident.Change `json:"recent_changes"`
		// Folded are, for a storm incident, the incidents folded into it,
		// newest first (the latest maxFolded; storm.folded counts them all).
		Folded []*incident.Incident `json:"folded,omitempty"`
	}{s.view(inc), alerts, timeline, more, updates, changes, folded})
}

// maxFolded bounds the folded incidents an incident's answer lists.
const maxFolded = 500

// changesWindow is how far before an incident its service's changes count
// as recent.
const changesWindow = 24 * time.Hour

func (s *Server) recentChanges(r *http.Request, inc *incident.Incident) ([]incident.Change, error) {
	all, err := s.Store.Changes(r.Context(), inc.Service, 100)
	if err != nil {
		return nil, err
	}
	out := []incident.Change{}
	for _, c := range all {
		if !c.At.Before(inc.CreatedAt.Add(-changesWindow)) {
			out = append(out, c)
		}
	}
	return out, nil
}

// serviceChanges lists a service's recent change events, newest first.
func (s *Server) serviceChanges(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, policies.APIIntegration); !ok {
		return
	}
	changes, err := s.Store.Changes(r.Context(), r.PathValue("name"), 100)
	if err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
		return
	}
	if changes == nil {
		changes = []incident.Change{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": r.PathValue("name"), "changes": changes})
}

// storeFailed answers 404 for a missing incident and 503 for anything else.
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, incident.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "no such incident", err)
	default:
		s.fail(w, r, http.StatusServiceUnavailable, errStoreUnavailable.Error(), err)
	}
	return true
}

// actOnIncident applies one action: POST /v1/incidents/{id}/{action}
// with ?by=NAME (default: the integration's name); a note's text is the
// body, as JSON {"text": "..."} or plain text.
func (s *Server) actOnIncident(w http.ResponseWriter, r *http.Request) {
	action, err := incident.ParseAction(r.PathValue("action"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err.Error(), nil)
		return
	}
	s.act(w, r, action)
}

// addNote adds a note to the timeline: POST /v1/incidents/{id}/notes with
// {"text": "...", "tag": "root_cause"} (the tag is optional: root_cause or
// resolution mark a note for the post-mortem), or the text as plain text.
func (s *Server) addNote(w http.ResponseWriter, r *http.Request) { s.act(w, r, incident.Note) }

// act applies action to the incident in the path.
func (s *Server) act(w http.ResponseWriter, r *http.Request, action incident.Action) {
	in, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	// An integration's token acts for anyone: the API is not held to
	// services' responders rules.
	req := incident.Request{Incident: id, Action: action, By: r.URL.Query().Get("by"), Via: "api",
		Credential: incident.CredentialToken}
	if req.By == "" {
		req.By = in.Name
	}
	if action == incident.Note {
		if req.Text, req.Tag, ok = s.noteText(w, r); !ok {
			return
		}
	}
	res, err := s.Router.Act(r.Context(), req)
	if s.actFailed(w, r, id, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": id, "outcome": res.Outcome, "previous_status": res.Before})
}

// maxNote bounds a note's text.
const maxNote = 4 << 10

// noteText reads a note and its optional mark from the request body; it
// answers bad input itself.
func (s *Server) noteText(w http.ResponseWriter, r *http.Request) (string, incident.NoteTag, bool) {
	var mt string
	if ct := r.Header.Get("Content-Type"); ct != "" {
		var params map[string]string
		var err error
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			s.fail(w, r, http.StatusUnsupportedMediaType, "unreadable content type "+strconv.Quote(ct), err)
			return "", "", false
		}
		if msg, ok := utf8Charset(params); !ok {
			s.fail(w, r, http.StatusUnsupportedMediaType, msg, nil)
			return "", "", false
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, incident.MaxNote+1024))
	if err != nil {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "a note is at most 4 KiB", err)
		return "", "", false
	}
	text, tag := string(body), ""
	if mt == "application/json" {
		var v struct{ Text, Tag string }
		if err := json.Unmarshal(body, &v); err != nil {
			s.fail(w, r, http.StatusBadRequest, `a note is {"text": "...", "tag": "root_cause"}: `+err.Error(), err)
			return "", "", false
		}
		text, tag = v.Text, v.Tag
	}
	mark, err := incident.ParseNoteTag(tag)
	if err != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, err.Error(), nil)
		return "", "", false
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		s.fail(w, r, http.StatusBadRequest, `a note needs text: send {"text": "..."}`, nil)
		return "", "", false
	case len(text) > incident.MaxNote:
		s.fail(w, r, http.StatusRequestEntityTooLarge, "a note is at most 4 KiB", nil)
		return "", "", false
	case !utf8.ValidString(text):
		s.fail(w, r, http.StatusBadRequest, "a note must be UTF-8 text", nil)
		return "", "", false
	}
	return text, mark, true
}

// maxTimelinePage bounds a page of the timeline.
const maxTimelinePage = 1000

// timeline pages through an incident's timeline: GET
// /v1/incidents/{id}/timeline?after=ID&limit=N answers {"facts": [...],
// "next": "ID"}; next is "" on the last page, else the after of the next
// one. Facts are oldest first, each with its id.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.incidentCall(w, r)
	if !ok {
		return
	}
	limit := int64(200)
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > maxTimelinePage {
			s.fail(w, r, http.StatusBadRequest, "limit must be between 1 and 1000", err)
			return
		}
		limit = n
	}
	after := r.URL.Query().Get("after")
	if after != "" && !streamID.MatchString(after) {
		s.fail(w, r, http.StatusBadRequest, "after must be a fact's id, such as 1795482740123-0", nil)
		return
	}
	if _, err := s.Store.Incident(r.Context(), id); s.storeFailed(w, r, err) {
		return
	}
	facts, next, err := s.Store.TimelinePage(r.Context(), id, after, limit)
	if s.storeFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": id, "facts": facts, "next": next})
}

// streamID is a Redis stream entry ID: a fact's id.
var streamID = regexp.MustCompile(`^\d{1,20}-\d{1,20}$`)
