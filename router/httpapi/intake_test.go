package httpapi

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/ingest/alertmanager"
)

// uncheckedPath is a format registered for these tests only: it hands
// its alerts to the router without checking their times, as a decoder
// that forgot to would.
const uncheckedPath = "/v1/test/unchecked"

func init() {
	ingest.Register(ingest.Format{
		Name: "unchecked-test", Integration: "alertmanager", Pattern: "POST " + uncheckedPath,
		Decode: func(r io.Reader, _ ingest.Options) (*ingest.Batch, error) {
			_, _ = io.Copy(io.Discard, r)
			start := time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)
			return &ingest.Batch{Alerts: []ingest.Alert{
				{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "Fine"}, StartsAt: start, Fingerprint: "f1"},
				{Action: incident.AlertTrigger, Labels: map[string]string{"alertname": "Far"}, Fingerprint: "f2",
					StartsAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -(23*3600+59*60)))},
			}}, nil
		},
		Respond: ingest.RespondStored,
	})
}

const pdKey = "pd-routing-key"

func withPagerDuty(cfg *policies.Config) {
	cfg.Integrations = append(cfg.Integrations, &policies.Integration{Name: "pd", Type: "pagerduty", Token: pdKey})
}

type answer struct {
	code int
	body string
	h    http.Header
}

func send(t *testing.T, method, url string, header map[string]string, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header}
}

// Times RFC 3339 (or ISO 8601) accepts but that fall outside the years
// 0000-9999 in UTC cannot be stored: the alert is refused with a 4xx
// naming it and the field — never a 503 with Retry-After, which would
// have the sender retry forever — and nothing of it is stored. The other
// alerts of its request are stored (207).
func TestIntakeRefusesTimesItCannotKeep(t *testing.T) {
	srv := newTestServerLogging(t, io.Discard, withPagerDuty)
	am := map[string]string{"Authorization": "Bearer am-token", "Content-Type": "application/json"}
	pd := map[string]string{"Content-Type": "application/json"}
	tests := []struct {
		name, path string
		header     map[string]string
		body       string
		want       int
		mention    string
	}{
		{"webhook endsAt past 9999", "/v1/webhooks/alertmanager", am,
			`{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A"}},{"status":"resolved","labels":{"alertname":"B"},"startsAt":"2026-11-24T01:00:00Z","endsAt":"9999-12-31T23:59:59-23:59"}]}`,
			207, `{"outcome":"rejected","error":"alerts[1].endsAt: \"9999-12-31T23:59:59-23:59\" is out of range`},
		{"API v2 startsAt before year 0", "/api/v2/alerts", am,
			`[{"labels":{"alertname":"C"},"startsAt":"0000-01-01T00:00:00+23:59"}]`,
			422, `alerts[0].startsAt: \"0000-01-01T00:00:00+23:59\" is out of range`},
		{"PagerDuty timestamp past 9999", "/v2/enqueue", pd,
			`{"routing_key":"` + pdKey + `","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","timestamp":"9999-12-31T23:59:59-23:59"}}`,
			400, `{"status":"invalid event","message":"Event object is invalid","errors":["'payload.timestamp' is out of range: in UTC it must fall in the years 0000 to 9999"]}`},
		{"PagerDuty change timestamp before year 0", "/v2/change/enqueue", pd,
			`{"routing_key":"` + pdKey + `","payload":{"summary":"deployed","timestamp":"0000-01-01T00:00:00+23:59"}}`,
			400, `'payload.timestamp' is out of range`},
		// The router's own check, behind a decoder that let such a time
		// through.
		{"an alert the router cannot encode", uncheckedPath, am, `{}`,
			207, `"error":"alerts[1].startsAt: 10000-01-01T23:58:59Z cannot be stored`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, "POST", srv.URL+tc.path, tc.header, tc.body)
			if r.code != tc.want || !strings.Contains(r.body, tc.mention) {
				t.Errorf("%d %s\nwant %d mentioning %s", r.code, r.body, tc.want, tc.mention)
			}
			if ra := r.h.Get("Retry-After"); ra != "" {
				t.Errorf("Retry-After: %s on a refusal the sender cannot fix by retrying", ra)
			}
		})
	}
	// Only the good alerts of the partial requests were stored.
	r := send(t, "GET", srv.URL+"/v1/incidents?status=all", map[string]string{"Authorization": "Bearer api-token"}, "")
	for _, name := range []string{`"title": "A"`, `"title": "Fine"`} {
		if !strings.Contains(r.body, name) {
			t.Errorf("the good alert %s of a partial request was not stored: %s", name, r.body)
		}
	}
	for _, name := range []string{`"title": "B"`, `"title": "C"`, `"title": "Far"`} {
		if strings.Contains(r.body, name) {
			t.Errorf("a refused alert was stored (%s): %s", name, r.body)
		}
	}
}

// One invalid alert costs only itself, on every format that carries
// several: the rest are stored and the answer, 207, says what became of
// each, in payload order. A request whose every alert is refused is a
// 4xx listing each problem; an empty one is a 200 on both Alertmanager
// endpoints.
func TestBatchesStoreTheirValidAlerts(t *testing.T) {
	srv := newTestServer(t)
	am := map[string]string{"Authorization": "Bearer am-token", "Content-Type": "application/json"}
	tests := []struct {
		name, path, body string
		want             int
		answer           string
	}{
		{"webhook, one alert without labels", "/v1/webhooks/alertmanager",
			`{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"W1"}},{"status":"firing","labels":{}},{"status":"firing","labels":{"alertname":"W2"}}]}`,
			207, `{"status":"partial","alerts":[{"fingerprint":"%s","incident":1,"outcome":"triggered"},{"outcome":"rejected","error":"alerts[1].labels: alert has no labels (labels with empty values are ignored)"},{"fingerprint":"%s","incident":2,"outcome":"triggered"}]}`},
		{"API v2, one alert not an object", "/api/v2/alerts",
			`[7,{"labels":{"alertname":"P1"}}]`,
			207, `{"status":"partial","alerts":[{"outcome":"rejected","error":"alerts[0] at byte 1: JSON number where an object was expected"},{"fingerprint":"%s","incident":3,"outcome":"triggered"}]}`},
		{"webhook, every alert refused", "/v1/webhooks/alertmanager",
			`{"version":"4","alerts":[{"status":"pending","labels":{"alertname":"X"}},{"status":"firing","labels":{"a-b":"c"}}]}`,
			422, `"error": "invalid payload: all 2 alerts refused: alerts[0].status: unknown status \"pending\", want \"firing\" or \"resolved\"; alerts[1].labels: invalid label name \"a-b\": must match [a-zA-Z_][a-zA-Z0-9_]*",
  "problems": [
    "alerts[0].status: unknown status \"pending\", want \"firing\" or \"resolved\"",
    "alerts[1].labels: invalid label name \"a-b\": must match [a-zA-Z_][a-zA-Z0-9_]*"
  ],`},
		{"API v2, the only alert malformed", "/api/v2/alerts", `["x"]`, 400,
			`"error": "invalid payload: alerts[0] at byte 3: JSON string where an object was expected",`},
		{"webhook, empty", "/v1/webhooks/alertmanager", `{"version":"4","status":"firing","alerts":[]}`, 200, `{"status":"success","alerts":[]}`},
		{"API v2, empty", "/api/v2/alerts", `[]`, 200, `{"status":"success","alerts":[]}`},
	}
	fp := func(name string) string {
		b, err := alertmanager.DecodeAPIv2(strings.NewReader(`[{"labels":{"alertname":"`+name+`"}}]`), time.Now(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return b.Alerts[0].Fingerprint
	}
	fps := map[string][]any{
		"webhook, one alert without labels": {fp("W1"), fp("W2")},
		"API v2, one alert not an object":   {fp("P1")},
	}
	for _, tc := range tests {
		r := send(t, "POST", srv.URL+tc.path, am, tc.body)
		want := tc.answer
		if args := fps[tc.name]; args != nil {
			want = fmt.Sprintf(want, args...)
		}
		if r.code != tc.want || !strings.Contains(r.body, want) {
			t.Errorf("%s: %d %s\nwant %d %s", tc.name, r.code, r.body, tc.want, want)
		}
	}
}

// An auth scheme is case-insensitive (RFC 7235): "bearer" and "BASIC" are
// accepted on the intake and on the API alike.
func TestAuthSchemeIsCaseInsensitive(t *testing.T) {
	srv := newTestServer(t)
	const alert = `{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A"}}]}`
	basic := func(scheme, token string) string {
		return scheme + " " + base64.StdEncoding.EncodeToString([]byte("user:"+token))
	}
	for _, tc := range []struct {
		name, path, auth, body string
		want                   int
	}{
		{"lowercase bearer on the webhook", "/v1/webhooks/alertmanager", "bearer am-token", alert, 200},
		{"uppercase BEARER on the webhook", "/v1/webhooks/alertmanager", "BEARER am-token", alert, 200},
		{"lowercase basic on the webhook", "/v1/webhooks/alertmanager", basic("basic", "am-token"), alert, 200},
		{"lowercase bearer on the API", "/v1/incidents", "bearer api-token", "", 200},
		{"mixed-case BaSiC on the API", "/v1/incidents", basic("BaSiC", "api-token"), "", 200},
		{"bearer with a wrong token", "/v1/incidents", "bearer nope", "", 401},
		{"another scheme", "/v1/incidents", "Token api-token", "", 401},
	} {
		method := "GET"
		if tc.body != "" {
			method = "POST"
		}
		r := send(t, method, srv.URL+tc.path, map[string]string{"Authorization": tc.auth, "Content-Type": "application/json"}, tc.body)
		if r.code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.code, r.body, tc.want)
		}
	}
}

// pagerd reads every body as UTF-8: a JSON body declared in another
// charset is refused with 415 naming it, on every intake format (PagerDuty
// in its own 400 shape), rather than misread. us-ascii, a subset, passes.
func TestCharsetOtherThanUTF8IsRefused(t *testing.T) {
	srv := newTestServerLogging(t, io.Discard, withPagerDuty)
	bodies := map[string]string{
		"/v1/webhooks/alertmanager": `{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A"}}]}`,
		"/api/v2/alerts":            `[{"labels":{"alertname":"B"}}]`,
		"/v2/enqueue":               `{"routing_key":"` + pdKey + `","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`,
		"/v2/change/enqueue":        `{"routing_key":"` + pdKey + `","payload":{"summary":"deployed"}}`,
	}
	pagerduty := func(path string) bool { return strings.HasPrefix(path, "/v2/") }
	for path, body := range bodies {
		for _, tc := range []struct {
			ctype string
			ok    bool
		}{
			{"application/json; charset=utf-16", false},
			{"application/json; charset=ISO-8859-1", false},
			{`application/json; charset="UTF-16LE"`, false},
			{"application/json; charset=utf-8", true},
			{"application/json; charset=UTF-8", true},
			{`application/json; charset="utf-8"`, true},
			{"application/json; charset=US-ASCII", true},
			{"application/json", true},
		} {
			r := send(t, "POST", srv.URL+path, map[string]string{"Authorization": "Bearer am-token", "Content-Type": tc.ctype}, body)
			if tc.ok {
				if r.code >= 300 {
					t.Errorf("%s with %q: %d %s, want it accepted", path, tc.ctype, r.code, r.body)
				}
				continue
			}
			_, cs, _ := strings.Cut(tc.ctype, "charset=")
			cs = strings.Trim(cs, `"`)
			want, mention := http.StatusUnsupportedMediaType, `charset \"`+cs+`\" is not supported`
			if pagerduty(path) {
				want, mention = http.StatusBadRequest, `{"status":"invalid event","message":"Event object is invalid","errors":["charset \"`+cs+`\" is not supported: send UTF-8 (charset=utf-8)"]}`
			}
			if r.code != want || !strings.Contains(r.body, mention) {
				t.Errorf("%s with %q: %d %s\nwant %d mentioning %s", path, tc.ctype, r.code, r.body, want, mention)
			}
		}
	}
	// A note is text pagerd keeps: the same rule.
	api := map[string]string{"Authorization": "Bearer api-token", "Content-Type": "text/plain; charset=utf-16"}
	if r := send(t, "POST", srv.URL+"/v1/incidents/1/note", api, "rolled back"); r.code != http.StatusUnsupportedMediaType || !strings.Contains(r.body, `charset \"utf-16\"`) {
		t.Errorf("note in UTF-16: %d %s, want 415 naming the charset", r.code, r.body)
	}
}
