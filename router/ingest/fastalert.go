package ingest

import (
	"strings"
	"unicode/utf8"
)

// ParseNotifiedAlert is the fast path of UnmarshalAlert for the shape
// almost every alert has: a JSON object whose members are plain strings
// (status, times, generatorURL, or a field we do not read, such as
// Alertmanager's fingerprint) and flat objects of strings (labels,
// annotations). encoding/json spends most of the ingest path's decoding
// time here — it validates each alert's bytes in one pass and decodes them
// by reflection in another — while this reads them once, without
// reflection.
//
// It reports whether it decoded raw into na exactly as json.Unmarshal
// would. On anything else — null, a number where a string goes, a \u
// escape, a key that differs from a field's name only by case (which
// encoding/json would match), a repeated field, invalid UTF-8 — it returns
// false with na unspecified, and the caller decodes with encoding/json,
// which gives the same result or the exact error it always gave. raw must
// be one valid JSON value, as a json.RawMessage from a decoder is.
func ParseNotifiedAlert(raw []byte, na *NotifiedAlert) bool {
	p := flatParser{b: raw}
	if !p.byte('{') {
		return false
	}
	var seen [6]bool
	if p.peek() == '}' {
		p.i++
		return p.end()
	}
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		field := notifiedField(key)
		switch {
		case field < 0:
			if foldsToField(key) {
				return false
			}
			if _, ok := p.str(); !ok { // ignored, as encoding/json does
				return false
			}
		case seen[field]:
			return false
		case field == fieldLabels || field == fieldAnnotations:
			m, ok := p.strMap()
			if !ok {
				return false
			}
			if field == fieldLabels {
				na.Labels = m
			} else {
				na.Annotations = m
			}
		default:
			s, ok := p.str()
			if !ok {
				return false
			}
			switch field {
			case fieldStatus:
				na.Status = s
			case fieldStartsAt:
				na.StartsAt = s
			case fieldEndsAt:
				na.EndsAt = s
			case fieldGeneratorURL:
				na.GeneratorURL = s
			}
		}
		if field >= 0 {
			seen[field] = true
		}
		switch p.next() {
		case ',':
			continue
		case '}':
			return p.end()
		default:
			return false
		}
	}
}

const (
	fieldStatus = iota
	fieldLabels
	fieldAnnotations
	fieldStartsAt
	fieldEndsAt
	fieldGeneratorURL
)

// notifiedFields are NotifiedAlert's JSON names, indexed by the constants
// above.
var notifiedFields = [...]string{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL"}

func notifiedField(key string) int {
	for i, name := range notifiedFields {
		if key == name {
			return i
		}
	}
	return -1
}

// foldsToField reports whether encoding/json might match key to a field
// although it is not the field's exact name: it matches names
// case-insensitively, folding some non-ASCII letters too (the Kelvin sign
// to k), so any key that is not ASCII counts as one that might.
func foldsToField(key string) bool {
	for i := range len(key) {
		if key[i] >= utf8.RuneSelf {
			return true
		}
	}
	for _, name := range notifiedFields {
		if strings.EqualFold(key, name) {
			return true
		}
	}
	return false
}

// flatParser reads the few JSON forms ParseNotifiedAlert accepts from b,
// known to be valid JSON.
type flatParser struct {
	b []byte
	i int
}

func (p *flatParser) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek is the next byte that is not space, not consumed; 0 at the end.
func (p *flatParser) peek() byte {
	p.skipSpace()
	if p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

// next consumes and returns the next byte that is not space.
func (p *flatParser) next() byte {
	c := p.peek()
	if c != 0 {
		p.i++
	}
	return c
}

func (p *flatParser) byte(c byte) bool { return p.next() == c }

// end reports whether only space is left.
func (p *flatParser) end() bool {
	p.skipSpace()
	return p.i == len(p.b)
}

// str reads a JSON string. It decodes the short escapes itself and
// refuses \u escapes and invalid UTF-8, whose handling (surrogates,
// replacement characters) it leaves to encoding/json.
func (p *flatParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\':
			return p.escaped(start, ascii)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.i++
	}
	return "", false
}

// escaped finishes a string that has a backslash at p.i and started at
// start.
func (p *flatParser) escaped(start int, ascii bool) (string, bool) {
	out := make([]byte, 0, p.i-start+16)
	out = append(out, p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			if !ascii && !utf8.Valid(out) {
				return "", false
			}
			return string(out), true
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return "", false
			}
			var r byte
			switch p.b[p.i+1] {
			case '"', '\\', '/':
				r = p.b[p.i+1]
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			default: // \u, and anything invalid
				return "", false
			}
			out = append(out, r)
			p.i += 2
			continue
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		out = append(out, c)
		p.i++
	}
	return "", false
}

// strMap reads an object of strings, as encoding/json decodes it into a
// new map[string]string (a repeated key keeps its last value there too).
func (p *flatParser) strMap() (map[string]string, bool) {
	if !p.byte('{') {
		return nil, false
	}
	m := map[string]string{}
	if p.peek() == '}' {
		p.i++
		return m, true
	}
	for {
		k, ok := p.str()
		if !ok || !p.byte(':') {
			return nil, false
		}
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		m[k] = v
		switch p.next() {
		case ',':
			continue
		case '}':
			return m, true
		default:
			return nil, false
		}
	}
}
