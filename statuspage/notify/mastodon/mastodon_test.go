package mastodon

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/statuspage/notify"
)

// fake is a loopback Mastodon server: POST /api/v1/statuses with a bearer
// token, and what Mastodon does with a repeated Idempotency-Key (the same
// status, not a second one).
type fake struct {
	mu       sync.Mutex
	statuses []map[string]string
	seen     map[string]bool
	answer   int
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/api/v1/statuses":
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		return
	case r.Header.Get("Authorization") != "Bearer tok3n":
		http.Error(w, `{"error":"The access token is invalid"}`, http.StatusUnauthorized)
		return
	case f.answer != 0:
		w.Header().Set("Retry-After", "7")
		http.Error(w, `{"error":"Too many requests"}`, f.answer)
		return
	}
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["status"] == "" {
		http.Error(w, `{"error":"Validation failed: Text can't be blank"}`, http.StatusUnprocessableEntity)
		return
	}
	if key := r.Header.Get("Idempotency-Key"); !f.seen[key] {
		f.seen[key] = true
		f.statuses = append(f.statuses, body)
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"id": "1", "content": body["status"]})
}

func message(server, token string) notify.Message {
	page := &policies.StatusPage{Name: "public", Title: "Example Status", PublicURL: "https://status.example.com",
		Mastodon: &policies.Mastodon{Server: server, Token: token, Visibility: "unlisted"}}
	inc := &incident.PageIncident{ID: 1, Code: "abc", Title: "Card payments failing", Status: incident.StateInvestigating}
	u := incident.PageUpdate{N: 1, At: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), Status: incident.StateInvestigating,
		Body: strings.Repeat("Some card payments fail. ", 40)}
	return notify.Message{Kind: notify.Update, Key: "u:1:1", Page: page, Incident: inc, Update: &u,
		To:          notify.Recipient{Kind: "mastodon", Subscriber: "cfg:public:mastodon:" + server, Address: server},
		IncidentURL: "https://status.example.com/incidents/abc", At: u.At}
}

func TestPostsOncePerUpdate(t *testing.T) {
	f := &fake{seen: map[string]bool{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	m := &Mastodon{client: srv.Client()}
	msg := message(srv.URL, "tok3n")
	for range 2 { // a retry after a lost answer
		if err := m.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.statuses) != 1 {
		t.Fatalf("%d statuses, want 1", len(f.statuses))
	}
	st := f.statuses[0]
	if n := len([]rune(st["status"])); n > MaxChars || !strings.HasPrefix(st["status"], "[Example Status] Investigating: Card payments failing") ||
		!strings.HasSuffix(st["status"], " https://status.example.com/incidents/abc") || st["visibility"] != "unlisted" {
		t.Errorf("status (%d characters) %q, visibility %q", n, st["status"], st["visibility"])
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		answer    int
		permanent bool
		wait      time.Duration
	}{
		{"a bad token is not tried again", "wrong", 0, true, 0},
		{"a rate limit waits as asked", "tok3n", http.StatusTooManyRequests, false, 7 * time.Second},
		{"a server error is tried again", "tok3n", http.StatusBadGateway, false, 7 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fake{seen: map[string]bool{}, answer: tt.answer}
			srv := httptest.NewServer(f)
			defer srv.Close()
			err := (&Mastodon{client: srv.Client()}).Send(context.Background(), message(srv.URL, tt.token))
			wait, _ := pagers.RetryAfterOf(err)
			if err == nil || pagers.IsPermanent(err) != tt.permanent || wait != tt.wait {
				t.Errorf("Send = %v (permanent %v, wait %v), want permanent %v, wait %v", err, pagers.IsPermanent(err), wait, tt.permanent, tt.wait)
			}
			if strings.Contains(err.Error(), "tok3n") {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
}
