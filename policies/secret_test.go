package policies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// writeDir writes files (name → content) into a new temporary directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSecretFunctions(t *testing.T) {
	t.Setenv("PAGERD_TEST_SET", "from-env")
	t.Setenv("PAGERD_TEST_EMPTY", "")
	t.Setenv("PAGERD_TEST_UNSET", "")
	os.Unsetenv("PAGERD_TEST_UNSET")
	dir := writeDir(t, map[string]string{
		"secrets/plain":    "one",
		"secrets/newline":  "two\n",
		"secrets/crlf":     "three\r\n\r\n",
		"secrets/inner":    "four\nfive\n",
		"secrets/nothing":  "",
		"secrets/only-eol": "\n",
	})
	abs := filepath.Join(dir, "secrets", "plain")
	tests := []struct {
		expr    string
		want    string
		wantSet bool
		wantErr string
	}{
		{`env("PAGERD_TEST_SET")`, "from-env", true, ""},
		{`env("PAGERD_TEST_EMPTY")`, "", false, ""},
		{`env("PAGERD_TEST_UNSET")`, "", false, ""},
		{`file("secrets/plain")`, "one", true, ""},
		{`file("secrets/newline")`, "two", true, ""},
		{`file("secrets/crlf")`, "three", true, ""},
		{`file("secrets/inner")`, "four\nfive", true, ""},
		{`file("secrets/nothing")`, "", false, ""},
		{`file("secrets/only-eol")`, "", false, ""},
		{`file("` + filepath.ToSlash(abs) + `")`, "one", true, ""},
		{`file("secrets/none")`, "", false, `cannot read "secrets/none"`},
		{`file("secrets")`, "", false, `cannot read "secrets"`},
		{`env()`, "", false, "Not enough function arguments"},
		{`"literal"`, "", false, "secrets must come from env() or file()"},
	}
	for _, tt := range tests {
		l := &loader{dir: dir, ctx: evalContext(dir)}
		expr := parseExpr(t, tt.expr)
		s, _ := l.secret(expr, "token")
		if tt.wantErr != "" {
			if !l.diags.HasErrors() || !strings.Contains(l.diags.Error(), tt.wantErr) {
				t.Errorf("%s: diags = %v, want an error containing %q", tt.expr, l.diags, tt.wantErr)
			}
			continue
		}
		if l.diags.HasErrors() {
			t.Errorf("%s: %v", tt.expr, l.diags)
			continue
		}
		if s.Value != tt.want || s.Set != tt.wantSet {
			t.Errorf("%s = %q (set %v), want %q (set %v)", tt.expr, s.Value, s.Set, tt.want, tt.wantSet)
		}
	}
}

// parseExpr parses src as the value of an attribute.
func parseExpr(t *testing.T, src string) hcl.Expression {
	t.Helper()
	files := LoadDir(writeDir(t, map[string]string{"x.hcl": "x = " + src + "\n"})).Files
	for _, f := range files {
		attrs, diags := f.Body.JustAttributes()
		if diags.HasErrors() {
			t.Fatalf("parse %s: %v", src, diags)
		}
		return attrs["x"].Expr
	}
	t.Fatalf("parse %s: no file", src)
	return nil
}
