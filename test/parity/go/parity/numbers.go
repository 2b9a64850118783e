// Package parity holds the Go side of dcm's cross-language parity suite
// (test/parity/README.md lists every function and its semantics). The same
// functions exist in Rust, AssemblyScript and TypeScript next to this folder.
package parity

import "strconv"

// AddI64 adds with two's-complement wrap-around: MaxInt64 + 1 is MinInt64.
func AddI64(a, b int64) int64 {
	return a + b
}

// WrapAddI8 adds two int8 values with wrap-around: 127 + 1 is -128.
func WrapAddI8(a, b int8) int8 {
	return a + b
}

// NegateI64 returns -x; the negation of MinInt64 wraps to itself.
func NegateI64(x int64) int64 {
	return -x
}

// MaxU64 is the larger of a and b.
func MaxU64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// ClampI16 limits x to [lo, hi]; with lo > hi the result is hi.
func ClampI16(x, lo, hi int16) int16 {
	return min(max(x, lo), hi)
}

// WrapMulU32 multiplies modulo 2^32.
func WrapMulU32(a, b uint32) uint32 {
	return a * b
}

// FormatI64 writes x in decimal.
func FormatI64(x int64) string {
	return strconv.FormatInt(x, 10)
}

// DivF64 is IEEE 754 division: 1/0 is +Inf, 0/0 is NaN, 1/-Inf is -0.
func DivF64(a, b float64) float64 {
	return a / b
}

// ToF32 rounds a float64 to the nearest float32 (overflow gives ±Inf).
func ToF32(x float64) float32 {
	return float32(x)
}

// F32RoundTrip returns its argument unchanged.
func F32RoundTrip(x float32) float32 {
	return x
}

// MulF32 multiplies in float32 arithmetic.
func MulF32(a, b float32) float32 {
	return a * b
}

// BoolLogic is exclusive or.
func BoolLogic(a, b bool) bool {
	return a != b
}

// IsPrime tests n by trial division.
func IsPrime(n uint32) bool {
	if n < 2 {
		return false
	}
	for d := uint64(2); d*d <= uint64(n); d++ {
		if uint64(n)%d == 0 {
			return false
		}
	}
	return true
}

// FibU64 is the n-th Fibonacci number modulo 2^64 (exact up to n = 93).
func FibU64(n uint32) uint64 {
	var a, b uint64 = 0, 1
	for i := uint32(0); i < n; i++ {
		a, b = b, a+b
	}
	return a
}

// NoResult does nothing and returns nothing.
func NoResult(x int32) {
	_ = x
}
