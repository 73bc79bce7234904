// Package metrics defines what pagerd exports at /metrics, named as
// Prometheus's conventions say (a pagerd_ prefix, base units, _total on
// counters, numeric HTTP codes), and records it. Every method is safe on
// a nil *Metrics, which records nothing: the router, the engine and the
// HTTP server are built without metrics in tests that do not look.
//
// Counters and histograms count what this replica did: sum them across
// replicas. What is shared — open incidents, timers due — is read from
// Redis at scrape time (State), so every replica reports the same,
// whole number: take max, not sum, across replicas.
//
// docs/operations.md says what each metric means and what to alert on;
// deploy/prometheus/pagerd-rules.yml and deploy/grafana hold the alerts
// and the dashboard, and a test holds both to what a scrape exports.
package metrics

import (
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds pagerd's own collectors.
type Metrics struct {
	alertsReceived *prometheus.CounterVec
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	pages          *prometheus.CounterVec
	notices        *prometheus.CounterVec
	exhausted      *prometheus.CounterVec
	timeToAck      *prometheus.HistogramVec
	timeToResolve  *prometheus.HistogramVec
	timerLateness  prometheus.Histogram
	busy           prometheus.Gauge
	redisDuration  *prometheus.HistogramVec
	redisErrors    *prometheus.CounterVec
	reloads        *prometheus.CounterVec
	reloadOK       prometheus.Gauge
	reloadAt       prometheus.Gauge
}

// Page outcomes (pagerd_pages_total's outcome label).
const (
	// PageSent: the page reached its recipient through this channel.
	PageSent = "sent"
	// PageFailed: this channel's provider refused or failed the page
	// (after its retries).
	PageFailed = "failed"
	// PageFallback: the page moved on from this channel to the person's
	// next one, because it failed here or the channel cannot send
	// (not configured, no address).
	PageFallback = "fallback"
	// PageUnreached: every channel failed; nobody was reached. The
	// channel is the one the page was meant to go through.
	PageUnreached = "unreached"
)

// Durations pagerd cares about, in seconds.
var (
	ackBuckets      = []float64{15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400}
	resolveBuckets  = []float64{60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800}
	latenessBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	redisBuckets    = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
)

// New makes pagerd's metrics and registers them, with pagerd_build_info,
// in reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		alertsReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pagerd_alerts_received_total",
			Help: "Alerts received, by integration and what storing them did (triggered, grouped, deduplicated, resolved, rejected, suppressed, ...).",
		}, []string{"integration", "outcome"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pagerd_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pagerd_http_request_duration_seconds",
			Help:    "How long HTTP requests took to answer, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pagerd_pages_total",
			Help: "Pages by channel, its provider and outcome: sent, failed (the provider failed it), fallback (moved on to the person's next channel), unreached (no channel reached anyone).",
		}, []string{"channel", "provider", "outcome"}),
		notices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pagerd_notices_total",
			Help: "Notices (acknowledged, resolved, storm passed, shift reminders, incident command's) by channel, its provider and outcome: sent, failed, fallback.",
		}, []string{"channel", "provider", "outcome"}),
		exhausted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pagerd_escalations_exhausted_total",
			Help: "Escalations that ran their last round with nobody acknowledging, by service.",
		}, []string{"service"}),
		timeToAck: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pagerd_incident_time_to_acknowledge_seconds",
			Help:    "From the start of an incident's paging to its acknowledgement, by service.",
			Buckets: ackBuckets,
		}, []string{"service"}),
		timeToResolve: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pagerd_incident_time_to_resolve_seconds",
			Help:    "From an incident's opening to its resolution, by service.",
			Buckets: resolveBuckets,
		}, []string{"service"}),
		timerLateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pagerd_engine_timer_lateness_seconds",
			Help:    "How late the engine took up a due timer (an escalation step, a heartbeat deadline) after it fell due.",
			Buckets: latenessBuckets,
		}),
		busy: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pagerd_engine_busy_workers",
			Help: "Incidents this replica's engine is working on now.",
		}),
		redisDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pagerd_redis_command_duration_seconds",
			Help:    "Redis round trips by command (evalsha: a Lua script; pipeline: a batch), blocking reads left out.",
			Buckets: redisBuckets,
		}, []string{"command"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pagerd_redis_errors_total",
			Help: "Redis commands that failed (unreachable, timed out, refused), by command; dial: a connection that could not be opened.",
		}, []string{"command"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pagerd_config_reloads_total",
			Help: "Config loads, at start and on reload, by result: success, or failure (the last good config stays in force).",
		}, []string{"result"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pagerd_config_last_reload_successful",
			Help: "1 when the last config load succeeded, 0 when it failed and an older config is in force.",
		}),
		reloadAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pagerd_config_last_reload_success_timestamp_seconds",
			Help: "When the config in force was loaded, in Unix seconds.",
		}),
	}
	// Counters every dashboard sums exist from the start, at zero, so a
	// rate over them is 0 rather than no data.
	for _, r := range []string{"success", "failure"} {
		m.reloads.WithLabelValues(r)
	}
	reg.MustRegister(m.alertsReceived, m.httpRequests, m.httpDuration, m.pages, m.notices, m.exhausted,
		m.timeToAck, m.timeToResolve, m.timerLateness, m.busy, m.redisDuration, m.redisErrors,
		m.reloads, m.reloadOK, m.reloadAt, buildInfo())
	return m
}

// buildInfo is pagerd_build_info{version, revision, goversion} 1.
func buildInfo() prometheus.Collector {
	version, revision, goVersion := "(devel)", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "pagerd_build_info",
		Help:        "Always 1; its labels say which pagerd runs.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	})
	g.Set(1)
	return g
}

// Services makes the per-service counters of every service of the
// config exist, at zero, so that an alert on their increase has a series
// to look at before the first one happens.
func (m *Metrics) Services(names []string) {
	if m == nil {
		return
	}
	for _, s := range names {
		m.exhausted.WithLabelValues(s)
	}
}

// AlertReceived counts one alert of integration and what storing it did.
func (m *Metrics) AlertReceived(integration, outcome string) {
	if m != nil {
		m.alertsReceived.WithLabelValues(integration, outcome).Inc()
	}
}

// HTTPRequest counts one answered request of route with status code.
func (m *Metrics) HTTPRequest(route string, code int, took time.Duration) {
	if m != nil {
		m.httpRequests.WithLabelValues(route, strconv.Itoa(code)).Inc()
		m.httpDuration.WithLabelValues(route).Observe(took.Seconds())
	}
}

// Page counts one page's outcome on channel, whose provider is provider.
func (m *Metrics) Page(channel, provider, outcome string) {
	if m != nil {
		m.pages.WithLabelValues(channel, provider, outcome).Inc()
	}
}

// Notice counts one notice sent, or failed, through channel.
func (m *Metrics) Notice(channel, provider string, err error) {
	outcome := PageSent
	if err != nil {
		outcome = PageFailed
	}
	m.NoticeOutcome(channel, provider, outcome)
}

// NoticeOutcome counts one notice's outcome on channel, as Page does a
// page's: a notice to a person falls back through their channels too.
func (m *Metrics) NoticeOutcome(channel, provider, outcome string) {
	if m != nil {
		m.notices.WithLabelValues(channel, provider, outcome).Inc()
	}
}

// Exhausted counts an escalation of service that ran out.
func (m *Metrics) Exhausted(service string) {
	if m != nil {
		m.exhausted.WithLabelValues(service).Inc()
	}
}

// Acknowledged observes how long an incident of service paged before
// someone acknowledged it.
func (m *Metrics) Acknowledged(service string, after time.Duration) {
	if m != nil && after >= 0 {
		m.timeToAck.WithLabelValues(service).Observe(after.Seconds())
	}
}

// Resolved observes how long an incident of service was open.
func (m *Metrics) Resolved(service string, after time.Duration) {
	if m != nil && after >= 0 {
		m.timeToResolve.WithLabelValues(service).Observe(after.Seconds())
	}
}

// TimerLate observes how late a due timer was taken up.
func (m *Metrics) TimerLate(late time.Duration) {
	if m != nil {
		m.timerLateness.Observe(max(late, 0).Seconds())
	}
}

// Busy moves the engine's busy-worker gauge by delta.
func (m *Metrics) Busy(delta int) {
	if m != nil {
		m.busy.Add(float64(delta))
	}
}

// ConfigLoaded records a config load (at start or on reload) at now.
func (m *Metrics) ConfigLoaded(ok bool, now time.Time) {
	if m == nil {
		return
	}
	if !ok {
		m.reloads.WithLabelValues("failure").Inc()
		m.reloadOK.Set(0)
		return
	}
	m.reloads.WithLabelValues("success").Inc()
	m.reloadOK.Set(1)
	m.reloadAt.Set(float64(now.UnixNano()) / 1e9)
}
