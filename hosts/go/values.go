package dcmhost

// Go values of the value model (README.md, "Value mapping").

import (
	"bytes"
	"math"
)

// MapEntry is one key/value pair of a Map.
type MapEntry struct {
	Key   any
	Value any
}

// Map is a value-model map: its entries in order. Results come in wire order
// (keys ascending, docs/abi.md). A Go map[any]any cannot hold every key a
// dcm map can ([]byte, lists, records, NaN) nor keep the order, hence this.
// Get finds a key by Equal.
type Map []MapEntry

// Get returns the value of the first entry whose key is Equal to key.
func (m Map) Get(key any) (any, bool) {
	for _, e := range m {
		if Equal(e.Key, key) {
			return e.Value, true
		}
	}
	return nil, false
}

// Equal compares two values of this mapping structurally: floats by value
// with NaN equal to NaN and -0 distinct from 0, float32 and float64 never
// equal to each other, integers exactly (int64 and uint64 equal when they
// hold the same number), records by keys, Maps by their entries in order.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool, string:
		return a == b
	case float64:
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || x != x && y != y)
	case float32:
		y, ok := b.(float32)
		return ok && (x == y && math.Signbit(float64(x)) == math.Signbit(float64(y)) || x != x && y != y)
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case uint64:
			return x >= 0 && uint64(x) == y
		}
		return false
	case uint64:
		if y, ok := b.(int64); ok {
			return Equal(y, x)
		}
		y, ok := b.(uint64)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case Map:
		y, ok := b.(Map)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i].Key, y[i].Key) || !Equal(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	}
	return false
}
