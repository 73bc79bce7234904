package generic_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/ingest/generic"
)

// BenchmarkDecodeZabbix100 measures the mapping's cost: an array of 100
// Zabbix problems through the shipped Zabbix mapping (jsondecode of the
// tags, a for expression, conditionals, templates), per request.
func BenchmarkDecodeZabbix100(b *testing.B) {
	cfg, diags := policies.Load(exampleConfig)
	if cfg == nil {
		b.Fatal(diags)
	}
	in := cfg.Integration("zabbix")
	one, err := os.ReadFile(filepath.Join("testdata", "zabbix-problem.json"))
	if err != nil {
		b.Fatal(err)
	}
	var problem map[string]any
	if err := json.Unmarshal(one, &problem); err != nil {
		b.Fatal(err)
	}
	bodies := make([]map[string]any, 100)
	for i := range bodies {
		p := map[string]any{}
		for k, v := range problem {
			p[k] = v
		}
		p["event_id"] = strconv.Itoa(50000 + i)
		bodies[i] = p
	}
	body, _ := json.Marshal(bodies)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		batch, err := generic.Decode(bytes.NewReader(body), ingest.Options{Now: received, Integration: in})
		if err != nil || len(batch.Alerts) != 100 {
			b.Fatalf("%v, %d alerts", err, len(batch.Alerts))
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkDecodeSimple100 is the mapping of issue 8 (field reads, lower,
// a conditional, a template) over 100 checks: the cost of a plain mapping.
func BenchmarkDecodeSimple100(b *testing.B) {
	in := compileMapping(b, `
  mapping {
    labels    = { service = body.service, severity = lower(body.level) }
    status    = body.state == "ok" ? "resolved" : "firing"
    dedup_key = body.check_id
    summary   = "${body.host}: ${body.message}"
  }
`)
	checks := make([]map[string]any, 100)
	for i := range checks {
		checks[i] = map[string]any{"service": "checkout", "level": "CRITICAL", "state": "failing",
			"check_id": "chk-" + strconv.Itoa(i), "host": "web-3", "message": "HTTP 503 on /health"}
	}
	body, _ := json.Marshal(checks)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		batch, err := generic.Decode(bytes.NewReader(body), ingest.Options{Now: received, Integration: in})
		if err != nil || len(batch.Alerts) != 100 {
			b.Fatalf("%v, %d alerts", err, len(batch.Alerts))
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "alerts/s")
}
