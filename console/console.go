// Package console is pagerd's web console for incidents: the list, and
// each incident with its timeline, notes, roles, status updates,
// stakeholders, post-mortem and action items, with the buttons and forms
// to act on it. It is server-rendered HTML that works without JavaScript
// and fits a phone. People sign in with a magic link sent through their
// own channel (auth.go); every action goes through the same typed actions
// as SMS replies and chat (router.Act), held to the service's responders
// rule, or through the postmortem service. Everything it shows is in the
// HTTP API too.
package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/postmortem"
	"github.com/pagerd/pagerd/router"
	"github.com/pagerd/pagerd/router/store"
)

// Sender delivers a notification to a person once per key within ttl,
// through the channel n names or their first one, and says through which
// (router.Engine.NotifyPerson).
type Sender func(ctx context.Context, key string, ttl time.Duration, user *policies.User, n pagers.Notification) (channel string, err error)

// Console serves the web console under /console/.
type Console struct {
	Router      *router.Router
	Store       *store.Store
	Config      func() *policies.Config
	Links       func() links.Builder
	Postmortems *postmortem.Service
	Send        Sender
	Now         func() time.Time
	Log         *slog.Logger
}

// Handler returns the console's routes, all under /console/.
func (c *Console) Handler() http.Handler {
	if c.Now == nil {
		c.Now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console/{$}", c.signedIn(c.list))
	mux.HandleFunc("GET /console/signin", c.signInForm)
	mux.HandleFunc("POST /console/signin", c.signInRequest)
	mux.HandleFunc("GET "+links.SignInPath("{token}"), c.signInConfirm)
	mux.HandleFunc("POST "+links.SignInPath("{token}"), c.signIn)
	mux.HandleFunc("POST /console/signout", c.signedIn(c.signOut))
	mux.HandleFunc("GET /console/incidents/{id}", c.signedIn(c.incidentPage))
	mux.HandleFunc("GET /console/incidents/{id}/postmortem.md", c.signedIn(c.postmortemMarkdown))
	mux.HandleFunc("POST /console/incidents/{id}/{op}", c.signedIn(c.act))
	mux.HandleFunc("GET /console/actions", c.signedIn(c.backlog))
	mux.HandleFunc("POST /console/actions/{n}/done", c.signedIn(c.actionDone))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Nothing here is cached or framed, no script runs, and no sign-in
		// token leaks through a Referer.
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		mux.ServeHTTP(w, r)
	})
}

// handler is a page for a signed-in person.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

// signedIn runs h with the request's session; without one, a GET goes to
// the sign-in form and anything else is refused. A POST must carry the
// session's CSRF token.
func (c *Console) signedIn(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := c.current(r)
		if err != nil {
			c.unavailable(w, r, err)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
				return
			}
			c.render(w, http.StatusUnauthorized, "message", page{Title: "Signed out",
				Message: "Your session ended. Sign in again, then repeat what you were doing."})
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
			if !csrfOK(r, s) {
				c.Log.Warn("console form refused: bad CSRF token", "user", s.User, "path", r.URL.Path)
				c.render(w, http.StatusForbidden, "message", page{Title: "Form refused", User: s.User,
					Message: "This form is not from your current session (it is stale, or another site sent it). Reload the page and try again."})
				return
			}
		}
		h(w, r, s)
	}
}

func (c *Console) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	c.Log.Error("console: store unavailable", "path", r.URL.Path, "err", err)
	c.render(w, http.StatusServiceUnavailable, "message", page{Title: "Try again",
		Message: "pagerd cannot reach its state store right now."})
}

// signInForm asks who signs in.
func (c *Console) signInForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, "signin", page{Title: "Sign in"})
}

// signInRequest sends the link. It answers the same whether or not the
// name is a user's, so the form tells nobody who the users are.
func (c *Console) signInRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	user := strings.TrimSpace(r.PostFormValue("user"))
	if user == "" {
		c.render(w, http.StatusBadRequest, "signin", page{Title: "Sign in", Message: "Type your pagerd user name."})
		return
	}
	if _, err := c.SendSignIn(r.Context(), user, ""); err != nil {
		var invalid *incident.Invalid
		var tooMany *ErrTooManySignIns
		switch {
		case errors.As(err, &tooMany):
			// Answered like any other: the form tells nobody who the users are.
		case !errors.As(err, &invalid):
			c.Log.Error("console sign-in link not sent", "user", user, "err", err)
		default:
			c.Log.Info("console sign-in asked for an unknown user", "user", user)
		}
	}
	c.render(w, http.StatusOK, "message", page{Title: "Check your messages",
		Message: "If " + user + " is a pagerd user, a sign-in link is on its way to their first notification channel. It works once, for a few minutes."})
}

// signInConfirm shows the button that spends the link: a GET must not,
// because mail scanners and chat unfurlers open links.
func (c *Console) signInConfirm(w http.ResponseWriter, r *http.Request) {
	si, ok := c.verifySignIn(w, r)
	if !ok {
		return
	}
	c.render(w, http.StatusOK, "confirm", page{Title: "Sign in as " + si.User, Message: si.User})
}

// signIn spends the link and starts a session.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	si, ok := c.verifySignIn(w, r)
	if !ok {
		return
	}
	first, err := c.Store.UseMagicLink(r.Context(), si.ID, si.Expires.Sub(c.Now())+time.Minute)
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	if !first {
		c.Log.Warn("console sign-in link used again", "user", si.User)
		c.render(w, http.StatusGone, "message", page{Title: "Link already used",
			Message: "A sign-in link works once. Ask for a new one."})
		return
	}
	if err := c.startSession(w, r, si.User); err != nil {
		c.unavailable(w, r, err)
		return
	}
	c.Log.Info("console session started", "user", si.User)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// verifySignIn checks the token in the path; on failure it answers and
// returns false.
func (c *Console) verifySignIn(w http.ResponseWriter, r *http.Request) (links.SignIn, bool) {
	si, err := c.Links().Signer.VerifySignIn(r.PathValue("token"))
	switch {
	case errors.Is(err, links.ErrExpired):
		c.render(w, http.StatusGone, "message", page{Title: "Link expired", Message: "This sign-in link has expired. Ask for a new one."})
		return si, false
	case err != nil:
		c.render(w, http.StatusForbidden, "message", page{Title: "Link refused", Message: "This is not a valid sign-in link."})
		return si, false
	case c.Config().Users[si.User] == nil:
		c.render(w, http.StatusForbidden, "message", page{Title: "Link refused", Message: si.User + " is not a user any more."})
		return si, false
	}
	used, err := c.Store.MagicLinkUsed(r.Context(), si.ID)
	if err != nil {
		c.unavailable(w, r, err)
		return si, false
	}
	if used {
		c.render(w, http.StatusGone, "message", page{Title: "Link already used", Message: "A sign-in link works once. Ask for a new one."})
		return si, false
	}
	return si, true
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.endSession(w, r, s); err != nil {
		c.unavailable(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// list shows the open incidents, or all kept ones with ?status=all.
func (c *Console) list(w http.ResponseWriter, r *http.Request, s *session) {
	all := r.URL.Query().Get("status") == "all"
	incs, err := c.Store.List(r.Context(), !all, 200)
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	cfg, now := c.Config(), c.Now()
	p := page{Title: "Incidents", User: s.User, CSRF: s.CSRF, All: all}
	for _, inc := range incs {
		p.Incidents = append(p.Incidents, incidentRow{Incident: inc, View: command.ViewOf(cfg, inc, now)})
	}
	c.render(w, http.StatusOK, "list", p)
}

// incidentID parses the {id} path value.
func incidentID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (c *Console) notFound(w http.ResponseWriter, s *session, what string) {
	c.render(w, http.StatusNotFound, "message", page{Title: "Not found", User: s.User, CSRF: s.CSRF,
		Message: what + " does not exist, or its retention ran out."})
}

// postmortemMarkdown shows the draft as text.
func (c *Console) postmortemMarkdown(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := incidentID(r)
	if !ok {
		c.notFound(w, s, "That incident")
		return
	}
	md, err := c.Postmortems.Markdown(r.Context(), id, c.Now())
	if errors.Is(err, incident.ErrNotFound) {
		c.notFound(w, s, "Incident #"+strconv.FormatInt(id, 10))
		return
	}
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	// Plain text: a browser shows it rather than download it, and a
	// team copies it into its editor.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(md))
}

// backlog lists action items: open ones, ?status=overdue or all.
func (c *Console) backlog(w http.ResponseWriter, r *http.Request, s *session) {
	status := r.URL.Query().Get("status")
	f := postmortem.Filter{Now: c.Now()}
	switch status {
	case "overdue":
		f.Overdue = true
	case "all":
	default:
		status, f.Open = "open", true
	}
	items, err := c.Postmortems.List(r.Context(), f)
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	p := page{Title: "Action items", User: s.User, CSRF: s.CSRF, Status: status}
	for _, a := range items {
		p.Actions = append(p.Actions, postmortem.Export(a, f.Now))
	}
	c.render(w, http.StatusOK, "backlog", p)
}

func (c *Console) actionDone(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n <= 0 {
		c.notFound(w, s, "That action item")
		return
	}
	item, _, err := c.Postmortems.Complete(r.Context(), n, s.User, "console")
	switch {
	case errors.Is(err, store.ErrActionNotFound):
		c.notFound(w, s, "Action item #"+strconv.FormatInt(n, 10))
		return
	case err != nil:
		c.unavailable(w, r, err)
		return
	}
	back := safeNext(r.PostFormValue("next"))
	if back == "" {
		back = "/console/incidents/" + strconv.FormatInt(item.Incident, 10) + "#actions"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// safeNext keeps a redirect target inside the console.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/console/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return ""
}
