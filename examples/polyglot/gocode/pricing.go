// Package gocode holds the Go part of the polyglot example: money in cents.
package gocode

import "fmt"

// ApplyTax adds a tax given in per mille (19% = 190) and rounds half up.
func ApplyTax(cents int64, perMille int32) int64 {
	return cents + (cents*int64(perMille)+500)/1000
}

// FormatCents prints cents as a euro amount.
func FormatCents(cents int64) string {
	sign := ""
	if cents < 0 {
		sign = "-"
		cents = -cents
	}
	return fmt.Sprintf("%s€%d.%02d", sign, cents/100, cents%100)
}

// Fib is the n-th Fibonacci number, wrapping at 2^64 like the other languages' versions.
func Fib(n uint32) uint64 {
	var a, b uint64 = 0, 1
	for i := uint32(0); i < n; i++ {
		a, b = b, a+b
	}
	return a
}
