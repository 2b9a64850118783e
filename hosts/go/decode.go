package dcmhost

// The result-frame decoder (docs/abi.md, "buffer ABI"), with the limits on
// untrusted input of docs/abi.md: a malformed frame is a DCM_FRAGMENT_PANIC,
// never a crash or a huge allocation.

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

const (
	maxNesting       = 1000
	maxEmptyElements = 65536
)

type decoder struct {
	b     []byte
	pos   int
	types map[string]*RecordType
}

var errShort = fmt.Errorf("the frame ends early")

func (d *decoder) take(n int) ([]byte, error) {
	if n < 0 || n > len(d.b)-d.pos {
		return nil, errShort
	}
	s := d.b[d.pos : d.pos+n]
	d.pos += n
	return s, nil
}

func (d *decoder) u32() (int, error) {
	s, err := d.take(4)
	if err != nil {
		return 0, err
	}
	return int(binary.LittleEndian.Uint32(s)), nil
}

// count reads a u32 count of elements of t, checked against the bytes left.
func (d *decoder) count(elem *Type) (int, error) {
	n, err := d.u32()
	if err != nil {
		return 0, err
	}
	if min := d.minSize(elem, 0); min > 0 {
		if n > (len(d.b)-d.pos)/min {
			return 0, fmt.Errorf("a count of %d is more than the frame holds", n)
		}
	} else if n > maxEmptyElements {
		return 0, fmt.Errorf("%d elements of a zero-size type (at most %d)", n, maxEmptyElements)
	}
	return n, nil
}

// minSize is the fewest bytes a value of t takes on the wire.
func (d *decoder) minSize(t *Type, depth int) int {
	switch t.Kind {
	case "bool", "optional":
		return 1
	case "int", "float":
		return t.Bits / 8
	case "string", "bytes", "list", "map":
		return 4
	case "array":
		return t.Length * d.minSize(t.Elem, depth)
	case "record":
		rt := d.types[t.Name]
		if rt == nil || depth > maxNesting {
			return 0
		}
		n := 0
		for i := range rt.Fields {
			n += d.minSize(&rt.Fields[i].Type, depth+1)
		}
		return n
	}
	return 0
}

func (d *decoder) value(t *Type, depth int) (any, error) {
	switch t.Kind {
	case "bool":
		s, err := d.take(1)
		if err != nil {
			return nil, err
		}
		if s[0] > 1 {
			return nil, fmt.Errorf("a bool byte of %d", s[0])
		}
		return s[0] == 1, nil
	case "int":
		s, err := d.take(t.Bits / 8)
		if err != nil {
			return nil, err
		}
		var b [8]byte
		copy(b[:], s)
		return extendInt(t, binary.LittleEndian.Uint64(b[:])), nil
	case "float":
		s, err := d.take(t.Bits / 8)
		if err != nil {
			return nil, err
		}
		if t.Bits == 32 {
			return math.Float32frombits(binary.LittleEndian.Uint32(s)), nil
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(s)), nil
	case "string", "bytes":
		n, err := d.u32()
		if err != nil {
			return nil, err
		}
		s, err := d.take(n)
		if err != nil {
			return nil, err
		}
		if t.Kind == "bytes" {
			return append([]byte{}, s...), nil
		}
		return strings.ToValidUTF8(string(s), "\uFFFD"), nil
	case "list", "array":
		n := t.Length
		if t.Kind == "list" {
			var err error
			if n, err = d.count(t.Elem); err != nil {
				return nil, err
			}
		}
		out := make([]any, n)
		for i := range out {
			v, err := d.value(t.Elem, depth)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case "map":
		n, err := d.u32()
		if err != nil {
			return nil, err
		}
		if min := d.minSize(t.Key, 0) + d.minSize(t.Value, 0); min > 0 && n > (len(d.b)-d.pos)/min {
			return nil, fmt.Errorf("a count of %d is more than the frame holds", n)
		} else if min == 0 && n > maxEmptyElements {
			return nil, fmt.Errorf("%d entries of a zero-size type", n)
		}
		out := make(Map, n)
		for i := range out {
			k, err := d.value(t.Key, depth)
			if err != nil {
				return nil, err
			}
			v, err := d.value(t.Value, depth)
			if err != nil {
				return nil, err
			}
			out[i] = MapEntry{k, v}
		}
		return out, nil
	case "record":
		if depth >= maxNesting {
			return nil, fmt.Errorf("records nest deeper than %d", maxNesting)
		}
		rt := d.types[t.Name]
		if rt == nil {
			return nil, fmt.Errorf("record type %q is not in the manifest's types", t.Name)
		}
		out := make(map[string]any, len(rt.Fields))
		for i := range rt.Fields {
			v, err := d.value(&rt.Fields[i].Type, depth+1)
			if err != nil {
				return nil, err
			}
			out[rt.Fields[i].JSONName] = v
		}
		return out, nil
	case "optional":
		s, err := d.take(1)
		if err != nil {
			return nil, err
		}
		switch s[0] {
		case 0:
			return nil, nil
		case 1:
			return d.value(t.Inner, depth)
		}
		return nil, fmt.Errorf("an optional's tag of %d", s[0])
	}
	return nil, fmt.Errorf("unknown type kind %q", t.Kind)
}

// extendInt keeps the low t.Bits bits of raw and extends them by t's sign:
// int64 for signed types, uint64 for unsigned ones.
func extendInt(t *Type, raw uint64) any {
	shift := uint(64 - t.Bits)
	if t.Signed {
		return int64(raw<<shift) >> shift
	}
	return raw << shift >> shift
}

// resultValue shapes decoded results: nil for none, the value for one, a
// []any for several.
func resultValue(vals []any) any {
	switch len(vals) {
	case 0:
		return nil
	case 1:
		return vals[0]
	}
	return vals
}

// decodeFrame reads a result frame: the results on status 0, else the error.
func decodeFrame(frame []byte, sig *Signature, types map[string]*RecordType) (any, error) {
	if len(frame) == 0 {
		return nil, errorf(codePanic, "the module wrote an empty result frame")
	}
	d := decoder{b: frame[1:], types: types}
	status := frame[0]
	if status != 0 {
		msg, err := d.value(&Type{Kind: "string"}, 0)
		if err != nil {
			return nil, errorf(codePanic, "malformed result frame (status %d): %v", status, err)
		}
		code := map[byte]string{1: codeFragmentError, 2: codePanic, 3: codeBadArgs}[status]
		if code == "" {
			return nil, errorf(codePanic, "result frame with unknown status %d: %s", status, msg)
		}
		return nil, &FragmentError{Code: code, Message: msg.(string)}
	}
	vals := make([]any, len(sig.Results))
	for i := range sig.Results {
		v, err := d.value(&sig.Results[i], 0)
		if err != nil {
			return nil, errorf(codePanic, "malformed result frame (result %d): %v", i, err)
		}
		vals[i] = v
	}
	if d.pos != len(d.b) {
		return nil, errorf(codePanic, "malformed result frame: %d bytes after the results", len(d.b)-d.pos)
	}
	return resultValue(vals), nil
}

var _ = utf8.ValidString
