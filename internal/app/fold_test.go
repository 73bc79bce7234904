package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/internal/twiliofake"
)

// foldConfig is the e2e config with folding blocks added to service
// "checkout".
func foldConfig(w *world, blocks string) string {
	cfg := fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port)
	return strings.Replace(cfg, `  group_by   = ["alertname"]
}`, `  group_by   = ["alertname"]
`+blocks+`
}`, 1)
}

// foldWebhook is an Alertmanager webhook of checkout alerts named names, all
// firing or all resolved.
func foldWebhook(status string, names ...string) []byte {
	var alerts []map[string]any
	for _, n := range names {
		a := map[string]any{
			"status": status, "startsAt": "2026-11-24T01:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
			"labels":      map[string]string{"alertname": n, "service": "checkout", "severity": "critical"},
			"annotations": map[string]string{"summary": n + " on checkout"},
		}
		if status == "resolved" {
			a["endsAt"] = "2026-11-24T01:10:00Z"
		}
		alerts = append(alerts, a)
	}
	b, _ := json.Marshal(map[string]any{"version": "4", "status": status, "alerts": alerts})
	return b
}

// outcomes posts a webhook and returns its alerts' outcomes and incidents,
// as "outcome#incident".
func outcomes(t *testing.T, base string, body []byte) []string {
	t.Helper()
	r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", body)
	var ans struct {
		Alerts []struct {
			Incident int64
			Outcome  string
		}
	}
	if r.code != http.StatusOK || json.Unmarshal([]byte(r.body), &ans) != nil {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	var out []string
	for _, a := range ans.Alerts {
		out = append(out, fmt.Sprintf("%s#%d", a.Outcome, a.Incident))
	}
	return out
}

// pagesTo are the SMS pages to a number: not the notices.
func pagesTo(f *twiliofake.Fake, to string) []string {
	var out []string
	for _, m := range sendersPages(f, to) {
		if !strings.Contains(m.Body, "STORM PASSED") {
			out = append(out, m.Body)
		}
	}
	return out
}

func apiGet(t *testing.T, url string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	r := do(t, req)
	if r.code != http.StatusOK || json.Unmarshal([]byte(r.body), out) != nil {
		t.Fatalf("GET %s = %d %s", url, r.code, r.body)
	}
}

type apiIncident struct {
	ID         int64
	Status     string
	Title      string
	Summary    string
	FoldedInto int64 `json:"folded_into"`
	Flapping   bool
	Storm      *struct {
		Folded     int
		FoldedOpen int    `json:"folded_open"`
		PassedAt   string `json:"passed_at"`
	}
	Folded   []apiIncident
	Timeline []struct{ Event, Detail, Actor string }
}

func (inc apiIncident) facts() string {
	var kinds []string
	for _, f := range inc.Timeline {
		kinds = append(kinds, f.Event)
	}
	return strings.Join(kinds, " ")
}

// An alert storm through two replicas: the first two incidents page, the
// rest fold into one storm incident, counted in Redis across both, which
// pages once; acknowledging it acknowledges them; when no new incident
// came for the window the storm has passed, and people paged hear so; it
// resolves with its last folded incident.
func TestStormFoldsIncidentsAcrossReplicas(t *testing.T) {
	stormFoldsIncidentsAcrossReplicas(t, newWorld(t, "0s"))
}

// The same on a 3-master Redis Cluster with 3 shards: a service that folds
// storms keeps its groups in one shard, which counts its new incidents.
func TestStormFoldsIncidentsAcrossReplicasOnAShardedCluster(t *testing.T) {
	w := newWorld(t, "0s")
	w.shards, w.redisURL = 3, testenv.StartRedisCluster(t, 3).URL()
	stormFoldsIncidentsAcrossReplicas(t, w)
}

func stormFoldsIncidentsAcrossReplicas(t *testing.T, w *world) {
	w.writeConfig(foldConfig(w, `  storm {
    incidents = 2
    window    = "5m"
  }`))
	r1, r2 := w.start("r1", w.port), w.start("r2", 0)
	b1, b2 := "http://"+r1.Addr(), "http://"+r2.Addr()

	// The service's incidents are numbered 1, 2, 3...; in a store of
	// several shards they are all in the service's shard, whose ids step
	// by the shard count from its first.
	first := outcomes(t, b1, foldWebhook("firing", "DiskFull"))
	if len(first) != 1 || !strings.HasPrefix(first[0], "triggered#") {
		t.Fatalf("step 0 via %s: %v, want triggered", b1, first)
	}
	stride := max(w.shards, 1)
	one, _ := strconv.Atoi(strings.TrimPrefix(first[0], "triggered#"))
	if w.shards <= 1 && one != 1 {
		t.Fatalf("step 0 via %s: %v, want triggered#1", b1, first)
	}
	id := func(n int) int { return one + (n-1)*stride }
	steps := []struct {
		base  string
		names []string
		want  string
	}{
		{b2, []string{"DBDown"}, fmt.Sprintf("triggered#%d", id(2))},
		{b1, []string{"DBDown"}, fmt.Sprintf("deduplicated#%d", id(2))},
		{b1, []string{"APIDown"}, fmt.Sprintf("folded#%d", id(4))}, // the storm is #3
		{b2, []string{"CacheDown", "QueueDown"}, fmt.Sprintf("folded#%d folded#%d", id(5), id(6))},
	}
	for i, st := range steps {
		i++ // step 0 was DiskFull
		{
			// Pages in flight finish first: a send claim outlived by the
			// clock would be taken over and sent again.
			w.settle()
			w.clock.Advance(30 * time.Second)
		}
		if got := strings.Join(outcomes(t, st.base, foldWebhook("firing", st.names...)), " "); got != st.want {
			t.Fatalf("step %d via %s: %s, want %s", i, st.base, got, st.want)
		}
	}
	w.settle()
	pages := pagesTo(w.twilio, alicePhone)
	if len(pages) != 3 {
		t.Fatalf("alice got %d pages, want 3 (two incidents, one storm): %q", len(pages), pages)
	}
	stormPage := ""
	for _, p := range pages {
		if strings.HasPrefix(p, fmt.Sprintf("[pagerd] #%d ", id(3))) {
			stormPage = p
		}
	}
	if !strings.Contains(stormPage, "Alert storm in checkout") || !strings.Contains(stormPage, "folded") {
		t.Errorf("storm page = %q, want it about the storm in checkout", stormPage)
	}

	var inc apiIncident
	apiGet(t, fmt.Sprintf("%s/v1/incidents/%d", b2, id(3)), &inc)
	if inc.Storm == nil || inc.Storm.Folded != 3 || inc.Storm.FoldedOpen != 3 || len(inc.Folded) != 3 ||
		inc.Folded[0].ID != int64(id(6)) || inc.Folded[2].ID != int64(id(4)) ||
		inc.Summary != "3 incidents folded: APIDown (1), CacheDown (1), QueueDown (1)" {
		t.Fatalf("storm = %+v, want 3 folded incidents listed, newest first, and summed up", inc)
	}
	var list struct{ Incidents []apiIncident }
	apiGet(t, b1+"/v1/incidents", &list)
	foldedInto := map[int64]int64{}
	for _, i := range list.Incidents {
		foldedInto[i.ID] = i.FoldedInto
	}
	storm := int64(id(3))
	if want := map[int64]int64{int64(id(1)): 0, int64(id(2)): 0, storm: 0, int64(id(4)): storm, int64(id(5)): storm, int64(id(6)): storm}; fmt.Sprint(foldedInto) != fmt.Sprint(want) {
		t.Errorf("listed incidents folded into %v, want %v", foldedInto, want)
	}
	var folded apiIncident
	apiGet(t, fmt.Sprintf("%s/v1/incidents/%d", b1, id(5)), &folded)
	if folded.FoldedInto != storm || folded.facts() != "folded alert_firing" && folded.facts() != "folded" {
		t.Errorf("folded incident %d = folded into %d, timeline %q; want folded into %d", id(5), folded.FoldedInto, folded.facts(), storm)
	}

	// Acknowledging the storm takes its folded incidents too.
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/v1/incidents/%d/ack?by=alice", b1, storm), nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if r := do(t, req); r.code != http.StatusOK {
		t.Fatalf("ack storm = %d %s", r.code, r.body)
	}
	for _, n := range []int{id(4), id(5), id(6)} {
		if s := sendersIncidentStatus(t, b2, n); s != "acknowledged" {
			t.Errorf("folded incident %d is %s after the storm's ack, want acknowledged", n, s)
		}
	}

	// Quiet for the window: the storm passes, and alice hears so.
	w.settle()
	w.clock.Advance(5 * time.Minute)
	r1.Engine.Wake()
	w.settle()
	apiGet(t, fmt.Sprintf("%s/v1/incidents/%d", b1, storm), &inc)
	if inc.Storm.PassedAt == "" || inc.Status != "acknowledged" || !strings.Contains(inc.facts(), "storm_passed") {
		t.Fatalf("storm after 5m quiet = %+v, want passed, still acknowledged", inc)
	}
	passed := 0
	for _, m := range smsTo(w.twilio, alicePhone) {
		if strings.HasPrefix(m.Body, fmt.Sprintf("[pagerd] #%d STORM PASSED", storm)) && strings.Contains(m.Body, "3 still open") {
			passed++
		}
	}
	if passed != 1 {
		t.Errorf("alice got %d storm-passed notices, want 1: %+v", passed, smsTo(w.twilio, alicePhone))
	}
	// A new incident after the storm opens and pages on its own.
	if got := outcomes(t, b2, foldWebhook("firing", "LateAlert")); got[0] != fmt.Sprintf("triggered#%d", id(7)) {
		t.Errorf("after the storm: %v, want triggered#%d", got, id(7))
	}

	// The storm resolves with the last incident folded into it.
	outcomes(t, b1, foldWebhook("resolved", "APIDown", "CacheDown"))
	w.settle()
	if s := sendersIncidentStatus(t, b1, int(storm)); s != "acknowledged" {
		t.Errorf("storm with one folded incident open = %s, want acknowledged", s)
	}
	outcomes(t, b2, foldWebhook("resolved", "QueueDown"))
	w.settle()
	apiGet(t, fmt.Sprintf("%s/v1/incidents/%d", b1, storm), &inc)
	if inc.Status != "resolved" || inc.Storm.FoldedOpen != 0 {
		t.Errorf("storm after its folded incidents resolved = %s, %d open; want resolved", inc.Status, inc.Storm.FoldedOpen)
	}
	if got := len(pagesTo(w.twilio, alicePhone)); got != 4 {
		t.Errorf("alice got %d pages in all, want 4 (two incidents, the storm, the late one)", got)
	}
}

// A flapping alert through HTTP: it pages for its first firings, then once
// more marked FLAPPING, then never for its flips; it resolves only after
// staying resolved for the hold time.
func TestFlappingAlertPagesOnceMarkedFlapping(t *testing.T) {
	w := newWorld(t, "0s")
	w.writeConfig(foldConfig(w, `  flapping {
    changes = 4
    window  = "1h"
    hold    = "15m"
  }`))
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	flips := []struct {
		status, want string
	}{
		{"firing", "triggered#1"},
		{"resolved", "resolved#1"},
		{"firing", "triggered#2"},
		{"resolved", "resolved#2"},
		{"firing", "triggered#3"}, // the fifth change: flapping
		{"resolved", "flapping#3"},
		{"firing", "flapping#3"},
		{"firing", "deduplicated#3"},
		{"resolved", "flapping#3"},
		{"resolved", "ignored#3"},
	}
	for i, f := range flips {
		w.clock.Advance(time.Minute)
		if got := outcomes(t, base, foldWebhook(f.status, "CheckoutFlaps")); got[0] != f.want {
			t.Fatalf("flip %d (%s) = %s, want %s", i, f.status, got[0], f.want)
		}
		w.settle()
	}
	pages := pagesTo(w.twilio, alicePhone)
	var flapping []string
	for _, p := range pages {
		if strings.Contains(p, "FLAPPING") {
			flapping = append(flapping, p)
		}
	}
	if len(pages) != 3 || len(flapping) != 1 || !strings.HasPrefix(flapping[0], "[pagerd] #3 FLAPPING SEV2 CheckoutFlaps") {
		t.Fatalf("pages = %q, want 3, the last one FLAPPING", pages)
	}
	var inc apiIncident
	apiGet(t, base+"/v1/incidents/3", &inc)
	if !inc.Flapping || inc.Status != "triggered" {
		t.Fatalf("incident 3 = %+v, want flapping and still open while held", inc)
	}
	// Held for 15m after its last resolve (the one before the repeat),
	// then resolved.
	w.clock.Advance(13 * time.Minute)
	a.Engine.Wake()
	w.settle()
	if s := sendersIncidentStatus(t, base, 3); s != "triggered" {
		t.Errorf("14m after its last resolve incident 3 is %s, want still triggered", s)
	}
	w.clock.Advance(time.Minute)
	a.Engine.Wake()
	w.settle()
	if s := sendersIncidentStatus(t, base, 3); s != "resolved" {
		t.Errorf("15m after the last resolve incident 3 is %s, want resolved", s)
	}
	if got := len(pagesTo(w.twilio, alicePhone)); got != 3 {
		t.Errorf("alice got %d pages, want still 3", got)
	}
}

const flapPrometheusRules = `
groups:
  - name: pagerd-flap
    interval: 1s
    rules:
      - alert: CheckoutFlaps
        expr: vector(time() % 4) < 2
        labels:
          service: checkout
          severity: critical
        annotations:
          summary: checkout flaps every two seconds in this test
`

// A rule that flaps, evaluated every second by the real Prometheus 2.42
// and sent through the real Alertmanager 0.25 to pagerd: once flapping,
// it pages once, saying so, and never again for its flips. The world's
// clock stands still (see sendersWallClock): no hold time passes.
func TestRealPrometheusFlappingRulePagesOnce(t *testing.T) {
	deadline := time.Now().Add(45 * time.Second)
	w := newWorld(t, "0s")
	sendersWallClock(w)
	w.writeConfig(foldConfig(w, `  flapping { changes = 2 }`))
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	am := testenv.StartAlertmanager(t, fmt.Sprintf(sendersAlertmanagerConfig, w.port, amToken))
	testenv.StartPrometheus(t, fmt.Sprintf(`
global:
  evaluation_interval: 1s
rule_files:
  - `+testenv.PrometheusRulesFile+`
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['%s']
`, am.Addr), flapPrometheusRules)

	// Fires, resolves, fires (the third change: flapping, one page), then
	// resolves and fires again twice more, absorbed.
	sendersEventually(t, deadline, "two flips absorbed as flapping", func() bool {
		return sendersReceived(t, base)["flapping"] >= 2
	})
	w.settle()
	var flapping []string
	pages := pagesTo(w.twilio, alicePhone)
	for _, p := range pages {
		if strings.Contains(p, "FLAPPING") {
			flapping = append(flapping, p)
		}
	}
	if len(flapping) != 1 || !strings.Contains(flapping[0], "CheckoutFlaps") || pages[len(pages)-1] != flapping[0] {
		t.Fatalf("pages = %q, want one FLAPPING page about CheckoutFlaps, and none after it", pages)
	}
	if len(pages) > 2 {
		t.Errorf("pages = %q, want at most the first firing's and the flapping one", pages)
	}
	if n := sendersIncidentCount(t, base); n > 2 {
		t.Errorf("pagerd stored %d incidents, want the flips on at most 2", n)
	}
	recv := sendersReceived(t, base)
	if recv["triggered"] > 2 {
		t.Errorf("alerts received by outcome = %v: more than two opened an incident", recv)
	}
}
