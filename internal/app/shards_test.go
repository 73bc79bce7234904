package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/internal/twiliofake"
	"github.com/pagerd/pagerd/router/store"
	"github.com/redis/go-redis/v9"
)

// A deployment keeps the shard count it first ran with: a replica started
// with another is refused at once — Redis's answer will not change by
// waiting — and told the flag to use.
func TestShardCountIsFixedAtTheFirstStart(t *testing.T) {
	w := newWorld(t, "5m")
	w.shards = 3
	w.start("r1", w.port)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.New(ctx, app.Options{
		ConfigDir: w.dir, Listen: "127.0.0.1:0", RedisURL: w.redis.URL(), Namespace: "e2e", Shards: 1,
		Log: testLogger(), Console: w.console, Replica: "r2", Clock: w.clock.Now,
	})
	if err == nil {
		a.Close()
		t.Fatal("a replica with one shard started on a deployment of three")
	}
	if _, ok := errors.AsType[*store.ShardCountError](err); !ok || ctx.Err() != nil || !strings.Contains(err.Error(), "--redis-shards 3") {
		t.Errorf("start with 1 shard = %v (waited for the deadline: %v), want a refusal at once that names --redis-shards 3", err, ctx.Err() != nil)
	}
}

// incidentHomes finds, on every master of a cluster, the incidents whose
// record it holds: incident id → the hash tag of its shard and the master.
func incidentHomes(t *testing.T, rdb *redis.ClusterClient) map[string][2]string {
	t.Helper()
	re := regexp.MustCompile(`^\{([^}]*)\}:inc:(\d+)$`)
	var mu sync.Mutex
	out := map[string][2]string{}
	err := rdb.ForEachMaster(context.Background(), func(ctx context.Context, c *redis.Client) error {
		keys, err := c.Keys(ctx, "*:inc:*").Result()
		for _, k := range keys {
			if m := re.FindStringSubmatch(k); m != nil {
				mu.Lock()
				out[m[2]] = [2]string{m[1], c.Options().Addr}
				mu.Unlock()
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// idsIn is the incident ids ("#42") the messages name, each once.
func idsIn(msgs []twiliofake.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		if id := regexp.MustCompile(`#(\d+)`).FindStringSubmatch(m.Body); id != nil {
			out[id[1]]++
		}
	}
	return out
}

// pagerd on a real 3-master Redis Cluster with 3 shards, end to end: the
// incidents of many alert groups spread over the shards and the masters,
// each is paged; an SMS reply by its short id acknowledges an incident
// outside the home shard; a replica that crashes holding the next step of
// the others holds them for one lease only: another replica takes them
// over, and the escalation goes on to step 2, once per incident.
func TestShardedClusterPagesAcksEscalatesAndSurvivesACrash(t *testing.T) {
	ctx := context.Background()
	cluster := testenv.StartRedisCluster(t, 3)
	w := newWorld(t, "0s")
	// Twelve incidents at once are a storm; this test counts each one's
	// pages, so it does not fold them.
	w.writeConfig(foldConfig(w, "  storm { incidents = 0 }"))
	w.shards, w.redisURL = 3, cluster.URL()
	a, stopA := w.run("A", w.port)
	base := "http://" + a.Addr()

	const groups = 12
	for i := range groups {
		body := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"pagerd","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","groupKey":"k","alerts":[
		  {"status":"firing","labels":{"alertname":"Down%d","service":"checkout","severity":"critical"},"annotations":{},"startsAt":"2026-11-24T01:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}`, i)
		if r := post(t, base+"/v1/webhooks/alertmanager", amToken, "application/json", []byte(body)); r.code != http.StatusOK || !strings.Contains(r.body, `"triggered"`) {
			t.Fatalf("webhook %d = %d %s, want a new incident", i, r.code, r.body)
		}
	}
	eventually(t, "every incident paged to alice", func() bool { return len(idsIn(smsTo(w.twilio, alicePhone))) == groups })
	w.settle() // her pages are recorded: she may acknowledge by SMS

	homes := incidentHomes(t, cluster.Client(t))
	shards, masters := map[string]bool{}, map[string]bool{}
	var away string // an incident outside the home shard
	for id, home := range homes {
		shards[home[0]], masters[home[1]] = true, true
		if home[0] != "e2e" && (away == "" || len(id) < len(away) || (len(id) == len(away) && id < away)) {
			away = id
		}
	}
	if len(homes) != groups || len(shards) != 3 || len(masters) != 3 || away == "" {
		t.Fatalf("%d incidents in shards %v on masters %v; want %d incidents spread over 3 shards on the 3 masters", len(homes), shards, masters, groups)
	}
	for id := range idsIn(smsTo(w.twilio, alicePhone)) {
		if _, ok := homes[id]; !ok {
			t.Errorf("alice was paged for #%s, which no master holds", id)
		}
	}

	// alice acknowledges by SMS with the short id, as people type it.
	smsURL := fmt.Sprintf("http://127.0.0.1:%d/v1/twilio/sms", w.port)
	req, _ := twiliofake.NewSignedRequest(twilioAuth, smsURL, twiliofake.InboundSMS(twilioSID, alicePhone, "+15559999999", "ack "+away))
	if r := do(t, req); r.code != http.StatusOK || !strings.Contains(r.body, "acknowledged by alice") {
		t.Fatalf("SMS reply \"ack %s\" = %d %s", away, r.code, r.body)
	}
	awayID, _ := strconv.Atoi(away)
	if inc := incident(t, base, awayID); inc["status"] != "acknowledged" || !hasFact(inc, "acknowledged", "alice", "sms") {
		t.Fatalf("incident %s (shard %s) after alice's SMS = %v, want acknowledged by her", away, homes[away][0], inc["status"])
	}
	// The acknowledgement's event, in its shard's stream, reaches the
	// consumers: the time-to-acknowledge histogram counts it.
	eventually(t, "the acknowledgement's event handled", func() bool {
		return strings.Contains(get(t, base+"/metrics").body, `pagerd_incident_time_to_acknowledge_seconds_count{service="checkout"} 1`)
	})
	stopA() // A goes away; everything it held is handed back

	// Step 2 falls due, and a replica claims every incident's timer and
	// crashes before it pages: it never renews its claims nor hands them
	// back.
	w.clock.Advance(10*time.Minute + time.Second)
	crashed := store.New(cluster.Client(t), "e2e", store.WithShards(3))
	crashed.Clock = w.clock.Now
	if err := crashed.Load(ctx); err != nil {
		t.Fatal(err)
	}
	const lease = 6 * time.Second // the engine's default
	_, claims, err := crashed.ClaimDue(ctx, lease, 100)
	if err != nil {
		t.Fatal(err)
	}
	claimed := map[string]bool{}
	for _, c := range claims {
		claimed[strconv.FormatInt(c.IncidentID, 10)] = true
	}
	for id := range homes {
		if id != away && !claimed[id] {
			t.Fatalf("the crashed replica claimed %v, want every unacknowledged incident's step 2 (missing #%s)", claimed, id)
		}
	}

	b := w.start("B", 0)
	b.Engine.Wake()
	w.settle()
	if got := smsTo(w.twilio, bobPhone); len(got) != 0 {
		t.Fatalf("B paged bob %d times while the crashed replica's claims were live", len(got))
	}
	w.clock.Advance(lease)
	b.Engine.Wake()
	eventually(t, "B paging bob for every unacknowledged incident", func() bool {
		return len(idsIn(smsTo(w.twilio, bobPhone))) == groups-1
	})
	w.settle()
	bob := idsIn(smsTo(w.twilio, bobPhone))
	for id, n := range bob {
		if id == away || n != 1 {
			t.Errorf("bob was paged %d times for #%s; want once for each unacknowledged incident, never for #%s", n, id, away)
		}
	}
	if len(bob) != groups-1 {
		t.Errorf("bob was paged for %d incidents, want %d", len(bob), groups-1)
	}
}

// A reload that changes a service's group_by gives every firing alert of
// it another group, and most of them another shard: their re-sends stay
// in their incidents and page nobody again, and their resolves close
// them, as with one shard (TestRegroupingByReloadKeepsAlertsInTheirIncident
// in router/store).
func TestShardedReloadThatRegroupsPagesNobodyAgain(t *testing.T) {
	cluster := testenv.StartRedisCluster(t, 3)
	w := newWorld(t, "0s")
	cfg := foldConfig(w, "  storm { incidents = 0 }")
	w.writeConfig(cfg)
	w.shards, w.redisURL = 3, cluster.URL()
	a := w.start("A", w.port)
	base := "http://" + a.Addr()
	hook := base + "/v1/webhooks/alertmanager"

	names := make([]string, 12)
	for i := range names {
		names[i] = fmt.Sprintf("Down%d", i)
	}
	if r := post(t, hook, amToken, "application/json", foldWebhook("firing", names...)); r.code != http.StatusOK || strings.Count(r.body, `"triggered"`) != len(names) {
		t.Fatalf("webhook = %d %s, want %d new incidents", r.code, r.body, len(names))
	}
	eventually(t, "every incident paged to alice", func() bool { return len(idsIn(smsTo(w.twilio, alicePhone))) == len(names) })
	w.settle()
	homes := incidentHomes(t, cluster.Client(t))

	regrouped := strings.Replace(cfg, `group_by   = ["alertname"]`, `group_by   = ["alertname", "severity"]`, 1)
	if regrouped == cfg {
		t.Fatal("the config has no group_by to change")
	}
	w.writeConfig(regrouped)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if r := post(t, hook, amToken, "application/json", foldWebhook("firing", names...)); r.code != http.StatusOK || strings.Count(r.body, `"deduplicated"`) != len(names) {
		t.Fatalf("re-sent webhook after the reload = %d %s, want every alert deduplicated", r.code, r.body)
	}
	w.settle()
	if got := len(smsTo(w.twilio, alicePhone)); got != len(names) {
		t.Errorf("alice got %d pages; want %d, one an incident, none after the reload", got, len(names))
	}
	if after := incidentHomes(t, cluster.Client(t)); len(after) != len(homes) {
		t.Errorf("%d incidents after the re-send; want the %d from before", len(after), len(homes))
	}

	if r := post(t, hook, amToken, "application/json", foldWebhook("resolved", names...)); r.code != http.StatusOK || strings.Count(r.body, `"resolved"`) != len(names) {
		t.Fatalf("resolving webhook = %d %s, want every incident resolved", r.code, r.body)
	}
	for id := range homes {
		n, _ := strconv.Atoi(id)
		if inc := incident(t, base, n); inc["status"] != "resolved" {
			t.Errorf("incident %s is %v after its alert resolved; want resolved", id, inc["status"])
		}
	}
}
