// Package policytest runs policy tests: cases written in HCL beside a
// config — given an alert's labels (or a sender's body through an
// integration) at a moment, expect its service, its escalation policy,
// who is paged at each step of each round, and whom its end pages — so
// that a change to schedules, policies or services is tested in CI
// before it pages the wrong person at 3 a.m.
//
// Each case is checked against escalation.PreviewAlert, the planner the
// engine pages by and `pagerd route` prints: a test that passes says what
// the daemon will do, not what a second model of it thinks.
//
// Tests live in files named *_test.hcl in the config directory (the
// config loader skips them) and in any *.hcl file of its tests/
// subdirectory. docs/config.md ("Policy tests") is the reference.
//
// Intake formats must be linked in (router/ingest/all) for cases that
// send a body.
package policytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/pagerd/pagerd/schedules"
)

// Suite is the policy tests of one config directory.
type Suite struct {
	Files map[string]*hcl.File // parsed, for diagnostics that quote them
	Cases []*Case
}

// Case is one `test "NAME" { ... }` block.
type Case struct {
	Name  string
	Range hcl.Range // the block's header: where a report points
	At    time.Time
	// Labels are the alert's; with Integration and Body, the alert is
	// what the integration makes of the body instead.
	Labels      map[string]string
	Integration string
	IntegRange  hcl.Range
	Body        []byte
	Expect      Expect
}

// Expect is what a case expects; a nil field (a zero range) is not
// checked.
type Expect struct {
	Range      hcl.Range
	Service    *Value[string] // "" expects no service: the alert is unrouted
	Owner      *Value[string] // "team:NAME", "" for none
	Escalation *Value[string]
	Held       *Value[string] // the maintenance window that holds it, "" none
	Steps      *Value[int]    // how many steps start, every round together
	Pages      []Page
	Exhausted  *Exhausted
}

// Value is an expected value and where it is written.
type Value[T any] struct {
	Want  T
	Range hcl.Range
}

// Page expects who one step of one round pages.
type Page struct {
	Range        hcl.Range
	Round, Step  int // from 1
	Users        *Value[[]string]
	Destinations *Value[[]string]
	After        *Value[time.Duration] // when the step starts, from the alert
}

// Exhausted expects when the policy runs out and whom that pages.
type Exhausted struct {
	Range      hcl.Range
	After      *Value[time.Duration]
	LastResort *Value[[]string]
}

// TestsDir is the subdirectory whose *.hcl files are all tests.
const TestsDir = "tests"

// Files lists the policy test files of config directory dir: its
// *_test.hcl files, then the *.hcl files of dir/tests, each in name order.
func Files(dir string) ([]string, error) {
	var out []string
	for _, d := range []struct {
		dir  string
		test func(string) bool
	}{
		{dir, func(n string) bool { return strings.HasSuffix(n, "_test.hcl") }},
		{filepath.Join(dir, TestsDir), func(n string) bool { return filepath.Ext(n) == ".hcl" }},
	} {
		entries, err := os.ReadDir(d.dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("policy tests: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") && d.test(e.Name()) {
				out = append(out, filepath.Join(d.dir, e.Name()))
			}
		}
	}
	return out, nil
}

// Load parses the policy tests of config directory dir. A directory
// without any has an empty suite. Every problem comes back as a
// diagnostic pointing at where it is written.
func Load(dir string) (*Suite, hcl.Diagnostics) {
	files, err := Files(dir)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read policy tests", Detail: err.Error()}}
	}
	parser := hclparse.NewParser()
	s := &Suite{Files: parser.Files()}
	var diags hcl.Diagnostics
	names := map[string]hcl.Range{}
	for _, path := range files {
		f, d := parser.ParseHCLFile(path)
		diags = append(diags, d...)
		if f == nil || d.HasErrors() {
			continue
		}
		l := &loader{ctx: evalContext(filepath.Dir(path))}
		l.file(f.Body, names)
		s.Cases = append(s.Cases, l.cases...)
		diags = append(diags, l.diags...)
	}
	return s, diags
}

// evalContext is what a test file may call: file("path") (relative to the
// test file) for a body kept beside it, and jsonencode({...}) for one
// written inline.
func evalContext(dir string) *hcl.EvalContext {
	file := function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return cty.NilVal, fmt.Errorf("cannot read %q (relative to the test file): %w", args[0].AsString(), err)
			}
			return cty.StringVal(string(b)), nil
		},
	})
	return &hcl.EvalContext{Functions: map[string]function.Function{"file": file, "jsonencode": stdlib.JSONEncodeFunc}}
}

type loader struct {
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics
	cases []*Case
}

func (l *loader) errorf(r hcl.Range, summary, format string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: r.Ptr()})
}

func attrs(required []string, optional ...string) []hcl.AttributeSchema {
	var out []hcl.AttributeSchema
	for _, n := range required {
		out = append(out, hcl.AttributeSchema{Name: n, Required: true})
	}
	for _, n := range optional {
		out = append(out, hcl.AttributeSchema{Name: n})
	}
	return out
}

func (l *loader) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, d := body.Content(schema)
	l.diags = append(l.diags, d...)
	if c == nil {
		c = &hcl.BodyContent{}
	}
	return c
}

func (l *loader) file(body hcl.Body, names map[string]hcl.Range) {
	c := l.content(body, &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "test", LabelNames: []string{"name"}}}})
	for _, b := range c.Blocks {
		name := b.Labels[0]
		if first, dup := names[name]; dup {
			l.errorf(b.LabelRanges[0], "Duplicate test", "Test %q is already defined at %s:%d.", name, first.Filename, first.Start.Line)
			continue
		}
		names[name] = b.DefRange
		if tc := l.testCase(b); tc != nil {
			l.cases = append(l.cases, tc)
		}
	}
}

func (l *loader) testCase(b *hcl.Block) *Case {
	c := l.content(b.Body, &hcl.BodySchema{
		Attributes: attrs([]string{"at"}, "timezone", "labels", "integration", "body"),
		Blocks:     []hcl.BlockHeaderSchema{{Type: "expect"}},
	})
	tc := &Case{Name: b.Labels[0], Range: b.DefRange}
	before := len(l.diags)
	loc := time.UTC
	if tz, ok := l.str(c, "timezone"); ok {
		var err error
		if loc, err = time.LoadLocation(tz.Want); err != nil || tz.Want == "" {
			l.errorf(tz.Range, "Invalid time zone", "timezone = %q is not an IANA time zone such as \"Europe/Berlin\".", tz.Want)
			loc = time.UTC
		}
	}
	if at, ok := l.str(c, "at"); ok {
		t, err := schedules.ParseLocal(at.Want, loc)
		if err != nil {
			l.errorf(at.Range, "Invalid time", "at = %q: want a wall-clock \"2026-12-01 15:00\" (in the test's timezone, default UTC) or RFC 3339.", at.Want)
		}
		tc.At = t
	}
	if a := c.Attributes["labels"]; a != nil {
		tc.Labels = l.stringMap(a)
	}
	if in, ok := l.str(c, "integration"); ok {
		tc.Integration, tc.IntegRange = in.Want, in.Range
	}
	if body, ok := l.str(c, "body"); ok {
		tc.Body = []byte(body.Want)
		if tc.Integration == "" {
			l.errorf(body.Range, "Body without integration", "A body is read as an integration reads it: add integration = \"NAME\".")
		}
	}
	switch {
	case tc.Labels == nil && tc.Integration == "":
		l.errorf(b.DefRange, "Nothing to route", "Test %q needs labels = { ... }, or integration and body.", tc.Name)
	case tc.Labels != nil && tc.Body != nil:
		l.errorf(c.Attributes["body"].Range, "Labels and body", "A test sends labels or a body, not both: the body's alert has the labels the integration gives it.")
	case tc.Integration != "" && tc.Body == nil && tc.Labels == nil:
		l.errorf(tc.IntegRange, "Missing body", "With integration, give the body its sender posts (body = file(\"...\")), or labels.")
	}
	expects := c.Blocks.OfType("expect")
	switch len(expects) {
	case 0:
		l.errorf(b.DefRange, "Missing expect", "Test %q needs an expect { ... } block: what should happen.", tc.Name)
	case 1:
		tc.Expect = l.expect(expects[0])
	default:
		l.errorf(expects[1].DefRange, "Duplicate expect", "A test has one expect block.")
	}
	if len(l.diags) > before && l.diags[before:].HasErrors() {
		return nil
	}
	return tc
}

func (l *loader) expect(b *hcl.Block) Expect {
	c := l.content(b.Body, &hcl.BodySchema{
		Attributes: attrs(nil, "service", "owner", "escalation", "held", "steps"),
		Blocks:     []hcl.BlockHeaderSchema{{Type: "page"}, {Type: "exhausted"}},
	})
	e := Expect{Range: b.DefRange}
	if v, ok := l.str(c, "service"); ok {
		e.Service = &v
	}
	if v, ok := l.str(c, "owner"); ok {
		e.Owner = &v
	}
	if v, ok := l.str(c, "escalation"); ok {
		e.Escalation = &v
	}
	if v, ok := l.str(c, "held"); ok {
		e.Held = &v
	}
	if v, ok := l.int(c, "steps"); ok {
		e.Steps = &v
	}
	seen := map[[2]int]hcl.Range{}
	for _, pb := range c.Blocks.OfType("page") {
		p, ok := l.page(pb)
		if !ok {
			continue
		}
		key := [2]int{p.Round, p.Step}
		if first, dup := seen[key]; dup {
			l.errorf(pb.DefRange, "Duplicate page", "Step %d of round %d is expected already at line %d.", p.Step, p.Round, first.Start.Line)
			continue
		}
		seen[key] = pb.DefRange
		e.Pages = append(e.Pages, p)
	}
	exhausted := c.Blocks.OfType("exhausted")
	if len(exhausted) > 1 {
		l.errorf(exhausted[1].DefRange, "Duplicate exhausted", "An expect block has one exhausted block.")
	}
	if len(exhausted) > 0 {
		xc := l.content(exhausted[0].Body, &hcl.BodySchema{Attributes: attrs(nil, "after", "last_resort")})
		x := &Exhausted{Range: exhausted[0].DefRange}
		if v, ok := l.duration(xc, "after"); ok {
			x.After = &v
		}
		if v, ok := l.list(xc, "last_resort"); ok {
			x.LastResort = &v
		}
		e.Exhausted = x
	}
	return e
}

func (l *loader) page(b *hcl.Block) (Page, bool) {
	c := l.content(b.Body, &hcl.BodySchema{Attributes: attrs([]string{"step"}, "round", "users", "destinations", "after")})
	p := Page{Range: b.DefRange, Round: 1}
	ok := true
	if v, found := l.int(c, "step"); found {
		p.Step = v.Want
		if v.Want < 1 {
			l.errorf(v.Range, "Invalid step", "step = %d: steps count from 1.", v.Want)
			ok = false
		}
	}
	if v, found := l.int(c, "round"); found {
		p.Round = v.Want
		if v.Want < 1 {
			l.errorf(v.Range, "Invalid round", "round = %d: rounds count from 1 (the first pass; repeats are 2, 3, ...).", v.Want)
			ok = false
		}
	}
	if v, found := l.list(c, "users"); found {
		p.Users = &v
	}
	if v, found := l.list(c, "destinations"); found {
		p.Destinations = &v
	}
	if v, found := l.duration(c, "after"); found {
		p.After = &v
	}
	if p.Users == nil && p.Destinations == nil && p.After == nil {
		l.errorf(b.DefRange, "Empty page", "A page block expects something: users = [...] (who the step pages; [] for nobody), destinations or after.")
		ok = false
	}
	return p, ok
}

// value evaluates an attribute into ty; ok is false when it is absent or
// invalid (then with an error recorded).
func (l *loader) value(c *hcl.BodyContent, name string, ty cty.Type) (cty.Value, hcl.Range, bool) {
	a := c.Attributes[name]
	if a == nil {
		return cty.NilVal, hcl.Range{}, false
	}
	v, d := a.Expr.Value(l.ctx)
	l.diags = append(l.diags, d...)
	if d.HasErrors() {
		return cty.NilVal, a.Expr.Range(), false
	}
	v, err := convert.Convert(v, ty)
	if err != nil || v.IsNull() {
		l.errorf(a.Expr.Range(), "Invalid value", "%s must be a %s.", name, ty.FriendlyName())
		return cty.NilVal, a.Expr.Range(), false
	}
	return v, a.Expr.Range(), true
}

func (l *loader) str(c *hcl.BodyContent, name string) (Value[string], bool) {
	v, r, ok := l.value(c, name, cty.String)
	if !ok {
		return Value[string]{}, false
	}
	return Value[string]{Want: v.AsString(), Range: r}, true
}

func (l *loader) int(c *hcl.BodyContent, name string) (Value[int], bool) {
	v, r, ok := l.value(c, name, cty.Number)
	if !ok {
		return Value[int]{}, false
	}
	i, acc := v.AsBigFloat().Int64()
	if acc != 0 || !v.AsBigFloat().IsInt() {
		l.errorf(r, "Invalid value", "%s must be a whole number.", name)
		return Value[int]{}, false
	}
	return Value[int]{Want: int(i), Range: r}, true
}

func (l *loader) list(c *hcl.BodyContent, name string) (Value[[]string], bool) {
	v, r, ok := l.value(c, name, cty.List(cty.String))
	if !ok {
		return Value[[]string]{}, false
	}
	out := []string{}
	for _, e := range v.AsValueSlice() {
		if e.IsNull() {
			l.errorf(r, "Invalid value", "%s must be a list of strings, without nulls.", name)
			return Value[[]string]{}, false
		}
		out = append(out, e.AsString())
	}
	return Value[[]string]{Want: out, Range: r}, true
}

func (l *loader) duration(c *hcl.BodyContent, name string) (Value[time.Duration], bool) {
	s, ok := l.str(c, name)
	if !ok {
		return Value[time.Duration]{}, false
	}
	d, err := time.ParseDuration(s.Want)
	if err != nil || d < 0 {
		l.errorf(s.Range, "Invalid duration", `%s = %q is not a duration from the alert; write it like "0m", "10m" or "1h30m".`, name, s.Want)
		return Value[time.Duration]{}, false
	}
	return Value[time.Duration]{Want: d, Range: s.Range}, true
}

// stringMap reads labels = { name = "value", ... }.
func (l *loader) stringMap(a *hcl.Attribute) map[string]string {
	v, d := a.Expr.Value(l.ctx)
	l.diags = append(l.diags, d...)
	if d.HasErrors() {
		return nil
	}
	m, err := convert.Convert(v, cty.Map(cty.String))
	if err != nil || m.IsNull() {
		l.errorf(a.Expr.Range(), "Invalid value", "labels must be an object of strings: labels = { alertname = \"CheckoutDown\", service = \"checkout\" }.")
		return nil
	}
	out := map[string]string{}
	for k, e := range m.AsValueMap() {
		if e.IsNull() {
			l.errorf(a.Expr.Range(), "Invalid value", "label %q is null.", k)
			return nil
		}
		out[k] = e.AsString()
	}
	return out
}

// names is a sorted copy of a list of names, for comparing sets.
func names(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// jsonBody reports whether b is JSON, so a body written in HCL by mistake
// is named as such rather than failing in the intake.
func jsonBody(b []byte) bool { return json.Valid(b) }
