package twilio

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/pagertest"
)

// SMSText is pagers.ShortText (tested there) within SMSMaxRunes.
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
	notices := pagertest.ShiftNotices(t)
	tests := []struct {
		name       string
		sms, voice string
	}{
		{
			name:  "full",
			sms:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST (in 1h) and ends Mon 7 Dec 09:00 EST.",
			voice: "This is pager d. Your on-call shift for payments primary starts in 1 hour, on Monday, November 30 at 9:00 AM EST, and ends on Monday, December 7 at 9:00 AM EST. No action needed.",
		},
		{
			name:  "end unknown",
			sms:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST (in 1h 30m).",
			voice: "This is pager d. Your on-call shift for payments primary starts in 1 hour and 30 minutes, on Monday, November 30 at 9:00 AM EST. No action needed.",
		},
		{
			name:  "UTC without a zone",
			sms:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 14:00 UTC (in 1d 2h) and ends Mon 7 Dec 14:00 UTC.",
			voice: "This is pager d. Your on-call shift for payments primary starts in 1 day and 2 hours, on Monday, November 30 at 2:00 PM UTC, and ends on Monday, December 7 at 2:00 PM UTC. No action needed.",
		},
		{
			name:  "lead unknown",
			sms:   "[pagerd] Your on-call shift for payments-primary starts Mon 30 Nov 09:00 EST and ends Mon 7 Dec 09:00 EST.",
			voice: "This is pager d. Your on-call shift for payments primary starts on Monday, November 30 at 9:00 AM EST, and ends on Monday, December 7 at 9:00 AM EST. No action needed.",
		},
		{
			name:  "no shift",
			sms:   "[pagerd] Your on-call shift starts soon.",
			voice: "This is pager d. Your on-call shift starts soon. No action needed.",
		},
	}
	for _, tt := range tests {
		if _, ok := notices[tt.name]; !ok {
			t.Fatalf("no shift notice %q", tt.name)
		}
		t.Run(tt.name, func(t *testing.T) {
			if got := SMSText(notices[tt.name]); got != tt.sms {
				t.Errorf("SMSText() = %q, want %q", got, tt.sms)
			}
			if got := VoiceText(notices[tt.name]); got != tt.voice {
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

// Control characters a sender put in labels or the summary reach neither
// the SMS nor the call's script (where TwiML, XML, could not carry them).
func TestHostileTextIsEscaped(t *testing.T) {
	n := pagertest.HostilePage()
	pagertest.CheckDisplayed(t, "SMSText", SMSText(n), false)
	if got := VoiceText(n); strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u202e' }) {
		t.Errorf("VoiceText() = %q, lets a control character through", got)
	}
}
