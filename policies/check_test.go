package policies_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/pagerd/pagerd/policies"

	_ "github.com/pagerd/pagerd/pagers/all"
	_ "github.com/pagerd/pagerd/router/ingest/all"
)

var update = flag.Bool("update", false, "rewrite the expected output of testdata/check/*.txt")

// goldenNow pins "now" for the 4-week look-ahead of schedule gaps.
var goldenNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// goldenSep separates a case's input from the output Check must print.
const goldenSep = "----------\n"

// fileMarker starts a further input file: "-- secrets/token --".
var fileMarker = regexp.MustCompile(`(?m)^-- (\S+) --\n`)

// TestCheckGolden runs Check over each testdata/check/*.txt case. A case is
// the HCL input, goldenSep, then the exact output. The input is main.hcl,
// unless "-- name --" lines split it into several files (as in txtar). The
// environment has PAGERD_TEST_TOKEN=from-env and no PAGERD_TEST_UNSET.
func TestCheckGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "check", "*.txt"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	t.Setenv("PAGERD_TEST_TOKEN", "from-env")
	t.Setenv("PAGERD_TEST_UNSET", "")
	os.Unsetenv("PAGERD_TEST_UNSET")
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			input, want, found := strings.Cut(string(raw), goldenSep)
			if !found && !*update {
				t.Fatalf("%s: no %q separator line", path, strings.TrimSpace(goldenSep))
			}
			abs, err := filepath.Abs(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			writeCase(t, dir, input)
			// Relative names keep the output free of the temporary path.
			t.Chdir(dir)
			var out bytes.Buffer
			CheckAt(".", &out, goldenNow)
			got := out.String()
			if *update {
				if err := os.WriteFile(abs, []byte(input+goldenSep+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("Check output differs (run go test -run TestCheckGolden -update to accept)\n--- got:\n%s\n--- want:\n%s", got, want)
			}
		})
	}
}

// writeCase writes the input files of a case into dir.
func writeCase(t *testing.T, dir, input string) {
	t.Helper()
	files := map[string]string{}
	locs := fileMarker.FindAllStringSubmatchIndex(input, -1)
	first := len(input)
	if len(locs) > 0 {
		first = locs[0][0]
	}
	if strings.TrimSpace(input[:first]) != "" {
		files["main.hcl"] = input[:first]
	}
	for i, loc := range locs {
		end := len(input)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		files[input[loc[2]:loc[3]]] = input[loc[1]:end]
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
