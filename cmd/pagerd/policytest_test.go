package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failingTest expects bob first, where onlyCheckout pages alice.
const failingTest = `test "bob first" {
  at     = "2026-12-01 15:00"
  labels = { service = "checkout" }
  expect {
    service = "checkout"
    page {
      step  = 1
      users = ["bob"]
    }
  }
}

test "unrouted" {
  at     = "2026-12-01 15:00"
  labels = { service = "other" }
  expect { service = "" }
}
`

// withTests is a config directory holding onlyCheckout and files.
func withTests(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := writeConfig(t, onlyCheckout)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func TestPolicyTests(t *testing.T) {
	clearEnv(t)
	failing := withTests(t, map[string]string{"tests/routing.hcl": failingTest})
	passing := withTests(t, map[string]string{"checkout_test.hcl": strings.Replace(failingTest, `["bob"]`, `["alice"]`, 1)})
	broken := withTests(t, map[string]string{"tests/x.hcl": "test \"x\" {\n  labels = {}\n}\n"})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{"the example config's tests pass", []string{"test", exampleConfig}, 0, []string{"policy tests: 11 passed"}, []string{"ok "}},
		{"verbose lists each", []string{"test", exampleConfig, "-v"}, 0,
			[]string{"ok   " + filepath.Join(exampleConfig, "tests", "routing.hcl") + ":19 checkout is down"}, nil},
		{"a failing test names its file and line", []string{"test", "--config", failing}, 1, []string{
			"FAIL " + filepath.Join(failing, "tests", "routing.hcl") + ":1 bob first",
			"on " + filepath.Join(failing, "tests", "routing.hcl") + ":8:15, in test \"bob first\":",
			`users = ["bob"]`,
			"Step 1 of round 1 (Tue 1 Dec 15:00 UTC) pages alice; want bob.",
			"policy tests: 1 of 2 failed",
		}, []string{"FAIL " + filepath.Join(failing, "tests", "routing.hcl") + ":14"}},
		{"--run picks tests by name", []string{"test", failing, "--run", "^unrouted$"}, 0, []string{"policy tests: 1 passed"}, nil},
		{"a bad --run", []string{"test", failing, "--run", "("}, 2, []string{"--run"}, nil},
		{"passing tests beside the config", []string{"test", passing}, 0, []string{"policy tests: 2 passed"}, nil},
		{"no tests fails", []string{"test", writeConfig(t, onlyCheckout)}, 1, []string{"no policy tests to run"}, nil},
		{"an invalid test file", []string{"test", broken}, 1, []string{`The argument "at" is required`, "Missing expect", "policy tests of " + broken + " are invalid"}, nil},
		{"an invalid config", []string{"test", writeConfig(t, "service \"x\" {}\n")}, 1, []string{"config invalid", "cannot run"}, nil},
		{"check runs them", []string{"check", failing}, 1, []string{"config OK", "FAIL ", "policy tests: 1 of 2 failed"}, nil},
		{"check passes with them", []string{"check", passing}, 0, []string{"config OK", "policy tests: 2 passed"}, nil},
		{"check of a config without tests says nothing of them", []string{"check", writeConfig(t, onlyCheckout)}, 0, []string{"config OK"}, []string{"policy tests"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("pagerd %v = %d, want %d:\n%s%s", tc.args, code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("pagerd %v lacks %q:\n%s%s", tc.args, w, out, errOut)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out+errOut, w) {
					t.Errorf("pagerd %v has %q:\n%s%s", tc.args, w, out, errOut)
				}
			}
		})
	}
}

func TestPolicyTestsJSON(t *testing.T) {
	clearEnv(t)
	dir := withTests(t, map[string]string{"tests/routing.hcl": failingTest})
	for _, args := range [][]string{{"test", dir, "-o", "json"}, {"check", dir, "-o", "json"}} {
		code, out, _ := runCLI(t, args...)
		if code != 1 {
			t.Errorf("pagerd %v = %d, want 1", args, code)
		}
		var rep testReport
		if args[0] == "check" {
			var c checkResult
			must(t, json.Unmarshal([]byte(out), &c))
			if !c.Valid || c.Tests == nil {
				t.Fatalf("check -o json: valid %v, tests %v; want a valid config with its tests", c.Valid, c.Tests)
			}
			rep = *c.Tests
		} else {
			must(t, json.Unmarshal([]byte(out), &rep))
		}
		if rep.Passed || rep.Summary != "policy tests: 1 of 2 failed" || len(rep.Tests) != 2 {
			t.Fatalf("pagerd %v: %+v", args, rep)
		}
		f := rep.Tests[0]
		if f.Name != "bob first" || f.Passed || f.Line != 1 || len(f.Failures) != 1 ||
			f.Failures[0].Line != 8 || f.Failures[0].Column != 15 || !strings.Contains(f.Failures[0].Message, "pages alice; want bob") {
			t.Errorf("pagerd %v: first test %+v", args, f)
		}
		if !rep.Tests[1].Passed || rep.Tests[1].Failures == nil {
			t.Errorf("pagerd %v: second test %+v, want passed with failures []", args, rep.Tests[1])
		}
	}
}
