package metrics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/testenv"
)

// value is the value of the one series c collects (a histogram's count).
func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 16)
	c.Collect(ch)
	close(ch)
	var got []float64
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		switch {
		case pb.Counter != nil:
			got = append(got, pb.Counter.GetValue())
		case pb.Gauge != nil:
			got = append(got, pb.Gauge.GetValue())
		case pb.Histogram != nil:
			got = append(got, float64(pb.Histogram.GetSampleCount()))
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d series, want 1", len(got))
	}
	return got[0]
}

// gathered is what reg exports, as "name{labels} value" lines of the
// families named.
func gathered(t *testing.T, reg *prometheus.Registry, names ...string) string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range fams {
		if !slices.Contains(names, f.GetName()) {
			continue
		}
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			lines = append(lines, fmt.Sprintf("%s{%s} %v", f.GetName(), strings.Join(ls, ","), v))
		}
	}
	return strings.Join(lines, "\n")
}

// A nil *Metrics records nothing and does not panic: packages are built
// without metrics in tests that do not look.
func TestNilRecordsNothing(t *testing.T) {
	var m *Metrics
	m.AlertReceived("am", "triggered")
	m.HTTPRequest("GET /", 200, time.Millisecond)
	m.Page("sms", "twilio", PageSent)
	m.Notice("sms", "twilio", nil)
	m.Exhausted("checkout")
	m.Acknowledged("checkout", time.Minute)
	m.Resolved("checkout", time.Minute)
	m.TimerLate(time.Second)
	m.Busy(1)
	m.ConfigLoaded(true, time.Now())
	m.Services([]string{"checkout"})
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	rdb.AddHook(m.RedisHook())
	_ = rdb.Ping(context.Background()).Err()
}

func TestRecording(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.HTTPRequest("POST /v1/webhooks/alertmanager", 503, 20*time.Millisecond)
	m.Notice("email", "smtp", errors.New("refused"))
	m.ConfigLoaded(true, time.Unix(1700000000, 0))
	m.ConfigLoaded(false, time.Unix(1700000600, 0))
	tests := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"code is a number", m.httpRequests.WithLabelValues("POST /v1/webhooks/alertmanager", "503"), 1},
		{"a failed notice", m.notices.WithLabelValues("email", "smtp", PageFailed), 1},
		{"one success", m.reloads.WithLabelValues("success"), 1},
		{"one failure", m.reloads.WithLabelValues("failure"), 1},
		{"the last failed", m.reloadOK, 0},
		{"a failure keeps the success's time", m.reloadAt, 1700000000},
	}
	for _, tc := range tests {
		if got := value(t, tc.c); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := gathered(t, reg, "pagerd_build_info"); !strings.HasPrefix(got, "pagerd_build_info{goversion=go") || !strings.HasSuffix(got, "} 1") {
		t.Errorf("build info = %q", got)
	}
}

// The hook times every round trip against a real Redis, and counts the
// commands that fail once it is gone; an absent key is an answer, not a
// failure.
func TestRedisHook(t *testing.T) {
	srv := testenv.StartRedis(t)
	m := New(prometheus.NewRegistry())
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	rdb.AddHook(m.RedisHook())
	ctx := context.Background()
	if err := rdb.Get(ctx, "nothing").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET = %v, want redis.Nil", err)
	}
	pipe := rdb.Pipeline()
	pipe.Set(ctx, "a", 1, 0)
	pipe.Incr(ctx, "a")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// go-redis opens a connection with a pipeline of its own (HELLO,
	// CLIENT SETINFO): at least ours.
	for _, cmd := range []string{"get", "pipeline"} {
		if n := value(t, m.redisDuration.WithLabelValues(cmd).(prometheus.Histogram)); n < 1 {
			t.Errorf("%s timed %v times, want at least once", cmd, n)
		}
	}
	if n := value(t, m.redisErrors.WithLabelValues("get")); n != 0 {
		t.Errorf("a missing key counted as %v errors", n)
	}
	srv.Stop()
	if err := rdb.Get(ctx, "a").Err(); err == nil {
		t.Fatal("GET after the server stopped succeeded")
	}
	if n := value(t, m.redisErrors.WithLabelValues("get")); n != 1 {
		t.Errorf("get errors = %v after Redis went away, want 1", n)
	}
}

// A state read that fails leaves the scrape whole, saying so.
func TestStateCollectorFailing(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&StateCollector{Read: func(context.Context) (State, error) { return State{}, errors.New("redis down") }})
	if got := gathered(t, reg, "pagerd_state_up", "pagerd_incidents_open", "pagerd_engine_timers_due"); got != "pagerd_state_up{} 0" {
		t.Errorf("a failed read exports %q, want only pagerd_state_up 0", got)
	}
	ok := prometheus.NewRegistry()
	ok.MustRegister(&StateCollector{Read: func(context.Context) (State, error) {
		return State{Open: []OpenCount{{"checkout", "triggered", 2}}, TimersDue: 3}, nil
	}})
	want := "pagerd_engine_timers_due{} 3\npagerd_incidents_open{service=checkout,status=triggered} 2\npagerd_state_up{} 1"
	if got := gathered(t, ok, "pagerd_state_up", "pagerd_incidents_open", "pagerd_engine_timers_due"); got != want {
		t.Errorf("a state read exports\n%s\nwant\n%s", got, want)
	}
}
