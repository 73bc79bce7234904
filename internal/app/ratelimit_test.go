package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An integration's rate_limit holds across replicas: the limit lives in
// Redis, so two pagerd replicas on one Redis together allow rate_limit,
// not twice it. Over it, a sender gets 429 with a Retry-After saying when
// its next alert would pass, and other integrations are not held back.
func TestRateLimitHoldsAcrossReplicas(t *testing.T) {
	w := newWorld(t, "0s")
	cfg := strings.Replace(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port),
		"  token = file(\"am.token\")\n", "  token = file(\"am.token\")\n  rate_limit = \"2/h\"\n", 1) + `
integration "grafana" {
  type  = "alertmanager"
  token = file("grafana.token")
}
`
	w.writeConfig(cfg)
	if err := os.WriteFile(filepath.Join(w.dir, "grafana.token"), []byte("grafana-s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	r1 := w.start("r1", w.port)
	r2 := w.start("r2", 0)
	alert := func(name string) []byte {
		return []byte(`{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"` + name + `"}}]}`)
	}
	send := func(base, token, name string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+base+"/v1/webhooks/alertmanager", strings.NewReader(string(alert(name))))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	// One alert through r1, then one through r2: the 2/h burst is spent
	// for both — per replica, r2 would still have had room.
	if code, _ := send(r1.Addr(), amToken, "A"); code != http.StatusOK {
		t.Fatalf("first alert through r1 = %d, want 200", code)
	}
	if code, _ := send(r2.Addr(), amToken, "B"); code != http.StatusOK {
		t.Fatalf("second alert through r2 = %d, want 200", code)
	}
	for _, r := range []string{r2.Addr(), r1.Addr()} {
		// The store's clock stands still: the next alert passes in 30m.
		if code, retry := send(r, amToken, "C"); code != http.StatusTooManyRequests || retry != "1800" {
			t.Errorf("third alert through %s = %d with Retry-After %q, want 429 with Retry-After 1800", r, code, retry)
		}
	}
	// Another integration is not held back by the runaway one.
	if code, _ := send(r2.Addr(), "grafana-s3cret", "D"); code != http.StatusOK {
		t.Errorf("another integration's alert = %d, want 200", code)
	}
	// Half an hour later one more passes, on either replica.
	w.clock.Advance(30 * time.Minute)
	if code, _ := send(r2.Addr(), amToken, "C"); code != http.StatusOK {
		t.Errorf("alert after the wait = %d, want 200", code)
	}
	if code, retry := send(r1.Addr(), amToken, "E"); code != http.StatusTooManyRequests || retry != "1800" {
		t.Errorf("alert after that = %d with Retry-After %q, want 429 with Retry-After 1800", code, retry)
	}
}
