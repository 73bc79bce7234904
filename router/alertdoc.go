package router

import (
	"encoding/json"
	"slices"
	"time"
	"unicode/utf8"
)

// appendAlertDoc appends the JSON of sa exactly as json.Marshal writes it,
// without reflection, for the alerts that carry no links and no details —
// every alert of Alertmanager, Prometheus and Grafana. Encoding the
// stored document by reflection was the largest single cost of the ingest
// path after decoding. ok is false for any other alert, which the caller
// encodes with json.Marshal (and its errors). TestAlertDocMatchesMarshal
// holds the two to the same bytes.
func appendAlertDoc(b []byte, sa *storedAlert) (_ []byte, ok bool) {
	if sa.Links != nil || sa.Details != nil {
		return b, false
	}
	b = append(b, `{"fingerprint":`...)
	b = appendJSONString(b, sa.Fingerprint)
	if sa.DedupKey != "" {
		b = append(b, `,"dedup_key":`...)
		b = appendJSONString(b, sa.DedupKey)
	}
	b = append(b, `,"status":`...)
	b = appendJSONString(b, sa.Status)
	b = append(b, `,"labels":`...)
	b = appendStringMap(b, sa.Labels)
	if len(sa.Annotations) > 0 {
		b = append(b, `,"annotations":`...)
		b = appendStringMap(b, sa.Annotations)
	}
	b = append(b, `,"startsAt":`...)
	b = appendJSONTime(b, sa.StartsAt)
	if !sa.EndsAt.IsZero() {
		b = append(b, `,"endsAt":`...)
		b = appendJSONTime(b, sa.EndsAt)
	}
	for _, f := range [...]struct{ key, v string }{
		{`,"generatorURL":`, sa.GeneratorURL}, {`,"client":`, sa.Client}, {`,"client_url":`, sa.ClientURL},
	} {
		if f.v != "" {
			b = append(b, f.key...)
			b = appendJSONString(b, f.v)
		}
	}
	b = append(b, `,"integration":`...)
	b = appendJSONString(b, sa.Integration)
	return append(b, '}'), true
}

// appendStringMap writes m as json.Marshal does: null when nil, keys
// sorted.
func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// appendJSONTime writes t as time.Time's MarshalJSON does for the years
// 0000 to 9999, the only ones encodeAlert lets through.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONString writes s quoted. A string that encoding/json writes as
// it is (printable ASCII other than its escaped characters " \ < > &) is
// copied; any other is left to encoding/json, for its exact escaping of
// control characters, HTML characters, U+2028, U+2029 and invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	for i := range len(s) {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
