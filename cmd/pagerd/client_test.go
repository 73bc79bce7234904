package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeAPI stands in for a running pagerd's incident API: incident 42
// exists, every other ID is 404. It records the requests it gets.
type fakeAPI struct {
	*httptest.Server
	old      bool // a pagerd from before escalate and note
	mu       sync.Mutex
	requests []fakeRequest
}

type fakeRequest struct {
	Method, Path, Query, Auth, Body string
}

const fakeToken = "t0k"

// exampleToken is the "api" integration token of the example config.
const exampleToken = "example-api-token-change-me"

const fakeIncident = `{
  "id": 42, "service": "checkout", "escalation": "payments", "title": "CheckoutDown",
  "summary": "checkout answers 500", "group_labels": {"alertname": "CheckoutDown"},
  "status": "acknowledged", "created_at": "2026-11-27T10:00:00.123Z",
  "acknowledged_at": "2026-11-27T10:05:00Z", "acknowledged_by": "alice",
  "run": 0, "run_started_at": "2026-11-27T10:00:00Z", "alerts_total": 3, "alerts_firing": 2`

const fakeSilence = `{"id": "6f1c", "state": "active", "matchers": ["alertname=\"CheckoutDown\""],
  "starts_at": "2026-11-27T10:00:00Z", "ends_at": "2026-11-27T12:00:00Z", "created_by": "alice",
  "comment": "DB migration", "updated_at": "2026-11-27T10:00:00Z"}`

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/incidents", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"incidents": [`+fakeIncident+`}]}`)
	})
	mux.HandleFunc("GET /v1/incidents/43", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id": 43, "service": "checkout", "title": "InstanceDown", "status": "triggered",
  "suppressed": "inhibited:cluster-down", "suppressed_alerts": {"0f3a": "inhibited:cluster-down"}, "alerts_firing": 1,
  "alerts": [{"fingerprint": "0f3a", "status": "firing", "labels": {"alertname": "InstanceDown"}}],
  "timeline": [{"at": "2026-11-27T10:00:00Z", "event": "suppressed", "detail": "inhibited:cluster-down"}]}`)
	})
	mux.HandleFunc("GET /v1/incidents/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "42" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error": "no such incident"}`)
			return
		}
		io.WriteString(w, fakeIncident+`,
  "suppressed_alerts": {"0f3a9d1e2b4c5d6e": "silence:6f1c"},
  "alerts": [
    {"fingerprint": "a4968fcd8858e3e5", "status": "firing", "labels": {"alertname": "CheckoutDown"}},
    {"fingerprint": "0f3a9d1e2b4c5d6e", "dedup_key": "db-disk-1", "status": "firing",
     "labels": {"summary": "Disk full on db1", "source": "db1", "severity": "critical"},
     "annotations": {"summary": "Disk full on db1"}, "links": [{"href": "https://grafana/d/1", "text": "dashboard"}],
     "details": {"free": "1%"}, "client": "Datadog", "client_url": "https://dd/1"}],
  "timeline": [
    {"at": "2026-11-27T10:00:00.5Z", "event": "triggered", "detail": "CheckoutDown"},
    {"at": "2026-11-27T10:05:00Z", "event": "acknowledged", "actor": "alice", "via": "api"}
  ],
  "recent_changes": [{"at": "2026-11-27T09:50:00Z", "service": "checkout", "summary": "deploy 42", "source": "ci",
    "integration": "ci", "links": [{"href": "https://ci/42"}]}]}`)
	})
	mux.HandleFunc("GET /v1/services/{name}/changes", func(w http.ResponseWriter, r *http.Request) {
		changes := `[]`
		if r.PathValue("name") == "checkout" {
			changes = `[{"at": "2026-11-27T09:50:00Z", "service": "checkout", "summary": "deploy 42", "source": "ci",
				"integration": "ci", "links": [{"href": "https://ci/42", "text": "build"}]}]`
		}
		io.WriteString(w, `{"service": "`+r.PathValue("name")+`", "changes": `+changes+`}`)
	})
	mux.HandleFunc("POST /v1/silences", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"silence": `+fakeSilence+`}`)
	})
	mux.HandleFunc("GET /v1/silences", func(w http.ResponseWriter, r *http.Request) {
		list := fakeSilence
		if r.URL.Query().Get("state") == "all" {
			list += `, {"id": "old", "state": "expired", "matchers": ["job=\"db\""], "starts_at": "2026-11-20T10:00:00Z",
				"ends_at": "2026-11-20T11:00:00Z", "created_by": "bob", "comment": "x", "updated_at": "2026-11-20T10:30:00Z", "expired_by": "bob"}`
		}
		io.WriteString(w, `{"silences": [`+list+`]}`)
	})
	mux.HandleFunc("POST /v1/silences/{id}/expire", func(w http.ResponseWriter, r *http.Request) {
		outcome := map[string]string{"6f1c": "expired", "old": "unchanged"}[r.PathValue("id")]
		if outcome == "" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error": "no such silence"}`)
			return
		}
		io.WriteString(w, `{"silence": `+fakeSilence+`, "outcome": "`+outcome+`"}`)
	})
	mux.HandleFunc("POST /v1/incidents/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		// Incident 42 is acknowledged: ack changes nothing; incident 7 is
		// resolved: nothing changes it.
		outcome, ok := map[string]string{"ack": "unchanged", "resolve": "resolved", "escalate": "escalated", "note": "noted"}[r.PathValue("action")]
		switch {
		case !ok || f.old && (r.PathValue("action") == "escalate" || r.PathValue("action") == "note"):
			http.NotFound(w, r) // a route this server does not have: plain text, as net/http answers
			return
		case r.PathValue("action") == "note" && r.Header.Get("Content-Type") != "application/json":
			w.WriteHeader(http.StatusUnsupportedMediaType)
			io.WriteString(w, `{"error": "want application/json"}`)
			return
		}
		before := "acknowledged"
		if id == 7 {
			outcome, before = "unchanged", "resolved"
		}
		json.NewEncoder(w).Encode(map[string]any{"incident": id, "outcome": outcome, "previous_status": before})
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, fakeRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), string(body)})
		f.mu.Unlock()
		if a := r.Header.Get("Authorization"); a != "Bearer "+fakeToken && a != "Bearer "+exampleToken {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error": "unknown or missing token"}`)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// count is how many requests the fake got.
func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// last returns the last request the fake got.
func (f *fakeAPI) last(t *testing.T) fakeRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("the fake API got no request")
	}
	return f.requests[len(f.requests)-1]
}

func TestClientVerbs(t *testing.T) {
	clearEnv(t)
	t.Setenv("USER", "tester")
	api := newFakeAPI(t)
	srv := []string{"--server", api.URL, "--token", fakeToken}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
		wantReq  string // method and path with query of the last request
	}{
		{"incidents table", []string{"incidents"}, 0, []string{"ID  STATUS        SEV  SERVICE   FIRING  AGE", "42  acknowledged  -    checkout  2       "}, "", "GET /v1/incidents"},
		{"incidents --all", []string{"incidents", "--all"}, 0, []string{"42"}, "", "GET /v1/incidents?status=all"},
		{"changes", []string{"changes", "checkout"}, 0, []string{"deploy 42 (ci)  via ci\n    build https://ci/42\n"}, "", "GET /v1/services/checkout/changes"},
		{"no changes", []string{"changes", "search"}, 0, []string{"no changes recorded for search"}, "", "GET /v1/services/search/changes"},
		{"show", []string{"show", "42"}, 0, []string{"#42 CheckoutDown\nservice: checkout\nstatus:  acknowledged\nfiring:  2\nsummary: checkout answers 500\n\nalerts (2):\n",
			"  firing   {alertname=CheckoutDown}\n",
			"  firing   {severity=critical, source=db1, summary=Disk full on db1}\n           muted:   silence:6f1c\n           key:     db-disk-1\n           client:  Datadog https://dd/1\n           link:    dashboard https://grafana/d/1\n           details: {\"free\": \"1%\"}\n",
			"recent changes:\n", "deploy 42 (ci)\n      https://ci/42\n",
			"triggered", "acknowledged        by alice via api"}, "", "GET /v1/incidents/42"},
		{"show #ID", []string{"show", "#42"}, 0, []string{"#42 CheckoutDown"}, "", "GET /v1/incidents/42"},
		{"show a suppressed incident", []string{"show", "43"}, 0, []string{"status:  triggered (suppressed)\nfiring:  1\n" +
			"muted:   every firing alert is (inhibited:cluster-down), so it pages nobody\n",
			"  firing   {alertname=InstanceDown}\n           muted:   inhibited:cluster-down\n",
			"suppressed          inhibited:cluster-down"}, "", "GET /v1/incidents/43"},
		{"show a missing incident", []string{"show", "7"}, 1, nil, "pagerd show: GET /v1/incidents/7: no such incident (HTTP 404)", "GET /v1/incidents/7"},
		{"ack of an acknowledged incident", []string{"ack", "42"}, 0, []string{"incident #42 was already acknowledged"}, "", "POST /v1/incidents/42/ack?by=tester"},
		{"resolve --by", []string{"resolve", "42", "--by", "bob"}, 0, []string{"incident #42 resolved"}, "", "POST /v1/incidents/42/resolve?by=bob"},
		{"escalate", []string{"escalate", "#42"}, 0, []string{"incident #42 escalated\n"}, "", "POST /v1/incidents/42/escalate?by=tester"},
		{"escalate a resolved incident", []string{"escalate", "7", "--by", "bob"}, 0, []string{"incident #7 was not escalated: it is resolved\n"}, "", "POST /v1/incidents/7/escalate?by=bob"},
		{"note", []string{"note", "42", "rolled", "back", "--by", "alice", "to v1.41"}, 0, []string{"incident #42 note added\n"}, "", "POST /v1/incidents/42/note?by=alice"},
		{"silence add", []string{"silence", "add", "alertname=CheckoutDown", "--duration", "2h", "--comment", "DB migration", "--tz", "UTC"}, 0,
			[]string{"silence 6f1c active until 2026-11-27 12:00 UTC: alertname=\"CheckoutDown\"\n"}, "", "POST /v1/silences"},
		{"silence list", []string{"silence", "list", "--tz", "UTC"}, 0,
			[]string{"ID    STATE   STARTS                ENDS                  BY     MATCHERS                  COMMENT\n",
				"6f1c  active  2026-11-27 10:00 UTC  2026-11-27 12:00 UTC  alice  alertname=\"CheckoutDown\"  DB migration\n"}, "", "GET /v1/silences"},
		{"silence list --all", []string{"silence", "list", "--all"}, 0, []string{"old ", "expired"}, "", "GET /v1/silences?state=all"},
		{"silence expire", []string{"silence", "expire", "6f1c", "old"}, 0, []string{"silence 6f1c expired\nsilence old had already ended\n"}, "", "POST /v1/silences/old/expire?by=tester"},
		{"silence expire a missing one", []string{"silence", "expire", "nope"}, 1, nil, "pagerd silence expire: POST /v1/silences/nope/expire?by=tester: no such silence (HTTP 404)", "POST /v1/silences/nope/expire?by=tester"},
		{"note on a resolved incident", []string{"note", "7", "late", "finding"}, 0, []string{"incident #7 unchanged: the note was not added (incident is resolved)\n"}, "", "POST /v1/incidents/7/note?by=tester"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), srv...)
			code, out, errOut := runCLI(t, args...)
			if code != tc.wantCode || !strings.Contains(errOut, tc.wantErr) || (tc.wantErr == "" && errOut != "") {
				t.Errorf("pagerd %q = %d, want %d\nstdout: %s\nstderr: %s\nwant stderr with %q", args, code, tc.wantCode, out, errOut, tc.wantErr)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("pagerd %q lacks %q:\n%s", args, w, out)
				}
			}
			req := api.last(t)
			got := req.Method + " " + req.Path
			if req.Query != "" {
				got += "?" + req.Query
			}
			if got != tc.wantReq || req.Auth != "Bearer "+fakeToken {
				t.Errorf("pagerd %q sent %s with %q, want %s with the token", args, got, req.Auth, tc.wantReq)
			}
		})
	}
}

func TestSilenceAddSendsItsRequest(t *testing.T) {
	clearEnv(t)
	t.Setenv("USER", "tester")
	api := newFakeAPI(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"alertname=CheckoutDown", "cluster=~eu.*", "--duration", "90m", "--comment", " DB migration "},
			`{"comment":"DB migration","created_by":"tester","duration":"1h30m0s","matchers":["alertname=CheckoutDown","cluster=~eu.*"]}`},
		{[]string{"job!=db", "--start", "2027-03-14 22:00", "--end", "2027-03-15 02:00", "--tz", "Europe/Berlin", "--comment", "window", "--by", "bob"},
			`{"comment":"window","created_by":"bob","ends_at":"2027-03-15T02:00:00+01:00","matchers":["job!=db"],"starts_at":"2027-03-14T22:00:00+01:00"}`},
	}
	for _, tc := range tests {
		args := append([]string{"silence", "add", "--server", api.URL, "--token", fakeToken}, tc.args...)
		if code, out, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("pagerd %q = %d\n%s%s", args, code, out, errOut)
		}
		if got := api.last(t).Body; got != tc.want {
			t.Errorf("pagerd %q sent %s, want %s", args, got, tc.want)
		}
	}
}

func TestNoteSendsItsText(t *testing.T) {
	clearEnv(t)
	api := newFakeAPI(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"rolled", "back", "to", "v1.41"}, "rolled back to v1.41"},
		{[]string{"DB failover: started 10:02, \"ETA\" 15 min"}, "DB failover: started 10:02, \"ETA\" 15 min"},
		{[]string{"--", "-5% error rate", "after", "rollback"}, "-5% error rate after rollback"},
	}
	for _, tc := range tests {
		args := append([]string{"note", "42", "--server", api.URL, "--token", fakeToken}, tc.args...)
		if code, out, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("pagerd %q = %d\n%s%s", args, code, out, errOut)
		}
		var body map[string]string
		if err := json.Unmarshal([]byte(api.last(t).Body), &body); err != nil || len(body) != 1 || body["text"] != tc.want {
			t.Errorf("pagerd %q sent body %s, want {\"text\": %q}", args, api.last(t).Body, tc.want)
		}
	}
	if code, out, errOut := runCLI(t, "ack", "42", "--server", api.URL, "--token", fakeToken); code != 0 {
		t.Fatalf("pagerd ack = %d\n%s%s", code, out, errOut)
	}
	if req := api.last(t); req.Body != "" {
		t.Errorf("pagerd ack sent a body: %q", req.Body)
	}
}

func TestClientErrorsSayWhatToDo(t *testing.T) {
	clearEnv(t)
	api := newFakeAPI(t)
	old := newFakeAPI(t)
	old.old = true
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // a URL where nothing listens any more
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr []string
	}{
		{"nothing listens at --server", nil, []string{"incidents", "--server", dead.URL, "--token", fakeToken},
			[]string{"pagerd incidents: cannot reach pagerd at " + dead.URL + " (--server)", "connection refused", "--server or PAGERD_SERVER"}},
		{"nothing listens at PAGERD_SERVER", map[string]string{envServer: dead.URL}, []string{"ack", "42", "--token", fakeToken},
			[]string{"cannot reach pagerd at " + dead.URL + " (PAGERD_SERVER)"}},
		{"a refused token", nil, []string{"incidents", "--server", api.URL, "--token", "wrong"},
			[]string{"unknown or missing token (HTTP 401)", "--token or PAGERD_API_TOKEN"}},
		{"no token and no config", nil, []string{"incidents", "--server", api.URL},
			[]string{"no API token: pass --token or set PAGERD_API_TOKEN", `config directory "deploy/examples/config" not found`}},
		{"a server without the escalate endpoint", map[string]string{envServer: old.URL}, []string{"escalate", "42", "--token", fakeToken},
			[]string{"POST /v1/incidents/42/escalate", "HTTP 404", "as new as this CLI"}},
		{"no token and a config without an api integration", nil, []string{"incidents", "--server", api.URL, "--config", writeConfig(t, onlyCheckout)},
			[]string{`add an integration of type "api" to config directory`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, out, errOut := runCLI(t, tc.args...)
			if code != 1 {
				t.Errorf("pagerd %q = %d, want 1\n%s%s", tc.args, code, out, errOut)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("pagerd %q stderr lacks %q:\n%s", tc.args, w, errOut)
				}
			}
		})
	}
}

func TestServerAndTokenFromEnvironment(t *testing.T) {
	// Two servers: "want" must get the request, "other" must not.
	tests := []struct {
		name      string
		env       map[string]string // "WANT" and "OTHER" stand for the servers' URLs
		args      []string
		wantToken string
	}{
		{"PAGERD_SERVER and PAGERD_API_TOKEN", map[string]string{envServer: "WANT", envToken: fakeToken}, nil, fakeToken},
		{"--server beats PAGERD_SERVER", map[string]string{envServer: "OTHER", envToken: fakeToken}, []string{"--server", "WANT"}, fakeToken},
		{"--token beats PAGERD_API_TOKEN", map[string]string{envServer: "WANT", envToken: "wrong"}, []string{"--token", fakeToken}, fakeToken},
		{"the api integration of PAGERD_CONFIG", map[string]string{envServer: "WANT", envConfig: exampleConfig}, nil, exampleToken},
		{"the api integration of --config", map[string]string{envServer: "WANT"}, []string{"--config", exampleConfig}, exampleToken},
		{"PAGERD_API_TOKEN beats the config", map[string]string{envServer: "WANT", envConfig: exampleConfig, envToken: fakeToken}, nil, fakeToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			want, other := newFakeAPI(t), newFakeAPI(t)
			url := strings.NewReplacer("WANT", want.URL, "OTHER", other.URL)
			for k, v := range tc.env {
				t.Setenv(k, url.Replace(v))
			}
			args := []string{"show", "42"}
			for _, a := range tc.args {
				args = append(args, url.Replace(a))
			}
			if code, out, errOut := runCLI(t, args...); code != 0 {
				t.Fatalf("pagerd %q = %d\n%s%s", args, code, out, errOut)
			}
			if req := want.last(t); req.Auth != "Bearer "+tc.wantToken {
				t.Errorf("pagerd %q sent token %q, want %q", args, req.Auth, tc.wantToken)
			}
			if n := other.count(); n != 0 {
				t.Errorf("pagerd %q sent %d requests to the server it should not use", args, n)
			}
		})
	}
}
