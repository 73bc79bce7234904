package policies

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	// pagerd ships as one static binary, often on an image without a zone
	// database; schedules name their zones, so the database comes along.
	_ "time/tzdata"
)

// Loaded is the outcome of loading a directory: the config when it is valid,
// the parsed files (so diagnostics can quote their source) and every
// diagnostic, warnings included.
type Loaded struct {
	Config *Config // nil when Diags has errors
	Files  map[string]*hcl.File
	Diags  hcl.Diagnostics
}

// LoadDir reads every *.hcl file of dir (in name order; names starting with
// a dot, and *_test.hcl policy tests, are skipped), merges them into one body and compiles it. File names
// in diagnostics are dir joined with the file's name.
func LoadDir(dir string) *Loaded {
	return loadDir(dir, time.Now())
}

// Load is LoadDir for callers that only want the config and the diagnostics.
// The diagnostics may hold warnings even when the config is valid.
func Load(dir string) (*Config, hcl.Diagnostics) {
	l := LoadDir(dir)
	return l.Config, l.Diags
}

// WriteDiagnostics writes the diagnostics of l, quoting its files.
func (l *Loaded) WriteDiagnostics(w io.Writer) error {
	return WriteDiagnostics(w, l.Files, l.Diags)
}

// loadDir is LoadDir with "now" pinned, so the look-ahead for schedule gaps
// is reproducible in tests.
func loadDir(dir string, now time.Time) *Loaded {
	parser := hclparse.NewParser()
	out := &Loaded{Files: parser.Files()}

	entries, err := os.ReadDir(dir)
	if err != nil {
		out.Diags = append(out.Diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read config directory",
			Detail:   err.Error(),
		})
		return out
	}
	var files []*hcl.File
	for _, e := range entries {
		name := e.Name()
		// *_test.hcl files hold policy tests (router/policytest), not
		// config.
		if e.IsDir() || strings.HasPrefix(name, ".") || filepath.Ext(name) != ".hcl" || strings.HasSuffix(name, "_test.hcl") {
			continue
		}
		f, diags := parser.ParseHCLFile(filepath.Join(dir, name))
		out.Diags = append(out.Diags, diags...)
		if f != nil {
			files = append(files, f)
		}
	}
	if len(files) == 0 && !out.Diags.HasErrors() {
		out.Diags = append(out.Diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No config files",
			Detail:   fmt.Sprintf("The directory %s holds no *.hcl file.", dir),
		})
	}
	// A file that does not parse leaves a partial body behind; decoding it
	// would only add errors that are echoes of the syntax error.
	if out.Diags.HasErrors() {
		return out
	}

	l := &loader{dir: dir, now: now, ctx: evalContext(dir), files: out.Files}
	raw := l.decode(hcl.MergeFiles(files))
	// Compiling a body with shape errors would report echoes of them
	// (an unknown user because its block was malformed, say).
	if !l.diags.HasErrors() {
		cfg := l.compile(raw)
		if !l.diags.HasErrors() {
			out.Config = cfg
		}
	}
	out.Diags = append(out.Diags, l.diags...)
	return out
}

// evalContext offers the functions config files may call: env("NAME") and
// file("path"), the only two ways a secret may enter the config.
func evalContext(dir string) *hcl.EvalContext {
	env := function.New(&function.Spec{
		Description: "The value of an environment variable, or null when it is not set.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, ok := os.LookupEnv(args[0].AsString())
			if !ok {
				return cty.NullVal(cty.String), nil
			}
			return cty.StringVal(v), nil
		},
	})
	file := function.New(&function.Spec{
		Description: "The content of a file relative to the config directory, without its trailing newline.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			full := p
			if !filepath.IsAbs(p) {
				full = filepath.Join(dir, p)
			}
			b, err := os.ReadFile(full)
			if err != nil {
				// The path as written, not as joined: the message reads the
				// same wherever pagerd runs from.
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return cty.NilVal, fmt.Errorf("cannot read %q (relative to the config directory): %w", p, err)
			}
			return cty.StringVal(strings.TrimRight(string(b), "\r\n")), nil
		},
	})
	return &hcl.EvalContext{Functions: map[string]function.Function{"env": env, "file": file}}
}

// loader carries the state of one compile: where relative files are, the
// evaluation context, and the diagnostics gathered so far.
type loader struct {
	dir   string
	now   time.Time
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics
	// cfg is the config being compiled, for Block.Define; defined holds
	// where each name Define took was written.
	cfg     *Config
	defined map[string]map[string]hcl.Range
	// files are the loaded files by name, for diagnostics to quote; the
	// tables ownership maps read (catalogs, CSVs) join them.
	files map[string]*hcl.File
}

func (l *loader) errorf(subject hcl.Range, summary, format string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject.Ptr(),
	})
}

func (l *loader) warnf(subject *hcl.Range, summary, format string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject,
	})
}

// present reports whether an optional attribute was written: gohcl leaves
// the range of an absent attribute's value zero.
func present(r hcl.Range) bool { return r.Filename != "" }

// written reports whether an hcl.Expression field holds something the user
// wrote. gohcl fills absent optional expressions with a synthetic null that is
// not an hclsyntax node; an explicit `null` counts as absent too.
func written(expr hcl.Expression) bool {
	if expr == nil {
		return false
	}
	if _, ok := expr.(hclsyntax.Expression); !ok {
		return false
	}
	if lit, ok := expr.(*hclsyntax.LiteralValueExpr); ok && lit.Val.IsNull() {
		return false
	}
	return true
}

// at renders where r starts, for details that point at a second place.
func at(r hcl.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line) }

// Secret is a value that came from env() or file() (or, for Text, a
// literal).
type Secret struct {
	Value  string
	Set    bool   // false: the variable is unset or the value is empty
	Source string // how it was written: env("NAME") or file("path")
}

// Missing says why a Secret that is not Set has no value.
func (s Secret) Missing() string { return s.missing() }

func (s Secret) missing() string {
	if strings.HasPrefix(s.Source, "file(") {
		return "is empty"
	}
	return "is unset or empty"
}

// secret evaluates an attribute that must hold a secret. ok is false when
// the attribute is absent or invalid (the latter with an error recorded).
func (l *loader) secret(expr hcl.Expression, attr string) (s Secret, ok bool) {
	if !written(expr) {
		return s, false
	}
	call, isCall := expr.(*hclsyntax.FunctionCallExpr)
	if !isCall || (call.Name != "env" && call.Name != "file") {
		l.errorf(expr.Range(), "Secret written in the config",
			`secrets must come from env() or file(): write %s = env("NAME") or %s = file("path") instead.`, attr, attr)
		return s, false
	}
	v, diags := expr.Value(l.ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return s, false
	}
	s.Source = call.Name + "(...)"
	if len(call.Args) == 1 {
		if a, d := call.Args[0].Value(nil); !d.HasErrors() && a.Type() == cty.String && a.IsKnown() && !a.IsNull() {
			s.Source = fmt.Sprintf("%s(%q)", call.Name, a.AsString())
		}
	}
	if !v.IsNull() {
		s.Value = v.AsString()
	}
	s.Set = s.Value != ""
	return s, true
}

// optionalString evaluates an optional attribute that may be a literal or
// come from env()/file(). ok is false when it is absent or invalid.
func (l *loader) optionalString(expr hcl.Expression) (s Secret, ok bool) {
	if !written(expr) {
		return s, false
	}
	if call, isCall := expr.(*hclsyntax.FunctionCallExpr); isCall && (call.Name == "env" || call.Name == "file") {
		return l.secret(expr, "")
	}
	v, diags := expr.Value(l.ctx)
	if !diags.HasErrors() {
		var err error
		if v, err = convert.Convert(v, cty.String); err != nil {
			l.errorf(expr.Range(), "Invalid value", "A string is required: %s.", err)
			return s, false
		}
	}
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return s, false
	}
	if !v.IsNull() {
		s.Value = v.AsString()
	}
	s.Set = s.Value != ""
	return s, true
}

// stringList evaluates an attribute holding a list of strings and returns
// each element with its own range, so a diagnostic about one element points
// at that element. ok is false when the attribute is absent or invalid.
func (l *loader) stringList(expr hcl.Expression, attr string) (vals []string, ranges []hcl.Range, ok bool) {
	if !written(expr) {
		return nil, nil, false
	}
	elems, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		// Not written as [...]: evaluate it whole; every element then points
		// at the whole expression.
		elems = nil
		v, diags := expr.Value(l.ctx)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			return nil, nil, false
		}
		list, err := convert.Convert(v, cty.List(cty.String))
		if err != nil || list.IsNull() {
			l.errorf(expr.Range(), "Invalid value", "%s must be a list of strings.", attr)
			return nil, nil, false
		}
		for _, e := range list.AsValueSlice() {
			if e.IsNull() {
				l.errorf(expr.Range(), "Invalid value", "%s must be a list of strings, without nulls.", attr)
				return nil, nil, false
			}
			vals = append(vals, e.AsString())
			ranges = append(ranges, expr.Range())
		}
		return vals, ranges, true
	}
	ok = true
	for _, e := range elems {
		v, diags := e.Value(l.ctx)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			ok = false
			continue
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() {
			l.errorf(e.Range(), "Invalid value", "%s must be a list of strings.", attr)
			ok = false
			continue
		}
		vals = append(vals, s.AsString())
		ranges = append(ranges, e.Range())
	}
	return vals, ranges, ok
}

// duration parses a Go duration ("90s", "10m", "24h"). An absent attribute
// yields def; a negative one is an error.
func (l *loader) duration(s string, r hcl.Range, attr string, def time.Duration) (time.Duration, bool) {
	if !present(r) {
		return def, true
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		l.errorf(r, "Invalid duration", `%s = %q is not a duration; write it like "90s", "10m" or "24h".`, attr, s)
		return 0, false
	}
	if d < 0 {
		l.errorf(r, "Invalid duration", "%s = %q is negative.", attr, s)
		return 0, false
	}
	return d, true
}
