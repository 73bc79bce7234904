// Package app wires pagerd's parts into a running daemon: config holder,
// Redis (real or embedded), store, router, escalation engine, event
// consumers, pagers and the HTTP server. cmd/pagerd parses flags into
// Options; tests build Apps directly. It decides nothing itself, and names
// no channel and no intake format: it links in all of them (below) and
// loops over their registries.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/console"
	"github.com/pagerd/pagerd/internal/metrics"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/postmortem"
	"github.com/pagerd/pagerd/router"
	"github.com/pagerd/pagerd/router/events"
	"github.com/pagerd/pagerd/router/httpapi"
	"github.com/pagerd/pagerd/router/store"

	// Every channel and every intake format pagerd ships.
	_ "github.com/pagerd/pagerd/pagers/all"
	_ "github.com/pagerd/pagerd/router/ingest/all"
)

// Options configure one daemon.
type Options struct {
	ConfigDir string
	Listen    string // e.g. ":8080"; "127.0.0.1:0" picks a free port
	RedisURL  string // empty: embedded in-process Redis (state lost on exit)
	Namespace string // Redis key namespace (hash tag), default "pagerd"
	// Shards spreads the keyspace over that many hash tags (store.WithShards),
	// so that a Redis Cluster spreads the work over its masters; 0 or 1: one.
	// A deployment keeps the count it first ran with.
	Shards  int
	Log     *slog.Logger
	Console io.Writer // where the console pager prints; default stdout

	// Replica names this process on send claims; default host:pid.
	Replica string
	// Poll is the longest the engine sleeps between looks at the timers
	// (default 1s): other replicas' timers wake it through Redis.
	Poll time.Duration
	// NoticeEvery is how often to look for due shift notices (default 30s).
	NoticeEvery time.Duration
	// Grace is how long a stopping daemon lets requests and pages in
	// flight finish (default 20s, below Kubernetes' 30s).
	Grace time.Duration
	// HTTPClient carries every channel's outbound HTTP (tests point it at
	// loopback fakes); nil: each channel's default.
	HTTPClient *http.Client
	// RetryBackoff replaces the pagers' backoff between attempts.
	RetryBackoff func(attempt int) time.Duration
	// Clock, when set, replaces Redis TIME (tests only).
	Clock func() time.Time
	// Sleep, when set, is how channels wait out a rate limit (tests move
	// Clock instead of sleeping).
	Sleep func(ctx context.Context, d time.Duration) error
	// StatusPagePrivateWebhooks lets status page webhook subscribers be
	// on loopback and private networks, over http (tests).
	StatusPagePrivateWebhooks bool
}

// App is one running pagerd.
type App struct {
	opts   Options
	log    *slog.Logger
	Holder *policies.Holder
	Store  *store.Store
	Engine *router.Engine
	Events *events.Runner
	// Postmortems drafts post-mortems and keeps the action items.
	Postmortems *postmortem.Service
	// stakeholders is the consumer that tells the stakeholder matrices.
	stakeholders *command.Stakeholders
	// status is the status pages (statuspage.go).
	status   *statusPages
	router   *router.Router
	server   *http.Server
	listener net.Listener
	pagers   atomic.Pointer[pagers.Set]

	env        pagers.Env
	durability store.Durability
	registry   *prometheus.Registry
	metrics    *metrics.Metrics

	mu       sync.Mutex
	cleanups []func() // LIFO, run by Close
}

// New builds an App and binds its listener; Run starts serving. A failed
// setup unwinds what it had started.
func New(ctx context.Context, opts Options) (_ *App, err error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Console == nil {
		opts.Console = os.Stdout
	}
	if opts.Grace == 0 {
		opts.Grace = 20 * time.Second
	}
	if opts.Replica == "" {
		host, _ := os.Hostname()
		opts.Replica = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	a := &App{opts: opts, log: opts.Log, registry: prometheus.NewRegistry()}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.metrics = metrics.New(a.registry)
	defer func() {
		if err != nil {
			a.Close()
		}
	}()

	holder, diags := policies.NewHolder(opts.ConfigDir)
	if holder == nil || diags.HasErrors() {
		var b strings.Builder
		if loaded := policies.LoadDir(opts.ConfigDir); loaded != nil {
			_ = loaded.WriteDiagnostics(&b)
		}
		return nil, fmt.Errorf("config %s is invalid:\n%s", opts.ConfigDir, b.String())
	}
	a.logDiagnostics(diags)
	a.Holder = holder
	cfg := holder.Current()
	a.metrics.ConfigLoaded(true, time.Now())
	a.metrics.Services(serviceNames(cfg))

	rdb, err := a.connectRedis()
	if err != nil {
		return nil, err
	}
	a.Store = store.New(rdb, opts.Namespace, store.WithShards(opts.Shards))
	a.Store.Clock = opts.Clock
	a.Store.Durability = a.durability
	if err := a.waitForRedis(ctx); err != nil {
		return nil, err
	}

	// The key kept in Redis is fetched once, always: a reload that removes
	// link_secret falls back to it without touching Redis again.
	stored, err := a.Store.LinkSecret(ctx)
	if err != nil {
		return nil, err
	}
	if len(cfg.Settings.LinkSecret) == 0 {
		a.log.Info("no link_secret configured: ack links are signed with a key kept in Redis")
	}
	now := time.Now
	if opts.Clock != nil {
		now = opts.Clock
	}
	// Links follow the current config, so a reload that rotates
	// link_secret signs and verifies with the new key at once.
	urls := func() links.Builder {
		c := holder.Current()
		key := c.Settings.LinkSecret
		if len(key) == 0 {
			key = stored
		}
		return links.Builder{PublicURL: c.Settings.PublicURL, Signer: links.Signer{Key: key, Now: now}, TTL: c.Settings.LinkTTL}
	}
	a.env = pagers.Env{Log: a.log.With("component", "pagers"), Console: opts.Console, HTTPClient: opts.HTTPClient, Links: urls,
		Limits: a.Store, Messages: a.Store, Now: opts.Clock, Sleep: opts.Sleep}

	a.buildPagers(cfg)
	// One snapshot of silences per replica, for intake and the engine.
	suppress := &router.Suppressor{Store: a.Store}
	a.Engine = &router.Engine{
		Store:       a.Store,
		Config:      holder.Current,
		Pagers:      func() pagers.Set { return *a.pagers.Load() },
		Links:       urls,
		Log:         a.log.With("component", "engine"),
		Owner:       opts.Replica,
		Suppress:    suppress,
		Poll:        opts.Poll,
		NoticeEvery: opts.NoticeEvery,
		Grace:       opts.Grace,
		Metrics:     a.metrics,
	}
	set := func() pagers.Set { return *a.pagers.Load() }
	// Stakeholders hear of incidents from the event stream, off the
	// paging path, through the engine's way of telling people once.
	a.stakeholders = &command.Stakeholders{Store: a.Store, Config: holder.Current, Tell: a.Engine.Tell,
		Log: a.log.With("component", "stakeholders")}
	a.Postmortems = &postmortem.Service{Store: a.Store, Config: holder.Current, Log: a.log.With("component", "postmortem")}
	a.buildStatusPages(urls)
	a.Events = &events.Runner{
		Store: a.Store, Owner: opts.Replica, Log: a.log.With("component", "events"), Poll: opts.Poll, Grace: opts.Grace,
		Retention: func() time.Duration { return holder.Current().Settings.EventRetention },
		Consumers: func() []events.Consumer {
			cfg := holder.Current()
			consumers := append(events.Subscriptions(cfg, a.Store, holder.Current, set), events.Followers(cfg, a.Store, set)...)
			if len(cfg.Stakeholders) > 0 {
				consumers = append(consumers, a.stakeholders)
			}
			if cfg.Postmortem.Directory != "" {
				consumers = append(consumers, &postmortem.Drafts{Service: a.Postmortems})
			}
			consumers = append(consumers, a.statusConsumers()...)
			if a.Store.Shards() > 1 {
				// Always, not only while the config has inhibit rules: a
				// copy must follow every change, or a rule that comes
				// back finds sources long resolved.
				consumers = append(consumers, &events.InhibitMirror{Store: a.Store})
			}
			return append(consumers, &events.Timings{Store: a.Store, Metrics: a.metrics})
		},
	}
	if err := a.Events.EnsureGroups(ctx); err != nil {
		return nil, err
	}
	if err := a.Engine.SyncHeartbeats(ctx); err != nil {
		return nil, err
	}
	rt := &router.Router{Store: a.Store, Config: holder.Current, Log: a.log.With("component", "router"), Wake: a.Engine.Wake,
		Suppress: suppress, Now: now}
	a.router = rt
	// Incident command: actions through the router, after its checks;
	// its clocks on the engine's per-incident timer.
	commands := &command.Actions{Store: a.Store, Log: a.log.With("component", "command"), Wake: a.Engine.Wake}
	rt.Commands = commands
	a.status.reports.Declare = commands.Declare
	a.Engine.Duties = append(a.Engine.Duties, &command.Duty{Store: a.Store, Notify: a.Engine.Notify, Log: a.log.With("component", "command")})
	// After the incident: the post-mortem's owner named and reminded on
	// the incident's timer, the backlog's overdue items on a chore's.
	pmLog := a.Postmortems.Log
	a.Engine.Duties = append(a.Engine.Duties, &postmortem.Duty{Store: a.Store, Notify: a.Engine.Notify, Log: pmLog})
	a.Engine.Chores = append(a.Engine.Chores, &postmortem.Reminders{Store: a.Store, Tell: a.Engine.NotifyPerson, Log: pmLog})
	if err := a.Engine.SyncChores(ctx); err != nil {
		return nil, err
	}

	a.registry.MustRegister(&metrics.StateCollector{Read: a.sharedState})
	api := &httpapi.Server{Router: rt, Store: a.Store, Config: holder.Current, Links: urls,
		Log: a.log.With("component", "http"), Registry: a.registry, Metrics: a.metrics, Now: now, HTTPClient: opts.HTTPClient,
		Command: commands, Postmortems: a.Postmortems,
		Console: &console.Console{Router: rt, Store: a.Store, Config: holder.Current, Links: urls, Postmortems: a.Postmortems,
			Now: now, Log: a.log.With("component", "console"),
			Send: func(ctx context.Context, key string, ttl time.Duration, u *policies.User, n pagers.Notification) (string, error) {
				told, err := a.Engine.NotifyPerson(ctx, holder.Current(), key, ttl, u, n)
				return told.Channel, err
			}}}
	a.serveStatusPages(api)
	if err := a.loadStatusPages(ctx); err != nil {
		return nil, err
	}
	a.server = &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	if a.listener, err = net.Listen("tcp", opts.Listen); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Listen, err)
	}
	a.cleanup(func() { a.listener.Close() })
	return a, nil
}

// waitForRedis loads the scripts, waiting with backoff while Redis is not
// reachable yet (it may start after pagerd, or be failing over): a daemon
// that exits here would only be restarted into the same wait.
func (a *App) waitForRedis(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		err := a.Store.Load(ctx)
		if err == nil {
			if attempt > 0 {
				a.log.Info("redis reachable", "redis", redactURL(a.opts.RedisURL))
			}
			return nil
		}
		if _, ok := errors.AsType[*store.ShardCountError](err); ok {
			return err // Redis answered: waiting would not change its answer
		}
		wait := min(time.Second<<min(attempt, 5), 30*time.Second)
		a.log.Error("redis unreachable; retrying", "redis", redactURL(a.opts.RedisURL), "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("redis at %s: %w", redactURL(a.opts.RedisURL), err)
		case <-time.After(wait):
		}
	}
}

func rangeOf(r *hcl.Range) string {
	if r == nil {
		return ""
	}
	return r.String()
}

func (a *App) cleanup(f func()) {
	a.mu.Lock()
	a.cleanups = append(a.cleanups, f)
	a.mu.Unlock()
}

// Close releases everything New set up, newest first.
func (a *App) Close() {
	a.mu.Lock()
	fs := a.cleanups
	a.cleanups = nil
	a.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// Addr is the address the HTTP server listens on.
func (a *App) Addr() string { return a.listener.Addr().String() }

func (a *App) connectRedis() (redis.UniversalClient, error) {
	if a.opts.RedisURL == "" {
		mini := miniredis.NewMiniRedis()
		if err := mini.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		// Expire keys on the wall clock, like a real Redis would.
		mini.ClockTTL(true)
		a.cleanup(mini.Close)
		a.log.Warn("NO REDIS CONFIGURED: using an embedded in-process Redis. " +
			"ALL STATE IS LOST ON RESTART and replicas cannot share it; set --redis or PAGERD_REDIS_URL for production")
		c := redis.NewClient(&redis.Options{Addr: mini.Addr()})
		c.AddHook(a.metrics.RedisHook())
		a.cleanup(func() { c.Close() })
		return c, nil
	}
	u, err := ParseRedisURL(a.opts.RedisURL)
	if err != nil {
		return nil, err
	}
	a.durability = u.Durability
	c := redis.NewUniversalClient(u.Options)
	c.AddHook(a.metrics.RedisHook())
	a.cleanup(func() { c.Close() })
	return c, nil
}

// redactURL hides a password in a Redis URL for logs.
func redactURL(raw string) string {
	if raw == "" {
		return "embedded"
	}
	if u, err := ParseRedisURL(raw); err == nil {
		return strings.Join(u.Options.Addrs, ",")
	}
	return "(unparsable URL)"
}

// buildPagers builds the pager of every channel cfg configures (the
// console always), each behind retries.
func (a *App) buildPagers(cfg *policies.Config) {
	set, err := pagers.Build(cfg, a.env, func(p pagers.Pager) pagers.Pager {
		return pagers.Retry{Pager: p, Backoff: a.opts.RetryBackoff}
	})
	if err != nil {
		a.log.Error("some channels cannot send; their pages fall back to the next channel", "err", err)
	}
	people := 0
	for name := range set {
		if ch := pagers.Lookup(name); ch != nil && ch.Contact != nil {
			people++ // a channel with a provider that reaches people
		}
	}
	if people == 0 {
		a.log.Warn("no paging provider configured: pages to people are printed to the console")
	}
	a.pagers.Store(&set)
}

// logDiagnostics logs a config's problems, errors first: the reason a
// reload failed must not hide behind the warnings that came with it.
func (a *App) logDiagnostics(diags hcl.Diagnostics) {
	for _, d := range diags.Errs() {
		a.log.Error("config: " + d.Error())
	}
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			a.log.Warn("config: "+d.Summary, "detail", d.Detail, "at", rangeOf(d.Subject))
		}
	}
}

// Reload re-reads the config directory. An invalid config is reported and
// the running one kept.
func (a *App) Reload() error {
	diags, err := a.Holder.Reload()
	a.metrics.ConfigLoaded(err == nil, time.Now())
	if err != nil {
		a.logDiagnostics(diags)
		a.log.Error("config reload failed; keeping the running config", "dir", a.opts.ConfigDir, "errors", len(diags.Errs()))
		return err
	}
	a.logDiagnostics(diags)
	cfg := a.Holder.Current()
	a.metrics.Services(serviceNames(cfg))
	a.buildPagers(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Events.EnsureGroups(ctx); err != nil {
		a.log.Warn("could not create the event groups of new subscribers; they start when their reader does", "err", err)
	}
	if len(cfg.Settings.LinkSecret) == 0 {
		a.log.Info("no link_secret configured: ack links are signed with the key kept in Redis")
	}
	// Open incidents follow the new policies at once, here and on every
	// replica, rather than at their next natural wake-up.
	if err := a.Store.WakeOpen(ctx); err != nil {
		a.log.Warn("could not wake open incidents after reload", "err", err)
	}
	// New heartbeats are watched from now, changed ones follow their new
	// period, removed ones stop.
	if err := a.Engine.SyncHeartbeats(ctx); err != nil {
		a.log.Warn("could not register the heartbeats of the new config; a new one is watched from its first beat", "err", err)
	}
	// Alerts that matched no service and now do move to their service and
	// page, whichever replica's engine next takes their incident; this
	// replica, whose config is new for sure, does it at once.
	if _, err := a.router.RerouteUnrouted(ctx); err != nil {
		a.log.Warn("could not move unrouted incidents to their services after reload; the engine retries", "err", err)
	}
	a.Engine.Wake()
	a.log.Info("config reloaded", "dir", a.opts.ConfigDir)
	return nil
}

// Run serves HTTP and runs the escalation engine and the event consumers
// until ctx ends, then stops gracefully: it takes no new connections and
// lets requests in flight finish, the engine finishes and records the
// pages it started (for up to Grace) and hands back what it holds, and the
// consumers give their groups to another replica. Nothing is left leased
// behind, so a rolling restart neither delays nor repeats a page.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() {
		a.log.Info("pagerd listening", "addr", a.Addr(), "config", a.opts.ConfigDir, "redis", redactURL(a.opts.RedisURL))
		if err := a.server.Serve(a.listener); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		wg.Go(func() { _ = a.Engine.Run(ctx) })
		wg.Go(func() { _ = a.Events.Run(ctx) })
		wg.Go(func() { a.runStatusPages(ctx) })
		wg.Wait()
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	a.log.Info("stopping: finishing requests and pages in flight", "grace", a.opts.Grace)
	shutdownCtx, stop := context.WithTimeout(context.Background(), a.opts.Grace)
	defer stop()
	if serr := a.server.Shutdown(shutdownCtx); serr != nil {
		a.log.Warn("requests still open after the grace; closing them", "err", serr)
	}
	<-done
	a.Close()
	a.log.Info("stopped")
	return err
}

// gaugesMaxAge is how long the open-incident counts /metrics exports are
// shared by every replica's scrapes: well under a scrape interval, so a
// gauge is at most that stale, and Redis counts at most once in it.
const gaugesMaxAge = 5 * time.Second

// sharedState reads, for /metrics, what every replica shares.
func (a *App) sharedState(ctx context.Context) (metrics.State, error) {
	open, due, err := a.Store.Gauges(ctx, gaugesMaxAge)
	if err != nil {
		return metrics.State{}, err
	}
	st := metrics.State{TimersDue: due}
	for _, o := range open {
		st.Open = append(st.Open, metrics.OpenCount{Service: o.Service, Status: o.Status, Count: o.Count})
	}
	return st, nil
}

func serviceNames(cfg *policies.Config) []string {
	names := make([]string, 0, len(cfg.Services))
	for _, s := range cfg.Services {
		if s.NameLabel == "" { // an ownership map's default: named per alert
			names = append(names, s.Name)
		}
	}
	return names
}
