package policies

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// The exported accessors of Block, for extensions decoding their own
// blocks. They report problems the way the core blocks do, so `pagerd
// check` points at the offending attribute whoever owns the block.

// Label is the block's name (`webhook "audit"` → "audit"); "" for an
// unlabeled block.
func (b *Block) Label() string {
	if len(b.hb.Labels) == 0 {
		return ""
	}
	return b.hb.Labels[0]
}

// Range is where the block's header is written.
func (b *Block) Range() hcl.Range { return b.hb.DefRange }

// Attr is the range of an attribute's value; zero (see Present) when the
// attribute is absent.
func (b *Block) Attr(name string) hcl.Range {
	if e := b.expr(name); e != nil {
		return e.Range()
	}
	return hcl.Range{}
}

// String reads a string attribute.
func (b *Block) String(name string) (string, hcl.Range) {
	var s string
	r := b.str(name, &s)
	return s, r
}

// Int reads a whole-number attribute.
func (b *Block) Int(name string) (int, hcl.Range) {
	var n int
	r := b.int(name, &n)
	return n, r
}

// Duration reads a Go duration ("90s", "10m"); an absent attribute yields
// def. ok is false when the value was invalid (and reported).
func (b *Block) Duration(name string, def time.Duration) (d time.Duration, r hcl.Range, ok bool) {
	s, r := b.String(name)
	d, ok = b.l.duration(s, r, name, def)
	return d, r, ok
}

// Strings reads a list of strings, each element with its own range.
func (b *Block) Strings(name string) ([]string, []hcl.Range, bool) {
	return b.l.stringList(b.expr(name), name)
}

// Secret reads an attribute that must come from env() or file(); a
// literal is reported as an error. ok is false when it is absent or
// invalid.
func (b *Block) Secret(name string) (Secret, bool) {
	return b.l.secret(b.expr(name), name)
}

// Text reads an attribute that may be a literal or come from env() or
// file(), such as a user name. ok is false when it is absent or invalid.
func (b *Block) Text(name string) (Secret, bool) {
	return b.l.optionalString(b.expr(name))
}

// Expr is an attribute's expression as written, unevaluated, for
// extensions that evaluate it later in a context of their own (an
// integration type's per-request expressions); nil when absent.
func (b *Block) Expr(name string) hcl.Expression { return b.expr(name) }

// Nested decodes the nested blocks of type t (which the block's schema
// must list) with schema, in order; hcl reports what schema does not
// allow.
func (b *Block) Nested(t string, schema *hcl.BodySchema) []*Block {
	var out []*Block
	for _, hb := range b.blocks(t) {
		out = append(out, b.l.blockWith(hb, schema))
	}
	return out
}

// Report adds diagnostics an extension got from hcl itself (evaluating an
// expression, say); they carry their own source ranges.
func (b *Block) Report(diags hcl.Diagnostics) { b.l.diags = append(b.l.diags, diags...) }

// Written reports whether the attribute is in the block at all.
func (b *Block) Written(name string) bool { return written(b.expr(name)) }

// Errorf reports an error at r: the config will not load.
func (b *Block) Errorf(r hcl.Range, summary, format string, args ...any) {
	b.l.errorf(r, summary, format, args...)
}

// Warnf reports a warning at r (nil: no source position).
func (b *Block) Warnf(r *hcl.Range, summary, format string, args ...any) {
	b.l.warnf(r, summary, format, args...)
}

// Present reports whether an optional attribute was written, from the
// range an accessor returned.
func Present(r hcl.Range) bool { return present(r) }

// UnsetSources says which secrets are not set, as in `env("A") is unset or
// empty and file("b") is empty`; "" when all are set.
func UnsetSources(ss ...Secret) string { return unsetSources(ss...) }

// ValidEmail reports whether s is a bare email address.
func ValidEmail(s string) bool { return validEmail(s) }
