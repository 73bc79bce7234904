package statuspage

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// Defaults of Cache.
const (
	DefaultRefresh = 30 * time.Second
	DefaultWatch   = 2 * time.Second
)

// Cache keeps every page of the current config rendered — HTML, JSON,
// feeds, badges — in memory, so that serving one touches nothing else:
// a spike of readers during an outage costs Redis nothing. It reads the
// published incidents again when the store says the pages changed
// (Store.PageChanges, which every replica watches), and renders again
// when the config changes and every Refresh, because time moves the
// pages too (a maintenance window opens, today's bar grows).
type Cache struct {
	Store  *store.Store
	Config func() *policies.Config
	// Links signs the tokens of internal pages.
	Links   func() links.Builder
	Log     *slog.Logger
	Now     func() time.Time
	Refresh time.Duration // default 30s
	Watch   time.Duration // how long one wait for a change blocks (default 2s)

	mu   sync.Mutex // one load at a time
	snap atomic.Pointer[snapshot]
	// loads counts reads of the store, for tests that prove a request
	// costs none.
	loads atomic.Int64
}

// snapshot is what one load rendered.
type snapshot struct {
	cfg       *policies.Config
	key       string // the link key the internal tokens were made with
	incidents []*incident.PageIncident
	at        time.Time
	pages     map[string]*rendered
}

// rendered is one page's assets, by path below the page.
type rendered struct {
	view   *View
	token  string // an internal page's ?t=
	assets map[string]*asset
}

// asset is one rendered response.
type asset struct {
	body, gz []byte
	ctype    string
	etag     string
}

func (c *Cache) defaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Refresh == 0 {
		c.Refresh = DefaultRefresh
	}
	if c.Watch == 0 {
		c.Watch = DefaultWatch
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Loads is how many times the cache has read the store.
func (c *Cache) Loads() int64 { return c.loads.Load() }

// Load reads the published incidents and renders every page.
func (c *Cache) Load(ctx context.Context) error {
	c.defaults()
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	c.loads.Add(1)
	incs, err := c.Store.PageIncidents(ctx, now.AddDate(0, 0, -(HistoryDays+1)))
	if err != nil {
		return err
	}
	c.snap.Store(c.render(c.Config(), incs, now))
	return nil
}

// rerender renders the incidents loaded last again, with the current
// config and time: no store access.
func (c *Cache) rerender() {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()
	if old == nil {
		return
	}
	c.snap.Store(c.render(c.Config(), old.incidents, c.Now()))
}

func (c *Cache) linkKey() string {
	if c.Links == nil {
		return ""
	}
	return string(c.Links().Signer.Key)
}

// Token is the ?t= an internal page's readers need ("" for a public
// page): a feed token of the link key, so rotating link_secret revokes
// every copy handed out.
func (c *Cache) Token(page *policies.StatusPage) string {
	if page.Public || c.Links == nil {
		return ""
	}
	b := c.Links()
	if len(b.Signer.Key) == 0 {
		return ""
	}
	return b.Signer.FeedToken("status:" + page.Name)
}

// Run keeps the pages fresh until ctx ends.
func (c *Cache) Run(ctx context.Context) {
	c.defaults()
	last := ""
	fresh := false
	for ctx.Err() == nil {
		if last == "" {
			var err error
			if last, err = c.Store.LastPageChange(ctx); err != nil {
				c.wait(ctx, err)
				continue
			}
		}
		snap := c.snap.Load()
		switch {
		case snap == nil || !fresh || c.Now().Sub(snap.at) >= c.Refresh:
			if err := c.Load(ctx); err != nil {
				c.wait(ctx, err)
				continue
			}
			fresh = true
		case snap.cfg != c.Config() || snap.key != c.linkKey():
			c.rerender()
		}
		got, err := c.Store.PageChanges(ctx, last, c.Watch)
		if err != nil {
			c.wait(ctx, err)
			continue
		}
		if got != "" {
			last, fresh = got, false
		}
	}
}

// wait backs off after a store error; the pages keep being served as
// they were.
func (c *Cache) wait(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	c.Log.Warn("status pages: cannot read the store; serving the pages as they were", "err", err)
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
}

// render renders every page of cfg.
func (c *Cache) render(cfg *policies.Config, incs []*incident.PageIncident, now time.Time) *snapshot {
	s := &snapshot{cfg: cfg, key: c.linkKey(), incidents: incs, at: now, pages: map[string]*rendered{}}
	for _, p := range cfg.StatusPages {
		r, err := c.renderPage(cfg, p, incs, now)
		if err != nil {
			c.Log.Error("status page cannot be rendered", "page", p.Name, "err", err)
			continue
		}
		s.pages[p.Name] = r
	}
	return s
}

func (c *Cache) renderPage(cfg *policies.Config, p *policies.StatusPage, incs []*incident.PageIncident, now time.Time) (*rendered, error) {
	v := Build(cfg, p, incs, now)
	r := &rendered{view: v, token: c.Token(p), assets: map[string]*asset{}}
	q := ""
	if r.token != "" {
		q = "?t=" + url.QueryEscape(r.token)
	}
	data := Data{V: v, URL: p.PublicURL, Q: q, offers: func(kind string) bool { return Offered(cfg, p, kind) }}
	for _, k := range policies.SubscriptionKinds {
		data.Subscribe = data.Subscribe || data.Offers(k)
	}
	data.Recent = v.Days[:min(recentDays, len(v.Days))]
	add := func(path, ctype string, body []byte) {
		r.assets[path] = newAsset(body, ctype)
	}
	html := func(path, name string, d Data) error {
		b, err := render(name, d)
		if err != nil {
			return err
		}
		add(path, "text/html; charset=utf-8", b)
		return nil
	}
	if err := html("", "page", data); err != nil {
		return nil, err
	}
	if err := html("history", "history", data); err != nil {
		return nil, err
	}
	if err := html("embed", "embed", data); err != nil {
		return nil, err
	}
	for _, iv := range v.Incidents {
		d := data
		d.Incident = iv
		if err := html("incidents/"+iv.Code, "incident", d); err != nil {
			return nil, err
		}
	}
	docs := map[string]any{
		"api/v2/summary.json":                v.Summary(),
		"api/v2/status.json":                 v.Status(),
		"api/v2/components.json":             v.ComponentsDoc(),
		"api/v2/incidents.json":              v.IncidentsDoc(true),
		"api/v2/incidents/unresolved.json":   v.IncidentsDoc(false),
		"api/v2/scheduled-maintenances.json": v.MaintenancesDoc(),
	}
	for path, doc := range docs {
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		add(path, "application/json", append(b, '\n'))
	}
	feed, _ := v.Feed("", q)
	add("history.atom", "application/atom+xml; charset=utf-8", feed)
	badge, _ := v.Badge("")
	add("badge.svg", "image/svg+xml", badge)
	for _, cv := range v.Components {
		f, _ := v.Feed(cv.ID, q)
		add("components/"+cv.ID+".atom", "application/atom+xml; charset=utf-8", f)
		b, _ := v.Badge(cv.ID)
		add("components/"+cv.ID+"/badge.svg", "image/svg+xml", b)
	}
	add("widget.js", "text/javascript; charset=utf-8", widget(p.PublicURL, q))
	return r, nil
}

func newAsset(body []byte, ctype string) *asset {
	sum := sha256.Sum256(body)
	a := &asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	// Compressing once here spares every request doing it.
	if len(body) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			a.gz = buf.Bytes()
		}
	}
	return a
}

// page returns a page's rendered assets, nil when it is unknown (or not
// loaded yet).
func (c *Cache) page(name string) *rendered {
	s := c.snap.Load()
	if s == nil {
		return nil
	}
	return s.pages[name]
}

// ready reports whether the pages were loaded at least once.
func (c *Cache) ready() bool { return c.snap.Load() != nil }

// View returns what a page shows now (nil: unknown, or not loaded yet).
func (c *Cache) View(name string) *View {
	if r := c.page(name); r != nil {
		return r.view
	}
	return nil
}
