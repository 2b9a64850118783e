package dcmhost

// The argument encoder of the buffer ABI (docs/abi.md, "Value model").

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"unicode/utf8"
)

type encoder struct {
	buf   []byte
	types map[string]*RecordType
}

func (e *encoder) u32(n int) { e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(n)) }

func badArg(path, format string, a ...any) *FragmentError {
	return errorf(codeBadArgs, "%s: %s", path, fmt.Sprintf(format, a...))
}

func typeName(t *Type) string {
	switch t.Kind {
	case "int":
		s := "signed"
		if !t.Signed {
			s = "unsigned"
		}
		return fmt.Sprintf("int<%d,%s>", t.Bits, s)
	case "float":
		return fmt.Sprintf("float<%d>", t.Bits)
	case "list", "optional":
		inner := t.Elem
		if t.Kind == "optional" {
			inner = t.Inner
		}
		return t.Kind + "<" + typeName(inner) + ">"
	case "array":
		return fmt.Sprintf("array<%s,%d>", typeName(t.Elem), t.Length)
	case "map":
		return "map<" + typeName(t.Key) + "," + typeName(t.Value) + ">"
	case "record":
		return "record " + t.Name
	}
	return t.Kind
}

// asInt64 / asUint64 take any Go integer (and reject everything else).
func intOf(v any) (i int64, u uint64, neg bool, ok bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i = rv.Int()
		return i, uint64(i), i < 0, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u = rv.Uint()
		return int64(u), u, false, true
	}
	return 0, 0, false, false
}

// intBits checks v against t's range and returns its two's-complement bits.
func intBits(t *Type, v any, path string) (uint64, error) {
	i, u, neg, ok := intOf(v)
	if !ok {
		return 0, badArg(path, "expected %s, got %T", typeName(t), v)
	}
	bits := uint(t.Bits)
	if t.Signed {
		lo, hi := int64(-1)<<(bits-1), int64(uint64(1)<<(bits-1)-1)
		if (!neg && u > uint64(hi)) || (neg && i < lo) {
			return 0, badArg(path, "%v is out of range for %s", v, typeName(t))
		}
		return uint64(i), nil
	}
	if neg || (bits < 64 && u >= uint64(1)<<bits) {
		return 0, badArg(path, "%v is out of range for %s", v, typeName(t))
	}
	return u, nil
}

func floatOf(t *Type, v any, path string) (float64, error) {
	switch f := v.(type) {
	case float64:
		return f, nil
	case float32:
		return float64(f), nil
	}
	if i, u, neg, ok := intOf(v); ok {
		if neg {
			return float64(i), nil
		}
		return float64(u), nil
	}
	return 0, badArg(path, "expected %s, got %T", typeName(t), v)
}

func (e *encoder) value(t *Type, v any, path string, depth int) error {
	switch t.Kind {
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return badArg(path, "expected bool, got %T", v)
		}
		if b {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
	case "int":
		bits, err := intBits(t, v, path)
		if err != nil {
			return err
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], bits)
		e.buf = append(e.buf, b[:t.Bits/8]...)
	case "float":
		f, err := floatOf(t, v, path)
		if err != nil {
			return err
		}
		if t.Bits == 32 {
			f32, isF32 := v.(float32)
			if !isF32 {
				f32 = float32(f)
			}
			e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(f32))
		} else {
			e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(f))
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			return badArg(path, "expected string, got %T", v)
		}
		if !utf8.ValidString(s) {
			return badArg(path, "a string that is not valid UTF-8")
		}
		e.u32(len(s))
		e.buf = append(e.buf, s...)
	case "bytes":
		b, ok := v.([]byte)
		if !ok {
			return badArg(path, "expected []byte, got %T", v)
		}
		e.u32(len(b))
		e.buf = append(e.buf, b...)
	case "list", "array":
		rv := reflect.ValueOf(v)
		if v == nil || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) {
			return badArg(path, "expected %s (a slice), got %T", typeName(t), v)
		}
		if t.Kind == "array" {
			if rv.Len() != t.Length {
				return badArg(path, "expected %d elements, got %d", t.Length, rv.Len())
			}
		} else {
			e.u32(rv.Len())
		}
		for i := 0; i < rv.Len(); i++ {
			if err := e.value(t.Elem, rv.Index(i).Interface(), fmt.Sprintf("%s[%d]", path, i), depth); err != nil {
				return err
			}
		}
	case "map":
		return e.mapValue(t, v, path, depth)
	case "record":
		return e.record(t, v, path, depth)
	case "optional":
		if v == nil {
			e.buf = append(e.buf, 0)
			return nil
		}
		e.buf = append(e.buf, 1)
		return e.value(t.Inner, v, path, depth)
	default:
		return errorf(codeManifest, "unknown type kind %q", t.Kind)
	}
	return nil
}

func (e *encoder) record(t *Type, v any, path string, depth int) error {
	if depth >= maxNesting {
		return badArg(path, "records nest deeper than %d", maxNesting)
	}
	rt := e.types[t.Name]
	if rt == nil {
		return errorf(codeManifest, "record type %q is not in the manifest's types", t.Name)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return badArg(path, "expected record %s (a map[string]any keyed by JSON names), got %T", t.Name, v)
	}
	known := make(map[string]bool, len(rt.Fields))
	for _, f := range rt.Fields {
		known[f.JSONName] = true
	}
	for k := range m {
		if !known[k] {
			return badArg(path, "record %s has no field %q", t.Name, k)
		}
	}
	for i := range rt.Fields {
		f := &rt.Fields[i]
		fv, present := m[f.JSONName]
		if !present && f.Type.Kind != "optional" {
			return badArg(path+"."+f.JSONName, "missing field of type %s", typeName(&f.Type))
		}
		if err := e.value(&f.Type, fv, path+"."+f.JSONName, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) mapValue(t *Type, v any, path string, depth int) error {
	var entries []MapEntry
	switch m := v.(type) {
	case Map:
		entries = m
	default:
		rv := reflect.ValueOf(v)
		if v == nil || rv.Kind() != reflect.Map {
			return badArg(path, "expected %s (a dcmhost.Map or a Go map), got %T", typeName(t), v)
		}
		it := rv.MapRange()
		for it.Next() {
			entries = append(entries, MapEntry{it.Key().Interface(), it.Value().Interface()})
		}
	}
	type enc struct {
		key   any
		kb, b []byte
	}
	out := make([]enc, 0, len(entries))
	for _, en := range entries {
		kp := fmt.Sprintf("%s[%s]", path, strconv.Quote(fmt.Sprint(en.Key)))
		sub := encoder{types: e.types}
		if err := sub.value(t.Key, en.Key, kp, depth); err != nil {
			return err
		}
		kb := len(sub.buf)
		if err := sub.value(t.Value, en.Value, kp, depth); err != nil {
			return err
		}
		out = append(out, enc{en.Key, sub.buf[:kb], sub.buf})
	}
	// Keys ascending (docs/abi.md): strings by UTF-8 bytes, numbers
	// numerically, false before true; other key types by their encoding.
	sort.SliceStable(out, func(i, j int) bool { return keyLess(t.Key, out[i].key, out[j].key, out[i].kb, out[j].kb) })
	e.u32(len(out))
	for _, o := range out {
		e.buf = append(e.buf, o.b...)
	}
	return nil
}

func keyLess(t *Type, a, b any, ab, bb []byte) bool {
	switch t.Kind {
	case "string":
		return a.(string) < b.(string)
	case "bool":
		return !a.(bool) && b.(bool)
	case "int":
		ai, au, _, _ := intOf(a)
		bi, bu, _, _ := intOf(b)
		if t.Signed {
			return ai < bi
		}
		return au < bu
	case "float":
		af, _ := floatOf(t, a, "")
		bf, _ := floatOf(t, b, "")
		return af < bf
	}
	return bytes.Compare(ab, bb) < 0
}

// encodeArgs writes the argument buffer of a buffer-ABI call.
func encodeArgs(sig *Signature, types map[string]*RecordType, args []any) ([]byte, error) {
	if err := checkArity(sig, args); err != nil {
		return nil, err
	}
	e := encoder{types: types}
	for i, p := range sig.Params {
		if err := e.value(&p.Type, args[i], p.Name, 0); err != nil {
			return nil, err
		}
	}
	return e.buf, nil
}

func checkArity(sig *Signature, args []any) error {
	if len(args) != len(sig.Params) {
		return errorf(codeBadArgs, "expected %d arguments, got %d (a variadic parameter takes one list)", len(sig.Params), len(args))
	}
	return nil
}
