package alertmanager

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// benchAlerts is 100 alerts shaped as Alertmanager and Prometheus send
// them, for the decode benchmarks: the decoder's share of the ingest path
// (BenchmarkWebhook100 in internal/app measures all of it).
func benchAlerts(status bool) []map[string]any {
	alerts := make([]map[string]any, 100)
	for j := range alerts {
		a := map[string]any{
			"startsAt":     "2026-11-27T00:00:00Z",
			"endsAt":       "0001-01-01T00:00:00Z",
			"generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
			"labels": map[string]string{"alertname": fmt.Sprintf("A%d", j%10), "instance": fmt.Sprintf("host-%d:9100", j),
				"job": "node", "severity": "critical"},
			"annotations": map[string]string{"summary": "benchmark"},
		}
		if status {
			a["status"], a["fingerprint"] = "firing", "0123456789abcdef"
		}
		alerts[j] = a
	}
	return alerts
}

func BenchmarkDecodeWebhook100(b *testing.B) {
	body, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": "pagerd", "alerts": benchAlerts(true)})
	now := time.Date(2026, 11, 27, 0, 1, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeWebhook(bytes.NewReader(body), now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAPIv2100(b *testing.B) {
	body, _ := json.Marshal(benchAlerts(false))
	now := time.Date(2026, 11, 27, 0, 1, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeAPIv2(bytes.NewReader(body), now, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
