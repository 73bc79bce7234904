package policytest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/policies"

	_ "github.com/pagerd/pagerd/pagers/all"
	_ "github.com/pagerd/pagerd/router/ingest/all"
)

var update = flag.Bool("update", false, "rewrite the expected output of testdata/*.txt")

// sep separates a case's files from the output `pagerd test` must print.
const sep = "----------\n"

var fileMarker = regexp.MustCompile(`(?m)^-- (\S+) --\n`)

// TestGolden runs each testdata/*.txt case: files ("-- name --" starts
// each, as in txtar: a config and its policy tests), sep, then the exact
// report — every case listed, failures quoted from their test files — and
// whether it passed.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			input, want, _ := strings.Cut(string(raw), sep)
			abs, _ := filepath.Abs(path)
			dir := t.TempDir()
			for name, content := range split(input) {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			got := report(t, ".")
			if *update {
				if err := os.WriteFile(abs, []byte(input+sep+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("report differs (go test -run TestGolden -update accepts it)\n--- got:\n%s\n--- want:\n%s", got, want)
			}
		})
	}
}

// report is what `pagerd test` prints for dir, verbose.
func report(t *testing.T, dir string) string {
	t.Helper()
	var out bytes.Buffer
	l := policies.LoadDir(dir)
	if l.Config == nil {
		out.WriteString("config invalid:\n")
		_ = l.WriteDiagnostics(&out)
		return out.String()
	}
	s, diags := Load(dir)
	if diags.HasErrors() {
		out.WriteString("tests invalid:\n")
		_ = policies.WriteDiagnostics(&out, s.Files, diags)
		return out.String()
	}
	if _, err := Write(&out, s, s.Run(l.Config), true); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func split(input string) map[string]string {
	files := map[string]string{}
	locs := fileMarker.FindAllStringSubmatchIndex(input, -1)
	for i, loc := range locs {
		end := len(input)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		files[input[loc[2]:loc[3]]] = input[loc[1]:end]
	}
	return files
}

// The config loader leaves policy tests out of the config, wherever they
// are.
func TestTestFilesAreNotConfig(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"main.hcl":           "pagerd { unrouted = \"record\" }\n",
		"checkout_test.hcl":  "test \"x\" {}\n",
		"tests/routing.hcl":  "test \"y\" {}\n",
		"tests/.hidden.hcl":  "garbage",
		"tests/notes.txt":    "garbage",
		"other_test.hcl.bak": "garbage",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if l := policies.LoadDir(dir); l.Config == nil {
		t.Fatalf("the config with tests beside it does not load: %v", l.Diags)
	}
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, f := range files {
		r, _ := filepath.Rel(dir, f)
		rel = append(rel, filepath.ToSlash(r))
	}
	if got := strings.Join(rel, " "); got != "checkout_test.hcl tests/routing.hcl" {
		t.Errorf("Files = %s, want checkout_test.hcl tests/routing.hcl", got)
	}
}
