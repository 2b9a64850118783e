package dcmhost

// The API around the calls: fragment lookup, argument checks, the dist's
// integrity checks, output, recovery after a panic, concurrent calls. On the
// conformance dists (DCM_CONFORMANCE).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func wantCode(t *testing.T, err error, code string, contains ...string) {
	t.Helper()
	var fe *FragmentError
	if !errors.As(err, &fe) || fe.Code != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	for _, s := range contains {
		if !strings.Contains(fe.Message, s) {
			t.Fatalf("want a message containing %q, got %q", s, fe.Message)
		}
	}
}

func conformanceDist(t *testing.T, lang string) (string, *Dist) {
	t.Helper()
	dir, _ := loadVectors(t)
	dist := filepath.Join(dir, "dists", lang)
	d, err := Open(dist, WithOutput(io.Discard, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close(context.Background()) })
	return dist, d
}

// copyDist copies a dist folder so that a test may damage it.
func copyDist(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func editManifest(t *testing.T, dir string, edit func(m map[string]any)) {
	t.Helper()
	p := filepath.Join(dir, "manifest.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	raw, _ = json.Marshal(m)
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFragmentLookup(t *testing.T) {
	src, d := conformanceDist(t, "go")
	ctx := context.Background()
	_, err := d.Call(ctx, "add-i46", []any{1, 2}, OnClient)
	wantCode(t, err, "DCM_UNKNOWN_FRAGMENT", `"add-i46"`, "nearest: add-i64")
	// A unique name (the symbol) works like the id.
	got, err := d.Call(ctx, "Rect.Area", []any{map[string]any{"width": 2.0, "height": 3.5}}, OnServer)
	if err != nil || !Equal(got, 7.0) {
		t.Fatalf("Rect.Area: %v, %v", got, err)
	}

	dir := copyDist(t, src)
	editManifest(t, dir, func(m map[string]any) {
		frags := m["fragments"].([]any)
		twin := map[string]any{}
		for k, v := range frags[0].(map[string]any) {
			twin[k] = v
		}
		twin["id"] = "add-i64-twin"
		m["fragments"] = append(frags, twin)
		for _, mod := range m["modules"].([]any) {
			mod := mod.(map[string]any)
			mod["fragments"] = append(mod["fragments"].([]any), "add-i64-twin")
		}
	})
	d2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close(ctx)
	_, err = d2.Call(ctx, "AddI64", []any{1, 2}, OnClient)
	wantCode(t, err, "DCM_UNKNOWN_FRAGMENT", "add-i64, add-i64-twin")
	if got, err := d2.Call(ctx, "add-i64-twin", []any{1, 2}, OnClient); err != nil || !Equal(got, int64(3)) {
		t.Fatalf("by id: %v, %v", got, err)
	}
}

func TestNotCallable(t *testing.T) {
	src, _ := conformanceDist(t, "go")
	dir := copyDist(t, src)
	editManifest(t, dir, func(m map[string]any) {
		f := m["fragments"].([]any)[0].(map[string]any)
		delete(f, "signature")
		delete(f, "abi")
		delete(f, "export")
		f["notCallable"] = "its parameter is a channel"
	})
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(context.Background())
	_, err = d.Call(context.Background(), "add-i64", []any{1, 2}, OnClient)
	wantCode(t, err, "DCM_NOT_CALLABLE", "its parameter is a channel")
}

func TestArguments(t *testing.T) {
	_, d := conformanceDist(t, "go")
	ctx := context.Background()
	for _, side := range []Side{OnClient, OnServer} {
		// Narrower Go integers are accepted for int<64>.
		if got, err := d.Call(ctx, "add-i64", []any{int8(2), uint32(3)}, side); err != nil || !Equal(got, int64(5)) {
			t.Fatalf("%s add-i64(int8, uint32): %v, %v", side, got, err)
		}
		bad := []struct {
			fragment string
			args     []any
			says     string
		}{
			{"add-i64", []any{"2", 3}, "a: expected int<64,signed>, got string"},
			{"add-i64", []any{2}, "expected 2 arguments, got 1"},
			{"wrap-add-i8", []any{200, 1}, "a: 200 is out of range for int<8,signed>"},
			{"max-u64", []any{-1, 1}, "a: -1 is out of range for int<64,unsigned>"},
			{"div-f64", []any{1.0, "x"}, "expected float<64>, got string"},
			{"concat", []any{"a", []byte("b")}, "expected string, got []uint8"},
			{"concat", []any{"a", "\xff"}, "not valid UTF-8"},
			{"array-rev", []any{[]any{1, 2, 3}}, "expected 4 elements, got 3"},
			{"sum-list", []any{[]any{1, "2"}}, "xs[1]: expected int<64,signed>, got string"},
			{"optional-or", []any{nil, map[string]any{"x": 1}}, "fallback.y: missing field"},
			{"optional-or", []any{nil, map[string]any{"x": 1, "y": 2, "z": 3}}, `record Point has no field "z"`},
			{"optional-or", []any{[]any{1, 2}, map[string]any{"x": 1, "y": 2}}, "p: expected record Point"},
		}
		for _, b := range bad {
			_, err := d.Call(ctx, b.fragment, b.args, side)
			wantCode(t, err, "DCM_BAD_ARGUMENTS", b.says)
		}
	}
}

func TestIntegrity(t *testing.T) {
	src, _ := conformanceDist(t, "go")
	ctx := context.Background()
	for _, file := range []string{"client/go.wasm", "server/go.so"} {
		side := OnClient
		if strings.HasPrefix(file, "server/") {
			side = OnServer
		}
		dir := copyDist(t, src)
		p := filepath.Join(dir, file)
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 1
		os.WriteFile(p, b, 0o644)
		d, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Call(ctx, "add-i64", []any{1, 2}, side)
		wantCode(t, err, "DCM_MODULE_CORRUPT", file, "sha256")
		os.Remove(p)
		d.Close(ctx)
		d, _ = Open(dir)
		_, err = d.Call(ctx, "add-i64", []any{1, 2}, side)
		wantCode(t, err, "DCM_MODULE_MISSING", file)
		d.Close(ctx)
	}

	dir := copyDist(t, src)
	editManifest(t, dir, func(m map[string]any) {
		m["modules"].([]any)[0].(map[string]any)["file"] = "../../etc/passwd"
	})
	_, err := Open(dir)
	wantCode(t, err, "DCM_MANIFEST_UNSAFE_PATH", "../../etc/passwd")

	dir = copyDist(t, src)
	wasm := filepath.Join(dir, "client/go.wasm")
	os.Remove(wasm)
	if err := os.Symlink(filepath.Join(src, "client/go.wasm"), wasm); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	wantCode(t, err, "DCM_MANIFEST_UNSAFE_PATH", "symbolic link")

	_, err = Open(t.TempDir())
	wantCode(t, err, "DCM_MANIFEST_INVALID", "manifest.json")
}

// What fragments print reaches WithOutput's writers, on both sides.
func TestOutput(t *testing.T) {
	dir, v := loadVectors(t)
	for _, lang := range v.Languages {
		for _, side := range []Side{OnClient, OnServer} {
			var stdout, stderr bytes.Buffer
			d, err := Open(filepath.Join(dir, "dists", lang), WithOutput(&stdout, &stderr))
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Call(context.Background(), "print-lines", []any{"hé", 2}, side)
			d.Close(context.Background())
			if err != nil || !Equal(got, int64(8)) {
				t.Fatalf("%s %s: %v, %v", lang, side, got, err)
			}
			if stdout.String() != "hé\nhé\n" || stderr.String() != "printed 2\n" {
				t.Errorf("%s %s: stdout %q, stderr %q", lang, side, stdout.String(), stderr.String())
			}
		}
	}
}

// A panic (a trap for Rust and AssemblyScript) fails that call only.
func TestAfterPanic(t *testing.T) {
	dir, v := loadVectors(t)
	ctx := context.Background()
	for _, lang := range v.Languages {
		d, err := Open(filepath.Join(dir, "dists", lang), WithOutput(io.Discard, io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		for _, side := range []Side{OnClient, OnServer} {
			for i := 0; i < 3; i++ {
				_, err := d.Call(ctx, "index-panic", []any{[]any{1}, 5}, side)
				wantCode(t, err, "DCM_FRAGMENT_PANIC")
				got, err := d.Call(ctx, "index-panic", []any{[]any{1, 2}, 1}, side)
				if err != nil || !Equal(got, int64(2)) {
					t.Fatalf("%s %s after a panic: %v, %v", lang, side, got, err)
				}
			}
		}
		d.Close(ctx)
	}
}

func TestConcurrentCalls(t *testing.T) {
	dir, v := loadVectors(t)
	ctx := context.Background()
	for _, lang := range v.Languages {
		d, err := Open(filepath.Join(dir, "dists", lang), WithOutput(io.Discard, io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					side := Side(i % 2)
					s := fmt.Sprintf("g%d-%d", g, i)
					got, err := d.Call(ctx, "concat", []any{s, "!"}, side)
					if err != nil || got != s+"!" {
						errs <- fmt.Errorf("%s %s concat: %v, %v", lang, side, got, err)
						return
					}
					n, err := d.Call(ctx, "add-i64", []any{g, i}, side)
					if err != nil || !Equal(n, int64(g+i)) {
						errs <- fmt.Errorf("%s %s add-i64: %v, %v", lang, side, n, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		d.Close(ctx)
	}
}

// A context that ends stops a WASM call; the next call gets a fresh instance.
func TestContext(t *testing.T) {
	dir, v := loadVectors(t)
	for _, lang := range v.Languages {
		d, err := Open(filepath.Join(dir, "dists", lang), WithOutput(io.Discard, io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := d.Call(cancelled, "add-i64", []any{1, 2}, OnClient); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: a cancelled context: %v", lang, err)
		}
		ctx, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, err = d.Call(ctx, "print-lines", []any{"x", math.MaxInt32}, OnClient)
		stop()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: a deadline during a call: %v", lang, err)
		}
		if got, err := d.Call(context.Background(), "add-i64", []any{1, 2}, OnClient); err != nil || !Equal(got, int64(3)) {
			t.Fatalf("%s: the call after: %v, %v", lang, got, err)
		}
		d.Close(context.Background())
	}
}
