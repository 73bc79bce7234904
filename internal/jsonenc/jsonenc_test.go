package jsonenc

import (
	"encoding/json"
	"testing"
)

// FuzzMatchesMarshal: whatever a string or a map of strings holds, the
// bytes are json.Marshal's. Plain `go test` runs the seeds.
func FuzzMatchesMarshal(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " back \ slash`, "<b>&amp;</b>", "line\nbreak\ttab\x01\x7f",
		"é—ü 日本", "\u2028\u2029", "bad \xff utf8 \xed\xa0\x80", "emoji 🚨"} {
		f.Add(s, s+"k")
	}
	f.Fuzz(func(t *testing.T, s, k string) {
		for _, v := range []any{s, map[string]string{k: s, s: k, "alertname": s}, map[string]string{}, map[string]string(nil)} {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			switch v := v.(type) {
			case string:
				got = AppendString(nil, v)
			case map[string]string:
				got = AppendStringMap(nil, v)
			}
			if string(got) != string(want) {
				t.Fatalf("%#v:\n got %s\nwant %s", v, got, want)
			}
		}
	})
}
