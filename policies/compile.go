package policies

import (
	"fmt"
	"net/mail"
	"net/url"
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
	DefaultEventRetention    = 24 * time.Hour
)

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
	minEventRetention    = time.Hour
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
		Blocks:      map[string]any{},
		Named:       map[string]map[string]any{},
	}
	l.cfg = cfg
	cfg.Settings = l.settings(raw.Pagerd)
	l.integrations(cfg, raw.Integrations)
	l.extensions(cfg, raw.Extensions)
	l.users(cfg, raw.Users)
	l.teams(cfg, raw.Teams)
	l.schedules(cfg, raw.Schedules)
	l.escalations(cfg, raw.Escalations)
	l.owners(cfg, raw)
	l.services(cfg, raw.Services, raw.Pagerd)
	l.ownerships(cfg, raw)
	l.pinnedServices(cfg, raw.Integrations)
	l.heartbeats(cfg, raw.Heartbeats)
	l.maintenance(cfg, raw.Maintenance)
	l.inhibits(cfg, raw.Inhibits)
	l.command(cfg, raw.Command, raw.Services)
	l.stakeholders(cfg, raw.Stakeholders)
	l.components(cfg, raw.Components)
	l.statusPages(cfg, raw.StatusPages)
	l.postmortem(cfg, raw.Postmortem, raw.Console)
	return cfg
}

// extensions compiles the blocks registered extensions own, each with its
// own Decode.
func (l *loader) extensions(cfg *Config, blocks []*hcl.Block) {
	specs := map[string]*BlockSpec{}
	for _, spec := range blockSpecs() {
		specs[spec.Type] = spec
	}
	names := map[string]map[string]hcl.Range{}
	for _, hb := range blocks {
		spec := specs[hb.Type]
		b := l.blockWith(hb, &spec.Schema)
		if !spec.Labeled {
			if v := spec.Decode(b); v != nil {
				cfg.Blocks[spec.Type] = v
			}
			continue
		}
		if names[spec.Type] == nil {
			names[spec.Type] = map[string]hcl.Range{}
			cfg.Named[spec.Type] = map[string]any{}
		}
		if !l.unique(names[spec.Type], spec.Type, b.Label(), hb.DefRange) {
			continue
		}
		cfg.Named[spec.Type][b.Label()] = spec.Decode(b)
	}
}

func (l *loader) settings(b *pagerdBlock) Settings {
	s := Settings{
		PublicURL:         DefaultPublicURL,
		LinkTTL:           DefaultLinkTTL,
		ResolvedRetention: DefaultResolvedRetention,
		ResolveTimeout:    DefaultResolveTimeout,
		EventRetention:    DefaultEventRetention,
		Storm:             DefaultStorm,
		Flapping:          DefaultFlapping,
	}
	if b == nil {
		return s
	}
	s.Storm = l.storm(b.Storm, s.Storm)
	s.Flapping = l.flapping(b.Flapping, s.Flapping)
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
	if s.EventRetention, ok = l.duration(b.EventRetention, b.EventRetentionRange, "event_retention", s.EventRetention); ok && s.EventRetention < minEventRetention {
		l.errorf(b.EventRetentionRange, "Invalid duration",
			"event_retention = %q is shorter than 1h: a webhook receiver down for a while would lose events.", b.EventRetention)
	}
	if present(b.UnroutedRange) {
		if b.Unrouted == UnroutedRecord {
			s.RecordUnrouted = true
		} else {
			l.errorf(b.UnroutedRange, "Invalid unrouted policy",
				`unrouted = %q is not a policy; write unrouted = %q to keep alerts that match no service as "unrouted" incidents that page nobody, or add a catch-all service instead.`,
				b.Unrouted, UnroutedRecord)
		}
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
		if _, known := integrationType(b.Type); !known {
			var types []string
			for _, t := range IntegrationTypes() {
				types = append(types, fmt.Sprintf("%q", t.Name))
			}
			l.errorf(b.TypeRange, "Unknown integration type",
				`type = %q is not an integration type; use %s.`, b.Type, orList(types))
		}

		var settings any
		if b.Decode != nil {
			settings = b.Decode(b.Extra)
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
		in := &Integration{Name: b.Name, Type: b.Type, Token: tok.Value, Service: b.Service, Settings: settings}
		if present(b.RateRange) {
			r, err := ParseRate(b.RateLimit)
			if err != nil {
				l.errorf(b.RateRange, "Invalid rate", "rate_limit = %s.", err)
			}
			in.RateLimit = r
		}
		cfg.Integrations = append(cfg.Integrations, in)
	}
}

// pinnedServices checks the services integrations pin their alerts to,
// once services are known.
func (l *loader) pinnedServices(cfg *Config, blocks []integrationBlock) {
	for _, b := range blocks {
		if present(b.ServiceRange) && cfg.declaredService(b.Service) == nil {
			l.errorf(b.ServiceRange, "Unknown service", "No service %q is defined.", b.Service)
		}
	}
}

// unsetSources says which secrets are not set, as in `env("A") is unset or
// empty and file("b") is empty`; "" when all are set.
func unsetSources(ss ...Secret) string {
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
		u := &User{Name: b.Name, Contacts: map[string]string{}}
		if present(b.TimezoneRange) {
			u.Location = l.location(b.Timezone, b.TimezoneRange, nil)
		}
		for _, c := range b.Contacts {
			if why := c.Contact.Check(c.Value); why != "" {
				l.errorf(c.Range, "Invalid "+c.Contact.Noun, `%s = %q %s; write it like %q.`, c.Contact.Attr, c.Value, why, c.Contact.Example)
			}
			u.Contacts[c.Contact.Attr] = c.Value
		}
		for _, n := range b.Notify {
			after, _ := l.duration(n.After, n.AfterRange, "after", 0)
			if l.channel(u, n.Via, n.ViaRange) {
				u.Rules = append(u.Rules, NotifyRule{After: after, Via: n.Via})
			}
		}
		if len(b.Notify) == 0 {
			u.Rules = u.NotifyRules()
			if len(u.Rules) == 0 || Channel(u.Rules[0].Via).Contact == nil {
				var attrs []string
				for _, c := range contacts() {
					attrs = append(attrs, c.Attr)
				}
				attrs = append(attrs, "notify rule")
				l.warnf(b.DefRange.Ptr(), "User cannot be reached",
					"User %q has no %s, so their pages are only printed to the console.", b.Name, orList(attrs))
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

// NotifyRules are the user's notification rules, or, for a user without
// notify blocks, the obvious one: a page at once through the
// lowest-ranked channel they have an address for (SMS with a phone, email
// with an email address, else the console).
func (u *User) NotifyRules() []NotifyRule {
	if len(u.Rules) > 0 {
		return u.Rules
	}
	for _, c := range Channels() {
		if c.AddressOf(u) != "" {
			return []NotifyRule{{Via: c.Name}}
		}
	}
	return nil
}

// channel checks a via value and that u has the address it needs.
func (l *loader) channel(u *User, via string, r hcl.Range) bool {
	c := Channel(via)
	switch {
	case c == nil:
		l.errorf(r, "Unknown channel", `via = %q is not a channel; use one of %s.`, via,
			quoteList(channelNames((*ChannelSpec).ReachesPeople)))
		return false
	case !c.ReachesPeople():
		l.errorf(r, "Channel does not reach people", `via = %q has no address on a person; name its destinations in a step's notify as "%s:NAME", or use one of %s here.`,
			via, via, quoteList(channelNames((*ChannelSpec).ReachesPeople)))
		return false
	}
	if c.AddressOf(u) == "" {
		l.errorf(r, "Missing "+c.Contact.Noun, `User %q has no %s, which via = %q needs.`, u.Name, c.Contact.Attr, via)
		return false
	}
	return true
}

// orList joins ["a", "b", "c"] as "a, b or c".
func orList(ss []string) string {
	if len(ss) < 2 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " or " + ss[len(ss)-1]
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
			step.Targets = l.targets(cfg, sb.Notify, "notify", true, func(*ChannelSpec) bool { return true })
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

// targets parses a notify list of "kind:name" entries: people, or a
// channel's own destinations (keep picks which channels may be named).
func (l *loader) targets(cfg *Config, expr hcl.Expression, attr string, people bool, keep func(*ChannelSpec) bool) []Target {
	vals, ranges, ok := l.stringList(expr, attr)
	if ok && len(vals) == 0 {
		summary := "Empty list"
		if people {
			summary = "Empty step"
		}
		l.errorf(expr.Range(), summary, "%s must name at least one target.", attr)
	}
	var kinds []string
	if people {
		kinds = append(kinds, personTargets...)
	}
	kinds = append(kinds, channelNames(func(c *ChannelSpec) bool { return c.Destinations && keep(c) })...)
	var out []Target
	for i, v := range vals {
		kind, name, found := strings.Cut(v, ":")
		if !found || name == "" || !slices.Contains(kinds, kind) {
			var forms []string
			for _, k := range kinds {
				forms = append(forms, fmt.Sprintf("%q", k+":NAME"))
			}
			l.errorf(ranges[i], "Invalid target", `%q is not a target; write %s.`, v, orList(forms))
			continue
		}
		var known bool
		switch kind {
		case TargetUser:
			known = cfg.Users[name] != nil
		case TargetTeam:
			known = cfg.Teams[name] != nil
		case TargetSchedule:
			known = cfg.Schedules[name] != nil
		default:
			_, known = cfg.Named[Channel(kind).Block][name]
		}
		if !known {
			if c := Channel(kind); c != nil && c.Rooms {
				l.errorf(ranges[i], "Unknown "+kind+" room", `No %s room %q is defined; add room %q { ... } to the %s block.`, kind, name, name, c.Block)
			} else {
				l.errorf(ranges[i], "Unknown "+kind, "No %s %q is defined.", kind, name)
			}
			continue
		}
		out = append(out, Target{Kind: kind, Name: name})
	}
	return out
}

func (l *loader) services(cfg *Config, blocks []serviceBlock, settings *pagerdBlock) {
	names := map[string]hcl.Range{}
	var catchAll *serviceBlock
	var lint []serviceLabels
	for i := range blocks {
		b := &blocks[i]
		if !l.unique(names, "service", b.Name, b.DefRange) {
			continue
		}
		sl := serviceLabels{}
		sl.known, sl.knownSet = l.knownLabels(b)
		svc := &Service{Name: b.Name, Escalation: b.Escalation, Responders: DefaultResponders,
			Storm: l.storm(b.Storm, cfg.Settings.Storm), Flapping: l.flapping(b.Flapping, cfg.Settings.Flapping)}
		if present(b.RespondersRange) {
			if r := Responders(b.Responders); slices.Contains(ResponderRules, r) {
				svc.Responders = r
			} else {
				var rules []string
				for _, r := range ResponderRules {
					rules = append(rules, fmt.Sprintf("%q", r))
				}
				l.errorf(b.RespondersRange, "Invalid responders",
					`responders = %q is not a rule; use %s (who may act on the service's incidents by SMS, keypress, chat or link).`,
					b.Responders, orList(rules))
			}
		}
		switch {
		case b.Escalation != "" && cfg.Escalations[b.Escalation] == nil:
			l.errorf(b.EscalationRange, "Unknown escalation", "No escalation %q is defined.", b.Escalation)
		case b.Escalation == "" && !present(b.OwnerRange):
			l.errorf(b.DefRange, "Service without escalation", `Service %q needs escalation = "NAME", or owner = "team:NAME" of a team with an escalation.`, b.Name)
		}
		l.serviceOwner(cfg, b, svc)
		vals, ranges, _ := l.stringList(b.Match, "match")
		for j, v := range vals {
			m, err := labels.ParseMatcher(v)
			if err != nil {
				l.errorf(ranges[j], "Invalid matcher", `%q: %s. Write it like "severity=critical" or "env=~prod|staging".`, v, err)
				continue
			}
			svc.Matchers = append(svc.Matchers, m)
			sl.uses = append(sl.uses, labelUse{service: b.Name, name: m.Name, raw: v, m: m, rng: ranges[j]})
		}
		var nAny int
		svc.MatchAny, nAny = l.matchAny(b.MatchAny, b.Name, &sl)
		nMatch := len(vals) + nAny
		groupBy, ranges, _ := l.stringList(b.GroupBy, "group_by")
		for j, g := range groupBy {
			if g == "" {
				l.errorf(ranges[j], "Invalid label name", "group_by needs label names, not empty strings.")
				continue
			}
			sl.uses = append(sl.uses, labelUse{service: b.Name, name: g, raw: g, rng: ranges[j]})
		}
		lint = append(lint, sl)
		svc.GroupBy = groupBy
		if written(b.Subscribers) {
			svc.Subscribers = l.targets(cfg, b.Subscribers, "subscribers", false, func(c *ChannelSpec) bool { return c.Updates })
		}
		teamRoom(cfg, svc)
		if catchAll != nil {
			l.warnf(b.DefRange.Ptr(), "Unreachable service",
				"Service %q is never used: service %q (%s) above it has no match and catches every alert.", b.Name, catchAll.Name, at(catchAll.DefRange))
		} else if nMatch == 0 {
			catchAll = b
		}
		cfg.Services = append(cfg.Services, svc)
	}
	l.lintLabels(lint)
	switch {
	case catchAll == nil && !cfg.Settings.RecordUnrouted:
		var subject *hcl.Range
		if len(blocks) > 0 {
			subject = blocks[len(blocks)-1].DefRange.Ptr()
		}
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Subject: subject, Summary: "No catch-all service",
			Detail: fmt.Sprintf(`An alert that matches no service would page no one. Add a last service without match to catch the rest, or say so: unrouted = %q in the pagerd block keeps such alerts as "unrouted" incidents that page nobody.`,
				UnroutedRecord)})
	case catchAll != nil && cfg.Settings.RecordUnrouted:
		l.warnf(settings.UnroutedRange.Ptr(), "Unrouted policy never applies",
			"Service %q (%s) has no match and catches every alert, so none is ever unrouted.", catchAll.Name, at(catchAll.DefRange))
	}
}

// matchers reads a list of Alertmanager matchers ("severity=~critical|page"),
// reporting each one that does not parse at its own element; n is how
// many elements the list has, parsed or not (0 when it is absent).
func (l *loader) matchers(expr hcl.Expression, attr string) (ms labels.Matchers, n int) {
	vals, ranges, _ := l.stringList(expr, attr)
	for j, v := range vals {
		m, err := labels.ParseMatcher(v)
		if err != nil {
			l.errorf(ranges[j], "Invalid matcher", `%q: %s. Write it like "severity=critical" or "env=~prod|staging".`, v, err)
			continue
		}
		ms = append(ms, m)
	}
	return ms, len(vals)
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
