package policies

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
	"github.com/zclconf/go-cty/cty"
)

// owners compiles what teams own and who is told when an escalation runs
// out: team leads, policies and rooms, escalations' and the pagerd
// block's last_resort. They name users, teams, schedules, escalations and
// rooms, so they compile once those are known, and before services, which
// take a team's policy and room.
func (l *loader) owners(cfg *Config, raw *fileSchema) {
	seen := map[string]bool{}
	for _, b := range raw.Teams {
		team := cfg.Teams[b.Name]
		if seen[b.Name] || team == nil {
			continue
		}
		seen[b.Name] = true
		if present(b.LeadRange) {
			if cfg.Users[b.Lead] == nil {
				l.errorf(b.LeadRange, "Unknown user", "No user %q is defined.", b.Lead)
			} else {
				team.Lead = b.Lead
			}
		}
		if present(b.EscalationRange) {
			if cfg.Escalations[b.Escalation] == nil {
				l.errorf(b.EscalationRange, "Unknown escalation", "No escalation %q is defined.", b.Escalation)
			} else {
				team.Escalation = b.Escalation
			}
		}
		if present(b.ChatRange) {
			team.Chat = l.room(cfg, b.Chat, b.ChatRange)
		}
	}
	seen = map[string]bool{}
	for _, b := range raw.Escalations {
		pol := cfg.Escalations[b.Name]
		if seen[b.Name] || pol == nil {
			continue
		}
		seen[b.Name] = true
		if present(b.LastResortRange) {
			pol.LastResort = l.personTarget(cfg, b.LastResort, b.LastResortRange, "last_resort")
		}
	}
	if p := raw.Pagerd; p != nil && present(p.LastResortRange) {
		cfg.Settings.LastResort = l.personTarget(cfg, p.LastResort, p.LastResortRange, "last_resort")
	}
}

// room parses a team's chat room: a destination of a channel that takes
// updates ("slack:#payments"), as a service's subscribers are.
func (l *loader) room(cfg *Config, v string, r hcl.Range) *Target {
	kinds := channelNames(func(c *ChannelSpec) bool { return c.Destinations && c.Updates })
	kind, name, found := strings.Cut(v, ":")
	if !found || name == "" || !slices.Contains(kinds, kind) {
		var forms []string
		for _, k := range kinds {
			forms = append(forms, fmt.Sprintf("%q", k+":NAME"))
		}
		l.errorf(r, "Invalid room", `chat = %q is not a room; write %s.`, v, orList(forms))
		return nil
	}
	if _, known := cfg.Named[Channel(kind).Block][name]; !known {
		if c := Channel(kind); c != nil && c.Rooms {
			l.errorf(r, "Unknown "+kind+" room", `No %s room %q is defined; add room %q { ... } to the %s block.`, kind, name, name, c.Block)
		} else {
			l.errorf(r, "Unknown "+kind, "No %s %q is defined.", kind, name)
		}
		return nil
	}
	return &Target{Kind: kind, Name: name}
}

// Owner kinds: a team (its policy pages, its room is told, its lead is
// the last resort) or an escalation policy alone.
const (
	OwnerTeam       = "team"
	OwnerEscalation = "escalation"
)

// owner resolves an owner as written ("team:payments",
// "escalation:payments") for a service: the team that owns it ("" for a
// policy alone) and the policy that pages. ok is false (with an error at
// r) when it names nothing usable.
func (l *loader) owner(cfg *Config, v string, r hcl.Range, attr string) (team, escalation string, ok bool) {
	kind, name, found := strings.Cut(v, ":")
	switch {
	case !found || name == "" || (kind != OwnerTeam && kind != OwnerEscalation):
		l.errorf(r, "Invalid owner", `%s %q is not an owner; write "team:NAME" or "escalation:NAME".`, attr, v)
		return "", "", false
	case kind == OwnerEscalation && cfg.Escalations[name] == nil:
		l.errorf(r, "Unknown escalation", "No escalation %q is defined.", name)
		return "", "", false
	case kind == OwnerEscalation:
		return "", name, true
	case cfg.Teams[name] == nil:
		l.errorf(r, "Unknown team", "No team %q is defined.", name)
		return "", "", false
	}
	return name, cfg.Teams[name].Escalation, true
}

// serviceOwner reads a service block's owner: the service is the team's,
// paged by the team's policy unless it names its own, and its room is
// told of the service's incidents.
func (l *loader) serviceOwner(cfg *Config, b *serviceBlock, svc *Service) {
	if !present(b.OwnerRange) {
		return
	}
	team, pol, ok := l.owner(cfg, b.Owner, b.OwnerRange, "owner")
	if !ok {
		return
	}
	svc.Owner = team
	if svc.Escalation == "" {
		if pol == "" {
			l.errorf(b.OwnerRange, "Owner without escalation",
				`Team %q has no escalation, so it cannot page for service %q: give the team escalation = "NAME", or the service its own.`, team, b.Name)
			return
		}
		svc.Escalation = pol
	}
}

// teamRoom adds the owner team's room to a service's subscribers.
func teamRoom(cfg *Config, svc *Service) {
	team := cfg.Teams[svc.Owner]
	if team == nil || team.Chat == nil || slices.Contains(svc.Subscribers, *team.Chat) {
		return
	}
	svc.Subscribers = append(svc.Subscribers, *team.Chat)
}

// matchAny reads match_any = [["a=b", ...], [...]]: alternatives, each a
// list of matchers that must all match. It reports how many alternatives
// are written (0: absent), and records every matcher's use for the label
// lints.
func (l *loader) matchAny(expr hcl.Expression, owner string, sl *serviceLabels) ([]labels.Matchers, int) {
	if !written(expr) {
		return nil, 0
	}
	elems, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		l.errorf(expr.Range(), "Invalid match_any", `match_any is a list of matcher lists: match_any = [["team=platform"], ["namespace=~kube-.*"]].`)
		return nil, 1
	}
	if len(elems) == 0 {
		l.errorf(expr.Range(), "Empty match_any", `match_any needs at least one list of matchers; leave it out to match without alternatives.`)
		return nil, 0
	}
	var out []labels.Matchers
	for _, e := range elems {
		vals, ranges, ok := l.stringList(e, "match_any")
		if ok && len(vals) == 0 {
			l.errorf(e.Range(), "Empty alternative", `An alternative with no matchers matches every alert, which makes match_any pointless; remove it, or the whole match_any.`)
			continue
		}
		var ms labels.Matchers
		for j, v := range vals {
			m, err := labels.ParseMatcher(v)
			if err != nil {
				l.errorf(ranges[j], "Invalid matcher", `%q: %s. Write it like "severity=critical" or "env=~prod|staging".`, v, err)
				continue
			}
			ms = append(ms, m)
			if sl != nil {
				sl.uses = append(sl.uses, labelUse{service: owner, name: m.Name, raw: v, m: m, rng: ranges[j]})
			}
		}
		out = append(out, ms)
	}
	return out, len(elems)
}

// ownerships compiles the ownership maps, once services are known, and
// puts the services each makes where the map stands among the service
// blocks: routing tries them in file order, first match wins.
func (l *loader) ownerships(cfg *Config, raw *fileSchema) {
	names := map[string]hcl.Range{}
	taken := map[string]hcl.Range{}
	for i, s := range cfg.Services {
		taken[s.Name] = raw.Services[serviceBlockIndex(raw.Services, s.Name, i)].DefRange
	}
	type placed struct {
		at       hcl.Range
		services []*Service
	}
	var maps []placed
	for _, hb := range raw.Ownerships {
		b := l.block(hb, append(required("label"), attrs("owners", "default", "catalog", "csv", "match", "match_any", "group_by")...))
		if !l.unique(names, "ownership map", b.Label(), hb.DefRange) {
			continue
		}
		o, services := l.ownership(cfg, b, taken)
		cfg.Ownerships = append(cfg.Ownerships, o)
		maps = append(maps, placed{hb.DefRange, services})
	}
	if len(maps) == 0 {
		return
	}
	// Splice each map's services in before the first service block that
	// comes after it in file order (files by name, then top to bottom).
	var out []*Service
	next := 0
	for i, svc := range cfg.Services {
		at := raw.Services[serviceBlockIndex(raw.Services, svc.Name, i)].DefRange
		for next < len(maps) && before(maps[next].at, at) {
			out = append(out, maps[next].services...)
			next++
		}
		out = append(out, svc)
	}
	for ; next < len(maps); next++ {
		out = append(out, maps[next].services...)
	}
	cfg.Services = out
	l.unreachableMaps(cfg, raw)
}

// serviceBlockIndex finds the block a compiled service came from: its
// index among the blocks when no block before it was a duplicate, else
// by name.
func serviceBlockIndex(blocks []serviceBlock, name string, i int) int {
	if i < len(blocks) && blocks[i].Name == name {
		return i
	}
	for j := range blocks {
		if blocks[j].Name == name {
			return j
		}
	}
	return 0
}

// before reports whether a comes before b in load order.
func before(a, b hcl.Range) bool {
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	return a.Start.Byte < b.Start.Byte
}

// unreachableMaps warns about an ownership map after a catch-all service:
// the service takes every alert before the map sees it.
func (l *loader) unreachableMaps(cfg *Config, raw *fileSchema) {
	var catchAll *Service
	warned := map[string]bool{}
	for _, svc := range cfg.Services {
		switch {
		case catchAll == nil && svc.Ownership == "" && len(svc.Matchers) == 0 && len(svc.MatchAny) == 0:
			catchAll = svc
		case catchAll != nil && svc.Ownership != "" && !warned[svc.Ownership]:
			warned[svc.Ownership] = true
			for _, hb := range raw.Ownerships {
				if hb.Labels[0] == svc.Ownership {
					l.warnf(hb.DefRange.Ptr(), "Unreachable ownership map",
						"Ownership map %q is never used: service %q above it has no match and catches every alert.", svc.Ownership, catchAll.Name)
				}
			}
		}
	}
}

// ownership compiles one map into its services: one per value it lists,
// named by the value, and, with a default owner, one for every other
// value of the label.
func (l *loader) ownership(cfg *Config, b *Block, taken map[string]hcl.Range) (*Ownership, []*Service) {
	o := &Ownership{Name: b.Label(), Owners: map[string]string{}}
	label, labelRange := b.String("label")
	o.Label = label
	if present(labelRange) && !model.LegacyValidation.IsValidLabelName(label) {
		l.errorf(labelRange, "Invalid label name", "label = %q is not a label name: letters, digits and '_', not starting with a digit.", label)
	}
	var sl serviceLabels
	o.Matchers, _ = l.matchers(b.expr("match"), "match")
	o.MatchAny, _ = l.matchAny(b.expr("match_any"), o.Name, &sl)
	groupBy, ranges, _ := l.stringList(b.expr("group_by"), "group_by")
	for j, g := range groupBy {
		if g == "" {
			l.errorf(ranges[j], "Invalid label name", "group_by needs label names, not empty strings.")
		}
	}
	o.GroupBy = groupBy

	// Entries from the files first, then the owners attribute, which
	// wins: a catalog says who owns what, the config may say otherwise.
	var entries []ownerEntry
	catalogs, catalogRanges, _ := l.stringList(b.expr("catalog"), "catalog")
	for i, pattern := range catalogs {
		entries = append(entries, l.catalogEntries(pattern, catalogRanges[i])...)
	}
	if csvFile, r := b.String("csv"); present(r) {
		entries = append(entries, l.csvEntries(csvFile, r)...)
	}
	entries = append(entries, l.ownersAttr(b.expr("owners"))...)
	if len(entries) == 0 && !b.Written("default") {
		l.errorf(b.Range(), "Empty ownership map", `Ownership map %q maps nothing: give it owners = { VALUE = "team:NAME" }, a catalog, a csv or a default.`, o.Name)
	}

	byValue := map[string]ownerEntry{}
	for _, e := range entries {
		if e.value == "" {
			l.errorf(e.rng, "Invalid value", "An ownership map entry needs a %s value.", label)
			continue
		}
		if prev, dup := byValue[e.value]; dup && prev.source == e.source {
			l.errorf(e.rng, "Duplicate owner", "%s %q already has an owner at %s:%d.", label, e.value, prev.rng.Filename, prev.rng.Start.Line)
			continue
		}
		byValue[e.value] = e
	}
	values := make([]string, 0, len(byValue))
	for v := range byValue {
		values = append(values, v)
	}
	sort.Strings(values)
	var services []*Service
	for _, v := range values {
		e := byValue[v]
		svc := l.mapService(cfg, o, e.owner, e.rng, e.source)
		if svc == nil {
			continue
		}
		svc.Name = v
		svc.Matchers = append(slices.Clone(o.Matchers), &labels.Matcher{Type: labels.MatchEqual, Name: label, Value: v})
		if first, dup := taken[v]; dup {
			l.errorf(e.rng, "Duplicate service", "Ownership map %q makes service %q, which is already defined at %s.", o.Name, v, at(first))
			continue
		}
		taken[v] = e.rng
		o.Owners[v] = e.owner
		services = append(services, svc)
	}
	if def, r := b.String("default"); present(r) {
		if svc := l.mapService(cfg, o, def, r, "default"); svc != nil {
			o.Default = def
			any, _ := labels.NewMatcher(labels.MatchRegexp, label, ".+")
			svc.Matchers = append(slices.Clone(o.Matchers), any)
			svc.NameLabel = label
			services = append(services, svc)
		}
	}
	return o, services
}

// mapService is the service an ownership map makes for one owner, before
// it gets its name and matchers.
func (l *loader) mapService(cfg *Config, o *Ownership, owner string, r hcl.Range, source string) *Service {
	team, pol, ok := l.owner(cfg, normalOwner(owner, source), r, "owner")
	if !ok {
		return nil
	}
	if pol == "" {
		l.errorf(r, "Owner without escalation", `Team %q has no escalation, so it cannot page for what ownership map %q gives it: give the team escalation = "NAME".`, team, o.Name)
		return nil
	}
	svc := &Service{Escalation: pol, Owner: team, Ownership: o.Name, MatchAny: o.MatchAny, GroupBy: o.GroupBy,
		Responders: DefaultResponders, Storm: l.cfg.Settings.Storm, Flapping: l.cfg.Settings.Flapping}
	teamRoom(cfg, svc)
	return svc
}

// normalOwner reads an owner from a file: catalogs and CSVs may name a
// team bare ("payments"), or as a Backstage entity reference
// ("group:default/payments", "group:payments"); the HCL owners attribute
// says "team:" or "escalation:".
func normalOwner(owner, source string) string {
	if source == "owners" || source == "default" {
		return owner
	}
	kind, name, found := strings.Cut(owner, ":")
	if !found {
		kind, name = "group", owner
	}
	if strings.EqualFold(kind, "group") {
		if _, n, ns := strings.Cut(name, "/"); ns {
			name = n
		}
		return OwnerTeam + ":" + name
	}
	return owner
}

// ownerEntry is one value → owner of a map, and where it is written.
type ownerEntry struct {
	value, owner string
	rng          hcl.Range
	source       string // "owners", "catalog", "csv", "default"
}

// ownersAttr reads owners = { VALUE = "team:NAME", ... }, each entry
// pointing at its own value.
func (l *loader) ownersAttr(expr hcl.Expression) []ownerEntry {
	if !written(expr) {
		return nil
	}
	pairs, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		l.errorf(expr.Range(), "Invalid owners", `owners is an object of owners by label value: owners = { checkout = "team:payments" }.`)
		return nil
	}
	var out []ownerEntry
	for _, p := range pairs {
		k, d1 := p.Key.Value(l.ctx)
		v, d2 := p.Value.Value(l.ctx)
		l.diags = append(l.diags, d1...)
		l.diags = append(l.diags, d2...)
		if d1.HasErrors() || d2.HasErrors() {
			continue
		}
		if k.Type() != cty.String || v.Type() != cty.String || k.IsNull() || v.IsNull() {
			l.errorf(p.Value.Range(), "Invalid owner", `An owner is a string, "team:NAME" or "escalation:NAME".`)
			continue
		}
		out = append(out, ownerEntry{value: k.AsString(), owner: v.AsString(), rng: p.Value.Range(), source: "owners"})
	}
	return out
}
