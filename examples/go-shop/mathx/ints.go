// Package mathx has the number crunching behind the shop's recommendations,
// statistics and benchmarks.
package mathx

import "math"

// Add adds two ints (the benchmark's smallest call).
func Add(a, b int) int {
	return a + b
}

// WrapAdd8 adds two int8 values with two's-complement wrap-around: 127 + 1 is -128.
func WrapAdd8(a, b int8) int8 {
	return a + b
}

// Clamp16 limits x to the range [lo, hi]. With lo > hi the result is hi.
func Clamp16(x, lo, hi int16) int16 {
	return min(max(x, lo), hi)
}

// Negate64 returns -x; the negation of math.MinInt64 wraps to itself.
func Negate64(x int64) int64 {
	return -x
}

// GCD is the greatest common divisor of a and b (Euclid). GCD(0, 0) is 0.
func GCD(a, b uint) uint {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// SaturatingAdd64 adds two uint64 values, stopping at math.MaxUint64 instead
// of wrapping around.
func SaturatingAdd64(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint64
}
