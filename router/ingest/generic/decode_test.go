package generic_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/ingest/generic"

	// The example config configures every channel.
	_ "github.com/pagerd/pagerd/pagers/all"
	_ "github.com/pagerd/pagerd/router/ingest/all"
)

var update = flag.Bool("update", false, "rewrite the want section of testdata/mapping/*.txt")

// received is the receive time every case decodes at.
var received = time.Date(2026, 11, 24, 1, 12, 20, 0, time.UTC)

// exampleConfig holds the mappings pagerd ships as examples.
const exampleConfig = "../../../deploy/examples/config"

// section starts a part of a case: "-- body --".
var section = regexp.MustCompile(`(?m)^-- (\w+) --\n`)

// TestMappingGolden decodes the body of each testdata/mapping/*.txt case
// with its mapping and compares the alerts (or the refusal) with the want
// section. A case names its mapping in one of two ways: a "mapping"
// section holding a mapping block (the integration around it is the
// harness's), or an "example" section naming an integration of
// deploy/examples/config, so that the mappings pagerd ships are tested as
// shipped. The body is a "body" section, or a "body_file" section naming
// a file of testdata. Text before the first section describes the case.
func TestMappingGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "mapping", "*.txt"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	examples, diags := policies.Load(exampleConfig)
	if examples == nil {
		t.Fatalf("example config: %v", diags)
	}
	for _, path := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			parts := sections(string(raw))
			var in *policies.Integration
			switch {
			case parts["example"] != "":
				in = integrationNamed(examples, strings.TrimSpace(parts["example"]))
				if in == nil {
					t.Fatalf("no integration %q in %s", parts["example"], exampleConfig)
				}
			case parts["mapping"] != "":
				in = compileMapping(t, parts["mapping"])
			default:
				t.Fatal(`the case has neither a "mapping" nor an "example" section`)
			}
			body := parts["body"]
			if f := strings.TrimSpace(parts["body_file"]); f != "" {
				b, err := os.ReadFile(filepath.Join("testdata", f))
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			got := render(generic.Decode(strings.NewReader(body), ingest.Options{Now: received, Integration: in}))
			if *update {
				i := strings.Index(string(raw), "-- want --\n")
				if i < 0 {
					i = len(raw)
				}
				if err := os.WriteFile(path, []byte(string(raw[:i])+"-- want --\n"+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != parts["want"] {
				t.Errorf("decoded differently (go test -run TestMappingGolden -update accepts it)\n--- got:\n%s--- want:\n%s", got, parts["want"])
			}
		})
	}
}

func sections(s string) map[string]string {
	out := map[string]string{}
	locs := section.FindAllStringSubmatchIndex(s, -1)
	for i, loc := range locs {
		end := len(s)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		out[s[loc[2]:loc[3]]] = s[loc[1]:end]
	}
	return out
}

func integrationNamed(cfg *policies.Config, name string) *policies.Integration {
	for _, in := range cfg.Integrations {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// compileMapping loads a config whose one generic integration, "test",
// has the mapping block given.
func compileMapping(t testing.TB, mapping string) *policies.Integration {
	t.Helper()
	dir := t.TempDir()
	hcl := `integration "test" {
  type  = "generic"
  token = env("PAGERD_TEST_TOKEN")
` + mapping + `}
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "all" { escalation = "e" }
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PAGERD_TEST_TOKEN", "t")
	cfg, diags := policies.Load(dir)
	if cfg == nil {
		t.Fatalf("mapping does not compile: %v", diags)
	}
	return integrationNamed(cfg, "test")
}

// render shows what decoding gave: each alert as indented JSON, or the
// refusal with the status it is answered with.
func render(b *ingest.Batch, err error) string {
	if err != nil {
		var de *ingest.DecodeError
		if !errors.As(err, &de) {
			return fmt.Sprintf("error (not a DecodeError): %v\n", err)
		}
		return fmt.Sprintf("%d %s\n", de.HTTPStatus(), de.Error())
	}
	if len(b.Alerts) == 0 && len(b.Rejected) == 0 {
		return "no alerts\n"
	}
	var out bytes.Buffer
	for _, a := range b.Alerts {
		shown := struct {
			Action       string            `json:"action"`
			Fingerprint  string            `json:"fingerprint"`
			DedupKey     string            `json:"dedup_key,omitempty"`
			Labels       map[string]string `json:"labels"`
			Annotations  map[string]string `json:"annotations,omitempty"`
			StartsAt     time.Time         `json:"starts_at"`
			EndsAt       time.Time         `json:"ends_at,omitzero"`
			GeneratorURL string            `json:"source_url,omitempty"`
			Links        []incident.Link   `json:"links,omitempty"`
			Details      json.RawMessage   `json:"details,omitempty"`
		}{string(a.Action), a.Fingerprint, a.DedupKey, a.Labels, a.Annotations, a.StartsAt, a.EndsAt, a.GeneratorURL, a.Links, compact(a.Details)}
		j, err := json.MarshalIndent(shown, "", "  ")
		if err != nil {
			return fmt.Sprintf("cannot show alert: %v\n", err)
		}
		out.Write(j)
		out.WriteByte('\n')
	}
	for _, r := range b.Rejected {
		fmt.Fprintf(&out, "rejected: %d %s\n", r.HTTPStatus(), r.Error())
	}
	return out.String()
}

// compact keeps details short in the golden files: their keys, or the
// value itself when it is small.
func compact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return json.RawMessage(fmt.Sprintf("%q", "invalid JSON: "+err.Error()))
	}
	if buf.Len() <= 120 {
		return buf.Bytes()
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b, _ := json.Marshal(map[string]any{"(kept as sent; keys)": keys})
		return b
	}
	return json.RawMessage(fmt.Sprintf(`"(%d bytes, kept as sent)"`, len(raw)))
}
