package email

import (
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/pagertest"
)

func TestSubject(t *testing.T) {
	resolved := pagertest.CheckoutPage()
	resolved.Kind = pagers.KindResolved
	injected := pagertest.CheckoutPage()
	injected.Incident.Title = "Down\r\nBcc: evil@example.com"
	tests := []struct {
		name string
		in   pagers.Notification
		want string
	}{
		{"page", pagertest.CheckoutPage(), "[pagerd] #42 CRITICAL CheckoutDown (checkout)"},
		{"resolved", resolved, "[pagerd] #42 RESOLVED: CheckoutDown (checkout)"},
		{"no header injection", injected, "[pagerd] #42 CRITICAL Down Bcc: evil@example.com (checkout)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Subject(tt.in); got != tt.want {
				t.Errorf("Subject() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	acked := pagertest.CheckoutPage()
	acked.Kind, acked.Actor = pagers.KindAcknowledged, "bob"
	unanswered := pagertest.CheckoutPage()
	unanswered.Incident.Exhausted = "escalation payments exhausted after 2 rounds; nobody acknowledged"
	berlin := pagertest.CheckoutPage()
	berlin.Location, _ = time.LoadLocation("Europe/Berlin")
	tests := []struct {
		name    string
		in      pagers.Notification
		want    []string
		notWant []string
	}{
		{
			name: "page",
			in:   pagertest.CheckoutPage(),
			want: []string{
				"CRITICAL CheckoutDown on service checkout (incident #42)",
				"checkout is down",
				"Acknowledge: https://pagerd.example.com/ack/42?sig=abc",
				"reply 'ack 42' to the SMS page",
				"pagerd ack 42",
				"Service:  checkout",
				"Incident: #42, triggered, 3 alerts, started 2026-11-02 09:00:00 UTC",
				"Source:   http://prometheus.example.com/graph?g0.expr=up",
				"Links:\n  Dashboard: https://grafana.example.com/d/checkout\n  Silence: https://grafana.example.com/alerting/silence/new?alertname=CheckoutDown\n",
				"  alertname = CheckoutDown\n  cluster   = eu1\n  severity  = critical\n",
			},
			notWant: []string{"No action needed"},
		},
		{
			name:    "in the recipient's zone",
			in:      berlin,
			want:    []string{"Incident: #42, triggered, 3 alerts, started 2026-11-02 10:00:00 CET"},
			notWant: []string{"UTC"},
		},
		{
			name: "last resort",
			in:   unanswered,
			want: []string{
				"UNANSWERED CRITICAL CheckoutDown on service checkout (incident #42)",
				"escalation payments exhausted after 2 rounds; nobody acknowledged.\n\ncheckout is down",
				"Acknowledge: https://pagerd.example.com/ack/42?sig=abc",
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
			contains(t, "Text", Text(tt.in), tt.want, tt.notWant)
		})
	}
}

func TestHTML(t *testing.T) {
	hostile := pagertest.CheckoutPage()
	hostile.Incident.Labels["evil"] = `<script>alert("x")</script>`
	hostile.Incident.Summary = `<img src=x onerror=alert(1)> & co`
	hostile.Incident.SourceURL = "javascript:alert(1)"
	hostile.Incident.Links = []incident.Link{{Text: "<b>Dash</b>", Href: "javascript:alert(2)"}}

	tests := []struct {
		name    string
		in      pagers.Notification
		want    []string
		notWant []string
	}{
		{
			name: "page",
			in:   pagertest.CheckoutPage(),
			want: []string{
				"CRITICAL CheckoutDown on service checkout (incident #42)",
				`<a href="https://pagerd.example.com/ack/42?sig=abc"`,
				">Acknowledge</a>",
				"reply &#39;ack 42&#39; to the SMS page",
				`<a href="http://prometheus.example.com/graph?g0.expr=up">`,
				`>Dashboard</th><td style="padding:2px 8px"><a href="https://grafana.example.com/d/checkout">`,
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
				"&lt;b&gt;Dash&lt;/b&gt;",
			},
			notWant: []string{"<script>", "<img", `href="javascript:`, "<b>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contains(t, "HTML", HTML(tt.in), tt.want, tt.notWant)
		})
	}
}

func TestShiftNoticeText(t *testing.T) {
	notices := pagertest.ShiftNotices(t)
	tests := []struct {
		name                    string
		subject                 string
		emailWant, emailWantNot []string
	}{
		{
			name:         "full",
			subject:      "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST",
			emailWant:    []string{"Your on-call shift for payments-primary starts in 1h.\n", "Schedule: payments-primary\n", "Starts:   Mon 30 Nov 2026 09:00 EST\n", "Ends:     Mon 7 Dec 2026 09:00 EST\n", "No action needed"},
			emailWantNot: []string{"Incident", "Acknowledge", "#0"},
		},
		{
			name:         "end unknown",
			subject:      "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST",
			emailWant:    []string{"starts in 1h 30m.", "Starts:   Mon 30 Nov 2026 09:00 EST\n"},
			emailWantNot: []string{"Ends:"},
		},
		{
			name:      "UTC without a zone",
			subject:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 14:00 UTC",
			emailWant: []string{"starts in 1d 2h.", "Starts:   Mon 30 Nov 2026 14:00 UTC\n"},
		},
		{
			name:      "lead unknown",
			subject:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST",
			emailWant: []string{"Your on-call shift for payments-primary starts Mon 30 Nov 2026 09:00 EST.\n"},
		},
		{
			name:         "no shift",
			subject:      "[pagerd] Your on-call shift starts soon",
			emailWant:    []string{"Your on-call shift starts soon.\n"},
			emailWantNot: []string{"Starts:", "Schedule:"},
		},
	}
	for _, tt := range tests {
		if _, ok := notices[tt.name]; !ok {
			t.Fatalf("no shift notice %q", tt.name)
		}
		t.Run(tt.name, func(t *testing.T) {
			if got := Subject(notices[tt.name]); got != tt.subject {
				t.Errorf("Subject() = %q, want %q", got, tt.subject)
			}
			contains(t, "Text", Text(notices[tt.name]), tt.emailWant, tt.emailWantNot)
		})
	}
}

func TestShiftNoticeHTML(t *testing.T) {
	n := pagertest.ShiftNotice(t)
	got := HTML(n)
	for _, w := range []string{
		"<title>Your on-call shift for payments-primary starts in 1h.</title>",
		">Starts</th><td style=\"padding:2px 8px\">Mon 30 Nov 2026 09:00 EST</td>",
		">Ends</th><td style=\"padding:2px 8px\">Mon 7 Dec 2026 09:00 EST</td>",
		"No action needed",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("HTML() = %s\nwant it to contain %q", got, w)
		}
	}
	if strings.Contains(got, "Acknowledge") || strings.Contains(got, "Incident") {
		t.Errorf("HTML() = %s\nwant no incident or acknowledge parts", got)
	}

	n.Shift.Schedule = `<script>alert("x")</script>`
	if got := HTML(n); strings.Contains(got, "<script>") || !strings.Contains(got, "&lt;script&gt;") {
		t.Errorf("HTML() = %s\nwant the schedule name escaped", got)
	}
}

// contains checks that a rendered body holds every want and no notWant.
func contains(t *testing.T, what, got string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s() = %q\nwant it to contain %q", what, got, w)
		}
	}
	for _, w := range notWant {
		if strings.Contains(got, w) {
			t.Errorf("%s() = %q\nwant it NOT to contain %q", what, got, w)
		}
	}
}

// Control characters a sender put in labels, the summary or a link break
// neither the subject nor the bodies: one line where the layout has one
// (the subject, each label, each link), the summary's own line breaks
// kept, every other control shown as its escape.
func TestHostileTextIsEscaped(t *testing.T) {
	n := pagertest.HostilePage()
	pagertest.CheckDisplayed(t, "Subject", Subject(n), false)
	text := Text(n)
	pagertest.CheckDisplayed(t, "Text", text, true)
	html := HTML(n)
	pagertest.CheckDisplayed(t, "HTML", html, true)
	for _, want := range []string{
		"[pagerd] #42 CRITICAL\\x00 Checkout Down \\x00\\x1b[31mred\\u202egnp.exe (checkout)",
	} {
		if got := Subject(n); got != want {
			t.Errorf("Subject() = %q, want %q", got, want)
		}
	}
	for _, want := range []string{
		"line one\nline two \\x1b]0;owned\\x07 \\u2066end\n",
		"  alertname = Checkout Down\n",
		"  cluster   = eu1\\u202e\n",
		"  Dash board: https://grafana.example.com/d/x y\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
}
