package dcmhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Side says where a call runs: OnClient the portable (WASM) module,
// OnServer the native plugin, or the portable module where the fragment's
// language has no native target.
type Side int

const (
	OnClient Side = iota
	OnServer
)

func (s Side) String() string {
	if s == OnServer {
		return "server"
	}
	return "client"
}

// Dist is an opened dist folder. It is safe for concurrent use: each module
// keeps a pool of instances (WASM) or contexts (native), one call per
// instance at a time.
type Dist struct {
	dir   string
	man   manifest
	wasm  *wasmEngine
	mu    sync.Mutex
	pools map[int]*pool // by index in man.Modules
	out   output
}

// output is where fragments' prints go.
type output struct{ stdout, stderr io.Writer }

// Option configures Open.
type Option func(*Dist)

// WithOutput sends what fragments print to stdout and stderr (default: the
// process's os.Stdout and os.Stderr).
func WithOutput(stdout, stderr io.Writer) Option {
	return func(d *Dist) { d.out = output{stdout, stderr} }
}

// Open reads dir/manifest.json and checks every file path it lists. Modules
// are read, checked against their sha256 and loaded at their first call.
func Open(dir string, opts ...Option) (*Dist, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, errorf(codeManifest, "%s: cannot read manifest.json: %v (run `dcm build --out %s`)", dir, err, dir)
	}
	d := &Dist{dir: dir, pools: map[int]*pool{}, out: output{os.Stdout, os.Stderr}}
	for _, o := range opts {
		o(d)
	}
	if err := json.Unmarshal(raw, &d.man); err != nil {
		return nil, errorf(codeManifest, "%s: %v", filepath.Join(dir, "manifest.json"), err)
	}
	if d.man.ManifestVersion != 1 {
		return nil, errorf(codeManifest, "%s: manifestVersion %d, this host reads 1", filepath.Join(dir, "manifest.json"), d.man.ManifestVersion)
	}
	for _, m := range d.man.Modules {
		for _, p := range []string{m.File, glueName(m)} {
			if p == "" {
				continue
			}
			if err := checkPath(dir, p); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

func glueName(m moduleEntry) string {
	if m.Glue == nil {
		return ""
	}
	return m.Glue.File
}

// checkPath refuses a manifest path that is not a plain relative path
// inside the dist, or that leads out of it through a symbolic link.
func checkPath(dir, p string) error {
	bad := p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.Contains(p, ":")
	for _, seg := range strings.Split(p, "/") {
		bad = bad || seg == "" || seg == "." || seg == ".."
	}
	if bad {
		return errorf(codeUnsafePath, "manifest.json: the module path %q is not a plain relative path inside the dist; rebuild the dist with `dcm build`", p)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return errorf(codeManifest, "%s: %v", dir, err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		if os.IsNotExist(err) {
			return nil // reported as DCM_MODULE_MISSING when the module is loaded
		}
		return errorf(codeMissing, "%s: %v", p, err)
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return errorf(codeUnsafePath, "manifest.json: %q leads out of the dist through a symbolic link", p)
	}
	return nil
}

// Fragments lists the manifest's fragments.
func (d *Dist) Fragments() []Fragment { return d.man.Fragments }

// Types returns the manifest's record types by name.
func (d *Dist) Types() map[string]*RecordType { return d.man.Types }

// Close releases every loaded module.
func (d *Dist) Close(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, p := range d.pools {
		p.close()
	}
	d.pools = map[int]*pool{}
	if d.wasm != nil {
		err := d.wasm.close(ctx)
		d.wasm = nil
		return err
	}
	return nil
}

// Fragment finds a fragment by id, or by a name that only one fragment has
// (its symbol: `Func`, `Type.Method`, `Type::method`).
func (d *Dist) Fragment(ref string) (*Fragment, error) {
	var byName []*Fragment
	for i := range d.man.Fragments {
		f := &d.man.Fragments[i]
		if f.ID == ref {
			return f, nil
		}
		if f.Symbol == ref {
			byName = append(byName, f)
		}
	}
	if len(byName) == 1 {
		return byName[0], nil
	}
	if len(byName) > 1 {
		ids := make([]string, len(byName))
		for i, f := range byName {
			ids[i] = f.ID
		}
		return nil, errorf(codeUnknown, "the name %q is shared by the fragments %s; call one by its id", ref, strings.Join(ids, ", "))
	}
	return nil, errorf(codeUnknown, "no fragment %q in %s%s", ref, filepath.Join(d.dir, "manifest.json"), d.nearest(ref))
}

func (d *Dist) nearest(ref string) string {
	type cand struct {
		id string
		d  int
	}
	var cs []cand
	for _, f := range d.man.Fragments {
		cs = append(cs, cand{f.ID, min(editDistance(ref, f.ID), editDistance(ref, f.Symbol))})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for _, c := range cs {
		if len(out) == 3 || c.d > max(2, len(ref)/2) {
			break
		}
		out = append(out, c.id)
	}
	if len(out) == 0 {
		return ""
	}
	return "; nearest: " + strings.Join(out, ", ")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

// moduleFor picks the module that runs f on side.
func (d *Dist) moduleFor(f *Fragment, side Side) (int, error) {
	pick := -1
	for i, m := range d.man.Modules {
		if !contains(m.Fragments, f.ID) || !contains(m.Sides, side.String()) {
			continue
		}
		switch {
		case m.Target == "native" && side == OnServer:
			return i, nil
		case m.Target == "wasm" && pick < 0:
			pick = i
		}
	}
	if pick < 0 {
		return 0, errorf(codeNoModule, "no WASM or native module runs %q on the %s side (a js module runs in Node and browsers only)", f.ID, side)
	}
	return pick, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// Call runs fragment (an id or a unique name) with args, one per parameter
// (a variadic parameter takes one slice), on side. It returns nil for no
// result, the result for one, a []any for several. Every error is a
// *FragmentError, except ctx.Err() when ctx ends before or during the call
// (a WASM call is stopped then; a native call cannot be).
func (d *Dist) Call(ctx context.Context, fragment string, args []any, side Side) (any, error) {
	f, p, err := d.prepare(fragment, side)
	if err != nil {
		return nil, err
	}
	if f.ABI == "scalar" {
		raw, err := scalarArgs(f.Signature, args)
		if err != nil {
			return nil, err
		}
		return p.run(ctx, func(in instance) (any, error) { return callScalar(ctx, in, f, raw) })
	}
	buf, err := encodeArgs(f.Signature, d.man.Types, args)
	if err != nil {
		return nil, err
	}
	return d.callBuffer(ctx, f, p, buf)
}

// callEncoded runs a buffer-ABI fragment with an argument buffer as is (the
// tests feed malformed bytes through it).
func (d *Dist) callEncoded(ctx context.Context, fragment string, buf []byte, side Side) (any, error) {
	f, p, err := d.prepare(fragment, side)
	if err != nil {
		return nil, err
	}
	if f.ABI != "buffer" {
		return nil, errorf(codeBadArgs, "%s uses the scalar ABI", f.ID)
	}
	return d.callBuffer(ctx, f, p, buf)
}

func (d *Dist) callBuffer(ctx context.Context, f *Fragment, p *pool, buf []byte) (any, error) {
	return p.run(ctx, func(in instance) (any, error) {
		frame, err := in.buffer(ctx, f.Export, buf)
		if err != nil {
			return nil, err
		}
		return decodeFrame(frame, f.Signature, d.man.Types)
	})
}

func (d *Dist) prepare(fragment string, side Side) (*Fragment, *pool, error) {
	f, err := d.Fragment(fragment)
	if err != nil {
		return nil, nil, err
	}
	if f.Signature == nil || f.Export == "" {
		why := f.NotCallable
		if why == "" {
			why = "a " + f.Kind + ", not a function or method"
		}
		return nil, nil, errorf(codeNotCallable, "%s cannot be called: %s", f.ID, why)
	}
	mi, err := d.moduleFor(f, side)
	if err != nil {
		return nil, nil, err
	}
	p, err := d.pool(mi)
	return f, p, err
}

// pool loads module mi at its first use: reads it, checks its sha256,
// compiles (WASM) or opens (native) it.
func (d *Dist) pool(mi int) (*pool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p := d.pools[mi]; p != nil {
		return p, nil
	}
	m := d.man.Modules[mi]
	if m.ABIVersion != 1 {
		return nil, errorf(codeCorrupt, "%s: ABI version %d, this host speaks 1", m.File, m.ABIVersion)
	}
	path := filepath.Join(d.dir, filepath.FromSlash(m.File))
	bytes, err := os.ReadFile(path)
	if err != nil {
		return nil, errorf(codeMissing, "%s is listed in manifest.json but cannot be read: %v; rebuild the dist with `dcm build`", path, err)
	}
	sum := sha256.Sum256(bytes)
	if hex.EncodeToString(sum[:]) != m.SHA256 {
		return nil, errorf(codeCorrupt, "%s: sha256 %s, the manifest says %s; rebuild the dist with `dcm build`", path, hex.EncodeToString(sum[:]), m.SHA256)
	}
	var factory func() (instance, error)
	switch m.Target {
	case "wasm":
		if d.wasm == nil {
			d.wasm = newWasmEngine()
		}
		factory, err = d.wasm.load(path, bytes, d.out)
	case "native":
		factory, err = loadNative(path, d.out)
	default:
		err = errorf(codeNoModule, "%s: a %s module runs in Node and browsers only", m.File, m.Target)
	}
	if err != nil {
		return nil, err
	}
	p := newPool(factory, runtime.GOMAXPROCS(0))
	d.pools[mi] = p
	return p, nil
}
