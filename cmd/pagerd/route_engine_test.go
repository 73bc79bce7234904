package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
)

// pinConfig's step 2 reaches nobody at 10:00 UTC (the nights schedule has
// someone only from 18:00), so the engine passes it at once and pages
// step 3 at +10m, not +20m.
const pinConfig = `
integration "am" {
  type  = "alertmanager"
  token = file("am.token")
}
user "alice" {}
user "bob" {}
user "carol" {}
schedule "nights" {
  timezone = "UTC"
  rotation "r" {
    users = ["carol"]
    every = "1d"
    start = "2026-11-01 18:00"
    restrict {
      from = "18:00"
      to   = "06:00"
    }
  }
}
escalation "ops" {
  step {
    notify = ["user:alice"]
  }
  step {
    after  = "10m"
    notify = ["schedule:nights"]
  }
  step {
    after  = "10m"
    notify = ["user:bob"]
  }
  repeat       = 1
  repeat_after = "15m"
}
service "all" { escalation = "ops" }
`

// `pagerd route` and the engine walk a policy with the same planner: the
// pages route announces are the pages the engine sends, at the same times
// — also when a maintenance window holds the alert as it fires.
func TestRouteSaysWhatTheEngineDoes(t *testing.T) {
	tests := []struct {
		name, config string
		want         []string
	}{
		{"no window", pinConfig, []string{"alice@+0s", "bob@+10m0s", "alice@+25m0s", "bob@+35m0s"}},
		{"a maintenance window open for 7 minutes", pinConfig + `
maintenance "deploy" {
  match    = []
  start    = "2026-12-01 09:50"
  duration = "17m"
}
`, []string{"alice@+7m0s", "bob@+17m0s", "alice@+32m0s", "bob@+42m0s"}},
		// Nobody acknowledges: the policy runs out when a third round
		// would start, and carol is paged as its last resort.
		{"a last resort", strings.Replace(pinConfig, `repeat_after = "15m"`, `repeat_after = "15m"
  last_resort  = "user:carol"`, 1), []string{"alice@+0s", "bob@+10m0s", "alice@+25m0s", "bob@+35m0s", "carol@+50m0s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { routeAgainstEngine(t, tc.config, tc.want) })
	}
}

func routeAgainstEngine(t *testing.T, config string, want []string) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "pagerd.hcl"), []byte(config), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "am.token"), []byte("tok"), 0o600))
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

	// What route says.
	code, out, errOut := runCLI(t, "route", "--config", dir, "--at", t0.Format(time.RFC3339), "-o", "json", "alertname=Down")
	if code != 0 {
		t.Fatalf("route = %d: %s", code, errOut)
	}
	var plan struct {
		Steps []struct {
			Notifications []struct {
				To            string `json:"to"`
				OffsetSeconds int64  `json:"offset_seconds"`
			} `json:"notifications"`
		} `json:"steps"`
		Exhausted struct {
			OffsetSeconds int64    `json:"offset_seconds"`
			LastResort    []string `json:"last_resort"`
		} `json:"exhausted"`
	}
	must(t, json.Unmarshal([]byte(out), &plan))
	var announced []string
	for _, st := range plan.Steps {
		for _, n := range st.Notifications {
			announced = append(announced, fmt.Sprintf("%s@+%s", n.To, time.Duration(n.OffsetSeconds)*time.Second))
		}
	}
	for _, who := range plan.Exhausted.LastResort {
		announced = append(announced, fmt.Sprintf("%s@+%s", who, time.Duration(plan.Exhausted.OffsetSeconds)*time.Second))
	}

	// What the engine does, minute by minute on a test clock.
	clock := testenv.NewClock(t0)
	console := &testenv.Buffer{}
	a := startApp(t, dir, console, clock.Now)
	body := `{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Down"},"startsAt":"2026-12-01T10:00:00Z"}]}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/v1/webhooks/alertmanager", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()

	pageRE := regexp.MustCompile(`(?m)^=== pagerd page via \w+ to (\w+)`)
	seen := 0
	var paged []string
	for m := 0; m <= 60; m++ {
		clock.Set(t0.Add(time.Duration(m) * time.Minute))
		must(t, a.Engine.Drain(context.Background()))
		pages := pageRE.FindAllStringSubmatch(console.String(), -1)
		for _, p := range pages[seen:] {
			paged = append(paged, fmt.Sprintf("%s@+%s", p[1], time.Duration(m)*time.Minute))
		}
		seen = len(pages)
	}
	if !slices.Equal(paged, announced) {
		t.Errorf("the engine paged %v; route announced %v", paged, announced)
	}
	if !slices.Equal(announced, want) {
		t.Errorf("route announced %v, want %v (the empty step falls through)", announced, want)
	}
}
