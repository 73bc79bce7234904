package generic_test

import (
	"os"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/router/ingest/generic"
)

// The reference lists exactly the functions a mapping may call.
func TestDocsListTheFunctions(t *testing.T) {
	b, err := os.ReadFile("../../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "**Expressions** may refer to `body` only")
	end := strings.Index(doc[max(start, 0):], "expressions and conditionals")
	if start < 0 || end < 0 {
		t.Fatal("docs/config.md has no list of mapping functions")
	}
	list := doc[start : start+end]
	for _, name := range generic.FunctionNames() {
		if !strings.Contains(list, "`"+name+"`") {
			t.Errorf("docs/config.md does not list function %s", name)
		}
	}
	// Besides the functions, the paragraph quotes `body` and `for`.
	if got, want := strings.Count(list, "`")/2-2, len(generic.FunctionNames()); got != want {
		t.Errorf("docs/config.md lists %d functions, mappings have %d", got, want)
	}
}
