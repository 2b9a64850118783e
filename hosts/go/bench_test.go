package dcmhost

// Per-call cost: go test -bench . (with DCM_CONFORMANCE). A scalar call
// (add-i64) and a 1 KiB string round trip (concat of 1 KiB and "") on each
// language and side.

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func BenchmarkCall(b *testing.B) {
	dir := benchDir(b)
	kib := strings.Repeat("x", 1024)
	for _, lang := range []string{"go", "rust", "assemblyscript"} {
		d, err := Open(filepath.Join(dir, "dists", lang), WithOutput(io.Discard, io.Discard))
		if err != nil {
			b.Fatal(err)
		}
		for _, side := range []Side{OnClient, OnServer} {
			for _, c := range []struct {
				name, fragment string
				args           []any
			}{{"scalar", "add-i64", []any{2, 3}}, {"string-1KiB", "concat", []any{kib, ""}}} {
				b.Run(lang+"/"+side.String()+"/"+c.name, func(b *testing.B) {
					ctx := context.Background()
					// The first call loads and instantiates the module.
					if _, err := d.Call(ctx, c.fragment, c.args, side); err != nil {
						b.Fatal(err)
					}
					for b.Loop() {
						if _, err := d.Call(ctx, c.fragment, c.args, side); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
		d.Close(context.Background())
	}
}

func benchDir(b *testing.B) string {
	dir, _ := loadVectorsTB(b)
	return dir
}
