package policies

import (
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// After an incident: the `postmortem` block says which incidents need a
// post-mortem, how often its owner and the owners of overdue action items
// are reminded, and where drafts are written; the `console` block how
// long a console sign-in link and session last. Both are optional, every
// attribute has a default. See docs/incident-command.md.

// Postmortem is the compiled `postmortem` block, defaults filled in.
type Postmortem struct {
	// Required are the severities whose incidents need a post-mortem: its
	// owner is reminded every RemindEvery until it is marked done. Other
	// incidents are offered one: the owner is told once.
	Required []string
	// RemindEvery is how long after the incident resolves its owner is
	// first reminded, and how often after that.
	RemindEvery time.Duration
	// ActionRemindEvery is how often the owner of an overdue action item
	// is reminded of it.
	ActionRemindEvery time.Duration
	// Directory, when set, is where a draft is written when an incident
	// resolves, one file per incident (absolute; a relative path in HCL is
	// relative to the config directory).
	Directory string
}

// Console is the compiled `console` block.
type Console struct {
	// SignInTTL is how long a magic sign-in link stays valid (it works
	// once).
	SignInTTL time.Duration
	// SessionTTL is how long a console session lasts.
	SessionTTL time.Duration
}

// Defaults of the postmortem and console blocks.
const (
	DefaultPostmortemRemind = 24 * time.Hour
	DefaultActionRemind     = 7 * 24 * time.Hour
	DefaultSignInTTL        = 15 * time.Minute
	DefaultSessionTTL       = 12 * time.Hour
	// minRemind keeps a reminder from nagging in a tight loop.
	minRemind = time.Hour
)

// PostmortemRequired reports whether an incident of severity sev needs a
// post-mortem.
func (c *Config) PostmortemRequired(sev string) bool {
	return sev != "" && slices.Contains(c.Postmortem.Required, sev)
}

// postmortem compiles the postmortem and console blocks (absent: every
// default), once severities are known.
func (l *loader) postmortem(cfg *Config, pb, cb *hcl.Block) {
	sevs := cfg.Command.Severities
	cfg.Postmortem = Postmortem{Required: slices.Clone(sevs[:min(2, len(sevs))]),
		RemindEvery: DefaultPostmortemRemind, ActionRemindEvery: DefaultActionRemind}
	cfg.Console = Console{SignInTTL: DefaultSignInTTL, SessionTTL: DefaultSessionTTL}
	if pb != nil {
		b := l.block(pb, attrs("required", "remind_every", "action_remind_every", "directory"))
		p := &cfg.Postmortem
		if names, ranges, ok := b.Strings("required"); ok {
			p.Required = nil
			for i, n := range names {
				if l.knownSeverity(cfg, n, ranges[i]) {
					p.Required = append(p.Required, n)
				}
			}
		}
		for _, d := range []struct {
			name string
			to   *time.Duration
		}{{"remind_every", &p.RemindEvery}, {"action_remind_every", &p.ActionRemindEvery}} {
			v, r, ok := b.Duration(d.name, *d.to)
			if ok && present(r) && v < minRemind {
				l.errorf(r, "Reminder too frequent", "%s is at least %s: a reminder is not a page.", d.name, shortDuration(minRemind))
				continue
			}
			*d.to = v
		}
		if dir, r := b.String("directory"); present(r) {
			switch {
			case dir == "":
				l.errorf(r, "Empty directory", "directory needs a path, or leave it out to write no drafts.")
			default:
				if !filepath.IsAbs(dir) {
					dir = filepath.Join(l.dir, dir)
				}
				p.Directory = filepath.Clean(dir)
				if st, err := os.Stat(p.Directory); err != nil || !st.IsDir() {
					l.warnf(r.Ptr(), "No such directory",
						"%s is not a directory here: drafts cannot be written until it exists (the daemon logs each failure).", p.Directory)
				}
			}
		}
	}
	if cb != nil {
		b := l.block(cb, attrs("sign_in_ttl", "session_ttl"))
		c := &cfg.Console
		c.SignInTTL, _, _ = b.Duration("sign_in_ttl", c.SignInTTL)
		c.SessionTTL, _, _ = b.Duration("session_ttl", c.SessionTTL)
		if c.SignInTTL > time.Hour {
			l.errorf(b.Attr("sign_in_ttl"), "Sign-in link too long-lived", "sign_in_ttl is at most 1h: a magic link is a password while it lasts.")
		}
	}
}
