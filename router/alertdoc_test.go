package router

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// TestAlertDocMatchesMarshal: the hand-written encoder writes the bytes
// json.Marshal writes, whatever the strings hold, and leaves alerts with
// links or details to it.
func TestAlertDocMatchesMarshal(t *testing.T) {
	start := time.Date(2026, 11, 27, 0, 0, 0, 123456000, time.UTC)
	odd := []string{"", "plain", `quote " back \ slash`, "<b>&amp;</b>", "line\nbreak\ttab\x01", "é—ü 日本",
		"\u2028\u2029", "bad \xff utf8", "emoji 🚨"}
	for _, s := range odd {
		for _, sa := range []storedAlert{
			{Fingerprint: "0123456789abcdef", Status: "firing", Labels: map[string]string{"alertname": s, "b": "2", "a": s},
				Annotations: map[string]string{"summary": s}, StartsAt: start, GeneratorURL: s, Integration: "am"},
			{Fingerprint: s, DedupKey: s, Status: "resolved", Labels: map[string]string{s: s}, StartsAt: start,
				EndsAt: start.Add(time.Minute), Client: s, ClientURL: s, Integration: s},
			{Status: "resolved", StartsAt: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Annotations: map[string]string{}},
			{Status: "firing", StartsAt: start.In(time.FixedZone("x", 3600)), Labels: map[string]string{}},
		} {
			want, err := json.Marshal(sa)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := appendAlertDoc(nil, &sa)
			if !ok || string(got) != string(want) {
				t.Errorf("%+v:\n got %s (%v)\nwant %s", sa, got, ok, want)
			}
		}
	}
	for _, sa := range []storedAlert{
		{Links: []incident.Link{{}}}, {Details: json.RawMessage(`{}`)},
	} {
		if _, ok := appendAlertDoc(nil, &sa); ok {
			t.Errorf("%+v: took an alert with links or details", sa)
		}
	}
}

// BenchmarkAlertDoc compares the stored document's two encoders on an
// Alertmanager alert.
func BenchmarkAlertDoc(b *testing.B) {
	sa := storedAlert{Fingerprint: "0123456789abcdef", Status: "firing",
		Labels:      map[string]string{"alertname": "Load1", "instance": "host-1:9100", "job": "node", "service": "checkout", "severity": "critical"},
		Annotations: map[string]string{"summary": "synthetic load", "description": "side-by-side benchmark"},
		StartsAt:    time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), GeneratorURL: "http://prometheus.example:9090/graph?g0.expr=up", Integration: "alertmanager"}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(sa)
		}
	})
	b.Run("appendAlertDoc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = appendAlertDoc(make([]byte, 0, 512), &sa)
		}
	})
}
