package policies

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"go.yaml.in/yaml/v3"
)

// Ownership tables can live where a team keeps its service catalog: a
// Backstage catalog (catalog-info.yaml files: an entity's metadata.name is
// the value, its spec.owner the owner) or a CSV of value,owner rows. They
// are read when the config loads, so a reload picks up their changes, and
// every problem in them points at its line and column like the HCL's.

// readOwnerFile reads a file an ownership map names, relative to the
// config directory, and keeps its text for diagnostics that quote it.
func (l *loader) readOwnerFile(path string, r hcl.Range, attr string) ([]byte, string, bool) {
	full := path
	if !filepath.IsAbs(path) {
		full = filepath.Join(l.dir, path)
	}
	b, err := os.ReadFile(full)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		l.errorf(r, "Cannot read "+attr, "%s %q (relative to the config directory): %v.", attr, path, err)
		return nil, "", false
	}
	if l.files != nil {
		l.files[full] = &hcl.File{Bytes: b}
	}
	return b, full, true
}

// catalogEntries reads the Backstage catalog files pattern matches.
func (l *loader) catalogEntries(pattern string, r hcl.Range) []ownerEntry {
	full := pattern
	if !filepath.IsAbs(pattern) {
		full = filepath.Join(l.dir, pattern)
	}
	paths, err := filepath.Glob(full)
	if err != nil {
		l.errorf(r, "Invalid catalog pattern", "catalog %q: %v.", pattern, err)
		return nil
	}
	if len(paths) == 0 {
		l.warnf(r.Ptr(), "Catalog matches no file", "catalog %q matches no file (relative to the config directory), so it owns nothing.", pattern)
		return nil
	}
	var out []ownerEntry
	for _, p := range paths {
		rel, _ := filepath.Rel(l.dir, p)
		b, name, ok := l.readOwnerFile(rel, r, "catalog")
		if ok {
			out = append(out, l.catalogFile(b, name)...)
		}
	}
	return out
}

// catalogFile reads the entities of one catalog file (YAML, one entity a
// document): each with a metadata.name and a spec.owner is an entry;
// others (a Location, a Domain without an owner) are skipped.
func (l *loader) catalogFile(b []byte, name string) []ownerEntry {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []ownerEntry
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			l.errorf(hcl.Range{Filename: name, Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 1}},
				"Invalid catalog file", "%s is not YAML a Backstage catalog holds: %v.", filepath.Base(name), err)
			return out
		}
		metaName := yamlPath(&doc, "metadata", "name")
		owner := yamlPath(&doc, "spec", "owner")
		if metaName == nil || owner == nil || owner.Value == "" {
			continue
		}
		out = append(out, ownerEntry{value: metaName.Value, owner: owner.Value, rng: yamlRange(b, name, owner), source: "catalog"})
	}
}

// yamlPath finds the scalar at keys in a YAML document, or nil.
func yamlPath(n *yaml.Node, keys ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	if n.Kind != yaml.ScalarNode {
		return nil
	}
	return n
}

// yamlRange is where a scalar node is written, for diagnostics.
func yamlRange(src []byte, name string, n *yaml.Node) hcl.Range {
	start := hcl.Pos{Line: n.Line, Column: n.Column, Byte: byteOffset(src, n.Line, n.Column)}
	end := start
	end.Column += len([]rune(n.Value))
	end.Byte += len(n.Value)
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		end.Column += 2
		end.Byte += 2
	}
	return hcl.Range{Filename: name, Start: start, End: end}
}

// byteOffset is the offset of line:column (from 1, columns in runes).
func byteOffset(src []byte, line, column int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	for c := 1; c < column && off < len(src); c++ {
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	return off
}

// csvEntries reads value,owner rows; a first row "value,owner" (or the
// label's name for value) is a header, and lines starting with # are
// comments.
func (l *loader) csvEntries(path string, r hcl.Range) []ownerEntry {
	b, name, ok := l.readOwnerFile(path, r, "csv")
	if !ok {
		return nil
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []ownerEntry
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			// A row that does not parse has no fields to point at: its
			// error says where it went wrong.
			line, col := 1, 1
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line, col = max(pe.Line, 1), max(pe.Column, 1)
			}
			at := hcl.Range{Filename: name, Start: hcl.Pos{Line: line, Column: col, Byte: byteOffset(b, line, col)}}
			at.End = at.Start
			l.errorf(at, "Invalid CSV", "%s: %v.", filepath.Base(name), err)
			return out
		}
		line, col := cr.FieldPos(0)
		at := hcl.Range{Filename: name, Start: hcl.Pos{Line: line, Column: col, Byte: byteOffset(b, line, col)}}
		at.End = at.Start
		if len(rec) != 2 {
			l.errorf(at, "Invalid CSV row", "A row of %s is value,owner: two fields, not %d.", filepath.Base(name), len(rec))
			continue
		}
		if row == 0 && strings.EqualFold(strings.TrimSpace(rec[1]), "owner") {
			continue // a header
		}
		oline, ocol := cr.FieldPos(1)
		orng := hcl.Range{Filename: name, Start: hcl.Pos{Line: oline, Column: ocol, Byte: byteOffset(b, oline, ocol)}}
		orng.End = hcl.Pos{Line: oline, Column: ocol + len([]rune(rec[1])), Byte: orng.Start.Byte + len(rec[1])}
		out = append(out, ownerEntry{value: strings.TrimSpace(rec[0]), owner: strings.TrimSpace(rec[1]), rng: orng, source: "csv"})
	}
}
