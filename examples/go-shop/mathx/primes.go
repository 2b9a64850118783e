package mathx

// IsPrime reports whether n is a prime number, by trial division.
func IsPrime(n int) bool {
	if n < 2 {
		return false
	}
	if n%2 == 0 {
		return n == 2
	}
	for d := 3; d*d <= n; d += 2 {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// NthPrime returns the n-th prime: NthPrime(1) = 2, NthPrime(10000) = 104729.
// n < 1 gives 0.
func NthPrime(n int) int {
	if n < 1 {
		return 0
	}
	count := 0
	for c := 2; ; c++ {
		if IsPrime(c) {
			count++
			if count == n {
				return c
			}
		}
	}
}
