package policies

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Check loads dir, writes every diagnostic (warnings too) to w, then a
// one-line summary, and reports whether the config is usable. `pagerd check`
// exits non-zero when it is not.
func Check(dir string, w io.Writer) (ok bool) {
	return check(dir, w, time.Now())
}

func check(dir string, w io.Writer, now time.Time) bool {
	l := loadDir(dir, now)
	if len(l.Diags) > 0 {
		if err := l.WriteDiagnostics(w); err != nil {
			fmt.Fprintf(w, "cannot write diagnostics: %v\n", err)
		}
	}
	fmt.Fprintln(w, l.Summary())
	return l.Config != nil
}

// Summary is one line saying whether the config is valid and what it holds,
// e.g. "config OK: 3 users, 2 teams, ... (1 warning)".
func (l *Loaded) Summary() string {
	var errs, warns int
	for _, d := range l.Diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	if l.Config == nil {
		s := "config invalid: " + count(errs, "error")
		if warns > 0 {
			s += ", " + count(warns, "warning")
		}
		return s
	}
	c := l.Config
	services := 0
	for _, s := range c.Services {
		if s.NameLabel == "" { // an ownership map's default stands for many
			services++
		}
	}
	parts := []string{
		count(len(c.Users), "user"),
		count(len(c.Teams), "team"),
		count(len(c.Schedules), "schedule"),
		count(len(c.Escalations), "escalation"),
		count(services, "service"),
		count(len(c.Integrations), "integration"),
	}
	if n := len(c.Ownerships); n > 0 {
		parts = append(parts, count(n, "ownership map"))
	}
	if n := len(c.Heartbeats); n > 0 {
		parts = append(parts, count(n, "heartbeat"))
	}
	if n := len(c.Maintenance); n > 0 {
		parts = append(parts, count(n, "maintenance window"))
	}
	if n := len(c.Inhibits); n > 0 {
		parts = append(parts, count(n, "inhibit rule"))
	}
	s := "config OK: " + strings.Join(parts, ", ")
	if warns > 0 {
		s += " (" + count(warns, "warning") + ")"
	}
	return s
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
