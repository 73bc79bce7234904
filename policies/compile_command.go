package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// severityName is what a severity may be called: it is typed in CLIs and
// SMS replies, and shown in subjects.
var severityName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,15}$`)

// defaultsFor are the incident_command defaults for a list of severities,
// by position, so that renamed severities keep sensible defaults: the
// most severe two need a manager; a cadence of 30m, 1h and 4h for the
// first three; critical alerts are the second, errors and warnings the
// third, info the fourth.
func defaultsFor(sevs []string) Command {
	at := func(i int) string {
		if i < len(sevs) {
			return sevs[i]
		}
		return ""
	}
	c := Command{
		Severities:    sevs,
		Severity:      map[string]string{},
		Cadence:       map[string]time.Duration{},
		ManagerWithin: DefaultManagerWithin,
		OverdueAfter:  DefaultOverdueAfter,
	}
	for i, d := range []time.Duration{30 * time.Minute, time.Hour, 4 * time.Hour} {
		if s := at(i); s != "" {
			c.Cadence[s] = d
		}
	}
	for _, i := range []int{0, 1} {
		if s := at(i); s != "" {
			c.ManagerNeeded = append(c.ManagerNeeded, s)
		}
	}
	for value, i := range map[string]int{"critical": 1, "error": 2, "warning": 2, "info": 3} {
		if s := at(i); s != "" {
			c.Severity[value] = s
		}
	}
	return c
}

// command compiles the incident_command block (absent: every default) and
// the services' severity rules and manager rotations, once services are
// known.
func (l *loader) command(cfg *Config, hb *hcl.Block, services []serviceBlock) {
	cfg.Command = defaultsFor(DefaultSeverities)
	if hb != nil {
		b := l.block(hb, attrs("severities", "severity", "managers", "manager_needed", "manager_within", "cadence", "overdue_after"))
		if names, ranges, ok := b.Strings("severities"); ok {
			l.severities(names, ranges, b.Attr("severities"))
			cfg.Command = defaultsFor(names)
		}
		c := &cfg.Command
		if b.Written("severity") {
			c.Severity = l.severityMap(cfg, b.expr("severity"))
		}
		if s, r := b.String("managers"); present(r) {
			c.Managers = l.personTarget(cfg, s, r, "managers")
		}
		if names, ranges, ok := b.Strings("manager_needed"); ok {
			c.ManagerNeeded = nil
			for i, n := range names {
				if l.knownSeverity(cfg, n, ranges[i]) {
					c.ManagerNeeded = append(c.ManagerNeeded, n)
				}
			}
		}
		c.ManagerWithin, _, _ = b.Duration("manager_within", c.ManagerWithin)
		c.OverdueAfter, _, _ = b.Duration("overdue_after", c.OverdueAfter)
		if b.Written("cadence") {
			c.Cadence = l.cadence(cfg, b.expr("cadence"))
		}
		if len(c.ManagerNeeded) > 0 && c.Managers == nil && !slices.ContainsFunc(services, func(s serviceBlock) bool { return present(s.ManagersRange) }) {
			l.warnf(hb.DefRange.Ptr(), "No manager rotation",
				"An incident of %s with no manager after %s pages nobody: set managers = \"schedule:NAME\" here or in services.",
				orList(c.ManagerNeeded), shortDuration(c.ManagerWithin))
		}
	}
	for i := range services {
		sb := &services[i]
		svc := cfg.Service(sb.Name)
		if svc == nil {
			continue
		}
		if written(sb.Severity) {
			svc.Severity.Map = l.severityMap(cfg, sb.Severity)
		}
		svc.Severity.Label = DefaultSeverityLabel
		if present(sb.SeverityLabelRange) {
			if sb.SeverityLabel == "" {
				l.errorf(sb.SeverityLabelRange, "Invalid label name", "severity_label needs a label name.")
			}
			svc.Severity.Label = sb.SeverityLabel
			if svc.Severity.Map == nil {
				svc.Severity.Map = cfg.Command.Severity
			}
		}
		if present(sb.ManagersRange) {
			svc.Managers = l.personTarget(cfg, sb.Managers, sb.ManagersRange, "managers")
		}
	}
}

// severities checks the list of severity names.
func (l *loader) severities(names []string, ranges []hcl.Range, whole hcl.Range) {
	if len(names) == 0 {
		l.errorf(whole, "Empty list", `severities must name at least one severity, most severe first, like ["SEV1", "SEV2"].`)
	}
	seen := map[string]hcl.Range{}
	for i, n := range names {
		if !severityName.MatchString(n) {
			l.errorf(ranges[i], "Invalid severity name",
				"%q: a severity name starts with a letter and has at most 16 letters, digits, '.', '_' or '-' (it is typed in SMS replies).", n)
			continue
		}
		if first, dup := seen[strings.ToLower(n)]; dup {
			l.errorf(ranges[i], "Duplicate severity", "Severity %q is already listed at %s.", n, at(first))
		}
		seen[strings.ToLower(n)] = ranges[i]
	}
}

// knownSeverity reports whether name is a configured severity, or says
// it is not at r.
func (l *loader) knownSeverity(cfg *Config, name string, r hcl.Range) bool {
	if cfg.SeverityRank(name) > 0 {
		return true
	}
	l.errorf(r, "Unknown severity", "%q is not a severity; use %s (incident_command's severities).", name, quoteList(cfg.Command.Severities))
	return false
}

// severityMap reads { label value = "SEVERITY" }.
func (l *loader) severityMap(cfg *Config, expr hcl.Expression) map[string]string {
	out := map[string]string{}
	for _, kv := range l.stringMap(expr, "severity") {
		if l.knownSeverity(cfg, kv.value, kv.valueRange) {
			out[strings.ToLower(kv.key)] = kv.value
		}
	}
	return out
}

// cadence reads { SEVERITY = "30m" }.
func (l *loader) cadence(cfg *Config, expr hcl.Expression) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, kv := range l.stringMap(expr, "cadence") {
		if !l.knownSeverity(cfg, kv.key, kv.keyRange) {
			continue
		}
		d, ok := l.duration(kv.value, kv.valueRange, "cadence."+kv.key, 0)
		if ok && d < minCadence {
			l.errorf(kv.valueRange, "Invalid duration",
				"cadence %s = %q is shorter than 5m: updates that often are noise; leave the severity out for no cadence.", kv.key, kv.value)
			continue
		}
		if ok {
			out[kv.key] = d
		}
	}
	return out
}

// personTarget reads one "user:NAME", "team:NAME" or "schedule:NAME".
func (l *loader) personTarget(cfg *Config, v string, r hcl.Range, attr string) *Target {
	kind, name, _ := strings.Cut(v, ":")
	t := Target{Kind: kind, Name: name}
	var known bool
	switch kind {
	case TargetUser:
		known = cfg.Users[name] != nil
	case TargetTeam:
		known = cfg.Teams[name] != nil
	case TargetSchedule:
		known = cfg.Schedules[name] != nil
	default:
		l.errorf(r, "Invalid target", `%s = %q: write "schedule:NAME", "team:NAME" or "user:NAME".`, attr, v)
		return nil
	}
	if !known {
		l.errorf(r, "Unknown "+kind, "No %s %q is defined.", kind, name)
		return nil
	}
	return &t
}

// keyValue is one entry of an HCL object of strings, with its ranges.
type keyValue struct {
	key, value           string
	keyRange, valueRange hcl.Range
}

// stringMap reads an object of strings, { a = "x", b = "y" }, each entry
// with its own ranges, in the order written.
func (l *loader) stringMap(expr hcl.Expression, attr string) []keyValue {
	pairs, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		// Not written as { ... }: evaluate it whole.
		v, diags := expr.Value(l.ctx)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			return nil
		}
		m, err := convert.Convert(v, cty.Map(cty.String))
		if err != nil || m.IsNull() {
			l.errorf(expr.Range(), "Invalid value", "%s must be an object of strings, like { critical = \"SEV2\" }.", attr)
			return nil
		}
		var out []keyValue
		for k, e := range m.AsValueMap() {
			if e.IsNull() {
				continue
			}
			out = append(out, keyValue{key: k, value: e.AsString(), keyRange: expr.Range(), valueRange: expr.Range()})
		}
		slices.SortFunc(out, func(a, b keyValue) int { return strings.Compare(a.key, b.key) })
		return out
	}
	var out []keyValue
	for _, p := range pairs {
		k, kd := p.Key.Value(l.ctx)
		v, vd := p.Value.Value(l.ctx)
		l.diags = append(l.diags, kd...)
		l.diags = append(l.diags, vd...)
		if kd.HasErrors() || vd.HasErrors() {
			continue
		}
		ks, kerr := convert.Convert(k, cty.String)
		vs, verr := convert.Convert(v, cty.String)
		if kerr != nil || verr != nil || ks.IsNull() || vs.IsNull() {
			l.errorf(p.Value.Range(), "Invalid value", "%s must be an object of strings, like { critical = \"SEV2\" }.", attr)
			continue
		}
		out = append(out, keyValue{key: ks.AsString(), value: vs.AsString(), keyRange: p.Key.Range(), valueRange: p.Value.Range()})
	}
	return out
}

// stakeholders compiles the `stakeholders "NAME"` blocks, once services,
// people and rooms are known.
func (l *loader) stakeholders(cfg *Config, blocks []*hcl.Block) {
	names := map[string]hcl.Range{}
	covered := map[string]string{} // service → the block naming it
	var catchAll *hcl.Block
	var quadrantHeaders []hcl.BlockHeaderSchema
	for _, k := range QuadrantKinds {
		quadrantHeaders = append(quadrantHeaders, hcl.BlockHeaderSchema{Type: string(k)})
	}
	for _, hb := range blocks {
		b := l.block(hb, attrs("services", "severities"), quadrantHeaders...)
		if !l.unique(names, "stakeholders block", b.Label(), hb.DefRange) {
			continue
		}
		s := &Stakeholders{Name: b.Label()}
		services, ranges, _ := b.Strings("services")
		for i, name := range services {
			switch {
			case cfg.Service(name) == nil:
				l.errorf(ranges[i], "Unknown service", "No service %q is defined.", name)
			case covered[name] != "":
				l.errorf(ranges[i], "Service in two stakeholders blocks",
					"Service %q is already in stakeholders %q: an incident has one stakeholder matrix.", name, covered[name])
			default:
				covered[name] = s.Name
				s.Services = append(s.Services, name)
			}
		}
		if !b.Written("services") {
			if catchAll != nil {
				l.errorf(hb.DefRange, "Two default stakeholders blocks",
					"Stakeholders %q names no services, like %q (%s): only one block may cover the services no other names.",
					s.Name, catchAll.Labels[0], at(catchAll.DefRange))
			}
			catchAll = hb
		}
		s.Severities = slices.Clone(cfg.Command.Severities[:min(2, len(cfg.Command.Severities))])
		if sevs, ranges, ok := b.Strings("severities"); ok {
			s.Severities = nil
			for i, sev := range sevs {
				if l.knownSeverity(cfg, sev, ranges[i]) {
					s.Severities = append(s.Severities, sev)
				}
			}
		}
		for _, kind := range QuadrantKinds {
			qs := b.blocks(string(kind))
			q := &Quadrant{Kind: kind, On: DefaultMoments[kind]}
			for i, qb := range qs {
				if i > 0 {
					l.errorf(qb.DefRange, "Duplicate "+string(kind)+" block",
						"Stakeholders %q has one %s block; the first is at %s.", s.Name, kind, at(qs[0].DefRange))
					continue
				}
				l.quadrant(cfg, q, qb)
			}
			s.Quadrants = append(s.Quadrants, q)
		}
		cfg.Stakeholders = append(cfg.Stakeholders, s)
	}
}

// quadrant reads one quadrant's block into q.
func (l *loader) quadrant(cfg *Config, q *Quadrant, hb *hcl.Block) {
	b := l.block(hb, attrs("people", "rooms", "emails", "on"))
	if b.Written("people") {
		q.People = l.targets(cfg, b.expr("people"), "people", true, func(*ChannelSpec) bool { return false })
	}
	if b.Written("rooms") {
		q.Rooms = l.targets(cfg, b.expr("rooms"), "rooms", false, func(c *ChannelSpec) bool { return c.Updates })
	}
	emails, ranges, _ := b.Strings("emails")
	for i, e := range emails {
		if !validEmail(e) {
			l.errorf(ranges[i], "Invalid email address", `%q is not an email address; write it like "eng-checkout@example.com".`, e)
			continue
		}
		q.Emails = append(q.Emails, e)
	}
	if moments, ranges, ok := b.Strings("on"); ok {
		q.On = nil
		for i, m := range moments {
			if !slices.Contains(Moments, Moment(m)) {
				var valid []string
				for _, v := range Moments {
					valid = append(valid, fmt.Sprintf("%q", v))
				}
				l.errorf(ranges[i], "Invalid moment", "on = %q is not a moment; use %s.", m, orList(valid))
				continue
			}
			q.On = append(q.On, Moment(m))
		}
	}
}
