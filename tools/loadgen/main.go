// Command loadgen sends Alertmanager webhooks to a running pagerd — or,
// with --get, reads a page such as a status page — and reports throughput
// and latency. It sends a bounded number of requests and stops by itself;
// it only targets loopback unless --allow-remote is given.
//
//	go run ./tools/loadgen --url http://127.0.0.1:8080 --token s3cret --requests 2000 --alerts 100
//	go run ./tools/loadgen --url http://127.0.0.1:8080 --get /status/public --requests 200000 --concurrency 32
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080", "pagerd base URL")
	token := flag.String("token", "s3cret", "alertmanager integration token")
	requests := flag.Int("requests", 1000, "webhooks to send")
	alerts := flag.Int("alerts", 100, "alerts per webhook")
	groups := flag.Int("groups", 50, "distinct alertnames (incidents) to spread alerts over")
	distinct := flag.Bool("distinct", false, "every alert a new one (an alert storm), numbered from --first-request on, instead of alerts re-sent across requests")
	firstRequest := flag.Int("first-request", 0, "with --distinct, the number of the first request, so that runs one after another keep sending new alerts")
	concurrency := flag.Int("concurrency", 8, "requests in flight")
	maxTime := flag.Duration("max-time", 2*time.Minute, "stop after this long whatever is left")
	allowRemote := flag.Bool("allow-remote", false, "allow a target that is not on loopback")
	get := flag.String("get", "", "`PATH` to GET instead of sending webhooks (a status page: /status/public, /status/public/api/v2/summary.json)")
	gzipped := flag.Bool("gzip", true, "with --get, ask for gzip as browsers do")
	flag.Parse()

	u, err := url.Parse(*target)
	if err != nil {
		fail("--url: %v", err)
	}
	if ip := net.ParseIP(u.Hostname()); !*allowRemote && u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fail("refusing to load %s: not loopback (pass --allow-remote for your own test hosts)", u.Host)
	}

	if *get != "" {
		*alerts = 0
	}
	bodies := make([][]byte, *requests)
	for i := range bodies {
		if *get == "" {
			bodies[i] = webhook(*firstRequest+i, *alerts, *groups, *distinct)
		}
	}
	// The transport leaves compression to us: a browser asks for gzip and
	// reads it compressed, and so must the load.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency, DisableCompression: true}}
	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		errs      = map[string]int{}
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(*maxTime)
	start := time.Now()
	for range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) || time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				var status int
				var err error
				if *get != "" {
					status, err = read(client, *target+*get, *gzipped)
				} else {
					status, err = send(client, *target+"/v1/webhooks/alertmanager", *token, bodies[i])
				}
				d := time.Since(t0)
				mu.Lock()
				switch {
				case err != nil:
					errs[err.Error()]++
				case status != http.StatusOK:
					errs[fmt.Sprintf("HTTP %d", status)]++
				default:
					latencies = append(latencies, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	ok := len(latencies)
	if *get != "" {
		fmt.Printf("requests: %d ok, %d failed in %s (GET %s, concurrency %d)\n", ok, sum(errs), elapsed.Round(time.Millisecond), *get, *concurrency)
	} else {
		fmt.Printf("requests: %d ok, %d failed in %s (%d alerts each, concurrency %d)\n", ok, sum(errs), elapsed.Round(time.Millisecond), *alerts, *concurrency)
	}
	if ok > 0 {
		fmt.Printf("throughput: %.0f requests/s, %.0f alerts/s\n", float64(ok)/elapsed.Seconds(), float64(ok**alerts)/elapsed.Seconds())
		fmt.Printf("latency: p50 %s  p90 %s  p99 %s  max %s\n", pct(latencies, 50), pct(latencies, 90), pct(latencies, 99), latencies[ok-1])
	}
	for e, n := range errs {
		fmt.Printf("error: %dx %s\n", n, e)
	}
	if sum(errs) > 0 {
		os.Exit(1)
	}
}

func send(c *http.Client, url, token string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// read GETs url, as a browser reading a page does.
func read(c *http.Client, url string, gzipped bool) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if gzipped {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// webhook builds an Alertmanager v4 payload whose alerts repeat across
// requests, as a real Alertmanager re-sends firing alerts — or, distinct,
// are all new.
func webhook(i, n, groups int, distinct bool) []byte {
	type alert struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    string            `json:"startsAt"`
		EndsAt      string            `json:"endsAt"`
	}
	msg := map[string]any{"version": "4", "status": "firing", "receiver": "pagerd", "groupKey": "load",
		"groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"externalURL": "http://loadgen"}
	as := make([]alert, n)
	for j := range as {
		instance := (i*n + j) % 5000
		if distinct {
			instance = i*n + j
		}
		as[j] = alert{
			Status: "firing",
			Labels: map[string]string{
				"alertname": fmt.Sprintf("Load%d", (i+j)%groups), "instance": fmt.Sprintf("host-%d:9100", instance),
				"service": "checkout", "severity": "critical",
			},
			Annotations: map[string]string{"summary": "synthetic load"},
			StartsAt:    "2026-11-27T00:00:00Z", EndsAt: "0001-01-01T00:00:00Z",
		}
	}
	msg["alerts"] = as
	b, _ := json.Marshal(msg)
	return b
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100].Round(10 * time.Microsecond)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	os.Exit(2)
}
