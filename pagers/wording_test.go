package pagers_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
	. "github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/pagertest"
)

func TestShortText(t *testing.T) {
	page := pagertest.CheckoutPage()

	noReply := pagertest.CheckoutPage()
	noReply.AckReply, noReply.ResolveReply = "", ""

	nothing := pagertest.CheckoutPage()
	nothing.AckReply, nothing.ResolveReply, nothing.AckURL = "", "", ""

	acked := pagertest.CheckoutPage()
	acked.Kind, acked.Actor = KindAcknowledged, "alice"

	resolved := pagertest.CheckoutPage()
	resolved.Kind = KindResolved

	flapping := pagertest.CheckoutPage()
	flapping.Incident.Flapping = true

	stormPassed := pagertest.CheckoutPage()
	stormPassed.Kind = KindUpdate
	stormPassed.Incident.Title, stormPassed.Incident.Labels = "Alert storm in checkout", nil
	stormPassed.Event = &incident.Event{Fact: incident.Fact{Kind: incident.KindStormPassed, Detail: "no new incident for 5m; 12 incidents folded, 3 still open"}}

	unanswered := pagertest.CheckoutPage()
	unanswered.Incident.Exhausted = "escalation payments exhausted after 2 rounds; nobody acknowledged"

	hostile := pagertest.CheckoutPage()
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
		{"flapping", flapping, "[pagerd] #42 FLAPPING CRITICAL CheckoutDown (checkout): checkout is down. Reply 'ack 42' to acknowledge, 'resolve 42' to resolve. https://pagerd.example.com/ack/42?sig=abc"},
		{"storm passed", stormPassed, "[pagerd] #42 STORM PASSED: Alert storm in checkout (checkout) — no new incident for 5m; 12 incidents folded, 3 still open."},
		{"last resort", unanswered, "[pagerd] #42 UNANSWERED CRITICAL CheckoutDown (checkout): escalation payments exhausted after 2 rounds; nobody acknowledged — checkout is down. Reply 'ack 42' to acknowledge, 'resolve 42' to resolve. https://pagerd.example.com/ack/42?sig=abc"},
		{"newlines collapsed", hostile, "[pagerd] #42 Checkout Down (checkout): line one line two. Reply 'ack 42' to acknowledge, 'resolve 42' to resolve. https://pagerd.example.com/ack/42?sig=abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShortText(tt.in, 0); got != tt.want {
				t.Errorf("ShortText() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShortTextLimitKeepsAckHint(t *testing.T) {
	n := pagertest.CheckoutPage()
	n.Incident.Summary = strings.Repeat("very long description ", 50)
	got := ShortText(n, 319)
	if c := utf8.RuneCountInString(got); c > 319 {
		t.Fatalf("ShortText() has %d runes, want <= 319: %q", c, got)
	}
	for _, want := range []string{"[pagerd] #42 CRITICAL CheckoutDown", "…", "Reply 'ack 42' to acknowledge", n.AckURL} {
		if !strings.Contains(got, want) {
			t.Errorf("ShortText() = %q, want it to contain %q", got, want)
		}
	}
}

func TestShortTextSaysTheSummaryOnce(t *testing.T) {
	n := pagertest.CheckoutPage()
	n.Incident.Title, n.Incident.Summary, n.Incident.Labels = "Disk full on db1", "Disk full on db1", nil
	want := "[pagerd] #42 Disk full on db1 (checkout). Reply 'ack 42' to acknowledge, 'resolve 42' to resolve. https://pagerd.example.com/ack/42?sig=abc"
	if got := ShortText(n, 0); got != want {
		t.Errorf("ShortText(title = summary) = %q, want %q", got, want)
	}
}

func TestShortTextOfAnUpdate(t *testing.T) {
	n := pagertest.CheckoutPage()
	n.Kind = KindUpdate
	n.Event = &incident.Event{Incident: 42, Fact: incident.Fact{Kind: incident.KindEscalated, Actor: "alice", Via: "slack", Detail: "escalated by hand"}}
	want := "[pagerd] #42 ESCALATED by alice: CheckoutDown (checkout) — escalated by hand."
	if got := ShortText(n, 0); got != want {
		t.Errorf("ShortText(update) = %q, want %q", got, want)
	}
}

func TestLeads(t *testing.T) {
	for _, tc := range []struct {
		d             time.Duration
		short, spoken string
	}{
		{20 * time.Second, "under a minute", "less than a minute"},
		{time.Hour, "1h", "1 hour"},
		{90 * time.Minute, "1h 30m", "1 hour and 30 minutes"},
		{26*time.Hour + 29*time.Second, "1d 2h", "1 day and 2 hours"},
		{49*time.Hour + 61*time.Second, "2d 1h 1m", "2 days, 1 hour and 1 minute"},
	} {
		if got := ShortLead(tc.d); got != tc.short {
			t.Errorf("ShortLead(%s) = %q, want %q", tc.d, got, tc.short)
		}
		if got := SpokenLead(tc.d); got != tc.spoken {
			t.Errorf("SpokenLead(%s) = %q, want %q", tc.d, got, tc.spoken)
		}
	}
}

func TestOneLineAndLines(t *testing.T) {
	tests := []struct {
		in, oneLine, lines string
	}{
		{"CheckoutDown", "CheckoutDown", "CheckoutDown"},
		{"  a \t b\n\nc  ", "a b c", "a \t b\n\nc"},
		{"a\r\nb\rc\u2028d\u2029e", "a b c d e", "a\nb\nc\nd\ne"},
		{"nul\x00 esc\x1b[31m bell\x07 del\x7f", `nul\x00 esc\x1b[31m bell\x07 del\x7f`, `nul\x00 esc\x1b[31m bell\x07 del\x7f`},
		{"c1 \u0085next \u009b", `c1 next \x9b`, "c1 \nnext \\x9b"},
		{"vt\vff\f", "vt ff", `vt\x0bff`},
		{"rlo \u202egnp.exe pdi\u2069 lrm\u200e alm\u061c", `rlo \u202egnp.exe pdi\u2069 lrm\u200e alm\u061c`, `rlo \u202egnp.exe pdi\u2069 lrm\u200e alm\u061c`},
		{"emoji 👩‍💻 and ü stay", "emoji 👩‍💻 and ü stay", "emoji 👩‍💻 and ü stay"},
		{"", "", ""},
	}
	for _, tc := range tests {
		if got := OneLine(tc.in); got != tc.oneLine {
			t.Errorf("OneLine(%q) = %q, want %q", tc.in, got, tc.oneLine)
		}
		if got := Lines(tc.in); got != tc.lines {
			t.Errorf("Lines(%q) = %q, want %q", tc.in, got, tc.lines)
		}
	}
}

// Text a sender sent cannot break a text or act on a terminal.
func TestShortTextOfHostileText(t *testing.T) {
	got := ShortText(pagertest.HostilePage(), 0)
	pagertest.CheckDisplayed(t, "ShortText", got, false)
	if want := `[pagerd] #42 CRITICAL\x00 Checkout Down \x00\x1b[31mred\u202egnp.exe (checkout): line one line two \x1b]0;owned\x07 \u2066end.`; !strings.HasPrefix(got, want) {
		t.Errorf("ShortText() = %q, want it to start %q", got, want)
	}
}
