package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// outputFlag adds -o/--output to a listing verb: "table" for people (the
// default), "json" for scripts.
func outputFlag(cmd *cobra.Command) *choice {
	return choiceFlag(cmd, "output", "o", "output format; json is documented in the help above", "table", "json")
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
