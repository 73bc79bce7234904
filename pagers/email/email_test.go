package email

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
)

func page() pagers.Notification {
	return pagers.Notification{
		Key: "inc42/r0/s0/alice/0/email", Kind: pagers.KindPage, Channel: "email",
		User: "alice", Address: "alice@example.com",
		AckURL: "https://pagerd.example.com/ack/42?sig=abc", AckReply: "ack 42",
		Incident: pagers.Incident{
			ID: 42, Title: "CheckoutDown", Summary: "checkout is down", Service: "checkout", Status: "triggered",
			Labels:    map[string]string{"alertname": "CheckoutDown", "severity": "critical", "note": `<b>bold</b> & "quoted"`},
			SourceURL: "http://prometheus.example.com/graph",
		},
	}
}

func config(s *testenv.SMTPServer, tls string) Config {
	return Config{Host: s.Host, Port: s.Port, From: "pagerd <pagerd@example.com>", TLS: tls, HeloName: "pagerd.test", Timeout: 5 * time.Second}
}

func TestSendMultipart(t *testing.T) {
	s := testenv.StartSMTP(t)
	for i, tls := range []string{TLSNone, TLSOpportunistic} {
		n := page()
		rcpt, err := New(config(s, tls)).Send(context.Background(), n)
		if err != nil {
			t.Fatalf("Send(TLS %s) error = %v", tls, err)
		}
		msgs := s.WaitMessages(t, i+1, 5*time.Second)
		m := msgs[i]

		if rcpt.Channel != "email" || "<"+rcpt.ProviderID+">" != m.Headers.Get("Message-Id") {
			t.Errorf("receipt = %+v, want the Message-ID %q", rcpt, m.Headers.Get("Message-Id"))
		}
		checks := []struct{ name, got, want string }{
			{"From", m.From, "pagerd@example.com"},
			{"To", strings.Join(m.To, ","), "alice@example.com"},
			{"EnvelopeTo", strings.Join(m.EnvelopeTo, ","), "alice@example.com"},
			{"Subject", m.Subject, "[pagerd] #42 CRITICAL CheckoutDown (checkout)"},
			{"X-Pagerd-Incident", m.Headers.Get("X-Pagerd-Incident"), "42"},
			{"X-Pagerd-Key", m.Headers.Get("X-Pagerd-Key"), "inc42/r0/s0/alice/0/email"},
			{"Auto-Submitted", m.Headers.Get("Auto-Submitted"), "auto-generated"},
			{"References", m.Headers.Get("References"), "<pagerd.incident.42@example.com>"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("TLS %s: %s = %q, want %q", tls, c.name, c.got, c.want)
			}
		}
		if !strings.HasPrefix(m.Headers.Get("Content-Type"), "multipart/alternative") {
			t.Errorf("Content-Type = %q, want multipart/alternative", m.Headers.Get("Content-Type"))
		}
		for _, want := range []string{"checkout is down", "Acknowledge: https://pagerd.example.com/ack/42?sig=abc", "note      = <b>bold</b> & \"quoted\""} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("text part = %q, want it to contain %q", m.Text, want)
			}
		}
		for _, want := range []string{`href="https://pagerd.example.com/ack/42?sig=abc"`, "&lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34;"} {
			if !strings.Contains(m.HTML, want) {
				t.Errorf("HTML part = %q, want it to contain %q", m.HTML, want)
			}
		}
		if strings.Contains(m.HTML, "<b>bold</b>") {
			t.Error("HTML part contains an unescaped label value")
		}
	}

	// The same key gives the same Message-ID: a retried send is one mail to
	// the reader.
	msgs := s.WaitMessages(t, 2, time.Second)
	if a, b := msgs[0].Headers.Get("Message-Id"), msgs[1].Headers.Get("Message-Id"); a != b || a == "" {
		t.Errorf("Message-IDs for one key = %q and %q, want equal", a, b)
	}
}

func TestSendErrors(t *testing.T) {
	small := testenv.StartSMTP(t, testenv.SMTPMaxSize(200))
	stopped := testenv.StartSMTP(t)
	stopped.Stop()
	plain := testenv.StartSMTP(t)

	tests := []struct {
		name     string
		cfg      Config
		n        func(*pagers.Notification)
		wantErr  string
		wantPerm bool
	}{
		{name: "connection refused", cfg: config(stopped, TLSNone), wantErr: "refused", wantPerm: false},
		{name: "message refused with 552", cfg: config(small, TLSNone), wantErr: "552", wantPerm: true},
		{name: "no address", cfg: config(plain, TLSNone), n: func(n *pagers.Notification) { n.Address = "" }, wantErr: `user "alice" has no email address`, wantPerm: true},
		{name: "bad address", cfg: config(plain, TLSNone), n: func(n *pagers.Notification) { n.Address = "not an address" }, wantErr: "not an address", wantPerm: true},
		{name: "bad config", cfg: Config{Host: plain.Host, From: "nobody", TLS: "sometimes"}, wantErr: `TLS "sometimes"`, wantPerm: true},
		{name: "mandatory TLS without STARTTLS", cfg: config(plain, TLSMandatory), wantErr: "STARTTLS", wantPerm: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := page()
			if tt.n != nil {
				tt.n(&n)
			}
			_, err := New(tt.cfg).Send(context.Background(), n)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send() error = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := pagers.IsPermanent(err); got != tt.wantPerm {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.wantPerm)
			}
		})
	}
	if msgs, err := plain.Messages(); err != nil || len(msgs) != 0 {
		t.Errorf("server got %d messages (%v), want none", len(msgs), err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg     Config
		wantErr string
	}{
		{Config{Host: "smtp.example.com", From: "pagerd@example.com"}, ""},
		{Config{Host: "smtp.example.com", From: "pagerd@example.com", TLS: TLSImplicit, Username: "u", Password: "p"}, ""},
		{Config{From: "pagerd@example.com"}, "host is required"},
		{Config{Host: "h", From: "pagerd"}, `sender "pagerd"`},
		{Config{Host: "h", From: "p@example.com", Port: 70000}, "out of range"},
		{Config{Host: "h", From: "p@example.com", Password: "p"}, "without username"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.cfg, err, tt.wantErr)
		}
	}
}
