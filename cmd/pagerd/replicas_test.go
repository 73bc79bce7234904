package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
)

// TestMain lets the test binary stand in for the pagerd binary: the
// replica test re-executes it with PAGERD_AS_BINARY=1 to run real,
// separate `pagerd serve` processes.
func TestMain(m *testing.M) {
	if os.Getenv("PAGERD_AS_BINARY") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestTwoServeProcessesPageOnce runs two `pagerd serve` processes against
// one redis-server, sends every alert to both, and counts the console pages
// both print: each (person, incident, step) must be paged exactly once.
func TestTwoServeProcessesPageOnce(t *testing.T) {
	redisSrv := testenv.StartRedis(t)
	dir := t.TempDir()
	cfg := `
integration "am" {
  type  = "alertmanager"
  token = file("am.token")
}
user "alice" {}
user "bob" {}
escalation "ops" {
  step {
    notify = ["user:alice"]
  }
  step {
    after  = "2s"
    notify = ["user:bob"]
  }
}
service "all" {
  escalation = "ops"
  group_by   = ["alertname"]
  # Eight incidents at once would be an alert storm: this test counts
  # the pages of each incident, so it does not fold them.
  storm { incidents = 0 }
}
`
	must(t, os.WriteFile(filepath.Join(dir, "pagerd.hcl"), []byte(cfg), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "am.token"), []byte("tok"), 0o600))

	var outs []*testenv.Buffer
	var addrs []string
	for range 2 {
		port := testenv.FreePort(t)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		out := &testenv.Buffer{}
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, os.Args[0], "serve", "--config", dir, "--listen", addr,
			"--redis", redisSrv.URL(), "--poll", "50ms", "--log-level", "warn")
		cmd.Env = append(os.Environ(), "PAGERD_AS_BINARY=1")
		cmd.Stdout, cmd.Stderr = out, out
		must(t, cmd.Start())
		t.Cleanup(func() { cancel(); _ = cmd.Wait() })
		waitReady(t, "http://"+addr+"/readyz", out)
		outs = append(outs, out)
		addrs = append(addrs, addr)
	}

	const groups = 8
	var wg sync.WaitGroup
	for g := range groups {
		for _, addr := range addrs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A%d"},"startsAt":"2026-11-27T00:00:00Z"}]}`, g)
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/webhooks/alertmanager", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer tok")
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("webhook to %s = %d", addr, resp.StatusCode)
				}
			}()
		}
	}
	wg.Wait()

	pageRE := regexp.MustCompile(`(?m)^=== pagerd page via console to (\w+)`)
	incidentRE := regexp.MustCompile(`(?m)^incident: #(\d+)`)
	count := func() (int, map[string]int) {
		per := map[string]int{}
		n := 0
		for _, o := range outs {
			s := o.String()
			users := pageRE.FindAllStringSubmatch(s, -1)
			incs := incidentRE.FindAllStringSubmatch(s, -1)
			for i := range min(len(users), len(incs)) {
				per[users[i][1]+" #"+incs[i][1]]++
				n++
			}
		}
		return n, per
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if n, _ := count(); n >= 2*groups || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let any duplicate show up
	n, per := count()
	if n != 2*groups || len(per) != 2*groups {
		t.Fatalf("two processes printed %d pages for %d (person, incident) pairs, want %d each:\n%v\n--- r1:\n%s\n--- r2:\n%s",
			n, len(per), 2*groups, per, outs[0], outs[1])
	}
}

func waitReady(t *testing.T, url string, out *testenv.Buffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pagerd at %s never became ready:\n%s", url, out)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
