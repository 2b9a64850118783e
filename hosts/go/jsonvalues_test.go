package dcmhost

// Canonical JSON (docs/values-json.md) read into this host's Go values by a
// value-model type: how the tests turn the conformance vectors' argument and
// expected texts into values.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

func parseJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func fromJSON(t *Type, v any, types map[string]*RecordType) (any, error) {
	switch t.Kind {
	case "bool":
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case "int":
		var s string
		switch x := v.(type) {
		case json.Number:
			s = string(x)
		case string:
			s = x
		default:
			return nil, fmt.Errorf("expected %s, got %v", typeName(t), v)
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok || !r.IsInt() {
			return nil, fmt.Errorf("expected %s, got %q", typeName(t), s)
		}
		n := r.Num()
		if t.Signed {
			if !n.IsInt64() {
				return nil, fmt.Errorf("%s out of range", s)
			}
			return n.Int64(), nil
		}
		if !n.IsUint64() {
			return nil, fmt.Errorf("%s out of range", s)
		}
		return n.Uint64(), nil
	case "float":
		var s string
		switch x := v.(type) {
		case json.Number:
			s = string(x)
		case string:
			s = map[string]string{"NaN": "NaN", "Infinity": "+Inf", "-Infinity": "-Inf", "-0": "-0"}[x]
		}
		if s == "" {
			return nil, fmt.Errorf("expected %s, got %v", typeName(t), v)
		}
		f, err := strconv.ParseFloat(s, t.Bits)
		if err != nil && !strings.Contains(err.Error(), "range") {
			return nil, err
		}
		if t.Bits == 32 {
			return float32(f), nil
		}
		return f, nil
	case "string":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "bytes":
		if s, ok := v.(string); ok {
			return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		}
	case "list", "array":
		xs, ok := v.([]any)
		if !ok {
			break
		}
		out := make([]any, len(xs))
		for i, x := range xs {
			var err error
			if out[i], err = fromJSON(t.Elem, x, types); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			break
		}
		out := Map{}
		for k, x := range obj {
			key, err := keyFromJSON(t.Key, k, types)
			if err != nil {
				return nil, err
			}
			val, err := fromJSON(t.Value, x, types)
			if err != nil {
				return nil, err
			}
			out = append(out, MapEntry{key, val})
		}
		return out, nil
	case "record":
		obj, ok := v.(map[string]any)
		if !ok {
			break
		}
		out := map[string]any{}
		for _, f := range types[t.Name].Fields {
			x, present := obj[f.JSONName]
			if !present && f.Type.Kind != "optional" {
				return nil, fmt.Errorf("missing field %s", f.JSONName)
			}
			val, err := fromJSON(&f.Type, x, types)
			if err != nil {
				return nil, err
			}
			out[f.JSONName] = val
		}
		return out, nil
	case "optional":
		if v == nil {
			return nil, nil
		}
		return fromJSON(t.Inner, v, types)
	}
	return nil, fmt.Errorf("expected %s, got %v", typeName(t), v)
}

func keyFromJSON(t *Type, k string, types map[string]*RecordType) (any, error) {
	switch t.Kind {
	case "string":
		return k, nil
	case "bool":
		return k == "true", nil
	case "int", "float":
		if t.Kind == "float" && (k == "NaN" || k == "Infinity" || k == "-Infinity" || k == "-0") {
			return fromJSON(t, k, types)
		}
		return fromJSON(t, json.Number(k), types)
	}
	v, err := parseJSON(k)
	if err != nil {
		return nil, err
	}
	return fromJSON(t, v, types)
}

// argsFromJSON reads an argument array: one element per parameter, the
// variadic parameter taking the remaining ones.
func argsFromJSON(sig *Signature, text string, types map[string]*RecordType) ([]any, error) {
	v, err := parseJSON(text)
	if err != nil {
		return nil, err
	}
	xs, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("arguments are not an array: %s", text)
	}
	out := []any{}
	for i, p := range sig.Params {
		if p.Variadic {
			rest := []any{}
			if i < len(xs) {
				rest = xs[i:]
			}
			val, err := fromJSON(&p.Type, rest, types)
			if err != nil {
				return nil, err
			}
			return append(out, val), nil
		}
		if i >= len(xs) {
			return nil, fmt.Errorf("missing argument %s", p.Name)
		}
		val, err := fromJSON(&p.Type, xs[i], types)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p.Name, err)
		}
		out = append(out, val)
	}
	return out, nil
}

// resultFromJSON reads an expected result: null for none, the value for
// one, an array for several.
func resultFromJSON(sig *Signature, v any, types map[string]*RecordType) (any, error) {
	switch len(sig.Results) {
	case 0:
		if v != nil {
			return nil, fmt.Errorf("expected no result, the vector has %v", v)
		}
		return nil, nil
	case 1:
		return fromJSON(&sig.Results[0], v, types)
	}
	xs, ok := v.([]any)
	if !ok || len(xs) != len(sig.Results) {
		return nil, fmt.Errorf("expected %d results, the vector has %v", len(sig.Results), v)
	}
	out := make([]any, len(xs))
	for i := range xs {
		var err error
		if out[i], err = fromJSON(&sig.Results[i], xs[i], types); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// same compares a result with an expected value by type: maps by key
// (whatever their order), the rest with Equal.
func same(t *Type, got, want any, types map[string]*RecordType) bool {
	switch t.Kind {
	case "list", "array":
		g, ok1 := got.([]any)
		w, ok2 := want.([]any)
		if !ok1 || !ok2 || len(g) != len(w) {
			return false
		}
		for i := range g {
			if !same(t.Elem, g[i], w[i], types) {
				return false
			}
		}
		return true
	case "map":
		g, ok1 := got.(Map)
		w, ok2 := want.(Map)
		if !ok1 || !ok2 || len(g) != len(w) {
			return false
		}
		for _, e := range w {
			v, ok := g.Get(e.Key)
			if !ok || !same(t.Value, v, e.Value, types) {
				return false
			}
		}
		return true
	case "record":
		g, ok1 := got.(map[string]any)
		w, ok2 := want.(map[string]any)
		if !ok1 || !ok2 || len(g) != len(w) {
			return false
		}
		for _, f := range types[t.Name].Fields {
			if !same(&f.Type, g[f.JSONName], w[f.JSONName], types) {
				return false
			}
		}
		return true
	case "optional":
		if got == nil || want == nil {
			return got == nil && want == nil
		}
		return same(t.Inner, got, want, types)
	}
	return Equal(got, want)
}

func sameResult(sig *Signature, got, want any, types map[string]*RecordType) bool {
	switch len(sig.Results) {
	case 0:
		return got == nil
	case 1:
		return same(&sig.Results[0], got, want, types)
	}
	g, ok := got.([]any)
	if !ok || len(g) != len(sig.Results) {
		return false
	}
	w := want.([]any)
	for i := range g {
		if !same(&sig.Results[i], g[i], w[i], types) {
			return false
		}
	}
	return true
}

var _ = bytes.Equal
var _ = math.NaN
