package statuspage

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Route is one route of the team's API: the HTTP server serves it behind
// the api integration's token and says who acts (by).
type Route struct {
	Pattern string
	Serve   func(w http.ResponseWriter, r *http.Request, by string)
}

// Admin is the team's side of the status pages: publishing, what was
// published and how far its delivery got, subscribers (export, delete),
// internal pages' links, customer reports.
type Admin struct {
	Store     *store.Store
	Config    func() *policies.Config
	Publisher *Publisher
	Cache     *Cache
	Reports   *Reports
	Log       *slog.Logger
}

// Routes are the API's routes.
func (a *Admin) Routes() []Route {
	rs := []Route{
		{"POST /v1/incidents/{id}/publish", a.publish},
		{"GET /v1/incidents/{id}/publication", a.publication},
		{"GET /v1/status/{page}/link", a.link},
		{"GET /v1/status/{page}/subscribers", a.findSubscriber},
		{"GET /v1/status/{page}/subscribers/{sid}", a.getSubscriber},
		{"DELETE /v1/status/{page}/subscribers/{sid}", a.deleteSubscriber},
	}
	if a.Reports != nil {
		rs = append(rs, a.Reports.routes()...)
	}
	return rs
}

// apiError is the API's error answer, as the rest of pagerd's.
type apiError struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func fail(w http.ResponseWriter, log *slog.Logger, r *http.Request, code int, msg string, cause error) {
	if code >= 500 {
		log.Error("status page request failed", "path", r.URL.Path, "status", code, "error", msg, "cause", cause)
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, code, apiError{Error: msg, RequestID: w.Header().Get("X-Request-Id")})
}

// failed answers err: a refusal the caller can fix (4xx naming it), or a
// store failure (503).
func (a *Admin) failed(w http.ResponseWriter, r *http.Request, err error) {
	var invalid *incident.Invalid
	switch {
	case errors.As(err, &invalid):
		fail(w, a.Log, r, http.StatusUnprocessableEntity, invalid.Reason, nil)
	case errors.Is(err, incident.ErrNotFound):
		fail(w, a.Log, r, http.StatusNotFound, strings.TrimPrefix(err.Error(), "store: "), nil)
	default:
		fail(w, a.Log, r, http.StatusServiceUnavailable, "state store unavailable", err)
	}
}

// readJSON decodes a JSON body into v, answering 4xx itself when it
// cannot.
func readJSON(w http.ResponseWriter, r *http.Request, log *slog.Logger, v any, example string) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			fail(w, log, r, http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json), like "+example, nil)
			return false
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, log, r, http.StatusRequestEntityTooLarge, "body over 64 KiB", nil)
			return false
		}
		msg := "malformed JSON: " + err.Error() + "; send " + example
		if errors.Is(err, io.EOF) {
			msg = "empty body; send " + example
		}
		fail(w, log, r, http.StatusBadRequest, msg, nil)
		return false
	}
	return true
}

func (a *Admin) incidentID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		fail(w, a.Log, r, http.StatusBadRequest, "incident id "+strconv.Quote(r.PathValue("id"))+" is not a positive number", nil)
		return 0, false
	}
	return id, true
}

// publish: POST /v1/incidents/{id}/publish with {"page": "public" (or
// "pages": [...]), "status": "investigating", "text": "...", "title":
// "...", "components": {"Checkout API": "major_outage"}}.
func (a *Admin) publish(w http.ResponseWriter, r *http.Request, by string) {
	id, ok := a.incidentID(w, r)
	if !ok {
		return
	}
	var body struct {
		Page       string            `json:"page"`
		Pages      []string          `json:"pages"`
		Status     string            `json:"status"`
		Text       string            `json:"text"`
		Title      string            `json:"title"`
		Components map[string]string `json:"components"`
		By         string            `json:"by"`
	}
	if !readJSON(w, r, a.Log, &body, `{"page": "public", "status": "investigating", "text": "What customers should know"}`) {
		return
	}
	if body.Page != "" {
		body.Pages = append([]string{body.Page}, body.Pages...)
	}
	if body.By != "" {
		by = body.By
	}
	status := incident.UpdateState("")
	if body.Status != "" {
		st, err := incident.ParseUpdateState(body.Status)
		if err != nil {
			a.failed(w, r, err)
			return
		}
		status = st
	}
	res, err := a.Publisher.Publish(r.Context(), Publish{Incident: id, Pages: body.Pages, Status: status, Text: body.Text,
		Title: body.Title, Components: body.Components, By: by, Via: "api"})
	if err != nil {
		a.failed(w, r, err)
		return
	}
	code := http.StatusOK
	if res.Outcome == "published" {
		code = http.StatusCreated
	}
	writeJSON(w, code, res)
}

// Publication is an incident as its pages have it, with how far each
// public update got to the subscribers.
type Publication struct {
	*incident.PageIncident
	URLs       []string            `json:"urls"`
	Deliveries []incident.Delivery `json:"deliveries"` // by update, oldest first
}

// publication: GET /v1/incidents/{id}/publication.
func (a *Admin) publication(w http.ResponseWriter, r *http.Request, _ string) {
	id, ok := a.incidentID(w, r)
	if !ok {
		return
	}
	p, err := a.Store.PageIncident(r.Context(), id)
	if errors.Is(err, incident.ErrNotFound) {
		fail(w, a.Log, r, http.StatusNotFound, "incident "+strconv.FormatInt(id, 10)+" is on no status page (or its history ran out)", nil)
		return
	}
	if err != nil {
		a.failed(w, r, err)
		return
	}
	out := Publication{PageIncident: p, Deliveries: []incident.Delivery{}}
	cfg := a.Config()
	for _, name := range p.Pages {
		if pg := cfg.Page(name); pg != nil {
			out.URLs = append(out.URLs, pg.PublicURL+"/incidents/"+p.Code)
		}
	}
	for _, u := range p.Updates {
		d, err := a.Store.Delivery(r.Context(), id, u.N)
		if err != nil {
			a.failed(w, r, err)
			return
		}
		out.Deliveries = append(out.Deliveries, d)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *Admin) page(w http.ResponseWriter, r *http.Request) (*policies.StatusPage, bool) {
	pg := a.Config().Page(r.PathValue("page"))
	if pg == nil {
		fail(w, a.Log, r, http.StatusNotFound, "no status page "+strconv.Quote(r.PathValue("page")), nil)
		return nil, false
	}
	return pg, true
}

// link: GET /v1/status/{page}/link — the page's URL, with an internal
// page's token.
func (a *Admin) link(w http.ResponseWriter, r *http.Request, _ string) {
	pg, ok := a.page(w, r)
	if !ok {
		return
	}
	u := pg.PublicURL
	if tok := a.Cache.Token(pg); tok != "" {
		u += "?t=" + url.QueryEscape(tok)
	}
	writeJSON(w, http.StatusOK, map[string]any{"page": pg.Name, "url": u, "public": pg.Public})
}

// findSubscriber: GET /v1/status/{page}/subscribers?kind=email&address=...
// exports one subscriber (what pagerd keeps of them); without an address
// it counts them.
func (a *Admin) findSubscriber(w http.ResponseWriter, r *http.Request, _ string) {
	pg, ok := a.page(w, r)
	if !ok {
		return
	}
	addr := strings.TrimSpace(r.URL.Query().Get("address"))
	if addr == "" {
		n, err := a.Store.CountSubscribers(r.Context(), pg.Name)
		if err != nil {
			a.failed(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"page": pg.Name, "subscribers": n})
		return
	}
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = guessKind(addr)
	}
	sub, err := a.Store.SubscriberByAddress(r.Context(), pg.Name, kind, normalize(kind, addr))
	if err != nil {
		a.failed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (a *Admin) getSubscriber(w http.ResponseWriter, r *http.Request, _ string) {
	sub, ok := a.pathSubscriber(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (a *Admin) deleteSubscriber(w http.ResponseWriter, r *http.Request, by string) {
	sub, ok := a.pathSubscriber(w, r)
	if !ok {
		return
	}
	if _, err := a.Store.DeleteSubscriber(r.Context(), sub.ID); err != nil {
		a.failed(w, r, err)
		return
	}
	a.Log.Info("status page subscriber deleted", "page", sub.Page, "subscriber", sub.ID, "kind", sub.Kind, "by", by)
	writeJSON(w, http.StatusOK, map[string]any{"deleted": sub.ID})
}

// pathSubscriber is the subscriber {sid} of page {page}, or false once
// the error (not found too, for another page's subscriber) is answered.
func (a *Admin) pathSubscriber(w http.ResponseWriter, r *http.Request) (*incident.Subscriber, bool) {
	sub, err := a.Store.Subscriber(r.Context(), r.PathValue("sid"))
	if err == nil && sub.Page != r.PathValue("page") {
		err = incident.ErrNotFound
	}
	if err != nil {
		a.failed(w, r, err)
		return sub, false
	}
	return sub, true
}

// guessKind tells an address's kind by its look.
func guessKind(addr string) string {
	switch {
	case strings.HasPrefix(addr, "http://"), strings.HasPrefix(addr, "https://"):
		return policies.SubscribeWebhook
	case strings.HasPrefix(addr, "+"):
		return policies.SubscribeSMS
	}
	return policies.SubscribeEmail
}

// normalize is an address as subscriptions key it: an email address in
// lower case (nobody has two mailboxes that differ in case), others as
// given.
func normalize(kind, addr string) string {
	if kind == policies.SubscribeEmail {
		return strings.ToLower(strings.TrimSpace(addr))
	}
	return strings.TrimSpace(addr)
}
