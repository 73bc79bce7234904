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

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/incidents", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"incidents": [`+fakeIncident+`}]}`)
	})
	mux.HandleFunc("GET /v1/incidents/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "42" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error": "no such incident"}`)
			return
		}
		io.WriteString(w, fakeIncident+`,
  "alerts": [{"fingerprint": "a4968fcd8858e3e5", "labels": {"alertname": "CheckoutDown"}}],
  "timeline": [
    {"at": "2026-11-27T10:00:00.5Z", "event": "triggered", "detail": "CheckoutDown"},
    {"at": "2026-11-27T10:05:00Z", "event": "acknowledged", "detail": "by alice via api"}
  ]}`)
	})
	mux.HandleFunc("POST /v1/incidents/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		// Incident 42 is acknowledged: ack changes nothing.
		outcome, ok := map[string]string{"ack": "unchanged", "resolve": "resolved"}[r.PathValue("action")]
		if !ok {
			http.NotFound(w, r) // a route this server does not have: plain text, as net/http answers
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"incident": id, "outcome": outcome, "previous_status": "acknowledged"})
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
		{"incidents table", []string{"incidents"}, 0, []string{"ID  STATUS        SERVICE   FIRING  AGE", "42  acknowledged  checkout  2       "}, "", "GET /v1/incidents"},
		{"incidents --all", []string{"incidents", "--all"}, 0, []string{"42"}, "", "GET /v1/incidents?status=all"},
		{"show", []string{"show", "42"}, 0, []string{"#42 CheckoutDown\nservice: checkout\nstatus:  acknowledged\nfiring:  2\nsummary: checkout answers 500\n\ntimeline:\n", "triggered", "by alice via api"}, "", "GET /v1/incidents/42"},
		{"show #ID", []string{"show", "#42"}, 0, []string{"#42 CheckoutDown"}, "", "GET /v1/incidents/42"},
		{"show a missing incident", []string{"show", "7"}, 1, nil, "pagerd show: GET /v1/incidents/7: no such incident (HTTP 404)", "GET /v1/incidents/7"},
		{"ack of an acknowledged incident", []string{"ack", "42"}, 0, []string{"incident #42 was already acknowledged"}, "", "POST /v1/incidents/42/ack?by=tester"},
		{"resolve --by", []string{"resolve", "42", "--by", "bob"}, 0, []string{"incident #42 resolved"}, "", "POST /v1/incidents/42/resolve?by=bob"},
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

func TestClientErrorsSayWhatToDo(t *testing.T) {
	clearEnv(t)
	api := newFakeAPI(t)
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
	api := newFakeAPI(t)
	other := newFakeAPI(t)
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantAPI   *fakeAPI
		wantToken string
	}{
		{"PAGERD_SERVER and PAGERD_API_TOKEN", map[string]string{envServer: api.URL, envToken: fakeToken}, nil, api, fakeToken},
		{"--server beats PAGERD_SERVER", map[string]string{envServer: other.URL, envToken: fakeToken}, []string{"--server", api.URL}, api, fakeToken},
		{"--token beats PAGERD_API_TOKEN", map[string]string{envServer: api.URL, envToken: "wrong"}, []string{"--token", fakeToken}, api, fakeToken},
		{"the api integration of PAGERD_CONFIG", map[string]string{envServer: api.URL, envConfig: exampleConfig}, nil, api, exampleToken},
		{"PAGERD_API_TOKEN beats the config", map[string]string{envServer: api.URL, envConfig: exampleConfig, envToken: fakeToken}, nil, api, fakeToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			args := append([]string{"show", "42"}, tc.args...)
			if code, out, errOut := runCLI(t, args...); code != 0 {
				t.Fatalf("pagerd %q = %d\n%s%s", args, code, out, errOut)
			}
			if req := tc.wantAPI.last(t); req.Auth != "Bearer "+tc.wantToken {
				t.Errorf("pagerd %q sent token %q, want %q", args, req.Auth, tc.wantToken)
			}
		})
	}
}
