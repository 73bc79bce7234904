package app

import (
	"context"
	"sync"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/statuspage/notify"
	_ "github.com/pagerd/pagerd/statuspage/notify/all"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/router/events"
	"github.com/pagerd/pagerd/router/httpapi"
	"github.com/pagerd/pagerd/statuspage"
)

// statusPages are the status pages' parts on this replica: the rendered
// pages every request reads, the consumer that follows incidents onto
// them, and the team's API.
type statusPages struct {
	reports   *statuspage.Reports
	cache     *statuspage.Cache
	deliverer *statuspage.Deliverer
	consumer  *statuspage.Consumer
	handler   *statuspage.Handler
	admin     *statuspage.Admin
	handOff   *statuspage.HandOff
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
	// A stopping daemon waits for the cache's blocking read of the change
	// stream to return: keep it no longer than the engine's poll (1s by
	// default), so a stop — and each test's — is not held up for more.
	poll := a.opts.Poll
	if poll <= 0 {
		poll = time.Second // the engine's default
	}
	watch := min(statuspage.DefaultWatch, poll)
	cache := &statuspage.Cache{Store: a.Store, Config: holder.Current, Links: urls, Log: log, Now: now, Watch: watch}
	pub := &statuspage.Publisher{Store: a.Store, Config: holder.Current, Log: log}
	reports := &statuspage.Reports{Store: a.Store, Config: holder.Current, Log: log, Now: now}
	forms := &statuspage.Forms{Store: a.Store, Config: holder.Current, Cache: cache, Links: urls, Reports: reports, Log: log, Now: now,
		AllowPrivate: a.opts.StatusPagePrivateWebhooks}
	env := notify.Env{HTTPClient: a.opts.HTTPClient, Pagers: func() pagers.Set { return *a.pagers.Load() },
		AllowPrivate: a.opts.StatusPagePrivateWebhooks}
	var (
		mu       sync.Mutex
		builtFor *policies.Config
		channels map[string]notify.Channel
	)
	// The channels follow the config: a reload that sets smtp up starts
	// sending what waited for it.
	current := func() map[string]notify.Channel {
		mu.Lock()
		defer mu.Unlock()
		if cfg := holder.Current(); cfg != builtFor {
			var err error
			if channels, err = notify.Build(cfg, env); err != nil {
				log.Error("some status page subscribers cannot be told", "err", err)
			}
			builtFor = cfg
		}
		return channels
	}
	a.status = &statusPages{
		reports: reports,
		cache:   cache,
		deliverer: &statuspage.Deliverer{Store: a.Store, Config: holder.Current, Links: urls, Channels: current, Log: log, Now: now,
			Poll: a.opts.Poll},
		consumer: &statuspage.Consumer{Store: a.Store, Config: holder.Current, Publisher: pub, Log: log},
		handler:  &statuspage.Handler{Cache: cache, Forms: forms, Log: log},
		admin:    &statuspage.Admin{Store: a.Store, Config: holder.Current, Publisher: pub, Cache: cache, Reports: reports, Log: log},
		handOff:  &statuspage.HandOff{Store: a.Store, Config: holder.Current},
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

// runStatusPages keeps the pages fresh and tells their subscribers until
// ctx ends.
func (a *App) runStatusPages(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { a.status.cache.Run(ctx) })
	wg.Go(func() { a.status.deliverer.Run(ctx) })
	wg.Wait()
}

// StatusDeliverer tells status page subscribers, for tests that drain it.
func (a *App) StatusDeliverer() *statuspage.Deliverer { return a.status.deliverer }

// StatusPages is the pages' cache, for tests that read what a page shows.
func (a *App) StatusPages() *statuspage.Cache { return a.status.cache }
