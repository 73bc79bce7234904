package pagerduty

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pagerd/pagerd/router/ingest"
)

// go-pagerduty, PagerDuty's own Go client, reads a refusal into its
// EventsAPIV2Error: the problems and whether to retry must survive.
func TestGoPagerDutyReadsRefusals(t *testing.T) {
	tests := []struct {
		refusal   ingest.Refusal
		badReq    bool
		temporary bool
		errors    []string
	}{
		{ingest.Refusal{Status: 422, Problems: []string{"'payload.source' is missing or blank"}}, true, false, []string{"'payload.source' is missing or blank"}},
		{ingest.Refusal{Status: 401}, true, false, []string{"Invalid routing key"}},
		{ingest.Refusal{Status: 429}, false, true, []string{"Enhance Your Calm."}},
		{ingest.Refusal{Status: 503, Message: "retry later"}, false, true, nil},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		refuse(rec, tc.refusal)
		var e pagerduty.EventsAPIV2Error
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("%d: go-pagerduty cannot read %s: %v", tc.refusal.Status, rec.Body, err)
		}
		e.StatusCode = rec.Code
		if !e.APIError.Valid || e.BadRequest() != tc.badReq || e.Temporary() != tc.temporary ||
			len(e.APIError.ErrorObject.Errors) != len(tc.errors) {
			t.Errorf("%d: go-pagerduty reads %+v (bad request %v, temporary %v), want errors %q", tc.refusal.Status, e, e.BadRequest(), e.Temporary(), tc.errors)
		}
		for i := range tc.errors {
			if e.APIError.ErrorObject.Errors[i] != tc.errors[i] {
				t.Errorf("%d: errors = %q, want %q", tc.refusal.Status, e.APIError.ErrorObject.Errors, tc.errors)
			}
		}
	}
}
