package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
)

// The tests in this file drive heartbeats through HTTP: beats on time,
// a missed beat paging once across replicas, the next beat resolving,
// a reload that removes a heartbeat, and Alertmanager's Watchdog as a dead
// man's switch.

const cronToken = "cron-s3cret"

const heartbeatConfig = `
integration "cron" {
  type  = "heartbeat"
  token = env("TEST_CRON_TOKEN")
}
heartbeat "nightly-backup" {
  every   = "24h"
  grace   = "1h"
  service = "checkout"
  labels  = { severity = "critical" }
}
`

const watchdogHeartbeat = `
heartbeat "watchdog" {
  every        = "5m"
  grace        = "1m"
  service      = "checkout"
  integrations = ["alertmanager"]
  summary      = "the monitoring pipeline is down: Alertmanager's Watchdog stopped"
}
`

// newHeartbeatWorld is a world whose config has the heartbeats given.
func newHeartbeatWorld(t *testing.T, heartbeats ...string) *world {
	t.Helper()
	w := newWorld(t, "0s")
	t.Setenv("TEST_CRON_TOKEN", cronToken)
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port) + strings.Join(heartbeats, ""))
	return w
}

// watchdogWebhook is Alertmanager's webhook for its Watchdog alert, as
// Alertmanager 0.25 posts it, firing or resolved.
func watchdogWebhook(status string) []byte {
	endsAt := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		endsAt = "2026-11-24T01:10:00Z"
	}
	return []byte(`{"receiver":"pagerd-watchdog","status":"` + status + `","alerts":[{"status":"` + status + `",
	  "labels":{"alertname":"Watchdog","severity":"none"},"annotations":{"summary":"An alert that should always be firing"},
	  "startsAt":"2026-11-24T00:00:00Z","endsAt":"` + endsAt + `","generatorURL":"http://prometheus/graph","fingerprint":"e1b2"}],
	  "groupLabels":{"alertname":"Watchdog"},"commonLabels":{"alertname":"Watchdog","severity":"none"},"commonAnnotations":{},
	  "externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}/{alertname=\"Watchdog\"}:{alertname=\"Watchdog\"}","truncatedAlerts":0}`)
}

func TestHeartbeatEndpointRules(t *testing.T) {
	w := newHeartbeatWorld(t, heartbeatConfig, watchdogHeartbeat)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr() + "/v1/heartbeats/"
	tests := []struct {
		name, path, token, ctype string
		body                     []byte
		want                     int
		mention                  string
	}{
		{"no token", "nightly-backup", "", "", nil, 401, "missing credentials"},
		{"unknown token", "nightly-backup", "nope", "", nil, 401, "unknown integration token"},
		{"unknown heartbeat", "nope", cronToken, "", nil, 404, "no heartbeat nope"},
		{"the API's token", "nightly-backup", apiToken, "", nil, 403, "only integrations of type heartbeat may"},
		{"a heartbeat integration, no body", "nightly-backup", cronToken, "", nil, 200, `"status": "ok"`},
		{"a heartbeat integration, any body", "nightly-backup", cronToken, "text/plain", []byte("backup took 312s"), 200, `"next_beat_by": "2026-11-25T02:12:20Z"`},
		{"one the heartbeat does not name", "watchdog", cronToken, "", nil, 403, "only integration alertmanager may"},
		{"Alertmanager's Watchdog firing", "watchdog", amToken, "application/json", watchdogWebhook("firing"), 200, `"status": "ok"`},
		{"Alertmanager's Watchdog resolved", "watchdog", amToken, "application/json", watchdogWebhook("resolved"), 200, `"status": "ignored"`},
		{"not an Alertmanager webhook", "watchdog", amToken, "application/json", []byte(`{"alerts": 3}`), 400, "invalid payload"},
		{"not JSON", "watchdog", amToken, "text/plain", []byte(`hello`), 415, "application/json"},
		{"Alertmanager, no body", "watchdog", amToken, "", nil, 200, `"status": "ok"`},
	}
	for _, tc := range tests {
		r := post(t, base+tc.path, tc.token, tc.ctype, tc.body)
		if r.code != tc.want || !strings.Contains(r.body, tc.mention) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, r.code, r.body, tc.want, tc.mention)
		}
	}
}

// A missed beat opens one incident, paged once although two replicas
// watch the deadline; the next beat resolves it.
func TestMissedHeartbeatPagesOnceAcrossReplicasAndTheNextBeatResolves(t *testing.T) {
	missedHeartbeatPagesOnce(t, newHeartbeatWorld(t, heartbeatConfig))
}

// The same on a 3-master Redis Cluster with 3 shards: the alerts of missed
// heartbeats live in the home shard, as the heartbeats do.
func TestMissedHeartbeatPagesOnceOnAShardedCluster(t *testing.T) {
	w := newHeartbeatWorld(t, heartbeatConfig)
	w.shards, w.redisURL = 3, testenv.StartRedisCluster(t, 3).URL()
	missedHeartbeatPagesOnce(t, w)
}

func missedHeartbeatPagesOnce(t *testing.T, w *world) {
	r1 := w.start("r1", w.port)
	r2 := w.start("r2", 0)
	beat := func(base string) map[string]any {
		t.Helper()
		r := post(t, base+"/v1/heartbeats/nightly-backup", cronToken, "", nil)
		var out map[string]any
		if r.code != http.StatusOK || json.Unmarshal([]byte(r.body), &out) != nil {
			t.Fatalf("beat = %d %s", r.code, r.body)
		}
		return out
	}
	base1, base2 := "http://"+r1.Addr(), "http://"+r2.Addr()

	// Beats on time, to either replica: nothing happens.
	for i, base := range []string{base1, base2, base1} {
		w.clock.Advance(25*time.Hour - time.Second)
		w.settle()
		if out := beat(base); out["missed"] != nil {
			t.Fatalf("beat %d on time = %v, want an ordinary beat", i, out)
		}
	}
	w.clock.Advance(25*time.Hour - time.Second)
	w.settle()
	if n := sendersIncidentCount(t, base1); n != 0 || len(w.twilio.Messages()) != 0 {
		t.Fatalf("beats on time opened %d incidents and sent %d SMS", n, len(w.twilio.Messages()))
	}

	// The deadline passes on both replicas' clock.
	w.clock.Advance(2 * time.Second)
	w.settle()
	if n := sendersIncidentCount(t, base1); n != 1 {
		t.Fatalf("after the missed beat: %d incidents, want 1", n)
	}
	inc := incident(t, base2, 1)
	if inc["status"] != "triggered" || inc["service"] != "checkout" || inc["title"] != "HeartbeatMissed" {
		t.Fatalf("incident 1 = %v %v %v, want checkout's triggered HeartbeatMissed", inc["status"], inc["service"], inc["title"])
	}
	if got := sendersPages(w.twilio, alicePhone); len(got) != 1 || !strings.Contains(got[0].Body, "HeartbeatMissed") {
		t.Fatalf("alice's pages = %+v, want one about HeartbeatMissed", got)
	}
	// pagerd incidents lists it like any incident.
	req, _ := http.NewRequest(http.MethodGet, base1+"/v1/incidents", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if r := do(t, req); !strings.Contains(r.body, "HeartbeatMissed") {
		t.Errorf("GET /v1/incidents does not list the missed heartbeat: %s", r.body)
	}

	out := beat(base2)
	if out["missed"] != true || out["outcome"] != "resolved" || out["incident"] != float64(1) {
		t.Fatalf("beat after the miss = %v, want it to resolve incident 1", out)
	}
	w.settle()
	if s := sendersIncidentStatus(t, base1, 1); s != "resolved" {
		t.Errorf("incident 1 is %s after the beat, want resolved", s)
	}
	if got := sendersPages(w.twilio, alicePhone); len(got) != 1 {
		t.Errorf("alice was paged %d times in all, want once", len(got))
	}
}

// A reload that removes a heartbeat stops watching it.
func TestReloadRemovingAHeartbeatStopsIt(t *testing.T) {
	w := newHeartbeatWorld(t, heartbeatConfig)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	w.clock.Advance(time.Hour)
	w.settle()
	w.writeConfig(fmt.Sprintf(configTemplate, w.port, "0s", w.smtp.Port))
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(48 * time.Hour)
	w.settle()
	if n := sendersIncidentCount(t, base); n != 0 {
		t.Errorf("a heartbeat removed by a reload opened %d incidents", n)
	}
	if r := post(t, base+"/v1/heartbeats/nightly-backup", cronToken, "", nil); r.code != http.StatusUnauthorized {
		t.Errorf("beat of the removed heartbeat (and integration) = %d %s, want 401", r.code, r.body)
	}
}

// The dead man's switch of the monitoring pipeline: the real Alertmanager
// 0.25 routes its always-firing Watchdog to the heartbeat endpoint, with
// the token of pagerd's alertmanager integration in its http_config. When
// it stops, the heartbeat is missed; when it notifies again, the miss
// resolves.
func TestRealAlertmanagerWatchdogBeatsAHeartbeat(t *testing.T) {
	w := newHeartbeatWorld(t, watchdogHeartbeat)
	sendersWallClock(w)
	a := w.start("r1", w.port)
	base := "http://" + a.Addr()
	am := testenv.StartAlertmanager(t, fmt.Sprintf(watchdogAlertmanagerConfig, w.port, amToken))
	watchdog := func(labels map[string]string) {
		t.Helper()
		labels["alertname"] = "Watchdog"
		sendersPostToAlertmanager(t, am, []map[string]any{{
			"labels":      labels,
			"annotations": map[string]string{"summary": "An alert that should always be firing"},
			"startsAt":    time.Now().UTC().Add(-time.Minute).Format(time.RFC3339Nano),
		}})
	}
	lastBeat := func() time.Time {
		st, err := a.Store.Heartbeat(context.Background(), "watchdog")
		if err != nil {
			t.Fatal(err)
		}
		return st.Last
	}
	watchdog(map[string]string{"severity": "none"})
	sendersEventually(t, time.Now().Add(sendersWait), "Alertmanager's Watchdog to beat the heartbeat", func() bool {
		return !lastBeat().IsZero()
	})

	// Alertmanager falls silent (here: no new notification before its
	// repeat_interval): six minutes later the heartbeat is missed.
	w.clock.Advance(6*time.Minute + time.Second)
	w.settle()
	if s := sendersIncidentStatus(t, base, 1); s != "triggered" {
		t.Fatalf("after the Watchdog fell silent incident 1 is %q, want triggered", s)
	}
	if got := sendersPages(w.twilio, alicePhone); len(got) != 1 || !strings.Contains(got[0].Body, "Watchdog stopped") {
		t.Fatalf("alice's pages = %+v, want one saying the Watchdog stopped", got)
	}

	// The group changes, so Alertmanager notifies again: the beat ends
	// the miss.
	watchdog(map[string]string{"severity": "none", "replica": "b"})
	sendersEventually(t, time.Now().Add(sendersWait), "Alertmanager's next notification to resolve the miss", func() bool {
		return sendersIncidentStatus(t, base, 1) == "resolved"
	})
}

const watchdogAlertmanagerConfig = `
route:
  receiver: pagerd
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 24h
  routes:
    - matchers: ['alertname="Watchdog"']
      receiver: pagerd-watchdog
      group_by: [alertname]
receivers:
  - name: pagerd
  - name: pagerd-watchdog
    webhook_configs:
      - url: http://127.0.0.1:%d/v1/heartbeats/watchdog
        send_resolved: false
        http_config:
          authorization:
            credentials: %s
`
