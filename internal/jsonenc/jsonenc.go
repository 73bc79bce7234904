// Package jsonenc writes the JSON values the ingest path stores for every
// alert — strings and maps of strings — byte for byte as json.Marshal
// writes them, without its reflection: on a 100-alert request, encoding by
// reflection cost more than anything but decoding.
package jsonenc

import (
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// AppendStringMap appends m as json.Marshal writes it: null when nil, keys
// sorted.
func AppendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		b = AppendString(b, m[k])
	}
	return append(b, '}')
}

// AppendString appends s quoted, as json.Marshal writes it. A string that encoding/json writes as
// it is (printable ASCII other than its escaped characters " \ < > &) is
// copied; any other is left to encoding/json, for its exact escaping of
// control characters, HTML characters, U+2028, U+2029 and invalid UTF-8.
func AppendString(b []byte, s string) []byte {
	for i := range len(s) {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
