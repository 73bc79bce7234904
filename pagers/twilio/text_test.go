package twilio

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/pagertest"
)

func TestSMSText(t *testing.T) {
	page := pagertest.CheckoutPage()

	noReply := pagertest.CheckoutPage()
	noReply.AckReply, noReply.ResolveReply = "", ""

	nothing := pagertest.CheckoutPage()
	nothing.AckReply, nothing.ResolveReply, nothing.AckURL = "", "", ""

	acked := pagertest.CheckoutPage()
	acked.Kind, acked.Actor = pagers.KindAcknowledged, "alice"

	resolved := pagertest.CheckoutPage()
	resolved.Kind = pagers.KindResolved

	hostile := pagertest.CheckoutPage()
	hostile.Incident.Title = "Checkout\nDown"
	hostile.Incident.Summary = "line one\r\nline two."
	hostile.Incident.Labels = nil

	tests := []struct {
		name string
		in   pagers.Notification
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
	n := pagertest.CheckoutPage()
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

func TestVoiceText(t *testing.T) {
	resolved := pagertest.CheckoutPage()
	resolved.Kind, resolved.Actor = pagers.KindResolved, "bob"
	snake := pagertest.CheckoutPage()
	snake.Incident.Title, snake.Incident.Service, snake.Incident.Summary, snake.Incident.Labels = "disk_full-soon", "", "", nil
	tests := []struct {
		name string
		in   pagers.Notification
		want string
	}{
		{"page", pagertest.CheckoutPage(), "This is pager d. Critical incident 42: Checkout Down, on service checkout. checkout is down."},
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

func TestShiftNoticeText(t *testing.T) {
	full := pagertest.ShiftNotice(t)

	openEnded := pagertest.ShiftNotice(t)
	openEnded.Shift.End = time.Time{}
	openEnded.Shift.StartsIn = 90 * time.Minute

	utc := pagertest.ShiftNotice(t)
	utc.Shift.Location = nil
	utc.Shift.StartsIn = 26*time.Hour + 29*time.Second

	late := pagertest.ShiftNotice(t)
	late.Shift.StartsIn = 0

	noShift := pagertest.ShiftNotice(t)
	noShift.Shift = nil

	tests := []struct {
		name       string
		in         pagers.Notification
		sms, voice string
	}{
		{
			name:  "full",
			in:    full,
			sms:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST (in 1h) and ends Mon 7 Dec 09:00 EST.",
			voice: "This is pager d. Your on-call shift for payments primary starts in 1 hour, on Monday, November 30 at 9:00 AM EST, and ends on Monday, December 7 at 9:00 AM EST. No action needed.",
		},
		{
			name:  "end unknown",
			in:    openEnded,
			sms:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST (in 1h 30m).",
			voice: "This is pager d. Your on-call shift for payments primary starts in 1 hour and 30 minutes, on Monday, November 30 at 9:00 AM EST. No action needed.",
		},
		{
			name:  "UTC without a zone",
			in:    utc,
			sms:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 14:00 UTC (in 1d 2h) and ends Mon 7 Dec 14:00 UTC.",
			voice: "This is pager d. Your on-call shift for payments primary starts in 1 day and 2 hours, on Monday, November 30 at 2:00 PM UTC, and ends on Monday, December 7 at 2:00 PM UTC. No action needed.",
		},
		{
			name:  "lead unknown",
			in:    late,
			sms:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST and ends Mon 7 Dec 09:00 EST.",
			voice: "This is pager d. Your on-call shift for payments primary starts on Monday, November 30 at 9:00 AM EST, and ends on Monday, December 7 at 9:00 AM EST. No action needed.",
		},
		{
			name:  "no shift",
			in:    noShift,
			sms:   "[pagerd] Your on-call shift starts soon.",
			voice: "This is pager d. Your on-call shift starts soon. No action needed.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SMSText(tt.in); got != tt.sms {
				t.Errorf("SMSText() = %q, want %q", got, tt.sms)
			}
			if got := VoiceText(tt.in); got != tt.voice {
				t.Errorf("VoiceText() = %q, want %q", got, tt.voice)
			}
		})
	}
}

func TestShiftNoticeSMSFitsWithALongScheduleName(t *testing.T) {
	n := pagertest.ShiftNotice(t)
	n.Shift.Schedule = strings.Repeat("very-long-schedule-name-", 20)
	got := SMSText(n)
	if c := utf8.RuneCountInString(got); c > SMSMaxRunes {
		t.Errorf("SMSText() has %d runes, want <= %d: %q", c, SMSMaxRunes, got)
	}
}
