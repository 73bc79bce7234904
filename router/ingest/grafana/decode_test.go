package grafana

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/router/ingest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from what Decode returns")

// now is when the golden payloads are received.
var now = time.Date(2026, 11, 24, 1, 32, 0, 0, time.UTC)

// decoded is a batch as the golden files show it.
type decoded struct {
	Alerts   []ingest.Alert `json:"alerts"`
	Rejected []string       `json:"rejected,omitempty"`
}

// decodeFile decodes the payload in file path, received at now.
func decodeFile(t *testing.T, path string) *ingest.Batch {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := Decode(f, now)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGolden decodes every testdata/*.json payload and compares what it
// becomes with testdata/*.golden (go test -run TestGolden -update
// rewrites them).
func TestGolden(t *testing.T) {
	payloads, err := filepath.Glob("testdata/*.json")
	if err != nil || len(payloads) == 0 {
		t.Fatalf("no payloads: %v", err)
	}
	for _, path := range payloads {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b := decodeFile(t, path)
			out := decoded{Alerts: b.Alerts}
			for _, r := range b.Rejected {
				out.Rejected = append(out.Rejected, r.Error())
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := strings.TrimSuffix(path, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Decode(%s) differs from %s (go test -run TestGolden -update rewrites it)\n--- got:\n%s", path, golden, got)
			}
		})
	}
}

// The same alert, sent by Grafana's webhook or by an Alertmanager, is one
// alert: its fingerprint is its labels', not the one Grafana sends.
func TestFingerprintIsTheLabels(t *testing.T) {
	b := decodeFile(t, "testdata/grafana-webhook-firing.json")
	labels, fp, err := ingest.Labels(0, b.Alerts[0].Labels)
	if err != nil || fp != b.Alerts[0].Fingerprint || len(labels) != 5 {
		t.Errorf("fingerprint %s, want %s of the labels (%v)", b.Alerts[0].Fingerprint, fp, err)
	}
	if b.Alerts[0].Fingerprint == "9c4f2e0c1b7a6d55" {
		t.Error("kept Grafana's fingerprint, which covers labels the payload leaves out")
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body string
		kind       ingest.ErrorKind
		msg        string
	}{
		{"empty body", ``, ingest.Malformed, "empty body, want a JSON payload"},
		{"not an object", `[]`, ingest.Malformed, "at byte 1: JSON array where an object was expected"},
		{"trailing data", `{"version":"1","alerts":[]} {}`, ingest.Malformed, "unexpected data after the JSON payload"},
		{"no version", `{"alerts":[]}`, ingest.Invalid, `version: unsupported Grafana webhook version ""`},
		{"Alertmanager's version", `{"version":"4","alerts":[]}`, ingest.Invalid, `unsupported Grafana webhook version "4", want "1"`},
		{"orgId a string", `{"version":"1","orgId":"1","alerts":[]}`, ingest.Malformed, "orgId at byte 26: JSON string where int64 was expected"},
		{"too many", `{"version":"1","alerts":[` + strings.Repeat(`{},`, ingest.MaxAlerts) + `{}]}`, ingest.TooMany, "1001 alerts in one request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.body), now)
			var de *ingest.DecodeError
			if !errors.As(err, &de) || de.Kind != tc.kind || !strings.Contains(de.Error(), tc.msg) {
				t.Errorf("Decode = %v, want a %v error saying %q", err, tc.kind, tc.msg)
			}
		})
	}
	b, err := Decode(strings.NewReader(`{"version":"1","alerts":[]}`), now)
	if err != nil || len(b.Alerts)+len(b.Rejected) != 0 {
		t.Errorf("empty alerts = %+v, %v; want an empty batch", b, err)
	}
}
