package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/app"
)

// The README's first command runs pagerd on the embedded Redis (miniredis)
// with the example config, and its "Try it" steps post an Alertmanager
// webhook and a PagerDuty event: each must be stored, open an incident and
// page on the console. miniredis is not Redis — the store's scripts meet
// its gaps (a command it lacks, a type it cannot DUMP) only here.
func TestREADMEFirstStepsOnTheEmbeddedRedis(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	console := &pageWatch{paged: make(chan string, 1024), to: make(chan string, 1024)} // room for every page of the test
	a, err := app.New(ctx, app.Options{ConfigDir: "../../deploy/examples/config", Listen: "127.0.0.1:0",
		Log: testLogger(), Console: console, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	go func() { _ = a.Run(ctx); close(ran) }()
	t.Cleanup(func() { cancel(); <-ran })
	base := "http://" + a.Addr()

	webhook, err := os.ReadFile("../../router/ingest/alertmanager/testdata/alertmanager-0.25-webhook-firing.json")
	if err != nil {
		t.Fatal(err)
	}
	routingKey, err := os.ReadFile("../../deploy/examples/config/secrets/pagerduty.routing-key")
	if err != nil {
		t.Fatal(err)
	}
	apiToken, err := os.ReadFile("../../deploy/examples/config/secrets/api.token")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, path, token, body string
		status                  int
		answer                  string // in the answer's body
	}{
		{"Alertmanager webhook", "/v1/webhooks/alertmanager", "s3cret", string(webhook), http.StatusOK, `"outcome":"triggered"`},
		{"PagerDuty event", "/v2/enqueue", "", `{"routing_key":"` + strings.TrimSpace(string(routingKey)) +
			`","event_action":"trigger","payload":{"summary":"Disk full on db1","source":"db1","severity":"critical"}}`,
			http.StatusAccepted, `"Event processed"`},
		// A SEV1 declared on checkout: its stakeholders hear of it,
		// mailing lists too — on the console, with no SMTP server set.
		{"declared incident", "/v1/incidents", strings.TrimSpace(string(apiToken)),
			`{"title":"checkout errors for EU users","service":"checkout","severity":"SEV1"}`,
			http.StatusCreated, `"SEV1"`},
	}
	for _, st := range steps {
		req, _ := http.NewRequest(http.MethodPost, base+st.path, strings.NewReader(st.body))
		req.Header.Set("Content-Type", "application/json")
		if st.token != "" {
			req.Header.Set("Authorization", "Bearer "+st.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != st.status || !strings.Contains(string(body), st.answer) {
			t.Fatalf("%s: %d %s, want %d with %s", st.name, resp.StatusCode, body, st.status, st.answer)
		}
	}
	// Both incidents page someone on the console (no provider is set):
	// the console says which incident each page is for.
	want := map[string]bool{"CheckoutDown": true, "Disk full on db1": true, "checkout errors for EU users": true}
	timeout := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case title := <-console.paged:
			delete(want, title)
		case <-timeout:
			t.Fatalf("no page on the console for %v", want)
		}
	}
	// The declared SEV1's "manage closely" quadrant names a mailing list
	// (command.hcl): it was an error, "email is not configured", until
	// the console took addresses of channels that have no provider.
	for to := ""; to != "leadership@example.com"; {
		select {
		case to = <-console.to:
		case <-timeout:
			t.Fatal("the stakeholders' mailing list heard nothing on the console")
		}
	}
}
