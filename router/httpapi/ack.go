package httpapi

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
)

// The ack link's GET only shows a confirm page: mail scanners and chat
// unfurlers open links, and must not acknowledge pages by doing so.
var ackTemplate = template.Must(template.New("ack").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>pagerd — {{.Heading}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}
button{font-size:1.2rem;padding:.6rem 1.4rem}dt{font-weight:bold}</style></head>
<body><h1>{{.Heading}}</h1>
{{with .Message}}<p>{{.}}</p>{{end}}
{{with .Incident}}<dl>
<dt>Incident</dt><dd>#{{.ID}} {{.Title}}</dd>
<dt>Service</dt><dd>{{.Service}}</dd>
{{with .Summary}}<dt>Summary</dt><dd>{{.}}</dd>{{end}}
<dt>Status</dt><dd>{{.Status}}</dd>
<dt>Started</dt><dd>{{.CreatedAt.Format "2006-01-02 15:04:05 MST"}}</dd>
</dl>{{end}}
{{if .Confirm}}<form method="post"><button type="submit">{{.Confirm}}</button></form>{{end}}
</body></html>
`))

type ackView struct {
	Heading, Message, Confirm string
	Incident                  *incident.Incident
}

func (s *Server) renderAck(w http.ResponseWriter, code int, v ackView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(code)
	_ = ackTemplate.Execute(w, v)
}

// verifyLink checks the token; on failure it answers and returns false.
func (s *Server) verifyLink(w http.ResponseWriter, r *http.Request) (links.Claims, bool) {
	claims, err := s.Links().Verify(r.PathValue("token"))
	if err == nil {
		return claims, true
	}
	code, msg := http.StatusForbidden, "This link is not valid."
	if errors.Is(err, links.ErrExpired) {
		code, msg = http.StatusGone, "This link has expired. Use the newest page, or acknowledge by SMS or the CLI."
	} else if errors.Is(err, links.ErrMalformed) {
		code = http.StatusBadRequest
	}
	s.Log.Warn("ack link refused", "err", err, "status", code, "request_id", requestID(r))
	s.renderAck(w, code, ackView{Heading: "Link refused", Message: msg})
	return claims, false
}

func (s *Server) ackPage(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.verifyLink(w, r)
	if !ok {
		return
	}
	inc, err := s.Store.Incident(r.Context(), claims.IncidentID)
	if errors.Is(err, incident.ErrNotFound) {
		s.renderAck(w, http.StatusNotFound, ackView{Heading: "Incident not found", Message: "It may have been resolved and expired."})
		return
	}
	if err != nil {
		s.Log.Error("ack page: store unavailable", "err", err)
		s.renderAck(w, http.StatusServiceUnavailable, ackView{Heading: "Try again", Message: "pagerd cannot reach its state store right now."})
		return
	}
	v := ackView{Heading: claims.Action.Verb() + " incident #" + itoa(inc.ID) + "?", Incident: inc}
	if done := inc.Status == incident.Resolved || (claims.Action != incident.Resolve && inc.Status == incident.Acknowledged); done {
		v.Message = "Nothing to do: it is already " + string(inc.Status) + "."
	} else {
		v.Confirm = claims.Action.Verb() + " as " + claims.User
	}
	s.renderAck(w, http.StatusOK, v)
}

func (s *Server) ackConfirm(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.verifyLink(w, r)
	if !ok {
		return
	}
	// The link was signed for this person, incident and action.
	res, err := s.Router.Act(r.Context(), incident.Request{Incident: claims.IncidentID, Action: claims.Action, By: claims.User, Via: "link",
		Credential: incident.CredentialLink})
	var refused *incident.Refusal
	switch {
	case errors.As(err, &refused):
		s.renderAck(w, http.StatusForbidden, ackView{Heading: "Not allowed", Message: refused.Error()})
	case errors.Is(err, incident.ErrNotFound):
		s.renderAck(w, http.StatusNotFound, ackView{Heading: "Incident not found"})
	case err != nil:
		s.Log.Error("ack by link: store unavailable", "err", err)
		s.renderAck(w, http.StatusServiceUnavailable, ackView{Heading: "Not recorded — try again", Message: "pagerd cannot reach its state store right now."})
	case res.Outcome == incident.OutcomeUnchanged:
		s.renderAck(w, http.StatusOK, ackView{Heading: "Incident #" + itoa(claims.IncidentID) + " was already " + string(res.Before)})
	default:
		msg := "Thank you, " + claims.User + ". Escalation has stopped."
		if res.Outcome == incident.OutcomeEscalated {
			msg = "Thank you, " + claims.User + ". The next escalation step is being paged."
		}
		s.renderAck(w, http.StatusOK, ackView{Heading: "Incident #" + itoa(claims.IncidentID) + " " + string(res.Outcome), Message: msg})
	}
}
