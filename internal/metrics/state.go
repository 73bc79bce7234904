package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// State is what every replica shares, read from Redis when /metrics is
// scraped: one script call, however many replicas and incidents.
type State struct {
	// Open counts open incidents by service and status.
	Open []OpenCount
	// TimersDue is how many engine timers are due and not taken up by any
	// replica: the engine's queue.
	TimersDue int
}

// OpenCount is how many open incidents a service has in one status.
type OpenCount struct {
	Service, Status string
	Count           int
}

// StateCollector exports State at scrape time. When Redis does not
// answer within Timeout the scrape still succeeds, without these
// series, and pagerd_state_up says 0: a failing Redis must not hide
// the rest of /metrics.
type StateCollector struct {
	Read    func(context.Context) (State, error)
	Timeout time.Duration // default 2s
}

var (
	openDesc = prometheus.NewDesc("pagerd_incidents_open",
		"Open incidents, by service and status (triggered, acknowledged), across every replica (read from Redis at scrape time).",
		[]string{"service", "status"}, nil)
	dueDesc = prometheus.NewDesc("pagerd_engine_timers_due",
		"Escalation and heartbeat timers due now that no replica has taken up yet: the engine's queue, across every replica.", nil, nil)
	upDesc = prometheus.NewDesc("pagerd_state_up",
		"1 when this scrape read the shared state from Redis, 0 when Redis did not answer.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- openDesc
	ch <- dueDesc
	ch <- upDesc
}

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := c.Read(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	for _, o := range st.Open {
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(o.Count), o.Service, o.Status)
	}
	ch <- prometheus.MustNewConstMetric(dueDesc, prometheus.GaugeValue, float64(st.TimersDue))
}
