package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// noticeConfig: bob and alice take turns daily at 09:00 New York time
// from 23 Nov 2026, so alice's first shift starts Tue 24 Nov 09:00 EST
// (14:00 UTC). Alice asked for an SMS an hour before; bob asked for nothing.
const noticeConfig = `
pagerd {
  public_url = "http://127.0.0.1:%d"
}
twilio {
  account_sid = env("TEST_TWILIO_SID")
  auth_token  = env("TEST_TWILIO_AUTH")
  from        = "+15559999999"
}
user "alice" {
  email = "alice@example.com"
  phone = "` + alicePhone + `"
  shift_notice {
    before = "1h"
    via    = "sms"
  }
}
user "bob" {
  phone = "` + bobPhone + `"
}
schedule "payments-primary" {
  timezone = "America/New_York"
  rotation "daily" {
    users = ["bob", "alice"]
    every = "1d"
    start = "2026-11-23 09:00"
  }
}
escalation "payments" {
  step { notify = ["schedule:payments-primary"] }
}
service "everything" { escalation = "payments" }
`

func TestShiftNoticeSMSOnceAcrossReplicas(t *testing.T) {
	w := newWorld(t, "0s")
	w.writeConfig(fmt.Sprintf(noticeConfig, w.port))
	w.start("r1", w.port)
	w.start("r2", 0)

	// 01:12 UTC: alice's shift is almost 13 hours away.
	w.settle()
	if got := w.twilio.Messages(); len(got) != 0 {
		t.Fatalf("messages at %s: %+v, want none", w.clock.Now(), got)
	}
	// 12:59:59 UTC: a second too early.
	w.clock.Advance(time.Date(2026, 11, 24, 12, 59, 59, 0, time.UTC).Sub(w.clock.Now()))
	w.settle()
	if got := w.twilio.Messages(); len(got) != 0 {
		t.Fatalf("messages at %s: %+v, want none", w.clock.Now(), got)
	}

	// 13:00 UTC, 08:00 in New York: an hour before.
	w.clock.Advance(time.Second)
	eventually(t, "the shift notice SMS", func() bool { return len(w.twilio.Messages()) > 0 })
	w.settle()
	w.clock.Advance(30 * time.Minute)
	w.settle()

	msgs := w.twilio.Messages()
	if len(msgs) != 1 {
		var lines []string
		for _, m := range msgs {
			lines = append(lines, m.To+": "+m.Body)
		}
		t.Fatalf("got %d messages, want exactly one shift notice:\n%s", len(msgs), strings.Join(lines, "\n"))
	}
	want := "[pagerd] Your on-call shift for payments-primary starts Tue 24 Nov 09:00 EST (in 1h) and ends Wed 25 Nov 09:00 EST."
	if m := msgs[0]; m.To != alicePhone || m.Body != want {
		t.Errorf("message to %s: %q\nwant to %s: %q", m.To, m.Body, alicePhone, want)
	}
}
