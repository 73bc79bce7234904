package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/internal/testenv"
)

// BenchmarkWebhook100 measures the whole ingest path — HTTP, auth, decode,
// route, one pipelined Redis round trip — for Alertmanager webhooks of 100
// alerts against a real redis-server. Half the alerts of each request are
// new, half re-sent.
func BenchmarkWebhook100(b *testing.B) { benchIntake(b, "/v1/webhooks/alertmanager", 100) }

// BenchmarkAPIv2One is the other case of the side-by-side comparison with
// Alertmanager (tools/sidebyside): one alert a request on /api/v2/alerts,
// where the cost per request, not per alert, decides.
func BenchmarkAPIv2One(b *testing.B) { benchIntake(b, "/api/v2/alerts", 1) }

// BenchmarkAPIv2Hundred is the side-by-side's batch case through one
// client: 100 alerts a request on /api/v2/alerts.
func BenchmarkAPIv2Hundred(b *testing.B) { benchIntake(b, "/api/v2/alerts", 100) }

// benchIntake posts requests of n alerts to path (the Alertmanager webhook
// or Prometheus' /api/v2/alerts).
func benchIntake(b *testing.B, path string, n int) {
	url := startBenchDaemon(b, testenv.IntakeConfig, app.Options{Console: &testenv.Buffer{}, Poll: time.Hour}) + path

	bodies := make([][]byte, 64)
	for i := range bodies {
		alerts := make([]map[string]any, n)
		for j := range alerts {
			alerts[j] = map[string]any{
				"status": "firing", "startsAt": "2026-11-27T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
				"labels":      map[string]string{"alertname": fmt.Sprintf("A%d", j%10), "instance": fmt.Sprintf("h%d", (i/2)*n+j)},
				"annotations": map[string]string{"summary": "benchmark"},
			}
		}
		if path == "/api/v2/alerts" {
			for _, a := range alerts {
				delete(a, "status")
				delete(a, "endsAt") // firing for the resolve timeout
			}
			bodies[i], _ = json.Marshal(alerts)
		} else {
			bodies[i], _ = json.Marshal(map[string]any{"version": "4", "status": "firing", "alerts": alerts})
		}
	}
	client := &http.Client{}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Authorization", "Bearer "+amToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		// Read to the end, or the client dials a new connection for every
		// request and the benchmark measures TCP setup.
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkFirstPage is the firstpage case of tools/sidebyside in one
// process, one incident at a time: from an alert's POST on /api/v2/alerts
// (each alert its own group, so its own incident) to its page written on
// the console. It reports the latency's p50 and p99 besides ns/op.
func BenchmarkFirstPage(b *testing.B) {
	console := &pageWatch{paged: make(chan string, 16)}
	url := startBenchDaemon(b, testenv.FirstPageConfig, app.Options{Console: console}) + "/api/v2/alerts"
	client := &http.Client{}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("FirstPage%d", i)
		body := fmt.Sprintf(`[{"labels":{"alertname":%q},"annotations":{"summary":"first page"}}]`, name)
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+amToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		for got := ""; got != name; {
			select {
			case got = <-console.paged:
			case <-time.After(10 * time.Second):
				b.Fatalf("no page for %s", name)
			}
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// pageWatch is a console that says which incident title each page is
// for, and, when to is set, whom each notification went to.
type pageWatch struct{ paged, to chan string }

func (w *pageWatch) Write(p []byte) (int, error) {
	for _, line := range strings.Split(string(p), "\n") {
		if head, ok := strings.CutSuffix(line, " ==="); ok && w.to != nil {
			if i := strings.LastIndex(head, " to "); i >= 0 {
				w.to <- head[i+len(" to "):]
			}
		}
		if rest, ok := strings.CutPrefix(line, "incident: #"); ok {
			if _, title, ok := strings.Cut(rest, " "); ok {
				w.paged <- title
			}
		}
	}
	return len(p), nil
}

// startBenchDaemon runs pagerd with config cfg (and the Alertmanager
// integration's token) on a redis-server of its own, and returns its
// base URL. The daemon stops before its redis-server (b.Cleanup runs in
// reverse), or its loops would log failed dials into the output.
func startBenchDaemon(b *testing.B, cfg string, opts app.Options) string {
	b.Helper()
	redisSrv := testenv.StartRedis(b)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pagerd.hcl"), []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "am.token"), []byte(amToken), 0o600); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opts.ConfigDir, opts.Listen, opts.RedisURL, opts.Log = dir, "127.0.0.1:0", redisSrv.URL(), testLogger()
	a, err := app.New(ctx, opts)
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	ran := make(chan struct{})
	go func() { _ = a.Run(ctx); close(ran) }()
	b.Cleanup(func() { cancel(); <-ran })
	return "http://" + a.Addr()
}
