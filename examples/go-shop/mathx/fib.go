package mathx

// Fibonacci returns the n-th Fibonacci number, iteratively: Fibonacci(0) = 0,
// Fibonacci(1) = 1. Fibonacci(93) is the largest that fits a uint64; above
// that the result wraps around. Negative n gives 0.
func Fibonacci(n int) uint64 {
	var a, b uint64 = 0, 1
	for i := 0; i < n; i++ {
		a, b = b, a+b
	}
	return a
}
