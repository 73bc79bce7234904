package testenv

import (
	"net/smtp"
	"reflect"
	"strings"
	"testing"
	"time"
)

const multipartMail = "From: Pagerd <pagerd@example.com>\r\n" +
	"To: Alice <alice@example.com>, bob@example.com\r\n" +
	"Subject: =?UTF-8?q?[pagerd]_#42_CRITICAL_Checkout=E2=9C=93?=\r\n" +
	"X-Pagerd-Incident: 42\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"checkout is down =E2=9C=93 and this line is long enough to be wrapped by quo=\r\n" +
	"ted-printable\r\n" +
	"--b1\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+Y2hlY2tvdXQgaXMg\r\nZG93bjwvcD4=\r\n" +
	"--b1--\r\n"

func TestStartSMTPReceivesAndParses(t *testing.T) {
	s := StartSMTP(t)
	if err := smtp.SendMail(s.Addr, nil, "bounce@example.com", []string{"alice@example.com", "bob@example.com"}, []byte(multipartMail)); err != nil {
		t.Fatalf("SendMail() error = %v", err)
	}
	msgs := s.WaitMessages(t, 1, 5*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"From", m.From, "pagerd@example.com"},
		{"To", m.To, []string{"alice@example.com", "bob@example.com"}},
		{"Subject", m.Subject, "[pagerd] #42 CRITICAL Checkout✓"},
		{"Text", strings.TrimSpace(m.Text), "checkout is down ✓ and this line is long enough to be wrapped by quoted-printable"},
		{"HTML", m.HTML, "<p>checkout is down</p>"},
		{"header", m.Headers.Get("X-Pagerd-Incident"), "42"},
		{"EnvelopeFrom", m.EnvelopeFrom, "bounce@example.com"},
		{"EnvelopeTo", m.EnvelopeTo, []string{"alice@example.com", "bob@example.com"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestStartSMTPMaxSizeRejects(t *testing.T) {
	s := StartSMTP(t, SMTPMaxSize(100))
	err := smtp.SendMail(s.Addr, nil, "bounce@example.com", []string{"alice@example.com"}, []byte(multipartMail))
	if err == nil || !strings.HasPrefix(err.Error(), "552") {
		t.Fatalf("SendMail() of a too large message = %v, want a 552 rejection", err)
	}
	if msgs, err := s.Messages(); err != nil || len(msgs) != 0 {
		t.Errorf("Messages() = %d, %v; want none", len(msgs), err)
	}
}

func TestSMTPStopMakesServerUnreachable(t *testing.T) {
	s := StartSMTP(t)
	s.Stop()
	if err := smtpGreets(s.Addr); err == nil {
		t.Error("the server still greets after Stop")
	}
	s.Stop() // twice is fine
}
