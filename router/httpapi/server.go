// Package httpapi is pagerd's HTTP surface: alert intake in every
// registered format, the webhooks every registered channel's provider
// calls back, signed action links, the incident API used by the CLI,
// calendar feeds, and health/metrics endpoints. Every inbound request is
// authenticated before its body is trusted.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/console"
	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/metrics"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/postmortem"
	"github.com/pagerd/pagerd/router"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/store"
)

// DefaultMaxBody bounds a webhook body; Alertmanager groups are far smaller.
const DefaultMaxBody = 4 << 20

// Server holds what the handlers need. It keeps no state of its own.
type Server struct {
	Router *router.Router
	Store  *store.Store
	Config func() *policies.Config
	// Links returns the URL builder and signer of the current config; it
	// is asked on every request, so a reload that rotates link_secret or
	// moves public_url takes effect at once.
	Links   func() links.Builder
	Log     *slog.Logger
	Now     func() time.Time // decoding defaults (startsAt); default time.Now
	MaxBody int64
	// Registry is served at /metrics.
	Registry *prometheus.Registry
	// Metrics records requests and alerts received; nil: made and
	// registered in Registry by Handler.
	Metrics *metrics.Metrics
	// HTTPClient carries what a channel's callback sends out (a chat
	// platform's answer); nil: the channel's default.
	HTTPClient *http.Client
	// Command declares incidents (the other command actions go through
	// Router.Act).
	Command *command.Actions
	// StatusPages serves the status pages under /status/ (readers need no
	// token); APIRoutes are more routes of the team's API, served behind
	// the api integration's token (publishing on them, subscribers,
	// reports). Either may be nil.
	StatusPages http.Handler
	APIRoutes   []APIRoute
	// Postmortems drafts post-mortems and keeps the action items.
	Postmortems *postmortem.Service
	// Console is the web console, served under /console/ (nil: none).
	Console *console.Console
}

// Handler returns the routed HTTP handler.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.MaxBody == 0 {
		s.MaxBody = DefaultMaxBody
	}
	if s.Registry == nil {
		s.Registry = prometheus.NewRegistry()
	}
	if s.Metrics == nil {
		s.Metrics = metrics.New(s.Registry)
	}

	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, s.instrument(pattern, h))
	}
	for _, f := range ingest.Formats() {
		handle(f.Pattern, s.intake(f))
	}
	for _, ch := range pagers.All() {
		for _, rt := range ch.Routes {
			handle(rt.Pattern, s.channelRoute(ch, rt))
		}
	}
	handle("GET "+links.ActionPath("{token}"), s.ackPage)
	handle("POST "+links.ActionPath("{token}"), s.ackConfirm)
	handle("GET /v1/incidents", s.listIncidents)
	handle("GET /v1/incidents/{id}", s.getIncident)
	handle("POST /v1/incidents/{id}/{action}", s.actOnIncident)
	handle("POST /v1/incidents", s.declare)
	handle("POST /v1/incidents/{id}/severity", s.setSeverity)
	handle("POST /v1/incidents/{id}/roles", s.assignRole)
	handle("POST /v1/incidents/{id}/notes", s.addNote)
	handle("POST /v1/incidents/{id}/updates", s.postUpdate)
	handle("GET /v1/incidents/{id}/updates", s.listUpdates)
	handle("GET /v1/incidents/{id}/timeline", s.timeline)
	handle("GET /v1/incidents/{id}/postmortem.md", s.postmortemMarkdown)
	handle("GET /v1/incidents/{id}/postmortem", s.postmortemState)
	handle("POST /v1/incidents/{id}/postmortem/done", s.postmortemDone)
	handle("GET /v1/incidents/{id}/actions", s.listActions)
	handle("POST /v1/incidents/{id}/actions", s.addAction)
	handle("GET /v1/actions", s.listActions)
	handle("GET /v1/actions/{n}", s.getAction)
	handle("POST /v1/actions/{n}/done", s.actionDone)
	if s.Console != nil {
		handle("POST /v1/login", s.login)
		mux.Handle("/console/", s.instrument("/console/", s.Console.Handler().ServeHTTP))
	}
	for _, rt := range s.APIRoutes {
		handle(rt.Pattern, s.apiRoute(rt))
	}
	if s.StatusPages != nil {
		mux.Handle("/status/", s.instrument("/status/", s.StatusPages.ServeHTTP))
	}
	handle("GET /v1/services/{name}/changes", s.serviceChanges)
	handle("GET /v1/services/{name}/stakeholders", s.serviceStakeholders)
	handle("POST /v1/heartbeats/{name}", s.beat)
	handle("GET /v1/silences", s.listSilences)
	handle("POST /v1/silences", s.addSilence)
	handle("GET /v1/silences/{id}", s.getSilence)
	handle("POST /v1/silences/{id}/expire", s.expireSilence)
	handle("GET /v1/schedules/{file}", s.scheduleFeed)
	handle("GET /v1/users/{name}/oncall.ics", s.userFeed)
	handle("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeText(w, http.StatusOK, "ok\n") })
	handle("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	return mux
}

// statusRecorder remembers the status code for metrics and logs.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// instrument gives every request a correlation id (echoed in X-Request-Id
// and in error bodies), counts it, and logs failures.
func (s *Server) instrument(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		start := time.Now()
		h(rec, r)
		s.Metrics.HTTPRequest(route, rec.code, time.Since(start))
	})
}

type requestIDKey struct{}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// fail answers with a JSON error naming the problem and logs it with the
// internal cause, which is never shown to the caller.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, msg string, cause error) {
	s.failWith(w, r, code, msg, nil, cause)
}

// failure is pagerd's own error answer.
type failure struct {
	Error string `json:"error"`
	// Problems lists each problem when there are several (each alert of
	// a request refused, say).
	Problems  []string `json:"problems,omitempty"`
	RequestID string   `json:"request_id"`
}

// failWith is fail listing problems, when there are more than one.
func (s *Server) failWith(w http.ResponseWriter, r *http.Request, code int, msg string, problems []string, cause error) {
	s.logFailure(r, code, msg, cause)
	setRetryAfter(w, code)
	if len(problems) < 2 {
		problems = nil // the message says it
	}
	writeJSON(w, code, failure{Error: msg, Problems: problems, RequestID: requestID(r)})
}

// setRetryAfter tells a sender refused with 503 or 429 when to come back:
// in 5 seconds, unless the handler already said (a rate limit knows).
func setRetryAfter(w http.ResponseWriter, code int) {
	if (code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "5")
	}
}

// logFailure logs a refused request with its internal cause.
func (s *Server) logFailure(r *http.Request, code int, msg string, cause error) {
	level := slog.LevelWarn
	if code >= 500 {
		level = slog.LevelError
	}
	s.Log.Log(r.Context(), level, "request failed", "method", r.Method, "path", logPath(r),
		"status", code, "error", msg, "cause", cause, "request_id", requestID(r))
}

// logPath is r's path fit for logs: an ack-link token in it, which grants
// an acknowledgement to whoever holds it, is replaced by "<redacted>".
func logPath(r *http.Request) string {
	tok := r.PathValue("token")
	if tok == "" {
		return r.URL.Path
	}
	return strings.ReplaceAll(r.URL.Path, tok, "<redacted>")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeText(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(text))
}

// ready answers 200 only when Redis answers and a config is loaded.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.Config() == nil {
		writeText(w, http.StatusServiceUnavailable, "no config loaded\n")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.Log.Warn("not ready: redis unreachable", "err", err)
		writeText(w, http.StatusServiceUnavailable, "redis unreachable\n")
		return
	}
	writeText(w, http.StatusOK, "ready\n")
}

// authenticate finds the integration whose token the request carries
// (Authorization: Bearer, or Basic with the token as password, either
// scheme in any case) and checks that it is of the wanted type.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, typ string) (*policies.Integration, bool) {
	in, code, msg := s.integration(bearerToken(r), typ)
	if in != nil {
		return in, true
	}
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pagerd"`)
	}
	s.fail(w, r, code, msg, nil)
	return nil, false
}

// bearerToken is the token a request carries in its Authorization header:
// "Bearer <token>", or Basic credentials whose password is the token. An
// auth scheme is case-insensitive (RFC 7235, section 2.1): "bearer" and
// "BASIC" are as good as "Bearer" and "Basic" (net/http's BasicAuth reads
// the scheme so already).
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if scheme, token, ok := strings.Cut(strings.TrimSpace(h), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	if _, pass, ok := r.BasicAuth(); ok {
		return pass
	}
	return ""
}

// integration finds the integration of token and checks its type; when
// there is none it says which status to answer and why.
func (s *Server) integration(token, typ string) (*policies.Integration, int, string) {
	if token == "" {
		return nil, http.StatusUnauthorized, "missing credentials: send the integration token as 'Authorization: Bearer <token>'"
	}
	in := s.Config().IntegrationByToken(token)
	switch {
	case in == nil:
		return nil, http.StatusUnauthorized, "unknown integration token"
	case in.Type != typ:
		return nil, http.StatusForbidden, "integration " + in.Name + " is of type " + in.Type + " and may not use this endpoint"
	}
	return in, 0, ""
}

// channelRoute serves one webhook of a channel's provider while the
// config configures the channel.
func (s *Server) channelRoute(ch *pagers.Channel, rt pagers.Route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cfg := s.Config()
		if !configured(cfg, ch) {
			s.fail(w, r, http.StatusNotFound, ch.Name+" is not configured", nil)
			return
		}
		rt.Serve(w, r, &pagers.Inbound{
			Config: cfg, Links: s.Links(), Log: s.Log.With("channel", ch.Name),
			Act: s.Router.Act, Fail: s.fail,
			Open: func(ctx context.Context, limit int64) ([]*incident.Incident, error) {
				return s.Store.List(ctx, true, limit)
			},
			Incident: s.Store.Incident,
			Once:     s.Store.Once, MessageAt: s.Store.MessageAt, Now: s.Now, HTTPClient: s.HTTPClient,
		})
	}
}

// configured reports whether cfg configures the block ch needs.
func configured(cfg *policies.Config, ch *pagers.Channel) bool {
	return ch.Block == "" || cfg.Block(ch.Block) != nil || len(cfg.Named[ch.Block]) > 0
}

var errStoreUnavailable = errors.New("state store unavailable")

// APIRoute is a route of the team's API another package serves: it gets
// the request once its api token is checked, with who acts (?by=, else
// the integration's name).
type APIRoute struct {
	Pattern string
	Serve   func(w http.ResponseWriter, r *http.Request, by string)
}

func (s *Server) apiRoute(rt APIRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, ok := s.authenticate(w, r, policies.APIIntegration)
		if !ok {
			return
		}
		rt.Serve(w, r, by(r, "", in))
	}
}
