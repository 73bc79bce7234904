package app

import (
	"context"
	"time"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/router/events"
	"github.com/pagerd/pagerd/router/httpapi"
	"github.com/pagerd/pagerd/statuspage"
)

// statusPages are the status pages' parts on this replica: the rendered
// pages every request reads, the consumer that follows incidents onto
// them, and the team's API.
type statusPages struct {
	cache    *statuspage.Cache
	consumer *statuspage.Consumer
	handler  *statuspage.Handler
	admin    *statuspage.Admin
	handOff  *statuspage.HandOff
}

// buildStatusPages builds them; the consumer and the cache run with the
// daemon (Run), the handlers under /status/ and the API.
func (a *App) buildStatusPages(urls func() links.Builder) {
	holder := a.Holder
	log := a.log.With("component", "statuspage")
	now := time.Now
	if a.opts.Clock != nil {
		now = a.opts.Clock
	}
	cache := &statuspage.Cache{Store: a.Store, Config: holder.Current, Links: urls, Log: log, Now: now}
	pub := &statuspage.Publisher{Store: a.Store, Config: holder.Current, Log: log}
	a.status = &statusPages{
		cache:    cache,
		consumer: &statuspage.Consumer{Store: a.Store, Config: holder.Current, Publisher: pub, Log: log},
		handler:  &statuspage.Handler{Cache: cache, Log: log},
		admin:    &statuspage.Admin{Store: a.Store, Config: holder.Current, Publisher: pub, Cache: cache, Log: log},
		handOff:  &statuspage.HandOff{Store: a.Store},
	}
	a.stakeholders.StatusPage = a.status.handOff
}

// statusConsumers are the event consumers of the status pages the config
// asks for: the consumer, when it has a page.
func (a *App) statusConsumers() []events.Consumer {
	if len(a.Holder.Current().StatusPages) == 0 {
		return nil
	}
	return []events.Consumer{a.status.consumer}
}

// serveStatusPages gives the HTTP server the pages and their API.
func (a *App) serveStatusPages(api *httpapi.Server) {
	api.StatusPages = a.status.handler.Handler()
	for _, rt := range a.status.admin.Routes() {
		api.APIRoutes = append(api.APIRoutes, httpapi.APIRoute{Pattern: rt.Pattern, Serve: rt.Serve})
	}
}

// loadStatusPages renders the pages before the daemon serves, so that the
// first request finds them.
func (a *App) loadStatusPages(ctx context.Context) error { return a.status.cache.Load(ctx) }

// runStatusPages keeps the pages fresh until ctx ends.
func (a *App) runStatusPages(ctx context.Context) { a.status.cache.Run(ctx) }

// StatusPages is the pages' cache, for tests that read what a page shows.
func (a *App) StatusPages() *statuspage.Cache { return a.status.cache }
