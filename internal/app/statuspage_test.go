package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	inc "github.com/pagerd/pagerd/incident"
)

// statusBlocks add components and status pages to configTemplate: the
// public page publishes SEV1 incidents by itself and asks about SEV2 ones.
const statusBlocks = `
service "search" {
  escalation = "payments"
  match      = ["service=search"]
}
component "Checkout API" {
  group    = "Payments"
  services = ["checkout"]
}
component "Search" { services = ["search"] }
status_page "public" {
  title        = "Example Status"
  components   = ["Checkout API", "Search"]
  auto_publish = "SEV1"
  public_url   = "http://127.0.0.1:%d/status/public"
}
status_page "internal" {
  title      = "Example Status (employees)"
  components = ["Checkout API"]
  public     = false
}
`

func (w *world) statusConfig(extra string) string {
	return fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + fmt.Sprintf(statusBlocks, w.port) + extra
}

// apiJSON sends a request with the API token and decodes the answer.
func apiJSON(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	r := do(t, req)
	if out != nil && r.code < 300 {
		if err := json.Unmarshal([]byte(r.body), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, r.body)
		}
	}
	if r.code >= 300 && out != nil {
		t.Logf("%s %s = %d %s", method, url, r.code, r.body)
	}
	return r.code
}

type summary struct {
	Status struct {
		Indicator   string `json:"indicator"`
		Description string `json:"description"`
	} `json:"status"`
	Components []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"components"`
	Incidents []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Status  string `json:"status"`
		Updates []struct {
			Status string `json:"status"`
			Body   string `json:"body"`
		} `json:"incident_updates"`
	} `json:"incidents"`
}

func readSummary(t *testing.T, base string) summary {
	t.Helper()
	r := get(t, base+"/status/public/api/v2/summary.json")
	if r.code != http.StatusOK {
		t.Fatalf("summary.json = %d %s", r.code, r.body)
	}
	var s summary
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func componentState(s summary, name string) string {
	for _, c := range s.Components {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

// An SEV2 incident is put to its responders ("publish?") and shows on no
// page until someone publishes it; then the page follows the manager's
// status updates in their public wording, never the team's, and resolving
// the incident resolves it on the page. Readers never cost Redis a thing.
func TestPublishFollowUpdatesAndResolve(t *testing.T) {
	w := newWorld(t, "0s")
	w.writeConfig(w.statusConfig(""))
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	if s := readSummary(t, base); s.Status.Indicator != "none" || len(s.Incidents) != 0 || componentState(s, "Checkout API") != "operational" {
		t.Fatalf("before any incident: %+v", s)
	}
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.settle()
	eventually(t, "the publish prompt on the timeline", func() bool {
		return factSays(incident(t, base, 1), "status_page", "not on status page public: publish it with `pagerd publish 1 --page public")
	})
	if s := readSummary(t, base); len(s.Incidents) != 0 {
		t.Fatalf("an SEV2 incident was published without anyone asking: %+v", s.Incidents)
	}

	// Bad input: a 4xx naming the problem, nothing published.
	for _, bad := range []struct {
		body map[string]any
		code int
		want string
	}{
		{map[string]any{"text": ""}, 422, "text is empty"},
		{map[string]any{"text": "x", "page": "nope"}, 422, `no status page "nope"`},
		{map[string]any{"text": "x", "status": "fixed"}, 422, `unknown update status "fixed"`},
		{map[string]any{"text": "x", "components": map[string]string{"Billing": "major_outage"}}, 422, `component "Billing" is not on status page`},
		{map[string]any{"text": "x", "components": map[string]string{"Search": "down"}}, 422, `state "down"`},
		{map[string]any{"text": "x\x1b[31m"}, 422, "control characters"},
		{map[string]any{"txt": "x"}, 400, `unknown field "txt"`},
	} {
		b, _ := json.Marshal(bad.body)
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/incidents/1/publish", strings.NewReader(string(b)))
		req.Header.Set("Authorization", "Bearer "+apiToken)
		req.Header.Set("Content-Type", "application/json")
		r := do(t, req)
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal([]byte(r.body), &e)
		if r.code != bad.code || !strings.Contains(e.Error, bad.want) {
			t.Errorf("publish %v = %d %s, want %d naming %q", bad.body, r.code, r.body, bad.code, bad.want)
		}
	}
	if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/99/publish", map[string]any{"text": "x"}, nil); code != 404 {
		t.Errorf("publishing an unknown incident = %d, want 404", code)
	}
	if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/1/publish", map[string]any{"text": "x"}, &struct{}{}); code == 401 {
		t.Fatal("unauthorized")
	}
	// That last one published it (every page showing checkout: public and
	// internal). Post the real first update on the public page.
	var pub struct {
		Outcome string   `json:"outcome"`
		Code    string   `json:"code"`
		N       int      `json:"update"`
		Pages   []string `json:"pages"`
	}
	if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/1/publish?by=alice", map[string]any{
		"page": "public", "status": "investigating", "title": "Checkout errors", "text": "Some checkouts fail; we are looking into it.",
	}, &pub); code != 200 || pub.Outcome != "updated" || pub.N != 2 {
		t.Fatalf("publish = %d %+v", code, pub)
	}
	eventually(t, "the page shows the incident", func() bool {
		s := readSummary(t, base)
		return len(s.Incidents) == 1 && s.Incidents[0].Name == "Checkout errors" && len(s.Incidents[0].Updates) == 2
	})
	s := readSummary(t, base)
	if s.Status.Indicator != "major" || componentState(s, "Checkout API") != "partial_outage" || componentState(s, "Search") != "operational" {
		t.Errorf("an SEV2 on checkout: %+v", s)
	}
	page := get(t, base+"/status/public")
	if page.code != 200 || !strings.Contains(page.body, "Some checkouts fail; we are looking into it.") || !strings.Contains(page.body, "Partial System Outage") {
		t.Errorf("the HTML page = %d, lacks the incident:\n%s", page.code, page.body)
	}

	// The manager's status update: its public wording goes on the page,
	// its internal wording nowhere near it.
	if _, err := a.Store.PostUpdate(context.Background(), 1, inc.StatusUpdate{By: "alice", Via: "cli", State: inc.StateIdentified,
		Text: "db-7 OOM after bob's migration", PublicText: "We found the cause and are fixing it."}, time.Hour); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the public wording on the page", func() bool {
		s := readSummary(t, base)
		return len(s.Incidents) == 1 && s.Incidents[0].Status == "identified" && s.Incidents[0].Updates[0].Body == "We found the cause and are fixing it."
	})
	for _, path := range []string{"/status/public", "/status/public/api/v2/summary.json", "/status/public/history.atom", "/status/public/history"} {
		if r := get(t, base+path); strings.Contains(r.body, "db-7") || strings.Contains(r.body, "migration") {
			t.Errorf("%s leaks the internal wording", path)
		}
	}
	// A note never reaches the page either.
	if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/1/note", map[string]any{"text": "SECRET-NOTE rollback of bob's change"}, &struct{}{}); code != 200 {
		t.Fatalf("note = %d", code)
	}

	// Readers cost nothing: a burst of requests reads no Redis.
	w.settle()
	loads := a.StatusPages().Loads()
	for range 200 {
		for _, p := range []string{"/status/public", "/status/public/api/v2/summary.json", "/status/public/badge.svg"} {
			if r := get(t, base+p); r.code != 200 {
				t.Fatalf("%s = %d", p, r.code)
			}
		}
	}
	if got := a.StatusPages().Loads(); got != loads {
		t.Errorf("600 requests read the store %d times, want 0", got-loads)
	}

	// Resolving the incident resolves it on the page.
	if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/1/resolve", nil, &struct{}{}); code != 200 {
		t.Fatalf("resolve = %d", code)
	}
	eventually(t, "the page to say all is well", func() bool {
		s := readSummary(t, base)
		return s.Status.Indicator == "none" && len(s.Incidents) == 0 && componentState(s, "Checkout API") == "operational"
	})
	hist := get(t, base+"/status/public/history")
	if !strings.Contains(hist.body, "Checkout errors") || !strings.Contains(hist.body, "This incident has been resolved.") || strings.Contains(hist.body, "SECRET-NOTE") {
		t.Errorf("history lacks the resolved incident, or leaks the note:\n%s", hist.body)
	}
	var publication struct {
		Status     string            `json:"status"`
		Updates    []json.RawMessage `json:"updates"`
		Deliveries []inc.Delivery    `json:"deliveries"`
	}
	if code := apiJSON(t, http.MethodGet, base+"/v1/incidents/1/publication", nil, &publication); code != 200 || publication.Status != "resolved" ||
		len(publication.Updates) != 4 || len(publication.Deliveries) != 4 {
		t.Errorf("publication = %d %+v", code, publication)
	}
	// The internal page wants its token.
	if r := get(t, base+"/status/internal"); r.code != http.StatusForbidden {
		t.Errorf("internal page without its token = %d", r.code)
	}
	var link struct {
		URL string `json:"url"`
	}
	apiJSON(t, http.MethodGet, base+"/v1/status/internal/link", nil, &link)
	if r := get(t, link.URL); r.code != 200 || !strings.Contains(r.body, "Example Status (employees)") || !strings.Contains(r.body, "noindex") {
		t.Errorf("internal page with its token (%s) = %d", link.URL, r.code)
	}
}

// An incident at the page's auto_publish severity publishes itself with
// pagerd's first update, its components in the state its severity maps
// to.
func TestAutoPublishSEV1(t *testing.T) {
	w := newWorld(t, "0s")
	w.writeConfig(strings.Replace(w.statusConfig(""), `group_by   = ["alertname"]`, `group_by   = ["alertname"]
  severity   = { critical = "SEV1" }`, 1))
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", fixture(t, "alertmanager-0.25-webhook-firing.json"))
	w.settle()
	eventually(t, "the incident published by itself", func() bool {
		s := readSummary(t, base)
		return len(s.Incidents) == 1 && componentState(s, "Checkout API") == "major_outage" && s.Status.Indicator == "critical"
	})
	s := readSummary(t, base)
	if got := s.Incidents[0]; got.Name != "Outage of Checkout API" || got.Updates[0].Body != "We are investigating an issue affecting Checkout API. We will post an update as soon as we know more." {
		t.Errorf("auto-published %+v", got)
	}
	// Only once, however often the severity is said again: the consumer
	// handles events in order, so once the status update after it shows,
	// the severity change was handled, and added nothing.
	if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/1/severity", map[string]any{"severity": "SEV2"}, &struct{}{}); code != 200 {
		t.Fatalf("severity = %d", code)
	}
	if code := apiJSON(t, http.MethodPost, base+"/v1/incidents/1/severity", map[string]any{"severity": "SEV1"}, &struct{}{}); code != 200 {
		t.Fatalf("severity = %d", code)
	}
	if _, err := a.Store.PostUpdate(context.Background(), 1, inc.StatusUpdate{By: "alice", State: inc.StateMonitoring, Text: "watching"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the status update on the page", func() bool { return readSummary(t, base).Incidents[0].Status == "monitoring" })
	if got := readSummary(t, base).Incidents[0].Updates; len(got) != 2 || got[0].Body != "A fix has been implemented and we are monitoring the results." {
		t.Errorf("updates %+v, want the automatic one and the status update, in its state's words (it had no public wording)", got)
	}
}

// factSays reports whether an incident, as the API shows it, has a fact
// of kind whose detail has text.
func factSays(inc map[string]any, kind, text string) bool {
	facts, _ := inc["timeline"].([]any)
	for _, f := range facts {
		m, _ := f.(map[string]any)
		if d, _ := m["detail"].(string); m["event"] == kind && strings.Contains(d, text) {
			return true
		}
	}
	return false
}
