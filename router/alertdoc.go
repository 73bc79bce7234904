package router

import (
	"time"

	"github.com/pagerd/pagerd/internal/jsonenc"
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
	b = jsonenc.AppendString(b, sa.Fingerprint)
	if sa.DedupKey != "" {
		b = append(b, `,"dedup_key":`...)
		b = jsonenc.AppendString(b, sa.DedupKey)
	}
	b = append(b, `,"status":`...)
	b = jsonenc.AppendString(b, sa.Status)
	b = append(b, `,"labels":`...)
	b = jsonenc.AppendStringMap(b, sa.Labels)
	if len(sa.Annotations) > 0 {
		b = append(b, `,"annotations":`...)
		b = jsonenc.AppendStringMap(b, sa.Annotations)
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
			b = jsonenc.AppendString(b, f.v)
		}
	}
	b = append(b, `,"integration":`...)
	b = jsonenc.AppendString(b, sa.Integration)
	return append(b, '}'), true
}

// appendJSONTime writes t as time.Time's MarshalJSON does for the years
// 0000 to 9999, the only ones encodeAlert lets through.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
