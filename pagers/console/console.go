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
	"github.com/pagerd/pagerd/policies"
)

func init() {
	pagers.Register(pagers.Channel{
		ChannelSpec: policies.ChannelSpec{
			Name: "console",
			// Everyone can be "reached" on the console: it is the last
			// resort when no provider can send.
			Address: func(u *policies.User) string { return u.Name },
			Rank:    1000,
		},
		Build: func(_ *policies.Config, env pagers.Env) (pagers.Pager, error) {
			return New(env.Console), nil
		},
	})
}

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
	switch {
	case n.User != "":
		to = strings.TrimSpace(n.User + " " + bracket(n.Address))
	case n.Destination != "":
		to = n.Destination
	}

	var b strings.Builder
	fmt.Fprintf(&b, "=== pagerd %s via %s to %s ===\n", orKind(n.Kind), channel, orDash(to))
	switch n.Kind {
	case pagers.KindSignIn:
		// Not about an incident: the text line carries the link.
	case pagers.KindShiftNotice:
		// Not about an incident: the text line says when the shift runs.
		if n.Shift != nil {
			fmt.Fprintf(&b, "schedule: %s\n", pagers.OneLine(n.Shift.Schedule))
		}
	default:
		fmt.Fprintf(&b, "incident: #%d %s\n", n.Incident.ID, pagers.OneLine(n.Incident.Title))
		if n.Incident.Service != "" {
			fmt.Fprintf(&b, "service:  %s\n", pagers.OneLine(n.Incident.Service))
		}
	}
	fmt.Fprintf(&b, "text:     %s\n", pagers.ShortText(n, 0))
	for _, l := range n.Incident.Links {
		fmt.Fprintf(&b, "link:     %s %s\n", pagers.OrDefault(pagers.OneLine(l.Text), "Link"), pagers.OneLine(l.Href))
	}
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
