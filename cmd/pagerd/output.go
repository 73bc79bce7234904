package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// outputFlag adds -o/--output to a listing verb: "table" for people (the
// default), "json" for scripts.
func outputFlag(cmd *cobra.Command) *choice {
	return choiceFlag(cmd, "output", "o", "output format; json is documented in the help above", "table", "json")
}

// formatFlag adds -o/--output to a verb whose answer scripts read: "table"
// for people (the default), "json" or "yaml" (the same document, the same
// keys) for scripts.
func formatFlag(cmd *cobra.Command) *choice {
	return choiceFlag(cmd, "output", "o", "output format; json is documented in the help above, yaml has the same keys", "table", "json", "yaml")
}

// structured reports whether output asks for a document, not a table.
func structured(output *choice) bool { return output.String() != "table" }

// writeData writes v as the document output asks for: JSON, or the same
// in YAML.
func writeData(w io.Writer, output *choice, v any) error {
	if output.String() == "yaml" {
		return writeYAML(w, v)
	}
	return writeJSON(w, v)
}

// writeYAML writes v as YAML with exactly the keys, order and values of
// its JSON: it is encoded to JSON (so json tags and jsonTime apply), read
// as YAML (JSON is YAML), and written in block style. Strings stay
// strings ("123", "true" are quoted), nulls stay null.
func writeYAML(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("yaml output: %w", err)
	}
	blockStyle(&doc)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	return enc.Close()
}

// blockStyle drops JSON's flow style and quotes, which yaml keeps from
// the JSON it read: the encoder quotes again any string that needs it.
func blockStyle(n *yaml.Node) {
	if n.Kind != yaml.ScalarNode || n.Style == yaml.DoubleQuotedStyle {
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// writeJSON writes v as indented JSON with a trailing newline: readable in a
// terminal, one document for jq.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonTime is a time in JSON output: RFC 3339 in the zone it carries, with
// fractional seconds only when it has them, and null when unset, so every
// key is always present.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(tt.Format(time.RFC3339Nano))
}
