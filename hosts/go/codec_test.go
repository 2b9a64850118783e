package dcmhost

// The test vectors of docs/abi.md ("Test vectors"), through this host's
// encoder and decoder. They need no dist, so they run without DCM_CONFORMANCE.

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"
)

var docTypes = map[string]*RecordType{"P": {Name: "P", Fields: []Field{
	{Name: "X", JSONName: "X", Type: Type{Kind: "int", Bits: 32, Signed: true}},
	{Name: "Name", JSONName: "name", Type: Type{Kind: "string"}},
}}}

func intT(bits int, signed bool) *Type { return &Type{Kind: "int", Bits: bits, Signed: signed} }

var docVectors = []struct {
	t     *Type
	in    any // what a caller passes
	out   any // what the decoder returns
	bytes string
}{
	{&Type{Kind: "bool"}, true, true, "01"},
	{intT(8, true), -1, int64(-1), "ff"},
	{intT(16, false), 513, uint64(513), "0102"},
	{intT(32, true), int32(-2), int64(-2), "feffffff"},
	{intT(64, true), int64(math.MinInt64), int64(math.MinInt64), "0000000000000080"},
	{intT(64, false), uint64(math.MaxUint64), uint64(math.MaxUint64), "ffffffffffffffff"},
	{&Type{Kind: "float", Bits: 32}, float32(1.5), float32(1.5), "0000c03f"},
	{&Type{Kind: "float", Bits: 64}, math.Copysign(0, -1), math.Copysign(0, -1), "0000000000000080"},
	// Go's math.NaN() has another payload; the bits are kept as they are.
	{&Type{Kind: "float", Bits: 64}, math.Float64frombits(0x7ff8000000000000), math.NaN(), "000000000000f87f"},
	{&Type{Kind: "string"}, "", "", "00000000"},
	{&Type{Kind: "string"}, "h€", "h€", "0400000068e282ac"},
	{&Type{Kind: "bytes"}, []byte{1, 2}, []byte{1, 2}, "020000000102"},
	{&Type{Kind: "list", Elem: intT(16, true)}, []int16{1, -1}, []any{int64(1), int64(-1)}, "020000000100ffff"},
	{&Type{Kind: "array", Elem: &Type{Kind: "bool"}, Length: 2}, []any{true, false}, []any{true, false}, "0100"},
	{&Type{Kind: "map", Key: &Type{Kind: "string"}, Value: intT(8, false)}, map[string]uint8{"b": 2, "a": 1},
		Map{{"a", uint64(1)}, {"b", uint64(2)}}, "02000000010000006101010000006202"},
	{&Type{Kind: "optional", Inner: &Type{Kind: "string"}}, nil, nil, "00"},
	{&Type{Kind: "optional", Inner: &Type{Kind: "string"}}, "x", "x", "010100000078"},
	{&Type{Kind: "record", Name: "P"}, map[string]any{"X": 7, "name": "a"}, map[string]any{"X": int64(7), "name": "a"}, "070000000100000061"},
}

func TestDocVectors(t *testing.T) {
	for _, v := range docVectors {
		e := encoder{types: docTypes}
		if err := e.value(v.t, v.in, "v", 0); err != nil {
			t.Fatalf("%s %v: %v", typeName(v.t), v.in, err)
		}
		if got := hex.EncodeToString(e.buf); got != v.bytes {
			t.Errorf("%s %v: encoded %s, docs/abi.md says %s", typeName(v.t), v.in, got, v.bytes)
		}
		b, _ := hex.DecodeString(v.bytes)
		d := decoder{b: b, types: docTypes}
		got, err := d.value(v.t, 0)
		if err != nil || d.pos != len(b) || !Equal(got, v.out) {
			t.Errorf("%s %s: decoded %#v (%v, %d of %d bytes), want %#v", typeName(v.t), v.bytes, got, err, d.pos, len(b), v.out)
		}
	}
}

func TestDocResultFrames(t *testing.T) {
	sig := &Signature{Results: []Type{*intT(32, true), {Kind: "string"}}}
	b, _ := hex.DecodeString("00050000000100000061")
	got, err := decodeFrame(b, sig, nil)
	if err != nil || !Equal(got, []any{int64(5), "a"}) {
		t.Fatalf("ok frame: %#v, %v", got, err)
	}
	for frame, want := range map[string]FragmentError{
		"0104000000626f6f6d": {Code: "DCM_FRAGMENT_ERROR", Message: "boom"},
		"020100000078":       {Code: "DCM_FRAGMENT_PANIC", Message: "x"},
		"030100000078":       {Code: "DCM_BAD_ARGUMENTS", Message: "x"},
	} {
		b, _ := hex.DecodeString(frame)
		_, err := decodeFrame(b, sig, nil)
		if fe, ok := err.(*FragmentError); !ok || *fe != want {
			t.Errorf("frame %s: %v, want %v", frame, err, want)
		}
	}
}

// A malformed or hostile result frame is a DCM_FRAGMENT_PANIC, never a crash
// or a huge allocation.
func TestMalformedResultFrames(t *testing.T) {
	listOfEmpty := &Signature{Results: []Type{{Kind: "list", Elem: &Type{Kind: "record", Name: "E"}}}}
	types := map[string]*RecordType{"E": {Name: "E"}}
	for _, c := range []struct {
		sig   *Signature
		frame string
		says  string
	}{
		{&Signature{Results: []Type{{Kind: "string"}}}, "00ffffff7f61", "ends early"},
		{&Signature{Results: []Type{{Kind: "list", Elem: intT(64, true)}}}, "00ffffff7f", "more than the frame holds"},
		{listOfEmpty, "00ffffff7f", "zero-size"},
		{&Signature{Results: []Type{{Kind: "optional", Inner: &Type{Kind: "bool"}}}}, "0002", "tag of 2"},
		{&Signature{Results: []Type{{Kind: "bool"}}}, "0001ff", "bytes after the results"},
		{&Signature{Results: []Type{{Kind: "bool"}}}, "", "empty result frame"},
		{&Signature{Results: []Type{{Kind: "bool"}}}, "09", "malformed result frame"},
	} {
		b, _ := hex.DecodeString(c.frame)
		_, err := decodeFrame(b, c.sig, types)
		if fe, ok := err.(*FragmentError); !ok || fe.Code != "DCM_FRAGMENT_PANIC" || !strings.Contains(fe.Message, c.says) {
			t.Errorf("frame %s: %v, want DCM_FRAGMENT_PANIC saying %q", c.frame, err, c.says)
		}
	}
}
