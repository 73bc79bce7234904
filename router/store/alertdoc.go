package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"

	"github.com/pagerd/pagerd/internal/jsonenc"
)

// An alert's document is most of what Redis holds for it (issue 13,
// target 4): about 390 bytes of JSON for a typical Alertmanager alert,
// which Redis keeps in a 448-byte allocation, in a hash too large for its
// compact encoding. The store keeps it packed instead:
//
//   - without its leading "fingerprint" member, which repeats the hash
//     field it is stored under, and
//   - with the member names every alert repeats ("labels", "startsAt",
//     common label names...) written as one control byte each.
//
// JSON holds no raw byte below 0x20 (inside strings they are escaped,
// outside them only whitespace may appear, which the tokens avoid), so the
// substitution is undone byte by byte, exactly, whatever the document
// holds: the reader gets back the bytes the router wrote. A packed
// document starts with packedDoc; a document that starts with '{' is
// stored as it came (written before this layout, or one that the packer
// leaves alone) and read as it is.
//
// The Lua scripts never read inside a document but for one thing:
// resolving by key alone marks the kept document resolved, which on a
// packed one is swapping tokenFiring for tokenResolved (ingest.lua).
const packedDoc = 0x01

// docTokens are the substitutions, by control byte. The tab, newline and
// carriage return (JSON whitespace) are not used; the order never changes
// once documents are stored (a new token takes a free byte).
var docTokens = [0x20]string{
	0x02: `"status":"firing"`, // tokenFiring
	0x03: `"status":"resolved"`,
	0x04: `"labels":{`,
	0x05: `"alertname":"`,
	0x06: `"annotations":{`,
	0x07: `"startsAt":"`,
	0x08: `"endsAt":"`,
	0x0b: `"generatorURL":"`,
	0x0c: `"integration":"`,
	0x0e: `"instance":"`,
	0x0f: `"job":"`,
	0x10: `"service":"`,
	0x11: `"severity":"`,
	0x12: `"summary":"`,
	0x13: `"description":"`,
	0x14: `"dedup_key":"`,
	0x15: `"client":"`,
	0x16: `"client_url":"`,
	0x17: `"namespace":"`,
	0x18: `"runbook_url":"`,
	0x19: `"cluster":"`,
	0x1a: `"pod":"`,
	0x1b: `"env":"`,
	0x1c: `"team":"`,
	0x1d: `"},`, // an object of strings ends, another member follows
	0x1e: `"details":`,
	0x1f: `",`, // a string ends, another member follows
}

// tokensAt lists, by the byte after a token's opening quote, the control
// bytes of the tokens that start so, longest first.
var tokensAt = func() (t [256][]byte) {
	for c := len(docTokens) - 1; c >= 0; c-- {
		if tok := docTokens[c]; tok != "" {
			t[tok[1]] = append(t[tok[1]], byte(c))
		}
	}
	for i := range t {
		l := t[i]
		for a := 1; a < len(l); a++ { // few per byte: insertion sort by length
			for b := a; b > 0 && len(docTokens[l[b]]) > len(docTokens[l[b-1]]); b-- {
				l[b], l[b-1] = l[b-1], l[b]
			}
		}
	}
	return t
}()

// fingerprintPrefix is how a document of fingerprint fp starts, as the
// router writes it: `{"fingerprint":"<fp>",`.
func fingerprintPrefix(b []byte, fp string) []byte {
	b = append(b, `{"fingerprint":`...)
	b = jsonenc.AppendString(b, fp)
	return append(b, ',')
}

// packDoc is doc as stored under fingerprint fp. A document that does not
// start with its fingerprint, or holds a raw control byte (it is not
// compact JSON), is kept as it is. It is the string the script takes: one
// allocation, as the conversion of an unpacked document was.
func packDoc(fp string, doc []byte) string {
	var pb [64]byte
	prefix := fingerprintPrefix(pb[:0], fp)
	if !bytes.HasPrefix(doc, prefix) {
		return string(doc)
	}
	rest := doc[len(prefix):]
	if hasControl(rest) {
		return string(doc)
	}
	var out strings.Builder
	out.Grow(len(rest) + 1)
	out.WriteByte(packedDoc)
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '"')
		if i < 0 || i == len(rest)-1 {
			out.Write(rest)
			break
		}
		out.Write(rest[:i])
		rest = rest[i:]
		n := 0
		for _, c := range tokensAt[rest[1]] {
			if tok := docTokens[c]; len(rest) >= len(tok) && string(rest[:len(tok)]) == tok {
				out.WriteByte(c)
				n = len(tok)
				break
			}
		}
		if n == 0 {
			out.WriteByte('"')
			n = 1
		}
		rest = rest[n:]
	}
	return out.String()
}

// hasControl reports whether b holds a byte below 0x20, eight bytes at a
// time: on a 400-byte document a byte-by-byte loop was a third of
// packDoc's time.
func hasControl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; len(b) >= 8; b = b[8:] {
		x := binary.LittleEndian.Uint64(b)
		// Subtracting 0x20 from every byte sets the high bit of a byte that
		// had it clear (^x) only where that byte, or a lower one whose
		// borrow it took, was below 0x20.
		if (x-0x20*ones)&^x&highs != 0 {
			return true
		}
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// unpackDoc is the document of fingerprint fp as the router wrote it,
// from what the store holds (packed or not).
func unpackDoc(fp, stored string) json.RawMessage {
	if len(stored) == 0 || stored[0] != packedDoc {
		return json.RawMessage(stored)
	}
	out := make([]byte, 0, 2*len(stored)+len(fp)+24)
	out = fingerprintPrefix(out, fp)
	for i := 1; i < len(stored); i++ {
		if c := stored[i]; c < 0x20 {
			out = append(out, docTokens[c]...)
		} else {
			out = append(out, c)
		}
	}
	return out
}
