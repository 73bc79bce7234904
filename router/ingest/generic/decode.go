package generic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/zclconf/go-cty/cty"

	"github.com/pagerd/pagerd/router/ingest"
)

// errNoMapping means the integration has no compiled mapping: a config
// that loaded always gives one, so this is a wiring mistake.
var errNoMapping = errors.New("generic: the integration has no mapping")

// Decode reads one request of a generic integration (o.Integration): a
// JSON object, mapped to one alert, or an array of objects, one alert
// each (an empty array is an empty batch; an element the mapping fails
// on is rejected alone, see ingest.Batch.Rejected). The body's JSON becomes the
// mapping's body as HCL sees JSON: objects with attributes, arrays as
// tuples, numbers exact, null as null.
func Decode(r io.Reader, o ingest.Options) (*ingest.Batch, error) {
	var m *Mapping
	if o.Integration != nil {
		m, _ = o.Integration.Settings.(*Mapping)
	}
	if m == nil {
		return nil, errNoMapping
	}
	cr := &ingest.CountingReader{R: r}
	dec := json.NewDecoder(cr)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, ingest.JSONError(-1, err, cr.N)
	}
	if err := ingest.ExpectEOF(dec); err != nil {
		return nil, err
	}
	bodies, index := []json.RawMessage{raw}, -1
	if trimmed := bytes.TrimLeft(raw, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
		bodies, index = nil, 0
		if err := json.Unmarshal(raw, &bodies); err != nil {
			return nil, ingest.JSONError(-1, err, -1)
		}
		if len(bodies) > ingest.MaxAlerts {
			return nil, ingest.TooManyAlerts(len(bodies))
		}
	}
	batch := &ingest.Batch{Alerts: make([]ingest.Alert, 0, len(bodies))}
	for i, b := range bodies {
		at := -1
		if index >= 0 {
			at = i
		}
		// In an array, an element the mapping fails on is refused alone
		// (Batch.Collect); a single object's failure refuses the request.
		if err := batch.Collect(alertOf(m, at, b, o)); err != nil {
			return nil, err
		}
	}
	return batch, nil
}

// alertOf maps body b, the element at of an array (-1: the whole body),
// to its alert.
func alertOf(m *Mapping, at int, b []byte, o ingest.Options) (ingest.Alert, error) {
	v, err := Value(b)
	if err != nil {
		return ingest.Alert{}, &ingest.DecodeError{Kind: ingest.Malformed, Index: at, Offset: -1,
			Reason: "JSON a mapping cannot read: " + err.Error(), Err: err}
	}
	return m.Alert(at, v, b, o.Now, o.Integration.Name)
}

// Value is the JSON document raw as a mapping sees it: objects as cty
// objects, arrays as tuples, numbers exact, null as a null of unknown
// type. (cty's own JSON reader gets there in two passes of
// encoding/json's tokenizer; this is one decode and a walk.)
func Value(raw []byte) (cty.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return cty.NilVal, err
	}
	return toCty(v)
}

func toCty(v any) (cty.Value, error) {
	switch v := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case bool:
		return cty.BoolVal(v), nil
	case string:
		return cty.StringVal(v), nil
	case json.Number:
		return cty.ParseNumberVal(string(v))
	case []any:
		if len(v) == 0 {
			return cty.EmptyTupleVal, nil
		}
		elems := make([]cty.Value, len(v))
		for i, e := range v {
			var err error
			if elems[i], err = toCty(e); err != nil {
				return cty.NilVal, err
			}
		}
		return cty.TupleVal(elems), nil
	case map[string]any:
		if len(v) == 0 {
			return cty.EmptyObjectVal, nil
		}
		attrs := make(map[string]cty.Value, len(v))
		for k, e := range v {
			var err error
			if attrs[k], err = toCty(e); err != nil {
				return cty.NilVal, err
			}
		}
		return cty.ObjectVal(attrs), nil
	}
	return cty.NilVal, fmt.Errorf("unexpected JSON value %T", v)
}
