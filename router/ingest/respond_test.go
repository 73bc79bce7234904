package ingest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/incident"
)

// A batch stores what it can and answers so that no sender drops the
// stored alerts or resends the batch: 207 when some were refused, the 4xx
// of the problems only when every alert was.
func TestAnswer(t *testing.T) {
	invalid := func(i int) *DecodeError { return Invalidf(i, "labels", "alert has no labels") }
	malformed := func(i int) *DecodeError {
		return &DecodeError{Kind: Malformed, Index: i, Offset: 1, Reason: "JSON string where an object was expected"}
	}
	stored := func(i int) Result {
		return Result{Index: i, Alert: &Alert{Fingerprint: "f"}, Outcome: incident.AlertTriggered, IncidentID: 1}
	}
	tests := []struct {
		name     string
		rejected []*DecodeError
		stored   []Result
		want     int
		order    string
	}{
		{"empty", nil, nil, 200, ""},
		{"all stored", nil, []Result{stored(0), stored(1)}, 200, "triggered triggered"},
		{"some refused", []*DecodeError{invalid(1)}, []Result{stored(0), stored(2)}, 207, "triggered rejected triggered"},
		{"refused by the router", nil, []Result{stored(0), {Index: 1, Outcome: incident.AlertRejected, Err: invalid(1)}}, 207, "triggered rejected"},
		{"all invalid", []*DecodeError{invalid(0), malformed(1)}, nil, 422, "rejected rejected"},
		{"all malformed", []*DecodeError{malformed(0)}, nil, 400, "rejected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			all, status := Answer(&Batch{Rejected: tc.rejected}, tc.stored)
			if status != tc.want {
				t.Errorf("status %d, want %d", status, tc.want)
			}
			var order []string
			for i, r := range all {
				order = append(order, string(r.Outcome))
				if r.Index != i {
					t.Errorf("result %d has Index %d", i, r.Index)
				}
			}
			if got := strings.Join(order, " "); got != tc.order {
				t.Errorf("outcomes %q, want %q", got, tc.order)
			}
		})
	}
}

func TestRespondStored(t *testing.T) {
	b := &Batch{Rejected: []*DecodeError{Invalidf(1, "labels", "alert has no labels")}}
	all, status := Answer(b, []Result{{Index: 0, Alert: &Alert{Fingerprint: "a4968fcd8858e3e5"}, IncidentID: 3, Outcome: incident.AlertGrouped}})
	rec := httptest.NewRecorder()
	RespondStored(rec, b, all, status)
	want := `{"status":"partial","alerts":[{"fingerprint":"a4968fcd8858e3e5","incident":3,"outcome":"grouped"},{"outcome":"rejected","error":"alerts[1].labels: alert has no labels"}]}` + "\n"
	if rec.Code != http.StatusMultiStatus || rec.Body.String() != want {
		t.Errorf("answer %d %s\nwant 207 %s", rec.Code, rec.Body, want)
	}
}

func TestCollectAndPosition(t *testing.T) {
	b := &Batch{}
	for i, err := range []error{nil, Invalidf(1, "status", "x"), Invalidf(2, "labels", "y"), nil, nil, Invalidf(5, "", "z"), nil} {
		if err := b.Collect(Alert{Fingerprint: string(rune('a' + i))}, err); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []int{0, 3, 4, 6} {
		if got := b.Position(i); got != want {
			t.Errorf("Position(%d) = %d, want %d", i, got, want)
		}
		if b.Alerts[i].Fingerprint != string(rune('a'+want)) {
			t.Errorf("alert %d is %q, want the one at position %d", i, b.Alerts[i].Fingerprint, want)
		}
	}
	if err := b.Collect(Alert{}, Invalidf(-1, "version", "wrong")); err == nil {
		t.Error("an error about the whole payload was taken as one alert's")
	}
}

// RespondStored writes by hand what encoding/json writes for a
// StoredAnswer.
func TestStoredAnswerMatchesEncodingJSON(t *testing.T) {
	odd := "<a & b>\u2028\"q\"\\ \x01 \xff é"
	cases := [][]Result{
		nil,
		{{Alert: &Alert{Fingerprint: "f1"}, IncidentID: 12, Outcome: incident.AlertTriggered}},
		{
			{Alert: &Alert{Fingerprint: odd, DedupKey: odd}, IncidentID: -3, Outcome: incident.AlertOutcome(odd)},
			{Alert: &Alert{DedupKey: "k"}, Outcome: incident.AlertDeduplicated},
			{Outcome: incident.AlertRejected, Err: Invalidf(2, "labels", "bad %s", odd)},
			{Alert: &Alert{}, Outcome: ""},
			{Outcome: incident.AlertRejected, Err: &DecodeError{}},
		},
	}
	for i, results := range cases {
		out := StoredAnswer{Status: "success", Alerts: make([]StoredAlert, len(results))}
		for j, r := range results {
			a := StoredAlert{Incident: r.IncidentID, Outcome: r.Outcome}
			if r.Alert != nil {
				a.Fingerprint, a.DedupKey = r.Alert.Fingerprint, r.Alert.DedupKey
			}
			if r.Err != nil {
				a.Error = r.Err.Error()
				out.Status = "partial"
			}
			out.Alerts[j] = a
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(out); err != nil {
			t.Fatal(err)
		}
		if got := appendStoredAnswer(nil, results); string(got) != want.String() {
			t.Errorf("case %d: appendStoredAnswer = %s\nwant %s", i, got, want.String())
		}
	}
}

// BenchmarkRespondStored answers a request of 100 stored alerts.
func BenchmarkRespondStored(b *testing.B) {
	results := make([]Result, 100)
	for i := range results {
		results[i] = Result{Index: i, Alert: &Alert{Fingerprint: "a4968fcd8858e3e5"}, IncidentID: int64(1000 + i), Outcome: incident.AlertGrouped}
	}
	batch, w := &Batch{}, discardResponse{http.Header{}}
	for b.Loop() {
		RespondStored(w, batch, results, http.StatusOK)
	}
}

// discardResponse is an http.ResponseWriter that keeps nothing.
type discardResponse struct{ h http.Header }

func (d discardResponse) Header() http.Header         { return d.h }
func (d discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d discardResponse) WriteHeader(int)             {}
