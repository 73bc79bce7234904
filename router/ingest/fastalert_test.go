package ingest

import (
	"encoding/json"
	"reflect"
	"testing"
)

// fastAlertSeeds are alerts the fast path takes and alerts it must leave to
// encoding/json.
var fastAlertSeeds = []string{
	`{"status":"firing","labels":{"alertname":"A","instance":"h:9100"},"annotations":{"summary":"s"},"startsAt":"2026-11-27T00:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://x/?a=1","fingerprint":"0123"}`,
	` { "labels" : { } , "annotations" : {"d":"line\nnext \"q\" \\ \/ \t"} } `,
	`{}`, `{"labels":{"a":"b","a":"c"}}`, `{"labels":{"a":"é—ü"}}`,
	`{"labels":null}`, `{"status":null}`, `{"status":1}`, `{"labels":{"a":1}}`, `{"labels":{"a":"b"},"labels":{"c":"d"}}`,
	`{"Status":"firing"}`, `{"LABELS":{"a":"b"}}`, `{"\u006cabels":{"a":"b"}}`, `{"labels":{"a":"\u00e9"}}`,
	`{"x":{"nested":true}}`, `{"x":[1,2]}`, `{"x":3}`, "{\"\u212aey\":\"v\"}", `{"statu\u212a":"v"}`,
	`"not an alert"`, `7`, `null`, `[]`, "{\"labels\":{\"a\":\"\xff\"}}",
}

// TestParseNotifiedAlertSeeds checks the fast path on the seeds (the fuzz
// target runs them as well under plain `go test`) and that it takes the
// shapes senders send.
func TestParseNotifiedAlertSeeds(t *testing.T) {
	for i, s := range fastAlertSeeds[:5] {
		var na NotifiedAlert
		if !ParseNotifiedAlert([]byte(s), &na) {
			t.Errorf("seed %d %s: fast path refused an alert it is for", i, s)
		}
	}
}

// FuzzParseNotifiedAlert holds the fast path to its promise: whenever it
// decodes, it decodes exactly what json.Unmarshal does, and json.Unmarshal
// would not have failed.
func FuzzParseNotifiedAlert(f *testing.F) {
	for _, s := range fastAlertSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // the fast path is only given valid JSON
		}
		var fast NotifiedAlert
		if !ParseNotifiedAlert(raw, &fast) {
			return
		}
		var slow NotifiedAlert
		if err := json.Unmarshal(raw, &slow); err != nil {
			t.Fatalf("%q: fast path decoded what encoding/json refuses: %v", raw, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\nfast %#v\njson %#v", raw, fast, slow)
		}
	})
}
