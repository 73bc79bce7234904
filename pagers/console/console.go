// Package console is the pager used when no provider credentials are set: it
// writes each notification as a readable block to an io.Writer (stderr in
// `pagerd serve`), so a local setup shows exactly who would be paged and
// with which text.
package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/pagerd/pagerd/pagers"
)

// Console writes notifications to W. It is safe for concurrent use.
type Console struct {
	mu   sync.Mutex
	w    io.Writer
	sent int
}

var _ pagers.Pager = (*Console)(nil)

// New returns a Console writing to w.
func New(w io.Writer) *Console { return &Console{w: w} }

// Send implements pagers.Pager. The receipt's ProviderID is "console-N",
// counting from 1.
func (c *Console) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return pagers.Receipt{}, err
	}
	channel := n.Channel
	if channel == "" {
		channel = "console"
	}
	to := n.Address
	if n.User != "" {
		to = strings.TrimSpace(n.User + " " + bracket(n.Address))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "=== pagerd %s via %s to %s ===\n", orKind(n.Kind), channel, orDash(to))
	if n.Kind == pagers.KindShiftNotice {
		// Not about an incident: the text line says when the shift runs.
		if n.Shift != nil {
			fmt.Fprintf(&b, "schedule: %s\n", oneLine(n.Shift.Schedule))
		}
	} else {
		fmt.Fprintf(&b, "incident: #%d %s\n", n.Incident.ID, oneLine(n.Incident.Title))
		if n.Incident.Service != "" {
			fmt.Fprintf(&b, "service:  %s\n", oneLine(n.Incident.Service))
		}
	}
	if channel == "email" {
		fmt.Fprintf(&b, "subject:  %s\n", pagers.EmailSubject(n))
	}
	fmt.Fprintf(&b, "text:     %s\n", pagers.SMSText(n))
	if n.AckURL != "" {
		fmt.Fprintf(&b, "ack link: %s\n", n.AckURL)
	}
	if n.Key != "" {
		fmt.Fprintf(&b, "key:      %s\n", n.Key)
	}
	b.WriteString("\n")

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return pagers.Receipt{}, fmt.Errorf("console: %w", err)
	}
	c.sent++
	return pagers.Receipt{Channel: channel, ProviderID: fmt.Sprintf("console-%d", c.sent)}, nil
}

func bracket(s string) string {
	if s == "" {
		return ""
	}
	return "<" + s + ">"
}

func orKind(k pagers.Kind) string {
	if k == "" {
		return string(pagers.KindPage)
	}
	return string(k)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
