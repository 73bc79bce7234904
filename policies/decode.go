package policies

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// decode reads the merged body into the raw structs of schema.go, checking
// only the shape (which blocks and attributes, their types). Unknown blocks
// and attributes, missing required ones and type mismatches are reported
// here, by hcl itself where it can.
//
// It is written against hcl.BodySchema rather than gohcl: gohcl imports
// hclwrite and with it go-cmp, a dependency for no gain.
// builtinBlocks are the top-level block types this package decodes itself.
var builtinBlocks = map[string]bool{
	"pagerd": true, "integration": true, "user": true, "team": true,
	"schedule": true, "escalation": true, "service": true, "heartbeat": true,
	"maintenance": true, "inhibit": true, "incident_command": true, "stakeholders": true,
	"component": true, "status_page": true,
	"postmortem": true, "console": true, "ownership": true,
}

func (l *loader) decode(body hcl.Body) *fileSchema {
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "pagerd"},
		{Type: "integration", LabelNames: []string{"name"}},
		{Type: "user", LabelNames: []string{"name"}},
		{Type: "team", LabelNames: []string{"name"}},
		{Type: "schedule", LabelNames: []string{"name"}},
		{Type: "escalation", LabelNames: []string{"name"}},
		{Type: "service", LabelNames: []string{"name"}},
		{Type: "heartbeat", LabelNames: []string{"name"}},
		{Type: "maintenance", LabelNames: []string{"name"}},
		{Type: "inhibit", LabelNames: []string{"name"}},
		{Type: "incident_command"},
		{Type: "stakeholders", LabelNames: []string{"name"}},
		{Type: "component", LabelNames: []string{"name"}},
		{Type: "status_page", LabelNames: []string{"name"}},
		{Type: "postmortem"},
		{Type: "console"},
		{Type: "ownership", LabelNames: []string{"name"}},
	}}
	specs := map[string]*BlockSpec{}
	for _, spec := range blockSpecs() {
		schema.Blocks = append(schema.Blocks, spec.header())
		specs[spec.Type] = spec
	}
	content := l.content(body, schema)
	raw := &fileSchema{}
	if content == nil {
		return raw
	}
	var seen = map[string]*hcl.Block{}
	single := func(b *hcl.Block) bool {
		if first := seen[b.Type]; first != nil {
			l.errorf(b.DefRange, "Duplicate "+b.Type+" block",
				"Only one %s block is allowed; the first is at %s.", b.Type, at(first.DefRange))
			return false
		}
		seen[b.Type] = b
		return true
	}
	for _, b := range content.Blocks {
		if spec := specs[b.Type]; spec != nil {
			if spec.Labeled || single(b) {
				raw.Extensions = append(raw.Extensions, b)
			}
			continue
		}
		switch b.Type {
		case "pagerd":
			if single(b) {
				raw.Pagerd = l.decodePagerd(b)
			}
		case "integration":
			raw.Integrations = append(raw.Integrations, l.decodeIntegration(b))
		case "user":
			raw.Users = append(raw.Users, l.decodeUser(b))
		case "team":
			raw.Teams = append(raw.Teams, l.decodeTeam(b))
		case "schedule":
			raw.Schedules = append(raw.Schedules, l.decodeSchedule(b))
		case "escalation":
			raw.Escalations = append(raw.Escalations, l.decodeEscalation(b))
		case "service":
			raw.Services = append(raw.Services, l.decodeService(b))
		case "heartbeat":
			raw.Heartbeats = append(raw.Heartbeats, l.decodeHeartbeat(b))
		case "maintenance":
			raw.Maintenance = append(raw.Maintenance, b)
		case "inhibit":
			raw.Inhibits = append(raw.Inhibits, b)
		case "ownership":
			raw.Ownerships = append(raw.Ownerships, b)
		case "incident_command":
			if single(b) {
				raw.Command = b
			}
		case "stakeholders":
			raw.Stakeholders = append(raw.Stakeholders, b)
		case "component":
			raw.Components = append(raw.Components, b)
		case "status_page":
			raw.StatusPages = append(raw.StatusPages, b)
		case "postmortem":
			if single(b) {
				raw.Postmortem = b
			}
		case "console":
			if single(b) {
				raw.Console = b
			}
		}
	}
	return raw
}

// content applies schema to body, recording hcl's diagnostics. It may
// return a partial content; nil only when nothing could be read.
func (l *loader) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(schema)
	l.diags = append(l.diags, diags...)
	return c
}

func attrs(names ...string) []hcl.AttributeSchema {
	out := make([]hcl.AttributeSchema, len(names))
	for i, n := range names {
		out[i] = hcl.AttributeSchema{Name: n}
	}
	return out
}

func required(names ...string) []hcl.AttributeSchema {
	out := attrs(names...)
	for i := range out {
		out[i].Required = true
	}
	return out
}

// Block is the content of one block being decoded, with typed accessors for
// its attributes that report every problem against its source range. The
// core blocks use it, and so does an extension's BlockSpec.Decode. Each
// accessor leaves its result zero and returns a zero range when the
// attribute is absent.
type Block struct {
	l  *loader
	hb *hcl.Block
	c  *hcl.BodyContent
}

func (l *loader) block(b *hcl.Block, attributes []hcl.AttributeSchema, blocks ...hcl.BlockHeaderSchema) *Block {
	return l.blockWith(b, &hcl.BodySchema{Attributes: attributes, Blocks: blocks})
}

func (l *loader) blockWith(b *hcl.Block, schema *hcl.BodySchema) *Block {
	c := l.content(b.Body, schema)
	if c == nil {
		c = &hcl.BodyContent{}
	}
	return &Block{l: l, hb: b, c: c}
}

// blocks returns the nested blocks of type t, in order.
func (b *Block) blocks(t string) hcl.Blocks { return b.c.Blocks.OfType(t) }

// expr returns the attribute's expression, nil when absent.
func (b *Block) expr(name string) hcl.Expression {
	if a := b.c.Attributes[name]; a != nil {
		return a.Expr
	}
	return nil
}

// value evaluates an attribute and converts it to ty; ok is false when it
// is absent or invalid (then with an error recorded).
func (b *Block) value(name string, ty cty.Type) (v cty.Value, r hcl.Range, ok bool) {
	a := b.c.Attributes[name]
	if a == nil {
		return cty.NilVal, hcl.Range{}, false
	}
	r = a.Expr.Range()
	v, diags := a.Expr.Value(b.l.ctx)
	b.l.diags = append(b.l.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, r, false
	}
	v, err := convert.Convert(v, ty)
	if err != nil {
		b.l.errorf(r, "Invalid value", "%s must be a %s: %s.", name, ty.FriendlyName(), err)
		return cty.NilVal, r, false
	}
	if v.IsNull() {
		b.l.errorf(r, "Invalid value", "%s must be a %s, not null (is an env() variable unset?).", name, ty.FriendlyName())
		return cty.NilVal, r, false
	}
	return v, r, true
}

func (b *Block) str(name string, dst *string) hcl.Range {
	v, r, ok := b.value(name, cty.String)
	if ok {
		*dst = v.AsString()
	}
	return r
}

func (b *Block) int(name string, dst *int) hcl.Range {
	v, r, ok := b.value(name, cty.Number)
	if !ok {
		return r
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || int64(int(i)) != i {
		b.l.errorf(r, "Invalid value", "%s must be a whole number, not %s.", name, bf.Text('g', -1))
		return r
	}
	*dst = int(i)
	return r
}

func (l *loader) decodePagerd(hb *hcl.Block) *pagerdBlock {
	b := l.block(hb, attrs("public_url", "link_secret", "link_ttl", "ack_timeout", "resolved_retention", "resolve_timeout", "event_retention", "unrouted", "last_resort"),
		foldingHeaders...)
	out := &pagerdBlock{DefRange: hb.DefRange, LinkSecret: b.expr("link_secret")}
	out.Storm, out.Flapping = l.decodeFolding(b)
	out.PublicURLRange = b.str("public_url", &out.PublicURL)
	out.LinkTTLRange = b.str("link_ttl", &out.LinkTTL)
	out.AckTimeoutRange = b.str("ack_timeout", &out.AckTimeout)
	out.ResolvedRetentionRange = b.str("resolved_retention", &out.ResolvedRetention)
	out.ResolveTimeoutRange = b.str("resolve_timeout", &out.ResolveTimeout)
	out.EventRetentionRange = b.str("event_retention", &out.EventRetention)
	out.UnroutedRange = b.str("unrouted", &out.Unrouted)
	out.LastResortRange = b.str("last_resort", &out.LastResort)
	return out
}

func (l *loader) decodeIntegration(hb *hcl.Block) integrationBlock {
	core := &hcl.BodySchema{Attributes: append(required("type", "token"), attrs("service", "rate_limit")...)}
	c, remain, diags := hb.Body.PartialContent(core)
	l.diags = append(l.diags, diags...)
	if c == nil {
		c = &hcl.BodyContent{}
	}
	b := &Block{l: l, hb: hb, c: c}
	out := integrationBlock{Name: hb.Labels[0], DefRange: hb.DefRange, Token: b.expr("token")}
	out.TypeRange = b.str("type", &out.Type)
	out.ServiceRange = b.str("service", &out.Service)
	out.RateRange = b.str("rate_limit", &out.RateLimit)
	// The rest belongs to the type, read now so that hcl reports what the
	// type does not take with the other shape errors. An unknown type
	// is reported once, by compile, without echoes about its attributes.
	if t, known := integrationType(out.Type); known {
		schema := t.Schema
		if schema == nil {
			schema = &hcl.BodySchema{}
		}
		rest := *hb
		rest.Body = remain
		out.Extra = l.blockWith(&rest, schema)
		if t.Schema != nil {
			out.Decode = t.Decode
		}
	}
	return out
}

func (l *loader) decodeUser(hb *hcl.Block) userBlock {
	var names []string
	cs := contacts()
	for _, c := range cs {
		names = append(names, c.Attr)
	}
	b := l.block(hb, attrs(append(names, "timezone")...), hcl.BlockHeaderSchema{Type: "notify"}, hcl.BlockHeaderSchema{Type: "shift_notice"})
	out := userBlock{Name: hb.Labels[0], DefRange: hb.DefRange}
	out.TimezoneRange = b.str("timezone", &out.Timezone)
	for _, c := range cs {
		ca := contactAttr{Contact: c}
		if ca.Range = b.str(c.Attr, &ca.Value); present(ca.Range) {
			out.Contacts = append(out.Contacts, ca)
		}
	}
	// In the order they are written, so diagnostics read top to bottom.
	slices.SortFunc(out.Contacts, func(a, b contactAttr) int { return a.Range.Start.Byte - b.Range.Start.Byte })
	for _, nb := range b.blocks("notify") {
		n := l.block(nb, append(required("via"), attrs("after")...))
		rule := notifyBlock{DefRange: nb.DefRange}
		rule.AfterRange = n.str("after", &rule.After)
		rule.ViaRange = n.str("via", &rule.Via)
		out.Notify = append(out.Notify, rule)
	}
	for _, sb := range b.blocks("shift_notice") {
		s := l.block(sb, required("before", "via"))
		notice := shiftNoticeBlock{DefRange: sb.DefRange}
		notice.BeforeRange = s.str("before", &notice.Before)
		notice.ViaRange = s.str("via", &notice.Via)
		out.ShiftNotices = append(out.ShiftNotices, notice)
	}
	return out
}

func (l *loader) decodeTeam(hb *hcl.Block) teamBlock {
	b := l.block(hb, append(required("members"), attrs("lead", "escalation", "chat")...))
	out := teamBlock{Name: hb.Labels[0], DefRange: hb.DefRange, Members: b.expr("members")}
	out.LeadRange = b.str("lead", &out.Lead)
	out.EscalationRange = b.str("escalation", &out.Escalation)
	out.ChatRange = b.str("chat", &out.Chat)
	return out
}

func (l *loader) decodeSchedule(hb *hcl.Block) scheduleBlock {
	b := l.block(hb, attrs("timezone"),
		hcl.BlockHeaderSchema{Type: "rotation", LabelNames: []string{"name"}}, hcl.BlockHeaderSchema{Type: "override"})
	out := scheduleBlock{Name: hb.Labels[0], DefRange: hb.DefRange}
	out.TimezoneRange = b.str("timezone", &out.Timezone)
	for _, rb := range b.c.Blocks {
		switch rb.Type {
		case "rotation":
			out.Rotations = append(out.Rotations, l.decodeRotation(rb))
		case "override":
			o := l.block(rb, required("user", "from", "to"))
			ov := overrideBlock{DefRange: rb.DefRange}
			ov.UserRange = o.str("user", &ov.User)
			ov.FromRange = o.str("from", &ov.From)
			ov.ToRange = o.str("to", &ov.To)
			out.Overrides = append(out.Overrides, ov)
		}
	}
	return out
}

func (l *loader) decodeRotation(hb *hcl.Block) rotationBlock {
	b := l.block(hb, append(required("users", "every", "start"), attrs("on_call", "timezone")...), hcl.BlockHeaderSchema{Type: "restrict"})
	out := rotationBlock{DefRange: hb.DefRange, Users: b.expr("users")}
	out.Name = hb.Labels[0]
	out.EveryRange = b.str("every", &out.Every)
	out.StartRange = b.str("start", &out.Start)
	var onCall int
	if out.OnCallRange = b.int("on_call", &onCall); present(out.OnCallRange) {
		out.OnCall = &onCall
	}
	out.TimezoneRange = b.str("timezone", &out.Timezone)
	for _, rb := range b.blocks("restrict") {
		r := l.block(rb, append(required("from", "to"), attrs("days")...))
		res := restrictBlock{DefRange: rb.DefRange, Days: r.expr("days")}
		res.FromRange = r.str("from", &res.From)
		res.ToRange = r.str("to", &res.To)
		out.Restrict = append(out.Restrict, res)
	}
	return out
}

func (l *loader) decodeEscalation(hb *hcl.Block) escalationBlock {
	b := l.block(hb, attrs("repeat", "repeat_after", "last_resort"), hcl.BlockHeaderSchema{Type: "step"})
	out := escalationBlock{Name: hb.Labels[0], DefRange: hb.DefRange}
	out.RepeatRange = b.int("repeat", &out.Repeat)
	out.RepeatAfterRange = b.str("repeat_after", &out.RepeatAfter)
	out.LastResortRange = b.str("last_resort", &out.LastResort)
	for _, sb := range b.blocks("step") {
		s := l.block(sb, append(required("notify"), attrs("after")...))
		step := stepBlock{DefRange: sb.DefRange, Notify: s.expr("notify")}
		step.AfterRange = s.str("after", &step.After)
		out.Steps = append(out.Steps, step)
	}
	return out
}

func (l *loader) decodeService(hb *hcl.Block) serviceBlock {
	b := l.block(hb, attrs("escalation", "match", "group_by", "subscribers", "responders", "known_labels",
		"severity", "severity_label", "managers", "match_any", "owner"), foldingHeaders...)
	out := serviceBlock{Name: hb.Labels[0], DefRange: hb.DefRange, Match: b.expr("match"), GroupBy: b.expr("group_by"),
		Subscribers: b.expr("subscribers"), KnownLabels: b.expr("known_labels"), Severity: b.expr("severity"),
		MatchAny: b.expr("match_any")}
	out.OwnerRange = b.str("owner", &out.Owner)
	out.Storm, out.Flapping = l.decodeFolding(b)
	out.EscalationRange = b.str("escalation", &out.Escalation)
	out.RespondersRange = b.str("responders", &out.Responders)
	out.SeverityLabelRange = b.str("severity_label", &out.SeverityLabel)
	out.ManagersRange = b.str("managers", &out.Managers)
	return out
}

func (l *loader) decodeHeartbeat(hb *hcl.Block) heartbeatBlock {
	b := l.block(hb, append(required("every", "service"), attrs("grace", "integrations", "labels", "summary")...))
	out := heartbeatBlock{Name: hb.Labels[0], DefRange: hb.DefRange, Integrations: b.expr("integrations"), Labels: b.expr("labels")}
	out.EveryRange = b.str("every", &out.Every)
	out.GraceRange = b.str("grace", &out.Grace)
	out.ServiceRange = b.str("service", &out.Service)
	out.SummaryRange = b.str("summary", &out.Summary)
	return out
}
