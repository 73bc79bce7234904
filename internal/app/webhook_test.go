package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// hookSecret is the receivers' signing key, in the Standard Webhooks form.
const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// delivery is what a receiver got: the webhook-id header and the body.
type delivery struct {
	ID       string
	Type     string
	Incident int64
	Kind     string // the event's kind, for updates
}

// receiver is a webhook endpoint that checks every signature with the
// Standard Webhooks reference library and fails its first failFirst
// requests with 503.
type receiver struct {
	t         *testing.T
	srv       *httptest.Server
	mu        sync.Mutex
	got       []delivery
	attempts  map[string]int
	failFirst int
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{t: t, attempts: map[string]int{}, failFirst: failFirst}
	wh, err := standardwebhooks.NewWebhook(hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := wh.Verify(body, req.Header); err != nil {
			t.Errorf("delivery with a bad signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var doc struct {
			ID, Type string
			Incident struct{ ID int64 }
			Event    struct{ Kind string }
		}
		if err := json.Unmarshal(body, &doc); err != nil || doc.ID != req.Header.Get("webhook-id") {
			t.Errorf("delivery %s: %v, id %q, want the webhook-id", body, err, doc.ID)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.attempts[doc.ID]++
		if r.failFirst > 0 {
			r.failFirst--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.got = append(r.got, delivery{ID: doc.ID, Type: doc.Type, Incident: doc.Incident.ID, Kind: doc.Event.Kind})
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) types() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, d := range r.got {
		out = append(out, d.Type)
	}
	return strings.Join(out, " ")
}

// An escalation step pages a webhook like a person; a service keeps
// another informed of every event, in order, each signed, a retry keeping
// its webhook-id.
func TestWebhooksAsTargetAndSubscriber(t *testing.T) {
	w := newWorld(t, "0s")
	robot := newReceiver(t, 0)
	audit := newReceiver(t, 2) // down for its first two requests
	if err := os.WriteFile(filepath.Join(w.dir, "hook.key"), []byte(hookSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port)
	cfg = strings.Replace(cfg, `  step { notify = ["user:alice"] }`, `  step { notify = ["user:alice", "webhook:robot"] }`, 1)
	cfg = strings.Replace(cfg, `  group_by   = ["alertname"]`, `  group_by   = ["alertname"]
  subscribers = ["webhook:audit"]`, 1)
	cfg += fmt.Sprintf(`
webhook "robot" {
  url    = "%s/hook"
  secret = file("hook.key")
}
webhook "audit" {
  url    = "%s/hook"
  secret = file("hook.key")
}
`, robot.srv.URL, audit.srv.URL)
	w.writeConfig(cfg)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()

	body := fixture(t, "alertmanager-0.25-webhook-firing.json")
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", body); r.code != 200 {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	eventually(t, "the robot paged", func() bool { return robot.types() == "incident.page" })
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/incidents/1/note?by=alice", strings.NewReader(`{"text":"9:24 found memory-limit errors"}`))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	if r := do(t, req); r.code != 200 {
		t.Fatalf("note = %d %s", r.code, r.body)
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/v1/incidents/1/ack?by=alice", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if r := do(t, req); r.code != 200 {
		t.Fatalf("ack = %d %s", r.code, r.body)
	}
	w.settle() // the acknowledged notices go out before the alert resolves
	resolved := strings.ReplaceAll(string(body), `"status":"firing"`, `"status":"resolved"`)
	resolved = strings.ReplaceAll(resolved, `"endsAt":"0001-01-01T00:00:00Z"`, `"endsAt":"2026-11-24T01:13:00Z"`)
	if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", []byte(resolved)); r.code != 200 {
		t.Fatalf("resolved webhook = %d %s", r.code, r.body)
	}

	want := "incident.triggered incident.note incident.acknowledged incident.resolved"
	eventually(t, "every event at the subscriber", func() bool {
		if got := audit.types(); len(got) >= len(want) && got != want {
			t.Fatalf("subscriber got %q, want %q", got, want)
		}
		return audit.types() == want
	})
	defer func() {
		if t.Failed() {
			t.Logf("timeline: %v", incident(t, base, 1)["timeline"])
		}
	}()
	eventually(t, "the robot told of the ack and the resolution", func() bool {
		return robot.types() == "incident.page incident.acknowledged incident.resolved"
	})
	w.settle()
	if got := audit.types(); got != want {
		t.Errorf("subscriber got %q, want %q", got, want)
	}
	audit.mu.Lock()
	defer audit.mu.Unlock()
	if first := audit.got[0]; audit.attempts[first.ID] != 3 || first.Incident != 1 {
		t.Errorf("the first update was tried %d times under id %s, want 3 under one id (the receiver was down twice)", audit.attempts[first.ID], first.ID)
	}
}
