// Package pagertest holds the notifications channel tests render, so that
// every channel is tested against the same page and the same shift notice.
package pagertest

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
)

// CheckoutPage is a page to alice about incident #42, CheckoutDown on
// service checkout, with every field a message may show.
func CheckoutPage() pagers.Notification {
	return pagers.Notification{
		Key:          "inc42/r0/s0/alice/0/sms",
		Kind:         pagers.KindPage,
		Channel:      "sms",
		User:         "alice",
		Address:      "+15551230001",
		AckURL:       "https://pagerd.example.com/ack/42?sig=abc",
		AckReply:     "ack 42",
		ResolveReply: "resolve 42",
		Incident: pagers.Incident{
			ID:         42,
			Title:      "CheckoutDown",
			Summary:    "checkout is down",
			Service:    "checkout",
			Status:     "triggered",
			Labels:     map[string]string{"alertname": "CheckoutDown", "severity": "critical", "cluster": "eu1"},
			AlertCount: 3,
			StartedAt:  time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC),
			SourceURL:  "http://prometheus.example.com/graph?g0.expr=up",
			Links: []incident.Link{
				{Text: "Dashboard", Href: "https://grafana.example.com/d/checkout"},
				{Text: "Silence", Href: "https://grafana.example.com/alerting/silence/new?alertname=CheckoutDown"},
			},
		},
	}
}

// ShiftNotice reminds alice, an hour ahead, of her shift on
// payments-primary from Mon 30 Nov 09:00 to Mon 7 Dec 09:00 New York time.
func ShiftNotice(t testing.TB) pagers.Notification {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return pagers.Notification{
		Key:     "shift:payments-primary:alice:1796047200:1h0m0s:sms",
		Kind:    pagers.KindShiftNotice,
		Channel: "sms",
		User:    "alice",
		Address: "+15551230001",
		Shift: &pagers.ShiftInfo{
			Schedule: "payments-primary",
			Start:    time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC), // 09:00 EST
			End:      time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC),
			StartsIn: time.Hour,
			Location: ny,
		},
	}
}

// ShiftNotices are ShiftNotice and its variants, by name: "full", "end
// unknown" (the shift's end is too far ahead to tell, 90 minutes ahead),
// "UTC without a zone" (26 hours ahead), "lead unknown" (StartsIn 0) and
// "no shift".
func ShiftNotices(t testing.TB) map[string]pagers.Notification {
	t.Helper()
	full := ShiftNotice(t)
	openEnded := ShiftNotice(t)
	openEnded.Shift.End = time.Time{}
	openEnded.Shift.StartsIn = 90 * time.Minute
	utc := ShiftNotice(t)
	utc.Shift.Location = nil
	utc.Shift.StartsIn = 26*time.Hour + 29*time.Second
	late := ShiftNotice(t)
	late.Shift.StartsIn = 0
	noShift := ShiftNotice(t)
	noShift.Shift = nil
	return map[string]pagers.Notification{
		"full": full, "end unknown": openEnded, "UTC without a zone": utc, "lead unknown": late, "no shift": noShift,
	}
}

// HostilePage is CheckoutPage whose sender sent control characters
// everywhere it could: a newline, a carriage return, NUL, an escape
// sequence and a right-to-left override in the title (built from labels),
// the labels, the summary and a link.
func HostilePage() pagers.Notification {
	n := CheckoutPage()
	n.Incident.Title = "Checkout\nDown\r\x00\x1b[31mred\u202egnp.exe"
	n.Incident.Summary = "line one\r\nline two \x1b]0;owned\x07 \u2066end"
	n.Incident.Labels = map[string]string{"alertname": "Checkout\nDown", "severity": "critical\x00", "cluster": "eu1\u202e"}
	n.Incident.Links = []incident.Link{{Text: "Dash\nboard", Href: "https://grafana.example.com/d/x\r\ny"}}
	return n
}

// CheckDisplayed fails t when out, what a channel or the CLI shows of
// HostilePage, lets any control character or bidirectional control
// through: only line feeds may remain, and tabs where the layout puts
// them, when lines is set. It also wants to see the escapes that stand
// for them.
func CheckDisplayed(t testing.TB, what, out string, lines bool) {
	t.Helper()
	for _, r := range out {
		if (r == '\n' || r == '\t') && lines {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			t.Errorf("%s lets %U through:\n%q", what, r, out)
			return
		}
	}
	for _, want := range []string{`\x00`, `\x1b`, `\u202e`} {
		if !strings.Contains(out, want) {
			t.Errorf("%s does not show %s:\n%s", what, want, out)
		}
	}
}
