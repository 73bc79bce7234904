package app_test

// Inhibition on a sharded deployment: each shard's sources of a rule are
// copied into the others through the event streams (router/events
// InhibitMirror), so a source mutes its targets whichever shards hold
// them.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
)

// Inhibition on a sharded cluster: a source mutes its targets whichever
// shards hold them, also when it comes in the same webhook as they do,
// after them (they hold their first page until it reaches their shards);
// a target of another cluster pages at once; when the source resolves,
// its targets page.
func TestShardedInhibitionAcrossShards(t *testing.T) {
	cluster := testenv.StartRedisCluster(t, 3)
	w := newWorld(t, "0s")
	// Eight incidents at once are a storm, which keeps its service in one
	// shard: not folded here, so that the groups spread.
	cfg := strings.Replace(foldConfig(w, "  storm { incidents = 0 }"), `group_by   = ["alertname"]`, `group_by   = ["alertname", "cluster", "dc"]`, 1)
	w.writeConfig(cfg + inhibitConfig)
	w.shards, w.redisURL = 3, cluster.URL()
	r1 := "http://" + w.start("r1", w.port).Addr()
	r2 := "http://" + w.start("r2", 0).Addr()

	// Six targets of eu1, each its own group (dc), spread over the
	// shards; the source last; another cluster's InstanceDown.
	var alerts []amAlert
	for dc := range 6 {
		alerts = append(alerts, amAlert{labels: critical("InstanceDown", "cluster", "eu1", "dc", strconv.Itoa(dc))})
	}
	alerts = append(alerts, amAlert{labels: critical("ClusterDown", "cluster", "eu1")},
		amAlert{labels: critical("InstanceDown", "cluster", "us1")})
	r := post(t, r1+"/v1/webhooks/alertmanager", amToken, "application/json", amWebhook(alerts...))
	var out struct {
		Alerts []struct {
			Incident int
			Outcome  string
		}
	}
	if r.code != http.StatusOK || json.Unmarshal([]byte(r.body), &out) != nil || len(out.Alerts) != len(alerts) {
		t.Fatalf("webhook = %d %s", r.code, r.body)
	}
	targets := out.Alerts[:6]
	homes := incidentHomes(t, cluster.Client(t))
	shards := map[string]bool{}
	for _, a := range targets {
		shards[homes[strconv.Itoa(a.Incident)][0]] = true
	}
	if source := homes[strconv.Itoa(out.Alerts[6].Incident)][0]; len(shards) < 2 || len(shards) == 1 && shards[source] {
		t.Fatalf("targets in shards %v, source in %s; want targets in shards other than the source's", shards, source)
	}
	eventually(t, "every eu1 target inhibited", func() bool {
		for _, a := range targets {
			if suppressedBy(t, r2, a.Incident) != "inhibited:cluster-down" {
				return false
			}
		}
		return true
	})
	w.settle()
	wantPages(t, w, "ClusterDown and us1's InstanceDown", 2, 0)
	// eu1's targets, sent with their source, held their first page for a
	// second, by which time the source had muted them.
	w.advance(2 * time.Second)
	wantPages(t, w, "a second later", 2, 0)

	// ClusterDown resolves: every eu1 target pages now.
	wantOutcomes(t, "source resolves", sendAlerts(t, r2, amAlert{labels: critical("ClusterDown", "cluster", "eu1"), resolved: true}), "resolved")
	eventually(t, "every eu1 target paging", func() bool {
		w.settle()
		return pages(w, alicePhone) == 2+len(targets)
	})
	for _, a := range targets {
		if got := suppressedBy(t, r1, a.Incident); got != "" {
			t.Errorf("incident %d still suppressed %q after its source resolved", a.Incident, got)
		}
	}
}

// TestRealSendersInhibitedPair's pair on a 3-master Redis Cluster with 3
// shards: the source mutes the target whichever shards they land in,
// though Alertmanager sends them in one webhook.
func TestRealSendersInhibitedPairOnAShardedCluster(t *testing.T) {
	cluster := testenv.StartRedisCluster(t, 3)
	deadline := time.Now().Add(40 * time.Second)
	w := newWorld(t, "0s")
	w.shards, w.redisURL = 3, cluster.URL()
	sendersWallClock(w)
	// A service that folds storms keeps its groups in one shard: not
	// this one, so that the pair's groups go to their own shards.
	w.writeConfig(foldConfig(w, "  storm { incidents = 0 }") + inhibitConfig)
	base := "http://" + w.start("r1", w.port).Addr()
	am := testenv.StartAlertmanager(t, fmt.Sprintf(inhibitedPairAlertmanager, w.port, amToken))
	testenv.StartPrometheus(t, fmt.Sprintf(inhibitedPairPrometheus, am.Addr), inhibitedPairRules)

	sendersEventually(t, deadline, "the pair to reach pagerd", func() bool {
		r := sendersReceived(t, base)
		return r["triggered"]+r["suppressed"] >= 2
	})
	ids := map[string]int{}
	shardOf := map[string]string{}
	for id, home := range incidentHomes(t, cluster.Client(t)) {
		n, _ := strconv.Atoi(id)
		title, _ := incident(t, base, n)["title"].(string)
		name, _, _ := strings.Cut(title, " ")
		ids[name], shardOf[name] = n, home[0]
	}
	if len(ids) != 2 || ids["ClusterDown"] == 0 || ids["InstanceDown"] == 0 {
		t.Fatalf("incidents %v; want one for ClusterDown, one for InstanceDown", ids)
	}
	if shardOf["ClusterDown"] == shardOf["InstanceDown"] {
		t.Fatalf("both incidents in shard %s: the pair no longer crosses shards; change the test's groups", shardOf["ClusterDown"])
	}
	sendersEventually(t, deadline, "InstanceDown inhibited", func() bool {
		return suppressedBy(t, base, ids["InstanceDown"]) == "inhibited:cluster-down"
	})
	// A page for the target would have gone out before it was muted.
	w.settle()
	if got := sendersPages(w.twilio, alicePhone); len(got) != 1 || !strings.Contains(got[0].Body, "ClusterDown") {
		t.Errorf("alice's pages = %+v, want one, about ClusterDown", got)
	}
}
