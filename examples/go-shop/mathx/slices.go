package mathx

// Reverse3 reverses a fixed-size triple, e.g. an RGB colour into BGR.
func Reverse3(a [3]int) [3]int {
	return [3]int{a[2], a[1], a[0]}
}

// Transpose flips a matrix over its diagonal. The first row sets the width;
// a shorter row makes it panic with an index out of range.
func Transpose(m [][]int) [][]int {
	if len(m) == 0 {
		return [][]int{}
	}
	out := make([][]int, len(m[0]))
	for c := range out {
		out[c] = make([]int, len(m))
		for r := range m {
			out[c][r] = m[r][c]
		}
	}
	return out
}

// At returns xs[i]. Like the inventory code it was taken from, it does not
// check i: an index outside xs panics (index out of range).
func At(xs []int, i int) int {
	return xs[i]
}
