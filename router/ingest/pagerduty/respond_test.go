package pagerduty

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pagerd/pagerd/router/ingest"
)

// The exact bytes senders get; see respond.go for where each comes from.
func TestAnswerBytes(t *testing.T) {
	tests := []struct {
		name  string
		write func(http.ResponseWriter)
		code  int
		body  string
	}{
		{"event accepted", func(w http.ResponseWriter) {
			respondEvent(w, &ingest.Batch{Alerts: []ingest.Alert{{DedupKey: "srv01/HTTP"}}}, nil, 200)
		}, 202, `{"status":"success","message":"Event processed","dedup_key":"srv01/HTTP"}`},
		{"key sent back unescaped", func(w http.ResponseWriter) {
			respondEvent(w, &ingest.Batch{Alerts: []ingest.Alert{{DedupKey: `a<b>&"c"`}}}, nil, 200)
		}, 202, `{"status":"success","message":"Event processed","dedup_key":"a<b>&\"c\""}`},
		{"change accepted", func(w http.ResponseWriter) {
			respondChange(w, &ingest.Batch{}, nil, 200)
		}, 202, `{"status":"success","message":"Change event processed"}`},
		{"invalid event", func(w http.ResponseWriter) {
			refuse(w, ingest.Refusal{Status: 422, Message: "invalid payload: ...",
				Problems: []string{"'payload.summary' is missing or blank", "'payload.severity' is missing or blank"}})
		}, 400, `{"status":"invalid event","message":"Event object is invalid","errors":["'payload.summary' is missing or blank","'payload.severity' is missing or blank"]}`},
		{"not JSON", func(w http.ResponseWriter) {
			refuse(w, ingest.Refusal{Status: 400, Message: "invalid payload: malformed JSON: invalid character 'o' in literal null"})
		}, 400, `{"status":"Unrecognized object","message":"Event object format is unrecognized","errors":["JSON parse error"]}`},
		{"unknown routing key", func(w http.ResponseWriter) {
			refuse(w, ingest.Refusal{Status: 401, Message: "unknown integration token", Problems: []string{"unknown integration token"}})
		}, 400, `{"status":"invalid event","message":"Event object is invalid","errors":["Invalid routing key"]}`},
		{"routing key of another integration type", func(w http.ResponseWriter) {
			refuse(w, ingest.Refusal{Status: 403, Message: "integration am is of type alertmanager and may not use this endpoint"})
		}, 400, `{"status":"invalid event","message":"Event object is invalid","errors":["Invalid routing key: integration am is of type alertmanager and may not use this endpoint"]}`},
		{"rate limited", func(w http.ResponseWriter) {
			refuse(w, ingest.Refusal{Status: 429, Message: "integration pd is over its rate_limit of 1/h; retry later"})
		}, 429, `{"status":"throttle exceeded","message":"Requests for this service are arriving too quickly.  Please retry later.","errors":["Enhance Your Calm."]}`},
		{"store unavailable", func(w http.ResponseWriter) {
			refuse(w, ingest.Refusal{Status: 503, Message: "alerts not stored: state store unavailable, retry later"})
		}, 503, `{"status":"Service Unavailable","message":"alerts not stored: state store unavailable, retry later"}`},
		{"body over the limit", func(w http.ResponseWriter) {
			refuse(w, ingest.Refusal{Status: 413, Message: "body larger than the limit of 4 MiB"})
		}, 400, `{"status":"invalid event","message":"Event object is invalid","errors":["body larger than the limit of 4 MiB"]}`},
		{"content type not JSON", func(w http.ResponseWriter) {
			refuse(w, ingest.Refusal{Status: 415, Message: "content type must be application/json, not text/plain"})
		}, 400, `{"status":"invalid event","message":"Event object is invalid","errors":["content type must be application/json, not text/plain"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tc.write(rec)
			if rec.Code != tc.code || rec.Body.String() != tc.body {
				t.Errorf("answer = %d %s\n    want %d %s", rec.Code, rec.Body, tc.code, tc.body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
		})
	}
}
