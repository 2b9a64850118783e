package mathx

import "math"

// Mean is the arithmetic mean of xs; NaN for an empty slice.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// Scale multiplies x by f with IEEE 754 semantics: 0 * -1 is -0, and an
// overflow gives ±Inf.
func Scale(x, f float64) float64 {
	return x * f
}
