package parity

import "sort"

// SumList adds the elements with wrap-around.
func SumList(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// SortInts returns the elements in ascending order.
func SortInts(xs []int64) []int64 {
	out := make([]int64, len(xs))
	copy(out, xs)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// NestedLists returns the rows in reverse order, each row with its length appended.
func NestedLists(rows [][]int32) [][]int32 {
	out := make([][]int32, 0, len(rows))
	for i := len(rows) - 1; i >= 0; i-- {
		row := append([]int32{}, rows[i]...)
		out = append(out, append(row, int32(len(rows[i]))))
	}
	return out
}

// MapCount counts how often each word occurs.
func MapCount(words []string) map[string]int32 {
	m := map[string]int32{}
	for _, w := range words {
		m[w]++
	}
	return m
}

// MapInvert swaps keys and values; when several keys share a value the
// smallest key (byte order) wins.
func MapInvert(m map[string]int32) map[int32]string {
	out := map[int32]string{}
	for k, v := range m {
		if old, ok := out[v]; !ok || k < old {
			out[v] = k
		}
	}
	return out
}

// ArrayRev reverses a fixed array of four.
func ArrayRev(a [4]int32) [4]int32 {
	return [4]int32{a[3], a[2], a[1], a[0]}
}

// MultiResult returns the minimum and maximum of xs, (0, 0) when empty.
func MultiResult(xs []int32) (int32, int32) {
	if len(xs) == 0 {
		return 0, 0
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs[1:] {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	return lo, hi
}
