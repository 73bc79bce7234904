package policies

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/pagerd/pagerd/schedules"
)

// Defaults of the pagerd block.
const (
	DefaultPublicURL         = "http://localhost:8080"
	DefaultLinkTTL           = 24 * time.Hour
	DefaultResolvedRetention = 7 * 24 * time.Hour
	DefaultResolveTimeout    = 5 * time.Minute
)

// gapHorizon is how far ahead check looks for times when a schedule has no
// one on call.
const gapHorizon = 4 * 7 * 24 * time.Hour

// minRepeatAfter keeps a repeating escalation from paging in a tight loop.
const minRepeatAfter = time.Minute

// Lower bounds of the pagerd block's durations. resolved_retention becomes
// Redis PX/PEXPIRE milliseconds: Redis refuses 0, and a retention shorter
// than an alert's repeat interval would let the same alert page again.
const (
	minLinkTTL           = time.Minute
	minAckTimeout        = time.Minute
	minResolvedRetention = time.Minute
	minResolveTimeout    = time.Second
)

var (
	e164        = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	channels    = []string{"sms", "voice", "email", "console"}
	targetKinds = []string{"user", "team", "schedule"}
)

// compile turns the decoded blocks into a Config, recording a diagnostic for
// every problem it finds. The result is meaningful only without errors.
func (l *loader) compile(raw *fileSchema) *Config {
	cfg := &Config{
		Dir:         l.dir,
		Users:       map[string]*User{},
		Teams:       map[string]*Team{},
		Schedules:   map[string]*schedules.Schedule{},
		Escalations: map[string]*Escalation{},
	}
	cfg.Settings = l.settings(raw.Pagerd)
	l.integrations(cfg, raw.Integrations)
	cfg.Twilio = l.twilio(raw.Twilio)
	cfg.SMTP = l.smtp(raw.SMTP)
	l.users(cfg, raw.Users)
	l.teams(cfg, raw.Teams)
	l.schedules(cfg, raw.Schedules)
	l.escalations(cfg, raw.Escalations)
	l.services(cfg, raw.Services)
	return cfg
}

func (l *loader) settings(b *pagerdBlock) Settings {
	s := Settings{
		PublicURL:         DefaultPublicURL,
		LinkTTL:           DefaultLinkTTL,
		ResolvedRetention: DefaultResolvedRetention,
		ResolveTimeout:    DefaultResolveTimeout,
	}
	if b == nil {
		return s
	}
	if present(b.PublicURLRange) {
		u, err := url.Parse(b.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.errorf(b.PublicURLRange, "Invalid URL", `public_url = %q is not an http(s) URL; write it like "https://pagerd.example.com".`, b.PublicURL)
		}
		s.PublicURL = strings.TrimRight(b.PublicURL, "/")
	}
	if sec, ok := l.secret(b.LinkSecret, "link_secret"); ok {
		switch {
		case !sec.Set:
			l.warnf(b.LinkSecret.Range().Ptr(), "Link secret not set",
				"%s %s, so pagerd keeps a generated key in Redis.", sec.Source, sec.missing())
		case len(sec.Value) < 16:
			l.errorf(b.LinkSecret.Range(), "Link secret too short",
				"The key from %s has %d bytes; an HMAC key needs at least 16 (32 random bytes are best).", sec.Source, len(sec.Value))
		default:
			s.LinkSecret = []byte(sec.Value)
		}
	}
	var ok bool
	if s.LinkTTL, ok = l.duration(b.LinkTTL, b.LinkTTLRange, "link_ttl", s.LinkTTL); ok && s.LinkTTL < minLinkTTL {
		l.errorf(b.LinkTTLRange, "Invalid duration",
			"link_ttl = %q is shorter than 1m: a link must outlive the page that carries it.", b.LinkTTL)
	}
	// ack_timeout = "0s" is the same as leaving it out: never page again.
	if s.AckTimeout, ok = l.duration(b.AckTimeout, b.AckTimeoutRange, "ack_timeout", 0); ok && s.AckTimeout > 0 && s.AckTimeout < minAckTimeout {
		l.errorf(b.AckTimeoutRange, "Invalid duration",
			`ack_timeout = %q is shorter than 1m: an acknowledged incident must not be paged again in a tight loop (leave it out, or set "0s", for never).`, b.AckTimeout)
	}
	if s.ResolvedRetention, ok = l.duration(b.ResolvedRetention, b.ResolvedRetentionRange, "resolved_retention", s.ResolvedRetention); ok && s.ResolvedRetention < minResolvedRetention {
		l.errorf(b.ResolvedRetentionRange, "Invalid duration",
			"resolved_retention = %q is shorter than 1m: a resolved incident must be kept long enough that a late or repeated alert does not page again.", b.ResolvedRetention)
	}
	if s.ResolveTimeout, ok = l.duration(b.ResolveTimeout, b.ResolveTimeoutRange, "resolve_timeout", s.ResolveTimeout); ok && s.ResolveTimeout < minResolveTimeout {
		l.errorf(b.ResolveTimeoutRange, "Invalid duration",
			"resolve_timeout = %q is shorter than 1s: an API alert without endsAt would resolve as it arrives.", b.ResolveTimeout)
	}
	return s
}

func (l *loader) integrations(cfg *Config, blocks []integrationBlock) {
	names := map[string]hcl.Range{}
	tokens := map[string]*integrationBlock{}
	for i := range blocks {
		b := &blocks[i]
		if !l.unique(names, "integration", b.Name, b.DefRange) {
			continue
		}
		if b.Type != "alertmanager" && b.Type != "api" {
			l.errorf(b.TypeRange, "Unknown integration type",
				`type = %q is not an integration type; use "alertmanager" or "api".`, b.Type)
		}
		tok, ok := l.secret(b.Token, "token")
		if !ok {
			continue
		}
		if !tok.Set {
			l.errorf(b.Token.Range(), "Integration token not set",
				"The token of integration %q comes from %s, which %s.", b.Name, tok.Source, tok.missing())
			continue
		}
		if first, dup := tokens[tok.Value]; dup {
			l.errorf(b.Token.Range(), "Duplicate integration token",
				"Integration %q has the same token as integration %q (%s); give each source its own token.", b.Name, first.Name, at(first.DefRange))
			continue
		}
		tokens[tok.Value] = b
		cfg.Integrations = append(cfg.Integrations, &Integration{Name: b.Name, Type: b.Type, Token: tok.Value})
	}
}

func (l *loader) twilio(b *twilioBlock) *Twilio {
	if b == nil {
		return nil
	}
	if !e164.MatchString(b.From) {
		l.errorf(b.FromRange, "Invalid phone number", `from = %q is not an E.164 number; write it like "+15550000000".`, b.From)
	}
	sid, sidOK := l.secret(b.AccountSID, "account_sid")
	tok, tokOK := l.secret(b.AuthToken, "auth_token")
	if !sidOK || !tokOK {
		return nil
	}
	if unset := unsetSources(sid, tok); unset != "" {
		l.warnf(b.DefRange.Ptr(), "Twilio disabled",
			"%s, so SMS and voice pages are printed to the console instead.", unset)
		return nil
	}
	return &Twilio{AccountSID: sid.Value, AuthToken: tok.Value, From: b.From}
}

func (l *loader) smtp(b *smtpBlock) *SMTP {
	if b == nil {
		return nil
	}
	s := &SMTP{Host: b.Host, Port: 25, From: b.From, TLS: "opportunistic"}
	if b.Host == "" {
		l.errorf(b.DefRange, "Missing SMTP host", "host must name the mail server.")
	}
	if present(b.PortRange) {
		if b.Port < 1 || b.Port > 65535 {
			l.errorf(b.PortRange, "Invalid port", "port = %d is not a TCP port.", b.Port)
		}
		s.Port = b.Port
	}
	if !validEmail(b.From) {
		l.errorf(b.FromRange, "Invalid email address", `from = %q is not an email address; write it like "pagerd@example.com".`, b.From)
	}
	if present(b.TLSRange) {
		if b.TLS != "none" && b.TLS != "opportunistic" && b.TLS != "mandatory" {
			l.errorf(b.TLSRange, "Invalid TLS mode", `tls = %q is not a TLS mode; use "none", "opportunistic" or "mandatory".`, b.TLS)
		}
		s.TLS = b.TLS
	}
	user, userOK := l.optionalString(b.Username)
	pass, passOK := l.secret(b.Password, "password")
	switch {
	case userOK && !passOK && written(b.Password):
		return nil // the password is invalid, already reported
	case userOK && !passOK:
		l.errorf(b.Username.Range(), "Missing SMTP password", `A username needs a password = env("NAME") or file("path").`)
		return nil
	case passOK && !userOK:
		l.errorf(b.Password.Range(), "Missing SMTP username", "A password needs a username.")
		return nil
	case userOK && passOK:
		if user.Source == "" {
			user.Source = "username"
		}
		if unset := unsetSources(user, pass); unset != "" {
			l.warnf(b.DefRange.Ptr(), "SMTP disabled",
				"%s, so email pages are printed to the console instead.", unset)
			return nil
		}
		s.Username, s.Password = user.Value, pass.Value
	}
	return s
}

// unsetSources says which secrets are not set, as in `env("A") is unset or
// empty and file("b") is empty`; "" when all are set.
func unsetSources(ss ...secret) string {
	var unset []string
	for _, s := range ss {
		if !s.Set {
			unset = append(unset, s.Source+" "+s.missing())
		}
	}
	return strings.Join(unset, " and ")
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

func (l *loader) users(cfg *Config, blocks []userBlock) {
	names := map[string]hcl.Range{}
	for i := range blocks {
		b := &blocks[i]
		if !l.unique(names, "user", b.Name, b.DefRange) {
			continue
		}
		u := &User{Name: b.Name, Email: b.Email, Phone: b.Phone}
		if present(b.EmailRange) && !validEmail(b.Email) {
			l.errorf(b.EmailRange, "Invalid email address", `email = %q is not an email address; write it like "alice@example.com".`, b.Email)
		}
		if present(b.PhoneRange) && !e164.MatchString(b.Phone) {
			l.errorf(b.PhoneRange, "Invalid phone number", `phone = %q is not an E.164 number; write it like "+15551230001".`, b.Phone)
		}
		for _, n := range b.Notify {
			after, _ := l.duration(n.After, n.AfterRange, "after", 0)
			if l.channel(u, n.Via, n.ViaRange) {
				u.Rules = append(u.Rules, NotifyRule{After: after, Via: n.Via})
			}
		}
		if len(b.Notify) == 0 {
			u.Rules = defaultRules(u)
			if u.Rules[0].Via == "console" {
				l.warnf(b.DefRange.Ptr(), "User cannot be reached",
					"User %q has no phone, email or notify rule, so their pages are only printed to the console.", b.Name)
			}
		}
		for _, n := range b.ShiftNotices {
			before, ok := l.duration(n.Before, n.BeforeRange, "before", 0)
			if ok && before == 0 {
				l.errorf(n.BeforeRange, "Invalid duration", "before must be more than 0.")
			}
			if l.channel(u, n.Via, n.ViaRange) {
				u.ShiftNotices = append(u.ShiftNotices, ShiftNotice{Before: before, Via: n.Via})
			}
		}
		cfg.Users[u.Name] = u
	}
}

// defaultRules is what a user without notify blocks gets: a page at once,
// by SMS if they have a phone, else by email, else on the console.
func defaultRules(u *User) []NotifyRule {
	switch {
	case u.Phone != "":
		return []NotifyRule{{Via: "sms"}}
	case u.Email != "":
		return []NotifyRule{{Via: "email"}}
	}
	return []NotifyRule{{Via: "console"}}
}

// channel checks a via value and that u has the address it needs.
func (l *loader) channel(u *User, via string, r hcl.Range) bool {
	switch via {
	case "sms", "voice":
		if u.Phone == "" {
			l.errorf(r, "Missing phone number", `User %q has no phone, which via = %q needs.`, u.Name, via)
			return false
		}
	case "email":
		if u.Email == "" {
			l.errorf(r, "Missing email address", `User %q has no email, which via = "email" needs.`, u.Name)
			return false
		}
	case "console":
	default:
		l.errorf(r, "Unknown channel", `via = %q is not a channel; use one of %s.`, via, quoteList(channels))
		return false
	}
	return true
}

func (l *loader) teams(cfg *Config, blocks []teamBlock) {
	names := map[string]hcl.Range{}
	for i := range blocks {
		b := &blocks[i]
		if !l.unique(names, "team", b.Name, b.DefRange) {
			continue
		}
		members, ok := l.userList(cfg, b.Members, "members")
		if ok && len(members) == 0 {
			l.errorf(b.Members.Range(), "Empty team", "Team %q has no members.", b.Name)
		}
		cfg.Teams[b.Name] = &Team{Name: b.Name, Members: members}
	}
}

// userList evaluates a list of user names, each of which must be defined.
func (l *loader) userList(cfg *Config, expr hcl.Expression, attr string) ([]string, bool) {
	vals, ranges, ok := l.stringList(expr, attr)
	for i, v := range vals {
		if cfg.Users[v] == nil {
			l.errorf(ranges[i], "Unknown user", "No user %q is defined.", v)
			ok = false
		}
	}
	return vals, ok
}

func (l *loader) schedules(cfg *Config, blocks []scheduleBlock) {
	names := map[string]hcl.Range{}
	for i := range blocks {
		b := &blocks[i]
		if !l.unique(names, "schedule", b.Name, b.DefRange) {
			continue
		}
		before := len(l.diags.Errs())
		s := &schedules.Schedule{Name: b.Name, Location: l.location(b.Timezone, b.TimezoneRange, time.UTC)}
		if len(b.Rotations) == 0 {
			l.errorf(b.DefRange, "Schedule without rotation", "Schedule %q needs at least one rotation block.", b.Name)
		}
		rotations := map[string]hcl.Range{}
		for j := range b.Rotations {
			r := &b.Rotations[j]
			if !l.unique(rotations, "rotation", r.Name, r.DefRange) {
				continue
			}
			s.Layers = append(s.Layers, l.layer(cfg, s.Location, r))
		}
		for j := range b.Overrides {
			o := &b.Overrides[j]
			ov := schedules.Override{User: o.User}
			if cfg.Users[o.User] == nil {
				l.errorf(o.UserRange, "Unknown user", "No user %q is defined.", o.User)
			}
			var fromOK, toOK bool
			ov.From, fromOK = l.localTime(o.From, o.FromRange, "from", s.Location)
			ov.To, toOK = l.localTime(o.To, o.ToRange, "to", s.Location)
			if fromOK && toOK && !ov.To.After(ov.From) {
				l.errorf(o.ToRange, "Empty override", "to = %q is not after from = %q.", o.To, o.From)
			}
			s.Overrides = append(s.Overrides, ov)
		}
		cfg.Schedules[s.Name] = s
		// The questions below are only meaningful of a schedule that
		// compiled cleanly.
		if len(l.diags.Errs()) != before {
			continue
		}
		// The checks above point at the offending attribute; this one
		// catches whatever the schedule math rejects that they missed.
		if err := s.Validate(); err != nil {
			l.errorf(b.DefRange, "Invalid schedule", "%s.", err)
			continue
		}
		l.scheduleWarnings(s, b)
	}
}

func (l *loader) layer(cfg *Config, loc *time.Location, r *rotationBlock) schedules.Layer {
	layer := schedules.Layer{Name: r.Name, OnCall: 1}
	layerLoc := loc
	if present(r.TimezoneRange) {
		layerLoc = l.location(r.Timezone, r.TimezoneRange, loc)
		layer.Location = layerLoc
	}
	users, ok := l.userList(cfg, r.Users, "users")
	if ok && len(users) == 0 {
		l.errorf(r.Users.Range(), "Empty rotation", "Rotation %q has no users.", r.Name)
	}
	layer.Users = users
	if every, err := schedules.ParseShiftLength(r.Every); err != nil {
		l.errorf(r.EveryRange, "Invalid shift length", "every: %s.", err)
	} else {
		layer.Every = every
	}
	if start, ok := l.localTime(r.Start, r.StartRange, "start", layerLoc); ok {
		layer.Start = start
		switch {
		case start.Before(schedules.EarliestStart) || !start.Before(schedules.LatestStart):
			l.errorf(r.StartRange, "Invalid date", "start = %q: a rotation starts between %d and %d.",
				r.Start, schedules.EarliestStart.Year(), schedules.LatestStart.Year()-1)
		case wallClock(r.Start) != "" && wallClock(r.Start) != start.In(start.Location()).Format("15:04"):
			// The written handoff time does not exist that day (a DST gap):
			// every handoff of this rotation happens at the moved time.
			l.warnf(r.StartRange.Ptr(), "Start time skipped by DST",
				"%s does not exist on %s in %s (the clocks spring forward), so this rotation hands off at %s every time; pick a start day without a DST change to keep %s.",
				wallClock(r.Start), start.Format(time.DateOnly), start.Location(), start.Format("15:04"), wallClock(r.Start))
		}
	}
	if r.OnCall != nil {
		layer.OnCall = *r.OnCall
		if layer.OnCall < 1 || (len(users) > 0 && layer.OnCall > len(users)) {
			l.errorf(r.OnCallRange, "Invalid on_call", "on_call = %d must be between 1 and the number of users (%d).", layer.OnCall, len(users))
		}
	}
	for _, rb := range r.Restrict {
		layer.Restrictions = append(layer.Restrictions, l.restriction(&rb))
	}
	return layer
}

func (l *loader) restriction(b *restrictBlock) schedules.Restriction {
	var res schedules.Restriction
	days, ranges, _ := l.stringList(b.Days, "days")
	for i, d := range days {
		wd, err := schedules.ParseWeekday(d)
		if err != nil {
			l.errorf(ranges[i], "Invalid day", `%q is not a day of the week; write "mon", "tue", ... or "sun".`, d)
			continue
		}
		res.Days = append(res.Days, wd)
	}
	var err error
	if res.From, err = schedules.ParseClock(b.From); err != nil || res.From == schedules.EndOfDay {
		l.errorf(b.FromRange, "Invalid time of day", `from = %q is not a time of day; write it like "09:00" (00:00 to 23:59).`, b.From)
	}
	if res.To, err = schedules.ParseClock(b.To); err != nil {
		l.errorf(b.ToRange, "Invalid time of day", `to = %q is not a time of day; write it like "17:00" (00:00 to 24:00).`, b.To)
	}
	return res
}

func (l *loader) location(name string, r hcl.Range, def *time.Location) *time.Location {
	if !present(r) {
		return def
	}
	// "Local" would make the schedule mean something different on every
	// machine that loads it.
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		l.errorf(r, "Unknown time zone", `timezone = %q is not an IANA time zone; write it like "Europe/Berlin" or "UTC".`, name)
		return def
	}
	return loc
}

// wallClock is the "HH:MM" written in a "2006-01-02 15:04" date, or "" for
// other layouts (RFC 3339 with an offset names an instant, not a wall clock).
func wallClock(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 16 || (s[10] != ' ' && s[10] != 'T') || strings.ContainsAny(s[16:], "Z+-") {
		return ""
	}
	return s[11:16]
}

func (l *loader) localTime(s string, r hcl.Range, attr string, loc *time.Location) (time.Time, bool) {
	t, err := schedules.ParseLocal(s, loc)
	if err != nil {
		l.errorf(r, "Invalid date", `%s = %q is not a date and time; write it like "2026-11-02 09:00".`, attr, s)
		return time.Time{}, false
	}
	return t, true
}

func (l *loader) scheduleWarnings(s *schedules.Schedule, b *scheduleBlock) {
	if gaps := s.Gaps(l.now, l.now.Add(gapHorizon)); len(gaps) > 0 {
		const layout = "Mon 2006-01-02 15:04 MST"
		g := gaps[0]
		more := ""
		if len(gaps) > 1 {
			more = fmt.Sprintf(" (and %d more gaps)", len(gaps)-1)
		}
		l.warnf(b.DefRange.Ptr(), "Schedule has gaps",
			"No one is on call in schedule %q from %s to %s%s in the next 4 weeks.",
			s.Name, g.Start.In(s.Location).Format(layout), g.End.In(s.Location).Format(layout), more)
	}
	for _, pair := range s.OverlappingOverrides() {
		first, second := b.Overrides[pair[0]], b.Overrides[pair[1]]
		l.warnf(second.DefRange.Ptr(), "Overlapping overrides",
			"This override overlaps the one at %s; where they overlap, the later one wins.", at(first.DefRange))
	}
}

func (l *loader) escalations(cfg *Config, blocks []escalationBlock) {
	names := map[string]hcl.Range{}
	for i := range blocks {
		b := &blocks[i]
		if !l.unique(names, "escalation", b.Name, b.DefRange) {
			continue
		}
		e := &Escalation{Name: b.Name, Repeat: b.Repeat}
		if len(b.Steps) == 0 {
			l.errorf(b.DefRange, "Empty escalation", "Escalation %q needs at least one step block.", b.Name)
		}
		for j, sb := range b.Steps {
			var step EscalationStep
			if j > 0 && !present(sb.AfterRange) {
				l.errorf(sb.DefRange, "Missing after", "Step %d of escalation %q needs after = \"...\": how long after step %d it starts.", j+1, b.Name, j)
			}
			step.After, _ = l.duration(sb.After, sb.AfterRange, "after", 0)
			step.Targets = l.targets(cfg, sb.Notify)
			e.Steps = append(e.Steps, step)
		}
		if b.Repeat < 0 {
			l.errorf(b.RepeatRange, "Invalid repeat", "repeat = %d must not be negative.", b.Repeat)
		}
		if present(b.RepeatAfterRange) {
			d, ok := l.duration(b.RepeatAfter, b.RepeatAfterRange, "repeat_after", 0)
			if ok && d < minRepeatAfter {
				l.errorf(b.RepeatAfterRange, "Invalid duration", "repeat_after = %q is shorter than 1m: a repeat must not page in a tight loop.", b.RepeatAfter)
			}
			e.RepeatAfter = d
		} else if len(e.Steps) > 0 {
			e.RepeatAfter = max(e.Steps[len(e.Steps)-1].After, minRepeatAfter)
		}
		cfg.Escalations[e.Name] = e
	}
}

// targets parses a step's notify list of "kind:name" entries.
func (l *loader) targets(cfg *Config, expr hcl.Expression) []Target {
	vals, ranges, ok := l.stringList(expr, "notify")
	if ok && len(vals) == 0 {
		l.errorf(expr.Range(), "Empty step", "notify must name at least one target.")
	}
	var out []Target
	for i, v := range vals {
		kind, name, found := strings.Cut(v, ":")
		if !found || name == "" || !slices.Contains(targetKinds, kind) {
			l.errorf(ranges[i], "Invalid target",
				`%q is not a target; write "user:NAME", "team:NAME" or "schedule:NAME".`, v)
			continue
		}
		var known bool
		switch kind {
		case "user":
			known = cfg.Users[name] != nil
		case "team":
			known = cfg.Teams[name] != nil
		case "schedule":
			known = cfg.Schedules[name] != nil
		}
		if !known {
			l.errorf(ranges[i], "Unknown "+kind, "No %s %q is defined.", kind, name)
			continue
		}
		out = append(out, Target{Kind: kind, Name: name})
	}
	return out
}

func (l *loader) services(cfg *Config, blocks []serviceBlock) {
	names := map[string]hcl.Range{}
	var catchAll *serviceBlock
	for i := range blocks {
		b := &blocks[i]
		if !l.unique(names, "service", b.Name, b.DefRange) {
			continue
		}
		svc := &Service{Name: b.Name, Escalation: b.Escalation}
		switch {
		case b.Escalation == "":
			l.errorf(b.DefRange, "Service without escalation", `Service %q needs escalation = "NAME".`, b.Name)
		case cfg.Escalations[b.Escalation] == nil:
			l.errorf(b.EscalationRange, "Unknown escalation", "No escalation %q is defined.", b.Escalation)
		}
		vals, ranges, _ := l.stringList(b.Match, "match")
		for j, v := range vals {
			m, err := labels.ParseMatcher(v)
			if err != nil {
				l.errorf(ranges[j], "Invalid matcher", `%q: %s. Write it like "severity=critical" or "env=~prod|staging".`, v, err)
				continue
			}
			svc.Matchers = append(svc.Matchers, m)
		}
		groupBy, ranges, _ := l.stringList(b.GroupBy, "group_by")
		for j, g := range groupBy {
			if g == "" {
				l.errorf(ranges[j], "Invalid label name", "group_by needs label names, not empty strings.")
			}
		}
		svc.GroupBy = groupBy
		if catchAll != nil {
			l.warnf(b.DefRange.Ptr(), "Unreachable service",
				"Service %q is never used: service %q (%s) above it has no match and catches every alert.", b.Name, catchAll.Name, at(catchAll.DefRange))
		} else if len(vals) == 0 {
			catchAll = b
		}
		cfg.Services = append(cfg.Services, svc)
	}
	if catchAll == nil {
		var subject *hcl.Range
		if len(blocks) > 0 {
			subject = blocks[len(blocks)-1].DefRange.Ptr()
		}
		l.warnf(subject, "No catch-all service",
			"An alert that matches no service pages no one; add a last service without match to catch the rest.")
	}
}

// unique records name in seen, or reports it as a duplicate.
func (l *loader) unique(seen map[string]hcl.Range, kind, name string, r hcl.Range) bool {
	if first, dup := seen[name]; dup {
		l.errorf(r, "Duplicate "+kind, "%s%s %q is already defined at %s.", strings.ToUpper(kind[:1]), kind[1:], name, at(first))
		return false
	}
	seen[name] = r
	return true
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
