package httpapi

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/router/ingest"
)

func gzipped(t testing.TB, parts ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for _, p := range parts {
		if _, err := zw.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bomb is a small gzip body of n MiB of spaces: JSON whitespace, which a
// decoder reads on and on.
func bomb(t testing.TB, n int) []byte {
	t.Helper()
	mib := bytes.Repeat([]byte(" "), 1<<20)
	parts := make([][]byte, n)
	for i := range parts {
		parts[i] = mib
	}
	return gzipped(t, parts...)
}

// A zip bomb is cut off at the limit as it inflates: the decoder never
// gets, and gzip never inflates, much more than the limit allows.
func TestGzipBombStopsAtTheLimit(t *testing.T) {
	const limit = 64 << 10
	body := bomb(t, 64) // 64 MiB inflated, ~64 KiB sent
	if len(body) > limit {
		t.Fatalf("the bomb is %d bytes compressed, over the limit itself", len(body))
	}
	req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	req.Header.Set("Content-Encoding", "gzip")
	r, err := intakeBody(httptest.NewRecorder(), req, limit)
	if err != nil {
		t.Fatal(err)
	}
	c := &ingest.CountingReader{R: r}
	_, err = io.Copy(io.Discard, c)
	var tooBig *http.MaxBytesError
	if !errors.As(err, &tooBig) {
		t.Fatalf("read the whole bomb (%d bytes): %v, want an *http.MaxBytesError", c.N, err)
	}
	if c.N > limit {
		t.Errorf("read %d bytes of a body limited to %d", c.N, limit)
	}
}

func TestIntakeBodyEncodings(t *testing.T) {
	const limit = 1 << 10
	json := []byte(`{"a":"b"}`)
	tests := []struct {
		name, encoding string
		body           []byte
		want           string // what reading gives, or the error
	}{
		{"none", "", json, `{"a":"b"}`},
		{"identity", "identity", json, `{"a":"b"}`},
		{"gzip", "gzip", gzipped(t, json), `{"a":"b"}`},
		{"gzip in capitals, with identity", "identity, GZIP", gzipped(t, json), `{"a":"b"}`},
		{"x-gzip", "x-gzip", gzipped(t, json), `{"a":"b"}`},
		{"gzip of two members", "gzip", append(gzipped(t, []byte(`{"a":`)), gzipped(t, []byte(`"b"}`))...), `{"a":"b"}`},
		{"deflate", "deflate", json, `unsupported content encoding "deflate"`},
		{"gzip twice", "gzip, gzip", gzipped(t, gzipped(t, json)), `unsupported content encoding "gzip, gzip"`},
		{"br", "br", json, `unsupported content encoding "br"`},
		{"not gzip", "gzip", []byte(`{"alerts":[{"labels":{"a":"b"}}]}`), "body is not valid gzip: gzip: invalid header"},
		{"truncated gzip", "gzip", gzipped(t, json)[:15], "body is not valid gzip: unexpected EOF"},
		{"bad checksum", "gzip", func() []byte { b := gzipped(t, json); b[len(b)-6] ^= 1; return b }(), "body is not valid gzip: gzip: invalid checksum"},
		{"too big inflated", "gzip", gzipped(t, bytes.Repeat([]byte(" "), limit+1)), "http: request body too large"},
		{"too big as sent", "", bytes.Repeat([]byte(" "), limit+1), "http: request body too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", bytes.NewReader(tc.body))
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			r, err := intakeBody(httptest.NewRecorder(), req, limit)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(r)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q, want %q", err, tc.want)
				}
				return
			}
			if string(got) != tc.want {
				t.Errorf("read %q, want %q", got, tc.want)
			}
		})
	}
}

// Every intake route takes a gzip-encoded body (PagerDuty answering in
// its own shape), refuses an encoding it does not know with 415 and
// Accept-Encoding, and a bomb with 413.
func TestIntakeTakesGzipOnEveryRoute(t *testing.T) {
	srv := newTestServerLogging(t, io.Discard, withPagerDuty)
	bodies := map[string]string{
		"/v1/webhooks/alertmanager": `{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"Z1"}}]}`,
		"/api/v2/alerts":            `[{"labels":{"alertname":"Z2"}}]`,
		"/v2/enqueue":               `{"routing_key":"` + pdKey + `","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`,
		"/v2/change/enqueue":        `{"routing_key":"` + pdKey + `","payload":{"summary":"deployed"}}`,
	}
	for path, body := range bodies {
		h := map[string]string{"Authorization": "Bearer am-token", "Content-Type": "application/json", "Content-Encoding": "gzip"}
		if r := send(t, "POST", srv.URL+path, h, string(gzipped(t, []byte(body)))); r.code >= 300 {
			t.Errorf("%s gzip: %d %s, want it accepted", path, r.code, r.body)
		}
		h["Content-Encoding"] = "br"
		r := send(t, "POST", srv.URL+path, h, body)
		want := http.StatusUnsupportedMediaType
		if strings.HasPrefix(path, "/v2/") {
			want = http.StatusBadRequest // PagerDuty's invalid event, naming the encoding
		}
		if r.code != want || !strings.Contains(r.body, `unsupported content encoding \"br\"`) || (want == 415 && r.h.Get("Accept-Encoding") != "gzip") {
			t.Errorf("%s br: %d %v %s, want %d naming the encoding", path, r.code, r.h, r.body, want)
		}
		h["Content-Encoding"] = "gzip"
		want = http.StatusRequestEntityTooLarge
		if strings.HasPrefix(path, "/v2/") {
			want = http.StatusBadRequest
		}
		if r := send(t, "POST", srv.URL+path, h, string(bomb(t, 16))); r.code != want || !strings.Contains(r.body, "larger than the limit of 4 MiB once decompressed") {
			t.Errorf("%s bomb: %d %s, want %d", path, r.code, r.body, want)
		}
	}
}
