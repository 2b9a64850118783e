package dcmhost

// The scalar ABI (docs/abi.md): plain numbers in, one plain number out.

import (
	"context"
	"math"
)

// scalarArgs turns the arguments into the raw bits of the export's params.
func scalarArgs(sig *Signature, args []any) ([]uint64, error) {
	if err := checkArity(sig, args); err != nil {
		return nil, err
	}
	raw := make([]uint64, len(args))
	for i, p := range sig.Params {
		t := &p.Type
		switch t.Kind {
		case "bool":
			b, ok := args[i].(bool)
			if !ok {
				return nil, badArg(p.Name, "expected bool, got %T", args[i])
			}
			if b {
				raw[i] = 1
			}
		case "int":
			bits, err := intBits(t, args[i], p.Name)
			if err != nil {
				return nil, err
			}
			if t.Bits < 64 {
				// An i32 holding the value: sign-extended for signed
				// types, zero-extended for unsigned ones.
				bits = uint64(uint32(extendAny(t, bits)))
			}
			raw[i] = bits
		case "float":
			f, err := floatOf(t, args[i], p.Name)
			if err != nil {
				return nil, err
			}
			if t.Bits == 32 {
				f32, ok := args[i].(float32)
				if !ok {
					f32 = float32(f)
				}
				raw[i] = uint64(math.Float32bits(f32))
			} else {
				raw[i] = math.Float64bits(f)
			}
		default:
			return nil, errorf(codeManifest, "%s: a %s parameter in a scalar-ABI signature", p.Name, t.Kind)
		}
	}
	return raw, nil
}

func extendAny(t *Type, bits uint64) int64 {
	switch v := extendInt(t, bits).(type) {
	case int64:
		return v
	case uint64:
		return int64(v)
	}
	return 0
}

// scalarResult reads the raw bits of a scalar result. 8- and 16-bit
// results are cut to their width and extended by the type's sign whatever
// the module left in the i32's upper bits.
func scalarResult(t *Type, raw uint64) any {
	switch t.Kind {
	case "bool":
		return uint32(raw) != 0
	case "int":
		return extendInt(t, raw)
	case "float":
		if t.Bits == 32 {
			return math.Float32frombits(uint32(raw))
		}
		return math.Float64frombits(raw)
	}
	return nil
}

func callScalar(ctx context.Context, in instance, f *Fragment, args []uint64) (any, error) {
	raw, frame, err := in.scalar(ctx, f, args)
	if err != nil {
		return nil, err
	}
	if frame != nil {
		return decodeFrame(frame, f.Signature, nil)
	}
	if len(f.Signature.Results) == 0 {
		return nil, nil
	}
	return scalarResult(&f.Signature.Results[0], raw), nil
}

func float32frombits(b uint32) float32 { return math.Float32frombits(b) }
func float64frombits(b uint64) float64 { return math.Float64frombits(b) }
func float32bits(f float32) uint32     { return math.Float32bits(f) }
func float64bits(f float64) uint64     { return math.Float64bits(f) }
