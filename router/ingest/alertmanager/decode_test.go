package alertmanager

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest"
)

var now = time.Date(2026, 11, 24, 1, 12, 20, 0, time.UTC)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func fixture(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// alertsOf is a batch's alerts and its first problem: the error about
// the payload, else the first alert refused.
func alertsOf(b *ingest.Batch, err error) ([]ingest.Alert, error) {
	switch {
	case err != nil:
		return nil, err
	case len(b.Rejected) > 0:
		return b.Alerts, b.Rejected[0]
	}
	return b.Alerts, nil
}

var checkoutLabels = map[string]string{
	"alertname": "CheckoutDown",
	"service":   "checkout",
	"severity":  "critical",
	"team":      "payments",
}

func TestAlertmanagerWebhookFixture(t *testing.T) {
	got, err := alertsOf(DecodeWebhook(fixture(t, "alertmanager-0.25-webhook-firing.json"), now))
	if err != nil {
		t.Fatal(err)
	}
	want := []ingest.Alert{{
		Action:       incident.AlertTrigger,
		Labels:       checkoutLabels,
		Annotations:  map[string]string{"summary": "checkout is down (acceptance)"},
		StartsAt:     mustTime(t, "2026-11-24T01:12:14.578Z"),
		GeneratorURL: "http://vm:29090/graph?g0.expr=vector%281%29&g0.tab=1",
		// The fingerprint Alertmanager itself put in the payload.
		Fingerprint: "a4968fcd8858e3e5",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestAPIv2Fixture(t *testing.T) {
	got, err := alertsOf(DecodeAPIv2(fixture(t, "prometheus-2.42-api-v2-alerts.json"), now, 5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	endsAt := mustTime(t, "2026-11-24T01:12:28.578Z")
	want := []ingest.Alert{{
		Action:       incident.AlertTrigger,
		Labels:       checkoutLabels,
		Annotations:  map[string]string{"summary": "checkout is down (acceptance)"},
		StartsAt:     mustTime(t, "2026-11-24T01:12:14.578Z"),
		EndsAt:       endsAt,
		GeneratorURL: "http://vm:29090/graph?g0.expr=vector%281%29&g0.tab=1",
		Fingerprint:  "a4968fcd8858e3e5", // same labels, same fingerprint as the webhook
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{now, false},
		{endsAt.Add(-time.Millisecond), false},
		{endsAt, true},
		{endsAt.Add(time.Hour), true},
	} {
		// Received again at tc.at, the same alert fires until its endsAt.
		again, err := alertsOf(DecodeAPIv2(fixture(t, "prometheus-2.42-api-v2-alerts.json"), tc.at, 5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if r := again[0].Action == incident.AlertResolve; r != tc.want {
			t.Errorf("received at %s: action %s, want resolved %v", tc.at.Format(time.RFC3339Nano), again[0].Action, tc.want)
		}
	}
}

// An empty batch is no error on either endpoint: Alertmanager answers an
// empty /api/v2/alerts array with 200, and never sends an empty webhook.
func TestEmptyBatches(t *testing.T) {
	for _, tc := range []struct {
		webhook bool
		body    string
	}{
		{false, `[]`}, {false, " [ ]\n"},
		{true, `{"version":"4","alerts":[]}`}, {true, `{"version":"4","alerts":null}`}, {true, `{"version":"4"}`},
	} {
		var b *ingest.Batch
		var err error
		if tc.webhook {
			b, err = DecodeWebhook(strings.NewReader(tc.body), now)
		} else {
			b, err = DecodeAPIv2(strings.NewReader(tc.body), now, time.Minute)
		}
		if err != nil || len(b.Alerts) != 0 || len(b.Rejected) != 0 {
			t.Errorf("decode %q = %+v, %v; want an empty batch and no error", tc.body, b, err)
		}
	}
}

// One bad alert costs only itself: the others of the payload decode, and
// each refused one is named by its position in the payload.
func TestBadAlertsAreRejectedAlone(t *testing.T) {
	const good = `{"status":"firing","labels":{"alertname":"A%d"}}`
	webhook := `{"version":"4","alerts":[` + strings.Join([]string{
		fmt.Sprintf(good, 0),
		`{"status":"firing","labels":{}}`,
		fmt.Sprintf(good, 2),
		`"not an alert"`,
		`{"status":"pending","labels":{"alertname":"P"}}`,
		fmt.Sprintf(good, 5),
	}, ",") + `]}`
	v2 := `[{"labels":{"alertname":"A0"}},{"labels":{"a.b":"c"}},{"labels":{"alertname":"A2"}},7,{"labels":{"alertname":"X"},"startsAt":"soon"},{"labels":{"alertname":"A5"}}]`
	for name, decode := range map[string]func() (*ingest.Batch, error){
		"webhook": func() (*ingest.Batch, error) { return DecodeWebhook(strings.NewReader(webhook), now) },
		"API v2":  func() (*ingest.Batch, error) { return DecodeAPIv2(strings.NewReader(v2), now, time.Minute) },
	} {
		t.Run(name, func(t *testing.T) {
			b, err := decode()
			if err != nil {
				t.Fatal(err)
			}
			var names, refused []string
			for _, a := range b.Alerts {
				names = append(names, a.Labels["alertname"])
			}
			for _, r := range b.Rejected {
				refused = append(refused, fmt.Sprintf("alerts[%d]", r.Index))
				if !strings.HasPrefix(r.Error(), fmt.Sprintf("alerts[%d]", r.Index)) {
					t.Errorf("refusal %q does not name alerts[%d]", r.Error(), r.Index)
				}
			}
			if got := strings.Join(names, " "); got != "A0 A2 A5" {
				t.Errorf("decoded %q, want A0 A2 A5", got)
			}
			if got := strings.Join(refused, " "); got != "alerts[1] alerts[3] alerts[4]" {
				t.Errorf("refused %q, want alerts[1] alerts[3] alerts[4]", got)
			}
			for i, want := range []int{0, 2, 5} {
				if got := b.Position(i); got != want {
					t.Errorf("Position(%d) = %d, want %d", i, got, want)
				}
			}
		})
	}
}

func TestWebhookTimes(t *testing.T) {
	const start = "2026-11-24T01:00:00Z"
	tests := []struct {
		name               string
		status, start, end string
		wantStart, wantEnd time.Time
	}{
		{"firing drops endsAt", "firing", start, "2026-11-24T02:00:00Z", mustTime(t, start), time.Time{}},
		{"firing zero endsAt", "firing", start, "0001-01-01T00:00:00Z", mustTime(t, start), time.Time{}},
		{"firing without startsAt", "firing", "", "", now, time.Time{}},
		{"resolved keeps endsAt", "resolved", start, "2026-11-24T01:10:00Z", mustTime(t, start), mustTime(t, "2026-11-24T01:10:00Z")},
		{"resolved endsAt equal startsAt", "resolved", start, start, mustTime(t, start), mustTime(t, start)},
		{"resolved without endsAt", "resolved", start, "0001-01-01T00:00:00Z", mustTime(t, start), now},
		{"resolved endsAt ahead of our clock", "resolved", start, "2026-11-24T03:00:00Z", mustTime(t, start), now},
		{"resolved both ahead of our clock", "resolved", "2026-11-24T02:00:00Z", "2026-11-24T03:00:00Z", now, now},
		{"offset normalized to UTC", "resolved", "2026-11-24T02:00:00+02:00", "2026-11-24T03:00:00+02:00", mustTime(t, "2026-11-24T00:00:00Z"), mustTime(t, "2026-11-24T01:00:00Z")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"version":"4","alerts":[{"status":"` + tc.status + `","labels":{"a":"b"},"startsAt":"` + tc.start + `","endsAt":"` + tc.end + `"}]}`
			got, err := alertsOf(DecodeWebhook(strings.NewReader(body), now))
			if err != nil {
				t.Fatal(err)
			}
			a := got[0]
			if !a.StartsAt.Equal(tc.wantStart) || !a.EndsAt.Equal(tc.wantEnd) {
				t.Errorf("StartsAt, EndsAt = %s, %s; want %s, %s", a.StartsAt, a.EndsAt, tc.wantStart, tc.wantEnd)
			}
			if a.StartsAt.Location() != time.UTC || a.EndsAt.Location() != time.UTC {
				t.Errorf("times not in UTC: %v %v", a.StartsAt.Location(), a.EndsAt.Location())
			}
			if r := a.Action == incident.AlertResolve; r != (tc.status == "resolved") {
				t.Errorf("action %s for status %s", a.Action, tc.status)
			}
		})
	}
}

// TestAPIv2Defaults pins Alertmanager's postAlertsHandler defaults.
func TestAPIv2Defaults(t *testing.T) {
	const rt = 5 * time.Minute
	past, future := "2026-11-24T01:00:00Z", "2026-11-24T02:00:00Z"
	tests := []struct {
		name               string
		times              string
		timeout            time.Duration
		wantStart, wantEnd time.Time
		wantResolved       bool
	}{
		{"no times", ``, rt, now, now.Add(rt), false},
		{"no times, default timeout", ``, 0, now, now.Add(DefaultResolveTimeout), false},
		{"null times", `"startsAt":null,"endsAt":null,`, rt, now, now.Add(rt), false},
		{"zero times", `"startsAt":"0001-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z",`, rt, now, now.Add(rt), false},
		// endsAt counts from now, not from startsAt.
		{"startsAt only", `"startsAt":"` + past + `",`, rt, mustTime(t, past), now.Add(rt), false},
		{"endsAt in the past only", `"endsAt":"` + past + `",`, rt, mustTime(t, past), mustTime(t, past), true},
		{"endsAt in the future only", `"endsAt":"` + future + `",`, rt, mustTime(t, future), mustTime(t, future), false},
		{"endsAt now is resolved", `"startsAt":"` + past + `","endsAt":"` + now.Format(time.RFC3339) + `",`, rt, mustTime(t, past), now, true},
		{"both set, firing", `"startsAt":"` + past + `","endsAt":"` + future + `",`, rt, mustTime(t, past), mustTime(t, future), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := `[{` + tc.times + `"labels":{"alertname":"X"}}]`
			got, err := alertsOf(DecodeAPIv2(strings.NewReader(body), now, tc.timeout))
			if err != nil {
				t.Fatal(err)
			}
			a := got[0]
			if !a.StartsAt.Equal(tc.wantStart) || !a.EndsAt.Equal(tc.wantEnd) {
				t.Errorf("StartsAt, EndsAt = %s, %s; want %s, %s", a.StartsAt, a.EndsAt, tc.wantStart, tc.wantEnd)
			}
			if r := a.Action == incident.AlertResolve; r != tc.wantResolved {
				t.Errorf("action %s, want resolved %v", a.Action, tc.wantResolved)
			}
		})
	}
}

func TestEmptyLabelValuesDropped(t *testing.T) {
	withEmpty, err := alertsOf(DecodeAPIv2(strings.NewReader(`[{"labels":{"alertname":"X","instance":""}}]`), now, 0))
	if err != nil {
		t.Fatal(err)
	}
	without, err := alertsOf(DecodeAPIv2(strings.NewReader(`[{"labels":{"alertname":"X"}}]`), now, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := withEmpty[0].Labels["instance"]; ok {
		t.Error("empty label value kept")
	}
	if withEmpty[0].Fingerprint != without[0].Fingerprint {
		t.Errorf("fingerprints differ: %s vs %s", withEmpty[0].Fingerprint, without[0].Fingerprint)
	}
	// An empty value is dropped before its name is checked, as in Alertmanager.
	if _, err := alertsOf(DecodeAPIv2(strings.NewReader(`[{"labels":{"alertname":"X","bad-name":""}}]`), now, 0)); err != nil {
		t.Errorf("empty value under an invalid name: %v", err)
	}
}

func TestManyAlertsKeepOrder(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"version":"4","alerts":[`)
	for i := range ingest.MaxAlerts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"status":"firing","labels":{"n":"` + strings.Repeat("x", i%7+1) + `"}}`)
	}
	b.WriteString(`]}`)
	got, err := alertsOf(DecodeWebhook(strings.NewReader(b.String()), now))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != ingest.MaxAlerts {
		t.Fatalf("got %d alerts, want %d", len(got), ingest.MaxAlerts)
	}
	for i, a := range got {
		if want := strings.Repeat("x", i%7+1); a.Labels["n"] != want {
			t.Fatalf("alert %d has n=%q, want %q", i, a.Labels["n"], want)
		}
	}
}

func manyV2(n int) string {
	return "[" + strings.Repeat(`{"labels":{"a":"b"}},`, n-1) + `{"labels":{"a":"b"}}]`
}

func manyWebhook(n int) string {
	return `{"version":"4","alerts":[` + strings.Repeat(`{"status":"firing","labels":{"a":"b"}},`, n-1) + `{"status":"firing","labels":{"a":"b"}}]}`
}

// anyOffset stands for any byte offset: where encoding/json places a syntax
// error is its business.
const anyOffset = -2

func TestDecodeErrors(t *testing.T) {
	const wh = `{"version":"4","alerts":[%s]}`
	webhook := func(alert string) string { return strings.Replace(wh, "%s", alert, 1) }
	type want struct {
		kind   ingest.ErrorKind
		index  int
		field  string
		offset int64
		msg    string
	}
	tests := []struct {
		name    string
		webhook bool
		body    string
		want    want
	}{
		// Alertmanager webhook.
		{"webhook empty body", true, ``, want{ingest.Malformed, -1, "", 0, "empty body, want a JSON payload"}},
		{"webhook syntax", true, `{"version":"4",}`, want{ingest.Malformed, -1, "", anyOffset, "malformed JSON: invalid character '}'"}},
		{"webhook truncated", true, `{"version":"4","alerts":[`, want{ingest.Malformed, -1, "", 25, "at byte 25: malformed JSON: unexpected end of input"}},
		{"webhook not an object", true, `[]`, want{ingest.Malformed, -1, "", 1, "at byte 1: JSON array where an object was expected"}},
		{"webhook trailing data", true, webhook(`{"status":"firing","labels":{"a":"b"}}`) + `{}`, want{ingest.Malformed, -1, "", 65, "unexpected data after the JSON payload"}},
		{"webhook no version", true, `{"alerts":[]}`, want{ingest.Invalid, -1, "version", -1, `version: unsupported Alertmanager webhook version "", want "4"`}},
		{"webhook version 3", true, `{"version":"3","alerts":[{"status":"firing","labels":{"a":"b"}}]}`, want{ingest.Invalid, -1, "version", -1, `unsupported Alertmanager webhook version "3"`}},
		{"webhook version as number", true, `{"version":4}`, want{ingest.Malformed, -1, "version", 12, "version at byte 12: JSON number where a string was expected"}},
		{"webhook too many", true, manyWebhook(ingest.MaxAlerts + 1), want{ingest.TooMany, -1, "", -1, "1001 alerts in one request, at most 1000 are accepted"}},
		{"webhook unknown status", true, webhook(`{"status":"pending","labels":{"a":"b"}}`), want{ingest.Invalid, 0, "status", -1, `alerts[0].status: unknown status "pending", want "firing" or "resolved"`}},
		{"webhook no status", true, webhook(`{"labels":{"a":"b"}}`), want{ingest.Invalid, 0, "status", -1, `unknown status ""`}},
		{"webhook null alert", true, webhook(`null`), want{ingest.Invalid, 0, "status", -1, `unknown status ""`}},
		{"webhook no labels", true, webhook(`{"status":"firing","labels":{}}`), want{ingest.Invalid, 0, "labels", -1, "alerts[0].labels: alert has no labels"}},
		{"webhook only empty labels", true, webhook(`{"status":"firing","labels":{"a":""}}`), want{ingest.Invalid, 0, "labels", -1, "alert has no labels (labels with empty values are ignored)"}},
		{"webhook bad label name", true, webhook(`{"status":"firing","labels":{"a":"b"}},{"status":"firing","labels":{"a.b":"c"}}`), want{ingest.Invalid, 1, "labels", -1, `alerts[1].labels: invalid label name "a.b": must match [a-zA-Z_][a-zA-Z0-9_]*`}},
		{"webhook label value not a string", true, webhook(`{"status":"firing","labels":{"a":1}}`), want{ingest.Malformed, 0, "labels", anyOffset, "alerts[0].labels at byte "}},
		{"webhook alert not an object", true, webhook(`"x"`), want{ingest.Malformed, 0, "", 3, "alerts[0] at byte 3: JSON string where an object was expected"}},
		{"webhook bad startsAt", true, webhook(`{"status":"firing","labels":{"a":"b"},"startsAt":"yesterday"}`), want{ingest.Invalid, 0, "startsAt", -1, `alerts[0].startsAt: "yesterday" is not an RFC 3339 time`}},
		{"webhook bad endsAt", true, webhook(`{"status":"firing","labels":{"a":"b"},"endsAt":"2026-11-24"}`), want{ingest.Invalid, 0, "endsAt", -1, `"2026-11-24" is not an RFC 3339 time`}},
		// Valid RFC 3339, but outside the years 0000-9999 in UTC: pagerd
		// cannot keep them, so they are the alert's fault, not the store's.
		{"webhook endsAt past year 9999 in UTC", true, webhook(`{"status":"firing","labels":{"a":"b"}},{"status":"resolved","labels":{"a":"c"},"startsAt":"2026-11-24T01:00:00Z","endsAt":"9999-12-31T23:59:59-23:59"}`), want{ingest.Invalid, 1, "endsAt", -1, `alerts[1].endsAt: "9999-12-31T23:59:59-23:59" is out of range`}},
		{"webhook startsAt before year 0 in UTC", true, webhook(`{"status":"firing","labels":{"a":"b"},"startsAt":"0000-01-01T00:00:00+23:59"}`), want{ingest.Invalid, 0, "startsAt", -1, `alerts[0].startsAt: "0000-01-01T00:00:00+23:59" is out of range`}},
		{"webhook resolved before start", true, webhook(`{"status":"resolved","labels":{"a":"b"},"startsAt":"2026-11-24T01:00:00Z","endsAt":"2026-11-24T00:00:00Z"}`), want{ingest.Invalid, 0, "endsAt", -1, "alerts[0].endsAt: endsAt 2026-11-24T00:00:00Z is before startsAt 2026-11-24T01:00:00Z"}},

		// API v2.
		{"v2 empty body", false, ``, want{ingest.Malformed, -1, "", 0, "empty body"}},
		{"v2 whitespace body", false, " \n", want{ingest.Malformed, -1, "", 2, "empty body"}},
		{"v2 object", false, `{"labels":{"a":"b"}}`, want{ingest.Malformed, -1, "", 0, "want a JSON array of alerts"}},
		{"v2 null", false, `null`, want{ingest.Malformed, -1, "", 0, "want a JSON array of alerts"}},
		{"v2 syntax", false, `[{"labels":{"a":"b"}},]`, want{ingest.Malformed, -1, "", anyOffset, "malformed JSON: invalid character ']'"}},
		{"v2 truncated", false, `[{"labels":{"a":"b"}}`, want{ingest.Malformed, -1, "", 21, "at byte 21: malformed JSON: unexpected end of input"}},
		{"v2 trailing data", false, `[{"labels":{"a":"b"}}] x`, want{ingest.Malformed, -1, "", 22, "unexpected data after the JSON payload"}},
		{"v2 too many", false, manyV2(ingest.MaxAlerts + 1), want{ingest.TooMany, -1, "", -1, "1001 alerts in one request, at most 1000 are accepted"}},
		{"v2 no labels", false, `[{"labels":{"a":"b"}},{"annotations":{"summary":"x"}}]`, want{ingest.Invalid, 1, "labels", -1, "alerts[1].labels: alert has no labels"}},
		{"v2 null alert", false, `[null]`, want{ingest.Invalid, 0, "labels", -1, "alert has no labels"}},
		{"v2 number alert", false, `[1]`, want{ingest.Malformed, 0, "", 1, "alerts[0] at byte 1: JSON number where an object was expected"}},
		{"v2 labels an array", false, `[{"labels":["a"]}]`, want{ingest.Malformed, 0, "labels", 11, "JSON array where an object was expected"}},
		{"v2 UTF-8 label name", false, `[{"labels":{"région":"eu"}}]`, want{ingest.Invalid, 0, "labels", -1, `invalid label name "région"`}},
		{"v2 label name with digit first", false, `[{"labels":{"1a":"b"}}]`, want{ingest.Invalid, 0, "labels", -1, `invalid label name "1a"`}},
		{"v2 endsAt before startsAt", false, `[{"labels":{"a":"b"},"startsAt":"2026-11-24T01:00:00Z","endsAt":"2026-11-24T00:59:59.999Z"}]`, want{ingest.Invalid, 0, "endsAt", -1, "endsAt 2026-11-24T00:59:59.999Z is before startsAt 2026-11-24T01:00:00Z"}},
		// Alertmanager rejects this too: the default endsAt (now+timeout) is before a far-future startsAt.
		{"v2 startsAt beyond default endsAt", false, `[{"labels":{"a":"b"},"startsAt":"2026-11-25T00:00:00Z"}]`, want{ingest.Invalid, 0, "endsAt", -1, "is before startsAt 2026-11-25T00:00:00Z"}},
		{"v2 bad time", false, `[{"labels":{"a":"b"},"startsAt":"2026-11-24 01:00:00"}]`, want{ingest.Invalid, 0, "startsAt", -1, `"2026-11-24 01:00:00" is not an RFC 3339 time`}},
		{"v2 startsAt before year 0 in UTC", false, `[{"labels":{"a":"b"}},{"labels":{"a":"c"},"startsAt":"0000-01-01T00:00:00+23:59"}]`, want{ingest.Invalid, 1, "startsAt", -1, `alerts[1].startsAt: "0000-01-01T00:00:00+23:59" is out of range`}},
		{"v2 endsAt past year 9999 in UTC", false, `[{"labels":{"a":"b"},"endsAt":"9999-12-31T23:59:59-23:59"}]`, want{ingest.Invalid, 0, "endsAt", -1, `alerts[0].endsAt: "9999-12-31T23:59:59-23:59" is out of range`}},
		{"v2 time as number", false, `[{"labels":{"a":"b"},"startsAt":1700000000}]`, want{ingest.Malformed, 0, "startsAt", anyOffset, "JSON number where a string was expected"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.webhook {
				_, err = alertsOf(DecodeWebhook(strings.NewReader(tc.body), now))
			} else {
				_, err = alertsOf(DecodeAPIv2(strings.NewReader(tc.body), now, time.Minute))
			}
			var de *ingest.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error = %v (%T), want a *ingest.DecodeError", err, err)
			}
			offsetOK := de.Offset == tc.want.offset || tc.want.offset == anyOffset && de.Offset >= 0
			if de.Kind != tc.want.kind || de.Index != tc.want.index || de.Field != tc.want.field || !offsetOK {
				t.Errorf("kind, index, field, offset = %v, %d, %q, %d; want %v, %d, %q, %d",
					de.Kind, de.Index, de.Field, de.Offset, tc.want.kind, tc.want.index, tc.want.field, tc.want.offset)
			}
			if !strings.Contains(de.Error(), tc.want.msg) {
				t.Errorf("Error() = %q, want it to contain %q", de.Error(), tc.want.msg)
			}
		})
	}
}

func TestHTTPStatus(t *testing.T) {
	for kind, want := range map[ingest.ErrorKind]int{ingest.Malformed: 400, ingest.Invalid: 422, ingest.TooMany: 413} {
		if got := (&ingest.DecodeError{Kind: kind}).HTTPStatus(); got != want {
			t.Errorf("HTTPStatus() for kind %d = %d, want %d", kind, got, want)
		}
	}
}
