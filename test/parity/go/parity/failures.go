package parity

import (
	"errors"
	"math"
)

// DivideChecked divides a by b; it fails on b == 0. MinInt64 / -1 wraps to MinInt64.
func DivideChecked(a, b int64) (int64, error) {
	if b == 0 {
		return 0, errors.New("division by zero")
	}
	if a == math.MinInt64 && b == -1 {
		return a, nil
	}
	return a / b, nil
}

// IndexPanic returns xs[i] and panics when i is out of range.
func IndexPanic(xs []int32, i int32) int32 {
	return xs[i]
}
