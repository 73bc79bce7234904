package statuspage

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
)

// Handler serves the status pages under /status/NAME: the HTML page, its
// history and incidents, the JSON API, the feeds, the badges and the
// widget from the Cache (no request touches the store), and the forms
// readers post (subscribing, confirming, unsubscribing, reporting), which
// do.
type Handler struct {
	Cache *Cache
	// Forms takes what readers post; nil: the pages only show.
	Forms *Forms
	Log   *slog.Logger
	mux   *http.ServeMux
}

// Handler returns the routed handler.
func (h *Handler) Handler() http.Handler {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status/{page}", h.serve(""))
	mux.HandleFunc("GET /status/{page}/{$}", h.serve(""))
	mux.HandleFunc("GET /status/{page}/history", h.serve("history"))
	mux.HandleFunc("GET /status/{page}/embed", h.serve("embed"))
	mux.HandleFunc("GET /status/{page}/widget.js", h.serve("widget.js"))
	mux.HandleFunc("GET /status/{page}/history.atom", h.serve("history.atom"))
	mux.HandleFunc("GET /status/{page}/badge.svg", h.badge)
	mux.HandleFunc("GET /status/{page}/components/{file}", h.component)
	mux.HandleFunc("GET /status/{page}/components/{id}/badge.svg", h.componentBadge)
	mux.HandleFunc("GET /status/{page}/incidents/{code}", h.incident)
	mux.HandleFunc("GET /status/{page}/api/v2/{doc}", h.api)
	mux.HandleFunc("GET /status/{page}/api/v2/incidents/unresolved.json", h.serve("api/v2/incidents/unresolved.json"))
	if h.Forms != nil {
		h.Forms.routes(mux, h)
	}
	h.mux = mux
	return mux
}

// lookup finds the page a request names and checks an internal page's
// token; it answers the request itself when it cannot go on.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (*rendered, bool) {
	if !h.Cache.ready() {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "status pages are starting: try again in a few seconds", http.StatusServiceUnavailable)
		return nil, false
	}
	name := r.PathValue("page")
	pg := h.Cache.page(name)
	if pg == nil {
		http.Error(w, "no status page called "+quoteName(name), http.StatusNotFound)
		return nil, false
	}
	if pg.token != "" && subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("t")), []byte(pg.token)) != 1 {
		// Whether an internal page exists is no secret; what it says is.
		http.Error(w, "status page "+name+" is internal: open the link with its token (pagerd status-url "+name+")", http.StatusForbidden)
		return nil, false
	}
	return pg, true
}

func quoteName(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

// serve answers with one of the page's assets.
func (h *Handler) serve(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg, ok := h.lookup(w, r)
		if !ok {
			return
		}
		h.write(w, r, pg, pg.assets[path])
	}
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, pg *rendered, a *asset) {
	if a == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", a.etag)
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("X-Content-Type-Options", "nosniff")
	// Browsers ask again every time (a 304 for the ETag costs nothing),
	// so a reader who reloads during an outage sees the latest; shared
	// caches (a CDN in front of the page) may keep a public page briefly.
	if pg.token != "" {
		hd.Set("Cache-Control", "private, no-cache")
		hd.Set("X-Robots-Tag", "noindex")
	} else {
		hd.Set("Cache-Control", "public, no-cache, s-maxage=10")
	}
	switch {
	case strings.HasPrefix(a.ctype, "application/json"), strings.HasPrefix(a.ctype, "text/javascript"), strings.HasPrefix(a.ctype, "image/svg"):
		// Widgets in other sites read these.
		hd.Set("Access-Control-Allow-Origin", "*")
	case strings.HasPrefix(a.ctype, "text/html"):
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' "+formOrigin(pg)+"; base-uri 'none'")
		hd.Set("Referrer-Policy", "no-referrer")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	hd.Set("Content-Length", itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// formOrigin is where a page's forms post: its public URL's origin.
func formOrigin(pg *rendered) string {
	u := pg.view.Page.PublicURL
	if i := strings.Index(u[min(len(u), 8):], "/"); i >= 0 {
		return u[:8+i]
	}
	return u
}

func acceptsGzip(r *http.Request) bool {
	for _, enc := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(enc), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (h *Handler) badge(w http.ResponseWriter, r *http.Request) {
	pg, ok := h.lookup(w, r)
	if !ok {
		return
	}
	path := "badge.svg"
	if id := r.URL.Query().Get("component"); id != "" {
		path = "components/" + id + "/badge.svg"
	}
	if pg.assets[path] == nil {
		http.Error(w, "no component "+quoteName(r.URL.Query().Get("component"))+" on this page", http.StatusNotFound)
		return
	}
	h.write(w, r, pg, pg.assets[path])
}

func (h *Handler) component(w http.ResponseWriter, r *http.Request) {
	pg, ok := h.lookup(w, r)
	if !ok {
		return
	}
	file := r.PathValue("file")
	if !strings.HasSuffix(file, ".atom") || pg.assets["components/"+file] == nil {
		http.Error(w, "no component feed "+quoteName(file)+" on this page: use components/ID.atom", http.StatusNotFound)
		return
	}
	h.write(w, r, pg, pg.assets["components/"+file])
}

func (h *Handler) componentBadge(w http.ResponseWriter, r *http.Request) {
	pg, ok := h.lookup(w, r)
	if !ok {
		return
	}
	a := pg.assets["components/"+r.PathValue("id")+"/badge.svg"]
	if a == nil {
		http.Error(w, "no component "+quoteName(r.PathValue("id"))+" on this page", http.StatusNotFound)
		return
	}
	h.write(w, r, pg, a)
}

func (h *Handler) incident(w http.ResponseWriter, r *http.Request) {
	pg, ok := h.lookup(w, r)
	if !ok {
		return
	}
	a := pg.assets["incidents/"+r.PathValue("code")]
	if a == nil {
		http.Error(w, "no incident "+quoteName(r.PathValue("code"))+" on this page (the history keeps 90 days)", http.StatusNotFound)
		return
	}
	h.write(w, r, pg, a)
}

func (h *Handler) api(w http.ResponseWriter, r *http.Request) {
	pg, ok := h.lookup(w, r)
	if !ok {
		return
	}
	a := pg.assets["api/v2/"+r.PathValue("doc")]
	if a == nil {
		http.Error(w, "no such document: use summary.json, status.json, components.json, incidents.json, incidents/unresolved.json or scheduled-maintenances.json", http.StatusNotFound)
		return
	}
	h.write(w, r, pg, a)
}
