package console

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/pagertest"
)

func TestConsoleSend(t *testing.T) {
	var out bytes.Buffer
	c := New(&out)
	n := pagers.Notification{
		Key:      "inc42/r0/s0/alice/0/sms",
		Kind:     pagers.KindPage,
		Channel:  "sms",
		User:     "alice",
		Address:  "+15551230001",
		AckURL:   "https://pagerd.example.com/ack/42",
		AckReply: "ack 42",
		Incident: pagers.Incident{ID: 42, Title: "CheckoutDown", Summary: "checkout is down", Service: "checkout",
			Labels: map[string]string{"severity": "critical"},
			Links:  []incident.Link{{Text: "Dashboard", Href: "https://grafana.example.com/d/checkout"}}},
	}
	rcpt, err := c.Send(context.Background(), n)
	if err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	if rcpt != (pagers.Receipt{Channel: "sms", ProviderID: "console-1"}) {
		t.Errorf("Send() receipt = %+v, want sms/console-1", rcpt)
	}
	want := `=== pagerd page via sms to alice <+15551230001> ===
incident: #42 CheckoutDown
service:  checkout
text:     [pagerd] #42 CRITICAL CheckoutDown (checkout): checkout is down. Reply 'ack 42' to acknowledge. https://pagerd.example.com/ack/42
link:     Dashboard https://grafana.example.com/d/checkout
ack link: https://pagerd.example.com/ack/42
key:      inc42/r0/s0/alice/0/sms

`
	if got := out.String(); got != want {
		t.Errorf("output =\n%s\nwant\n%s", got, want)
	}

	out.Reset()
	n.Channel, n.Address = "email", "alice@example.com"
	rcpt, err = c.Send(context.Background(), n)
	if err != nil || rcpt.ProviderID != "console-2" {
		t.Fatalf("second Send() = %+v, %v, want console-2", rcpt, err)
	}
	if got := out.String(); !strings.Contains(got, "via email to alice <alice@example.com>") {
		t.Errorf("email output = %q, want the channel and address", got)
	}

	// A destination of a channel is named, not a person.
	out.Reset()
	n.Channel, n.User, n.Address, n.Destination = "webhook", "", "", "audit"
	if _, err := c.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "=== pagerd page via webhook to audit ===\n") {
		t.Errorf("destination output = %q, want it addressed to the destination", got)
	}
}

func TestConsoleShiftNotice(t *testing.T) {
	var out bytes.Buffer
	n := pagers.Notification{
		Key:     "shift:primary:alice:1796047200:1h0m0s:console",
		Kind:    pagers.KindShiftNotice,
		Channel: "console",
		User:    "alice",
		Address: "alice",
		Shift: &pagers.ShiftInfo{
			Schedule: "primary",
			Start:    time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
			End:      time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
			StartsIn: time.Hour,
		},
	}
	if _, err := New(&out).Send(context.Background(), n); err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	want := `=== pagerd shift_notice via console to alice <alice> ===
schedule: primary
text:     [pagerd] Your on-call shift for primary starts Mon 30 Nov 09:00 UTC (in 1h) and ends Tue 1 Dec 09:00 UTC.
key:      shift:primary:alice:1796047200:1h0m0s:console

`
	if got := out.String(); got != want {
		t.Errorf("output =\n%s\nwant\n%s", got, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestConsoleErrors(t *testing.T) {
	if _, err := New(failingWriter{}).Send(context.Background(), pagers.Notification{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Send() to a failing writer = %v, want the write error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if _, err := New(&out).Send(ctx, pagers.Notification{}); !errors.Is(err, context.Canceled) || out.Len() != 0 {
		t.Errorf("Send(canceled) = %v with output %q, want context.Canceled and nothing written", err, out.String())
	}
}

// Control characters a sender sent neither break the console's lines nor
// act on the terminal (an escape sequence, a right-to-left override).
func TestConsoleEscapesHostileText(t *testing.T) {
	var out bytes.Buffer
	if _, err := New(&out).Send(context.Background(), pagertest.HostilePage()); err != nil {
		t.Fatal(err)
	}
	pagertest.CheckDisplayed(t, "console", out.String(), true)
	for _, want := range []string{
		"incident: #42 Checkout Down \\x00\\x1b[31mred\\u202egnp.exe\n",
		"link:     Dash board https://grafana.example.com/d/x y\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, out.String())
		}
	}
}
