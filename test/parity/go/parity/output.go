package parity

import (
	"fmt"
	"os"
)

// PrintLines prints s on n lines to stdout, then "printed <n>" to stderr, and
// returns the number of bytes it wrote to stdout. What a fragment prints is
// its own business: dcm captures it per call and never mixes it into results.
func PrintLines(s string, n int32) int32 {
	total := int32(0)
	for i := int32(0); i < n; i++ {
		k, _ := fmt.Println(s)
		total += int32(k)
	}
	fmt.Fprintf(os.Stderr, "printed %d\n", n)
	return total
}
