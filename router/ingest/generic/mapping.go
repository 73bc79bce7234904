package generic

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/prometheus/common/model"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
)

// Mapping is a generic integration's mapping, compiled: for each alert
// field it sets, the HCL expression that computes it from the request's
// JSON, known as body. It is immutable and safe for concurrent use.
type Mapping struct {
	exprs map[string]hcl.Expression // by attribute; a field not written is absent
}

// BodyVar is the one variable a mapping may refer to: the JSON the sender
// posted (one element of it, when it posted an array).
const BodyVar = "body"

// Statuses are the values status may take, and what each tells pagerd.
var Statuses = map[string]incident.AlertAction{
	"firing":       incident.AlertTrigger,
	"resolved":     incident.AlertResolve,
	"acknowledged": incident.AlertAcknowledge,
}

// field is one attribute of a mapping block. set stores a known, non-null
// value in the alert being built, or says what is wrong with it.
type field struct {
	name string
	set  func(v cty.Value, d *draft) error
}

// draft is an alert while its fields are being evaluated.
type draft struct {
	alert    ingest.Alert
	labels   map[string]string
	status   string
	startsAt time.Time
}

// fields are the attributes a mapping block takes, in the order they are
// evaluated (and errors reported).
var fields = []field{
	{"labels", setLabels},
	{"annotations", setAnnotations},
	{"summary", func(v cty.Value, d *draft) error {
		s, err := text(v)
		d.alert.Annotations["summary"] = s
		return err
	}},
	{"status", func(v cty.Value, d *draft) error {
		s, err := text(v)
		if err != nil {
			return err
		}
		if _, ok := Statuses[s]; !ok {
			return fmt.Errorf(`must be "firing", "resolved" or "acknowledged", not %q`, s)
		}
		d.status = s
		return nil
	}},
	{"dedup_key", func(v cty.Value, d *draft) error {
		s, err := text(v)
		d.alert.DedupKey = s
		return err
	}},
	{"starts_at", func(v cty.Value, d *draft) error {
		t, err := timeOf(v)
		d.startsAt = t
		return err
	}},
	{"ends_at", func(v cty.Value, d *draft) error {
		t, err := timeOf(v)
		d.alert.EndsAt = t
		return err
	}},
	{"source_url", func(v cty.Value, d *draft) error {
		s, err := text(v)
		d.alert.GeneratorURL = s
		return err
	}},
	{"links", setLinks},
	{"details", func(v cty.Value, d *draft) error {
		d.alert.Details = appendJSON(nil, v)
		return nil
	}},
}

// schema is the mapping block's: labels is the one field every alert
// needs; the rest have defaults.
var schema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, f := range fields {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: f.name, Required: f.name == "labels"})
	}
	return s
}()

// compile reads the mapping block of a generic integration and checks it
// as far as can be told without a body: it refers to body alone, calls
// only known functions with the right arguments, gives constant values of
// the right kind, and names labels validly. It returns nil when there is
// no usable mapping (every problem reported).
func compile(b *policies.Block) any {
	blocks := b.Nested("mapping", schema)
	if len(blocks) == 0 {
		b.Errorf(b.Range(), "Missing mapping",
			`Integration %q of type %q needs a mapping block saying how a request's JSON becomes an alert, such as mapping { labels = { alertname = body.check } }.`,
			b.Label(), IntegrationType)
		return nil
	}
	for _, dup := range blocks[1:] {
		b.Errorf(dup.Range(), "Duplicate mapping block",
			"Integration %q has one mapping; the first is at %s:%d.", b.Label(), blocks[0].Range().Filename, blocks[0].Range().Start.Line)
	}
	mb := blocks[0]
	m := &Mapping{exprs: map[string]hcl.Expression{}}
	ok := true
	var written []field
	for _, f := range fields {
		if expr := mb.Expr(f.name); expr != nil {
			m.exprs[f.name] = expr
			written = append(written, f)
		}
	}
	// In the order they are written, so that problems read top to bottom.
	slices.SortFunc(written, func(a, b field) int {
		return m.exprs[a.name].Range().Start.Byte - m.exprs[b.name].Range().Start.Byte
	})
	for _, f := range written {
		ok = check(mb, f, m.exprs[f.name]) && ok
	}
	if !ok {
		return nil
	}
	return m
}

// check reports what can be known wrong about one field's expression
// before any request comes.
func check(b *policies.Block, f field, expr hcl.Expression) bool {
	ok := true
	// Any other variable is reported here, then stands for an unknown
	// value so that the rest of the expression is still checked.
	ctx := evalContext(cty.DynamicVal)
	for _, tr := range expr.Variables() {
		if name := tr.RootName(); name != BodyVar {
			b.Errorf(tr.SourceRange(), "Unknown variable",
				`A mapping may refer only to body, the request's JSON (body.host, body["check-id"]); there is no %q.`, name)
			ctx.Variables[name] = cty.DynamicVal
			ok = false
		}
	}
	if f.name == "labels" {
		ok = checkLabelNames(b, expr) && ok
	}
	// Evaluating against an unknown body finds unknown functions, wrong
	// numbers or types of arguments, and constant values of the wrong
	// kind; what depends on the body can only fail per request.
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		b.Report(diags)
		return false
	}
	if ok && v.IsWhollyKnown() && !v.IsNull() {
		d := newDraft()
		if err := f.set(v, d); err != nil {
			b.Errorf(expr.Range(), "Invalid "+f.name, "%s.", fieldError(f.name, err))
			return false
		}
	}
	return ok
}

// checkLabelNames checks the names of a labels object written as { ... }
// with literal keys.
func checkLabelNames(b *policies.Block, expr hcl.Expression) bool {
	obj, isObj := expr.(*hclsyntax.ObjectConsExpr)
	if !isObj {
		return true
	}
	ok := true
	for _, item := range obj.Items {
		k, diags := item.KeyExpr.Value(nil)
		if diags.HasErrors() || !k.IsKnown() || k.IsNull() || k.Type() != cty.String {
			continue // computed from the body: checked per request
		}
		if name := k.AsString(); !model.LegacyValidation.IsValidLabelName(name) {
			b.Errorf(item.KeyExpr.Range(), "Invalid label name",
				`%q is not a label name: write it like "service" or "check_id" (letters, digits and _, not first a digit).`, name)
			ok = false
		}
	}
	return ok
}

func evalContext(body cty.Value) *hcl.EvalContext {
	return &hcl.EvalContext{Variables: map[string]cty.Value{BodyVar: body}, Functions: functions}
}

func newDraft() *draft {
	return &draft{alert: ingest.Alert{Annotations: map[string]string{}}, labels: map[string]string{}}
}

// Alert maps one body to an alert: the one at index of the request (-1
// when the request is that one body), received at now, sent by
// integration. raw is the body's JSON, kept as the alert's details unless
// the mapping says otherwise. A field whose expression fails on this body,
// or gives a value of the wrong kind, is an *ingest.DecodeError naming it
// (its Err holds hcl's diagnostics, with the mapping's source range).
func (m *Mapping) Alert(index int, body cty.Value, raw []byte, now time.Time, integration string) (ingest.Alert, error) {
	d := newDraft()
	d.alert.Details = raw
	ctx := evalContext(body)
	for _, f := range fields {
		expr := m.exprs[f.name]
		if expr == nil {
			continue
		}
		v, diags := expr.Value(ctx)
		if diags.HasErrors() {
			de := ingest.Invalidf(index, f.name, "%s", diagText(diags))
			de.Err = diags
			return ingest.Alert{}, de
		}
		if v.IsNull() {
			continue
		}
		if err := f.set(v, d); err != nil {
			// labels["host"]: must be a string, ...
			path, msg := f.name, err.Error()
			if strings.HasPrefix(msg, "[") {
				sub, rest, _ := strings.Cut(msg, " ")
				path, msg = path+sub, rest
			}
			return ingest.Alert{}, ingest.Invalidf(index, path, "%s", msg)
		}
	}
	return d.finish(index, now, integration)
}

// finish applies the defaults and the rules every alert follows.
func (d *draft) finish(index int, now time.Time, integration string) (ingest.Alert, error) {
	a := d.alert
	a.Action = incident.AlertTrigger
	if d.status != "" {
		a.Action = Statuses[d.status]
	}
	a.StartsAt = now.UTC()
	if !d.startsAt.IsZero() {
		a.StartsAt = d.startsAt
	}
	if !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
		return ingest.Alert{}, ingest.Invalidf(index, "ends_at", "%s is before starts_at %s",
			a.EndsAt.Format(time.RFC3339Nano), a.StartsAt.Format(time.RFC3339Nano))
	}
	if a.DedupKey != "" && a.Action != incident.AlertTrigger && !hasValue(d.labels) {
		// Acknowledged or resolved by key alone, as PagerDuty senders do:
		// the alert keeps the labels it fired with.
		a.Labels = map[string]string{}
		a.Fingerprint = ingest.KeyFingerprint(integration, a.DedupKey)
		return a, nil
	}
	labels, fp, err := ingest.Labels(index, d.labels)
	if err != nil {
		return ingest.Alert{}, err
	}
	a.Labels, a.Fingerprint = labels, fp
	if a.DedupKey != "" {
		a.Fingerprint = ingest.KeyFingerprint(integration, a.DedupKey)
	}
	return a, nil
}

// fieldError puts a field's name before what is wrong with its value:
// "status must be ...", "labels["host"] must be ...".
func fieldError(name string, err error) string {
	if msg := err.Error(); strings.HasPrefix(msg, "[") {
		return name + msg
	}
	return name + " " + err.Error()
}

func hasValue(m map[string]string) bool {
	for _, v := range m {
		if v != "" {
			return true
		}
	}
	return false
}

// diagText is the first error of diags as one line: hcl's summary and
// detail, without the source range (the sender does not see the config).
func diagText(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return strings.TrimSuffix(d.Summary, ".") + ": " + d.Detail
		}
	}
	return diags.Error()
}

// text reads a string; a number or bool is written as its text, as HCL
// converts them.
func text(v cty.Value) (string, error) {
	if !v.IsKnown() {
		return "", nil
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() {
		return "", fmt.Errorf("must be a string, not %s", v.Type().FriendlyName())
	}
	return s.AsString(), nil
}

// stringMap reads an object or map whose values are strings (or numbers or
// bools); null values are left out.
func stringMap(v cty.Value, into map[string]string) error {
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		return fmt.Errorf("must be an object such as { service = body.service }, not %s", v.Type().FriendlyName())
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			continue
		}
		s, err := text(e)
		if err != nil {
			return fmt.Errorf("[%q] %w", k.AsString(), err)
		}
		if e.IsKnown() {
			into[k.AsString()] = s
		}
	}
	return nil
}

func setLabels(v cty.Value, d *draft) error { return stringMap(v, d.labels) }

func setAnnotations(v cty.Value, d *draft) error {
	// The summary field, when written, wins over an annotation of that
	// name: it is evaluated later.
	return stringMap(v, d.alert.Annotations)
}

// setLinks reads a list whose elements are a URL, or an object with href
// and, optionally, text; null elements and empty URLs are left out (an
// optional link, written as a conditional).
func setLinks(v cty.Value, d *draft) error {
	ty := v.Type()
	if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
		return fmt.Errorf(`must be a list of URLs or of { href = "...", text = "..." } objects, not %s`, ty.FriendlyName())
	}
	i := -1
	for it := v.ElementIterator(); it.Next(); {
		i++
		_, e := it.Element()
		if e.IsNull() || !e.IsKnown() {
			continue
		}
		var l incident.Link
		switch et := e.Type(); {
		case et.IsObjectType() || et.IsMapType():
			m := map[string]string{}
			if err := stringMap(e, m); err != nil {
				return fmt.Errorf("[%d]%w", i, err)
			}
			for k := range m {
				if k != "href" && k != "text" {
					return fmt.Errorf("[%d] has %q: a link has href and text", i, k)
				}
			}
			l = incident.Link{Href: m["href"], Text: m["text"]}
		default:
			s, err := text(e)
			if err != nil {
				return fmt.Errorf("[%d] %w", i, err)
			}
			l.Href = s
		}
		if strings.TrimSpace(l.Href) != "" {
			d.alert.Links = append(d.alert.Links, l)
		}
	}
	return nil
}

// timeOf reads an RFC 3339 time, or a number of seconds since the Unix
// epoch (as many monitors send), in the years pagerd can keep.
func timeOf(v cty.Value) (time.Time, error) {
	if v.Type() == cty.Number {
		f, _ := v.AsBigFloat().Float64()
		if math.IsNaN(f) || math.Abs(f) > 253402300799 { // 9999-12-31T23:59:59Z
			return time.Time{}, fmt.Errorf("is out of range: %s", ingest.TimeRange)
		}
		sec, frac := math.Modf(f)
		t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
		if !ingest.StorableTime(t) {
			return time.Time{}, fmt.Errorf("is out of range: %s", ingest.TimeRange)
		}
		return t, nil
	}
	s, err := text(v)
	if err != nil {
		return time.Time{}, errors.New("must be an RFC 3339 time or a number of seconds since 1970")
	}
	t, perr := time.Parse(time.RFC3339Nano, s)
	switch {
	case perr != nil:
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-24T01:12:20Z", s)
	case !ingest.StorableTime(t):
		return time.Time{}, fmt.Errorf("%q is out of range: %s", s, ingest.TimeRange)
	}
	return t.UTC(), nil
}

// appendJSON writes a cty value as plain JSON: null, true, 42, "x", [...],
// {...}. (cty's own encoding wraps values of dynamic type, such as a JSON
// null the body held, in a {"value":..,"type":..} envelope.)
func appendJSON(b []byte, v cty.Value) []byte {
	if v.IsNull() || !v.IsKnown() {
		return append(b, "null"...)
	}
	ty := v.Type()
	switch {
	case ty == cty.Bool:
		return strconv.AppendBool(b, v.True())
	case ty == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInf() {
			return append(b, "null"...)
		}
		return append(b, bf.Text('g', -1)...)
	case ty == cty.String:
		return appendString(b, v.AsString())
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		b = append(b, '[')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			if !first {
				b = append(b, ',')
			}
			first = false
			_, e := it.Element()
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case ty.IsMapType() || ty.IsObjectType():
		b = append(b, '{')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			if !first {
				b = append(b, ',')
			}
			first = false
			k, e := it.Element()
			b = appendString(b, k.AsString())
			b = append(b, ':')
			b = appendJSON(b, e)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
