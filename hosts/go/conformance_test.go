package dcmhost

// The conformance vectors (test/conformance/README.md): every parity call on
// both sides of every language, every buffer-ABI encoding, every malformed
// argument buffer. DCM_CONFORMANCE=<dir> names the folder of vectors.json and
// dists/<lang>/.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

type vectorCall struct {
	Lang, Fragment string
	Case           int
	Args, Expect   string
	Float32        bool
}

type vectors struct {
	ABI       int
	Languages []string
	Calls     []vectorCall
	Encodings []struct {
		Lang, Fragment string
		Case           int
		Hex            string
	}
	Malformed []struct{ Lang, Fragment, Hex, Expect, Why string }
}

func loadVectors(t *testing.T) (string, *vectors) { return loadVectorsTB(t) }

func loadVectorsTB(t testing.TB) (string, *vectors) {
	t.Helper()
	dir := os.Getenv("DCM_CONFORMANCE")
	if dir == "" {
		t.Skip("DCM_CONFORMANCE is not set: generate the vectors (npx tsx test/conformance/write-vectors.ts <dir>) and set DCM_CONFORMANCE=<dir>")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "vectors.json"))
	if err != nil {
		t.Fatalf("DCM_CONFORMANCE=%s: %v", dir, err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("vectors.json: %v", err)
	}
	if v.ABI != 1 {
		t.Fatalf("vectors.json is for ABI %d, this host speaks 1", v.ABI)
	}
	return dir, &v
}

func openDists(t *testing.T, dir string, langs []string) map[string]*Dist {
	t.Helper()
	dists := map[string]*Dist{}
	for _, l := range langs {
		d, err := Open(filepath.Join(dir, "dists", l), WithOutput(io.Discard, io.Discard))
		if err != nil {
			t.Fatalf("Open %s: %v", l, err)
		}
		t.Cleanup(func() { d.Close(context.Background()) })
		dists[l] = d
	}
	return dists
}

func TestConformanceCalls(t *testing.T) {
	dir, v := loadVectors(t)
	dists := openDists(t, dir, v.Languages)
	ctx := context.Background()
	for _, side := range []Side{OnClient, OnServer} {
		for _, c := range v.Calls {
			name := fmt.Sprintf("%s/%s/%s/%d", side, c.Lang, c.Fragment, c.Case)
			t.Run(name, func(t *testing.T) {
				d := dists[c.Lang]
				f, err := d.Fragment(c.Fragment)
				if err != nil {
					t.Fatal(err)
				}
				args, err := argsFromJSON(f.Signature, c.Args, d.Types())
				if err != nil {
					t.Fatalf("args %s: %v", c.Args, err)
				}
				got, callErr := d.Call(ctx, c.Fragment, args, side)
				expect, err := parseJSON(c.Expect)
				if err != nil {
					t.Fatalf("expect %s: %v", c.Expect, err)
				}
				if code := expectedCode(expect); code != "" {
					fe, ok := callErr.(*FragmentError)
					if !ok || fe.Code != code {
						t.Fatalf("args %s: want error %s, got %v, %v", c.Args, code, got, callErr)
					}
					return
				}
				if callErr != nil {
					t.Fatalf("args %s: want %s, got error %v", c.Args, c.Expect, callErr)
				}
				want, err := resultFromJSON(f.Signature, expect, d.Types())
				if err != nil {
					t.Fatalf("expect %s: %v", c.Expect, err)
				}
				if !sameResult(f.Signature, got, want, d.Types()) {
					t.Fatalf("args %s: want %s (%#v), got %#v", c.Args, c.Expect, want, got)
				}
			})
		}
	}
}

// expectedCode is the code of an expected failure {"error":{"code":…}}, or "".
func expectedCode(v any) string {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return ""
	}
	e, ok := obj["error"].(map[string]any)
	if !ok {
		return ""
	}
	code, _ := e["code"].(string)
	return code
}

func TestConformanceEncodings(t *testing.T) {
	dir, v := loadVectors(t)
	dists := openDists(t, dir, v.Languages)
	calls := map[string]vectorCall{}
	for _, c := range v.Calls {
		calls[fmt.Sprintf("%s/%s/%d", c.Lang, c.Fragment, c.Case)] = c
	}
	if len(v.Encodings) == 0 {
		t.Fatal("vectors.json has no encodings")
	}
	for _, e := range v.Encodings {
		key := fmt.Sprintf("%s/%s/%d", e.Lang, e.Fragment, e.Case)
		t.Run(key, func(t *testing.T) {
			d := dists[e.Lang]
			f, err := d.Fragment(e.Fragment)
			if err != nil {
				t.Fatal(err)
			}
			c, ok := calls[key]
			if !ok {
				t.Fatalf("no call %s in vectors.json", key)
			}
			args, err := argsFromJSON(f.Signature, c.Args, d.Types())
			if err != nil {
				t.Fatalf("args %s: %v", c.Args, err)
			}
			buf, err := encodeArgs(f.Signature, d.Types(), args)
			if err != nil {
				t.Fatalf("args %s: %v", c.Args, err)
			}
			if got := hex.EncodeToString(buf); got != e.Hex {
				t.Fatalf("args %s:\n want %s\n got  %s", c.Args, e.Hex, got)
			}
		})
	}
}

func TestConformanceMalformed(t *testing.T) {
	dir, v := loadVectors(t)
	dists := openDists(t, dir, v.Languages)
	if len(v.Malformed) == 0 {
		t.Fatal("vectors.json has no malformed inputs")
	}
	for _, side := range []Side{OnClient, OnServer} {
		for _, m := range v.Malformed {
			t.Run(fmt.Sprintf("%s/%s/%s/%s", side, m.Lang, m.Fragment, m.Hex), func(t *testing.T) {
				buf, err := hex.DecodeString(m.Hex)
				if err != nil {
					t.Fatal(err)
				}
				got, err := dists[m.Lang].callEncoded(context.Background(), m.Fragment, buf, side)
				if fe, ok := err.(*FragmentError); !ok || fe.Code != m.Expect {
					t.Fatalf("%s: want %s, got %#v, %v", m.Why, m.Expect, got, err)
				}
			})
		}
	}
}
