// Per-call cost of the Go host (hosts/go, dcmhost) for bench/host-calls.ts.
//
// Usage: driver <dist> <client|server> <calls>
// Prints one JSON line: {"scalar_ns": ..., "string_ns": ...}, the median over
// 5 repetitions of the time per call of add(2, 3) (fragment "6") and of a
// 1 KiB string round trip through `echo`, after a warm-up.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	dcmhost "github.com/dcm-project/dcm/hosts/go"
)

const reps = 5

func perCallNs(n int, f func() error) (float64, error) {
	for i := 0; i < n/10+1; i++ {
		if err := f(); err != nil {
			return 0, err
		}
	}
	samples := make([]float64, 0, reps)
	for r := 0; r < reps; r++ {
		t := time.Now()
		for i := 0; i < n; i++ {
			if err := f(); err != nil {
				return 0, err
			}
		}
		samples = append(samples, float64(time.Since(t).Nanoseconds())/float64(n))
	}
	sort.Float64s(samples)
	return samples[reps/2], nil
}

func run() error {
	if len(os.Args) != 4 {
		return fmt.Errorf("usage: driver <dist> <client|server> <calls>")
	}
	n, err := strconv.Atoi(os.Args[3])
	if err != nil {
		return err
	}
	side := dcmhost.OnClient
	if os.Args[2] == "server" {
		side = dcmhost.OnServer
	}
	ctx := context.Background()
	d, err := dcmhost.Open(os.Args[1])
	if err != nil {
		return err
	}
	defer d.Close(ctx)
	s1k := strings.Repeat("dcm-", 256)
	if v, err := d.Call(ctx, "6", []any{2, 3}, side); err != nil || fmt.Sprint(v) != "5" {
		return fmt.Errorf("add(2, 3) = %v, %v", v, err)
	}
	if v, err := d.Call(ctx, "echo", []any{s1k}, side); err != nil || v != s1k {
		return fmt.Errorf("echo returned %.40v…, %v", v, err)
	}
	scalar, err := perCallNs(n, func() error { _, err := d.Call(ctx, "6", []any{2, 3}, side); return err })
	if err != nil {
		return err
	}
	str, err := perCallNs(n, func() error { _, err := d.Call(ctx, "echo", []any{s1k}, side); return err })
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]float64{"scalar_ns": scalar, "string_ns": str})
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
