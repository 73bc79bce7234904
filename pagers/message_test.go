package pagers

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func checkoutPage() Notification {
	return Notification{
		Key:          "inc42/r0/s0/alice/0/sms",
		Kind:         KindPage,
		Channel:      "sms",
		User:         "alice",
		Address:      "+15551230001",
		AckURL:       "https://pagerd.example.com/ack/42?sig=abc",
		AckReply:     "ack 42",
		ResolveReply: "resolve 42",
		Incident: Incident{
			ID:         42,
			Title:      "CheckoutDown",
			Summary:    "checkout is down",
			Service:    "checkout",
			Status:     "triggered",
			Labels:     map[string]string{"alertname": "CheckoutDown", "severity": "critical", "cluster": "eu1"},
			AlertCount: 3,
			StartedAt:  time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC),
			SourceURL:  "http://prometheus.example.com/graph?g0.expr=up",
		},
	}
}

func TestSMSText(t *testing.T) {
	page := checkoutPage()

	noReply := checkoutPage()
	noReply.AckReply, noReply.ResolveReply = "", ""

	nothing := checkoutPage()
	nothing.AckReply, nothing.ResolveReply, nothing.AckURL = "", "", ""

	acked := checkoutPage()
	acked.Kind, acked.Actor = KindAcknowledged, "alice"

	resolved := checkoutPage()
	resolved.Kind = KindResolved

	hostile := checkoutPage()
	hostile.Incident.Title = "Checkout\nDown"
	hostile.Incident.Summary = "line one\r\nline two."
	hostile.Incident.Labels = nil

	tests := []struct {
		name string
		in   Notification
		want string
	}{
		{"page", page, "[pagerd] #42 CRITICAL CheckoutDown (checkout): checkout is down. Reply 'ack 42' to acknowledge, 'resolve 42' to resolve. https://pagerd.example.com/ack/42?sig=abc"},
		{"link only", noReply, "[pagerd] #42 CRITICAL CheckoutDown (checkout): checkout is down. Acknowledge: https://pagerd.example.com/ack/42?sig=abc"},
		{"no way given", nothing, "[pagerd] #42 CRITICAL CheckoutDown (checkout): checkout is down. Acknowledge with 'pagerd ack 42'."},
		{"acknowledged", acked, "[pagerd] #42 ACKNOWLEDGED by alice: CheckoutDown (checkout). No action needed."},
		{"resolved", resolved, "[pagerd] #42 RESOLVED: CheckoutDown (checkout). No action needed."},
		{"newlines collapsed", hostile, "[pagerd] #42 Checkout Down (checkout): line one line two. Reply 'ack 42' to acknowledge, 'resolve 42' to resolve. https://pagerd.example.com/ack/42?sig=abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SMSText(tt.in); got != tt.want {
				t.Errorf("SMSText() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSMSTextLongSummaryKeepsAckHint(t *testing.T) {
	n := checkoutPage()
	n.Incident.Summary = strings.Repeat("very long description ", 50)
	got := SMSText(n)
	if c := utf8.RuneCountInString(got); c > SMSMaxRunes {
		t.Fatalf("SMSText() has %d runes, want <= %d: %q", c, SMSMaxRunes, got)
	}
	for _, want := range []string{"[pagerd] #42 CRITICAL CheckoutDown", "…", "Reply 'ack 42' to acknowledge", n.AckURL} {
		if !strings.Contains(got, want) {
			t.Errorf("SMSText() = %q, want it to contain %q", got, want)
		}
	}
}

func TestEmailSubject(t *testing.T) {
	resolved := checkoutPage()
	resolved.Kind = KindResolved
	injected := checkoutPage()
	injected.Incident.Title = "Down\r\nBcc: evil@example.com"
	tests := []struct {
		name string
		in   Notification
		want string
	}{
		{"page", checkoutPage(), "[pagerd] #42 CRITICAL CheckoutDown (checkout)"},
		{"resolved", resolved, "[pagerd] #42 RESOLVED: CheckoutDown (checkout)"},
		{"no header injection", injected, "[pagerd] #42 CRITICAL Down Bcc: evil@example.com (checkout)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EmailSubject(tt.in); got != tt.want {
				t.Errorf("EmailSubject() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEmailText(t *testing.T) {
	acked := checkoutPage()
	acked.Kind, acked.Actor = KindAcknowledged, "bob"
	tests := []struct {
		name    string
		in      Notification
		want    []string
		notWant []string
	}{
		{
			name: "page",
			in:   checkoutPage(),
			want: []string{
				"CRITICAL CheckoutDown on service checkout (incident #42)",
				"checkout is down",
				"Acknowledge: https://pagerd.example.com/ack/42?sig=abc",
				"reply 'ack 42' to the SMS page",
				"pagerd ack 42",
				"Service:  checkout",
				"Incident: #42, triggered, 3 alerts, started 2026-11-02 09:00:00 UTC",
				"Source:   http://prometheus.example.com/graph?g0.expr=up",
				"  alertname = CheckoutDown\n  cluster   = eu1\n  severity  = critical\n",
			},
			notWant: []string{"No action needed"},
		},
		{
			name:    "acknowledged",
			in:      acked,
			want:    []string{"Incident #42 CheckoutDown on service checkout was acknowledged by bob.", "No action needed."},
			notWant: []string{"Acknowledge:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EmailText(tt.in)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("EmailText() = %q\nwant it to contain %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("EmailText() = %q\nwant it NOT to contain %q", got, w)
				}
			}
		})
	}
}

func TestEmailHTML(t *testing.T) {
	hostile := checkoutPage()
	hostile.Incident.Labels["evil"] = `<script>alert("x")</script>`
	hostile.Incident.Summary = `<img src=x onerror=alert(1)> & co`
	hostile.Incident.SourceURL = "javascript:alert(1)"

	tests := []struct {
		name    string
		in      Notification
		want    []string
		notWant []string
	}{
		{
			name: "page",
			in:   checkoutPage(),
			want: []string{
				"CRITICAL CheckoutDown on service checkout (incident #42)",
				`<a href="https://pagerd.example.com/ack/42?sig=abc"`,
				">Acknowledge</a>",
				"reply &#39;ack 42&#39; to the SMS page",
				`<a href="http://prometheus.example.com/graph?g0.expr=up">`,
				">alertname</td>",
				">CheckoutDown</td>",
				"#42, triggered, 3 alerts",
			},
		},
		{
			name: "hostile values are escaped",
			in:   hostile,
			want: []string{
				"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
				"&lt;img src=x onerror=alert(1)&gt; &amp; co",
				`href="#ZgotmplZ"`,
			},
			notWant: []string{"<script>", "<img", `href="javascript:`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EmailHTML(tt.in)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("EmailHTML() = %s\nwant it to contain %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("EmailHTML() = %s\nwant it NOT to contain %q", got, w)
				}
			}
		})
	}
}

func TestVoiceText(t *testing.T) {
	resolved := checkoutPage()
	resolved.Kind, resolved.Actor = KindResolved, "bob"
	snake := checkoutPage()
	snake.Incident.Title, snake.Incident.Service, snake.Incident.Summary, snake.Incident.Labels = "disk_full-soon", "", "", nil
	tests := []struct {
		name string
		in   Notification
		want string
	}{
		{"page", checkoutPage(), "This is pager d. Critical incident 42: Checkout Down, on service checkout. checkout is down."},
		{"resolved", resolved, "This is pager d. Incident 42, Checkout Down, on service checkout, was resolved by bob. No action needed."},
		{"snake case", snake, "This is pager d. Incident 42: disk full soon."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VoiceText(tt.in); got != tt.want {
				t.Errorf("VoiceText() = %q, want %q", got, tt.want)
			}
		})
	}
}

func shiftNotice(t *testing.T) Notification {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return Notification{
		Key:     "shift:payments-primary:alice:1796047200:1h0m0s:sms",
		Kind:    KindShiftNotice,
		Channel: "sms",
		User:    "alice",
		Address: "+15551230001",
		Shift: &ShiftInfo{
			Schedule: "payments-primary",
			Start:    time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC), // 09:00 EST
			End:      time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC),
			StartsIn: time.Hour,
			Location: ny,
		},
	}
}

func TestShiftNoticeText(t *testing.T) {
	full := shiftNotice(t)

	openEnded := shiftNotice(t)
	openEnded.Shift.End = time.Time{}
	openEnded.Shift.StartsIn = 90 * time.Minute

	utc := shiftNotice(t)
	utc.Shift.Location = nil
	utc.Shift.StartsIn = 26*time.Hour + 29*time.Second

	late := shiftNotice(t)
	late.Shift.StartsIn = 0

	noShift := shiftNotice(t)
	noShift.Shift = nil

	tests := []struct {
		name                    string
		in                      Notification
		sms, subject, voice     string
		emailWant, emailWantNot []string
	}{
		{
			name:         "full",
			in:           full,
			sms:          "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST (in 1h) and ends Mon 7 Dec 09:00 EST.",
			subject:      "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST",
			voice:        "This is pager d. Your on-call shift for payments primary starts in 1 hour, on Monday, November 30 at 9:00 AM EST, and ends on Monday, December 7 at 9:00 AM EST. No action needed.",
			emailWant:    []string{"Your on-call shift for payments-primary starts in 1h.\n", "Schedule: payments-primary\n", "Starts:   Mon 30 Nov 2026 09:00 EST\n", "Ends:     Mon 7 Dec 2026 09:00 EST\n", "No action needed"},
			emailWantNot: []string{"Incident", "Acknowledge", "#0"},
		},
		{
			name:         "end unknown",
			in:           openEnded,
			sms:          "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST (in 1h 30m).",
			subject:      "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST",
			voice:        "This is pager d. Your on-call shift for payments primary starts in 1 hour and 30 minutes, on Monday, November 30 at 9:00 AM EST. No action needed.",
			emailWant:    []string{"starts in 1h 30m.", "Starts:   Mon 30 Nov 2026 09:00 EST\n"},
			emailWantNot: []string{"Ends:"},
		},
		{
			name:      "UTC without a zone",
			in:        utc,
			sms:       "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 14:00 UTC (in 1d 2h) and ends Mon 7 Dec 14:00 UTC.",
			subject:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 14:00 UTC",
			voice:     "This is pager d. Your on-call shift for payments primary starts in 1 day and 2 hours, on Monday, November 30 at 2:00 PM UTC, and ends on Monday, December 7 at 2:00 PM UTC. No action needed.",
			emailWant: []string{"starts in 1d 2h.", "Starts:   Mon 30 Nov 2026 14:00 UTC\n"},
		},
		{
			name:      "lead unknown",
			in:        late,
			sms:       "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST and ends Mon 7 Dec 09:00 EST.",
			subject:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST",
			voice:     "This is pager d. Your on-call shift for payments primary starts on Monday, November 30 at 9:00 AM EST, and ends on Monday, December 7 at 9:00 AM EST. No action needed.",
			emailWant: []string{"Your on-call shift for payments-primary starts Mon 30 Nov 2026 09:00 EST.\n"},
		},
		{
			name:         "no shift",
			in:           noShift,
			sms:          "[pagerd] Your on-call shift starts soon.",
			subject:      "[pagerd] Your on-call shift starts soon",
			voice:        "This is pager d. Your on-call shift starts soon. No action needed.",
			emailWant:    []string{"Your on-call shift starts soon.\n"},
			emailWantNot: []string{"Starts:", "Schedule:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SMSText(tt.in); got != tt.sms {
				t.Errorf("SMSText() = %q, want %q", got, tt.sms)
			}
			if got := EmailSubject(tt.in); got != tt.subject {
				t.Errorf("EmailSubject() = %q, want %q", got, tt.subject)
			}
			if got := VoiceText(tt.in); got != tt.voice {
				t.Errorf("VoiceText() = %q, want %q", got, tt.voice)
			}
			got := EmailText(tt.in)
			for _, w := range tt.emailWant {
				if !strings.Contains(got, w) {
					t.Errorf("EmailText() = %q\nwant it to contain %q", got, w)
				}
			}
			for _, w := range tt.emailWantNot {
				if strings.Contains(got, w) {
					t.Errorf("EmailText() = %q\nwant it NOT to contain %q", got, w)
				}
			}
		})
	}
}

func TestShiftNoticeSMSFitsWithALongScheduleName(t *testing.T) {
	n := shiftNotice(t)
	n.Shift.Schedule = strings.Repeat("very-long-schedule-name-", 20)
	got := SMSText(n)
	if c := utf8.RuneCountInString(got); c > SMSMaxRunes {
		t.Errorf("SMSText() has %d runes, want <= %d: %q", c, SMSMaxRunes, got)
	}
}

func TestShiftNoticeEmailHTML(t *testing.T) {
	n := shiftNotice(t)
	got := EmailHTML(n)
	for _, w := range []string{
		"<title>Your on-call shift for payments-primary starts in 1h.</title>",
		">Starts</th><td style=\"padding:2px 8px\">Mon 30 Nov 2026 09:00 EST</td>",
		">Ends</th><td style=\"padding:2px 8px\">Mon 7 Dec 2026 09:00 EST</td>",
		"No action needed",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("EmailHTML() = %s\nwant it to contain %q", got, w)
		}
	}
	if strings.Contains(got, "Acknowledge") || strings.Contains(got, "Incident") {
		t.Errorf("EmailHTML() = %s\nwant no incident or acknowledge parts", got)
	}

	n.Shift.Schedule = `<script>alert("x")</script>`
	if got := EmailHTML(n); strings.Contains(got, "<script>") || !strings.Contains(got, "&lt;script&gt;") {
		t.Errorf("EmailHTML() = %s\nwant the schedule name escaped", got)
	}
}
