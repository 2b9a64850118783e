package dcmhost

// WASM modules through wazero (docs/abi.md, "Exports of a WASM module").
// WASI modules get wazero's wasi_snapshot_preview1 with the process's
// stdout and stderr, no files, no arguments and no environment.

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

type wasmEngine struct {
	rt    wazero.Runtime
	mu    sync.Mutex
	hosts map[string]bool // host modules instantiated for wasm-bindgen imports
}

// compiled is shared by every Dist of the process: opening a dist again
// (or another with the same module) does not compile its modules again.
var compiled = wazero.NewCompilationCache()

func newWasmEngine() *wasmEngine {
	ctx := context.Background()
	// CloseOnContextDone: a cancelled context stops a running call (the
	// instance is then dropped like after a trap).
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true).WithCompilationCache(compiled))
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	return &wasmEngine{rt: rt, hosts: map[string]bool{}}
}

func (e *wasmEngine) close(ctx context.Context) error { return e.rt.Close(ctx) }

// wasmBindgenImports are the imports a Rust module built through
// wasm-bindgen may have besides WASI; a host without JS gives no-ops (the
// externref table only matters to JS values, which dcm's ABI never passes).
var wasmBindgenImports = map[string]bool{"__wbindgen_init_externref_table": true}

func (e *wasmEngine) load(path string, b []byte, out output) (func() (instance, error), error) {
	ctx := context.Background()
	cm, err := e.rt.CompileModule(ctx, b)
	if err != nil {
		return nil, errorf(codeCorrupt, "%s is not a valid WASM module: %v", path, err)
	}
	for _, fn := range []string{"dcm_abi_version", "dcm_in", "dcm_out", "dcm_status_ptr"} {
		if cm.ExportedFunctions()[fn] == nil {
			return nil, errorf(codeCorrupt, "%s does not follow the dcm ABI: no export %s", path, fn)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, imp := range cm.ImportedFunctions() {
		mod, name, _ := imp.Import()
		if mod == wasi_snapshot_preview1.ModuleName {
			continue
		}
		if !wasmBindgenImports[name] {
			return nil, errorf(codeCorrupt, "%s imports %s.%s, which a host without JavaScript cannot provide", path, mod, name)
		}
		if e.hosts[mod] {
			continue
		}
		hb := e.rt.NewHostModuleBuilder(mod)
		for n := range wasmBindgenImports {
			hb.NewFunctionBuilder().WithFunc(func() {}).Export(n)
		}
		if _, err := hb.Instantiate(ctx); err != nil {
			return nil, errorf(codeCorrupt, "%s: %v", path, err)
		}
		e.hosts[mod] = true
	}
	cfg := wazero.NewModuleConfig().WithName("").
		WithStdout(out.stdout).WithStderr(out.stderr).
		WithSysWalltime().WithSysNanotime().WithRandSource(rand.Reader).
		// _initialize: Go reactors; __wbindgen_start: wasm-bindgen's init.
		WithStartFunctions("_initialize", "__wbindgen_start")
	return func() (instance, error) {
		mod, err := e.rt.InstantiateModule(context.Background(), cm, cfg)
		if err != nil {
			return nil, errorf(codePanic, "%s: instantiation failed: %v", path, err)
		}
		in := &wasmInstance{mod: mod, path: path, fns: map[string]api.Function{}, out: out}
		if v, err := in.fn("dcm_abi_version").Call(ctx); err != nil || len(v) != 1 || uint32(v[0]) != 1 {
			mod.Close(ctx)
			return nil, errorf(codeCorrupt, "%s: dcm_abi_version is not 1", path)
		}
		v, err := in.fn("dcm_status_ptr").Call(ctx)
		if err != nil {
			mod.Close(ctx)
			return nil, errorf(codePanic, "%s: dcm_status_ptr: %v", path, err)
		}
		in.statusPtr = uint32(v[0])
		if mod.ExportedFunction("dcm_output_ptr") != nil && mod.ExportedFunction("dcm_take_output") != nil {
			if v, err := in.fn("dcm_output_ptr").Call(ctx); err == nil {
				in.outputPtr = uint32(v[0])
			}
		}
		return in, nil
	}, nil
}

type wasmInstance struct {
	mod       api.Module
	path      string
	fns       map[string]api.Function
	statusPtr uint32
	outputPtr uint32 // 0: the module has no output cell
	dead      bool
	out       output
}

func (w *wasmInstance) fn(name string) api.Function {
	f := w.fns[name]
	if f == nil {
		f = w.mod.ExportedFunction(name)
		w.fns[name] = f
	}
	return f
}

func (w *wasmInstance) broken() bool { return w.dead }
func (w *wasmInstance) close()       { w.mod.Close(context.Background()) }

func (w *wasmInstance) read(ptr, n uint32) ([]byte, error) {
	b, ok := w.mod.Memory().Read(ptr, n)
	if !ok {
		return nil, errorf(codePanic, "%s: the result frame [%d, +%d) is outside the module's memory", w.path, ptr, n)
	}
	return append([]byte{}, b...), nil
}

// outFrame reads the first n bytes at dcm_out().
func (w *wasmInstance) outFrame(ctx context.Context, n uint32) ([]byte, error) {
	v, err := w.fn("dcm_out").Call(ctx)
	if err != nil {
		return nil, errorf(codePanic, "%s: dcm_out: %v", w.path, err)
	}
	return w.read(uint32(v[0]), n)
}

// afterTrap: the status cell says whether the module wrote its result
// frame before trapping; either way the instance is not used again.
func (w *wasmInstance) afterTrap(ctx context.Context, export string, trap error) ([]byte, error) {
	w.dead = true
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if n, ok := w.mod.Memory().ReadUint32Le(w.statusPtr); ok && n > 0 {
		if f, err := w.outFrame(context.Background(), n); err == nil {
			return f, nil
		}
	}
	return nil, errorf(codePanic, "%s: %s trapped: %v", w.path, export, trap)
}

func (w *wasmInstance) takeOutput(ctx context.Context) {
	if w.outputPtr == 0 || w.dead {
		return
	}
	if n, ok := w.mod.Memory().ReadUint32Le(w.outputPtr); !ok || n == 0 {
		return
	}
	v, err := w.fn("dcm_take_output").Call(ctx)
	if err != nil || uint32(v[0]) == 0 {
		return
	}
	if frame, err := w.outFrame(ctx, uint32(v[0])); err == nil {
		w.out.write(frame)
	}
}

func (w *wasmInstance) scalar(ctx context.Context, f *Fragment, args []uint64) (uint64, []byte, error) {
	fn := w.fn(f.Export)
	if fn == nil {
		return 0, nil, errorf(codeCorrupt, "%s has no export %s", w.path, f.Export)
	}
	res, err := fn.Call(ctx, args...)
	if err != nil {
		frame, err := w.afterTrap(ctx, f.Export, err)
		return 0, frame, err
	}
	defer w.takeOutput(ctx)
	if n, ok := w.mod.Memory().ReadUint32Le(w.statusPtr); ok && n > 0 {
		frame, err := w.outFrame(ctx, n)
		return 0, frame, err
	}
	if len(res) == 0 {
		return 0, nil, nil
	}
	return res[0], nil, nil
}

func (w *wasmInstance) buffer(ctx context.Context, export string, in []byte) ([]byte, error) {
	fn := w.fn(export)
	if fn == nil {
		return nil, errorf(codeCorrupt, "%s has no export %s", w.path, export)
	}
	v, err := w.fn("dcm_in").Call(ctx, uint64(len(in)))
	if err != nil {
		return w.afterTrap(ctx, "dcm_in", err)
	}
	if !w.mod.Memory().Write(uint32(v[0]), in) {
		w.dead = true
		return nil, errorf(codePanic, "%s: dcm_in(%d) returned a buffer outside the module's memory", w.path, len(in))
	}
	res, err := fn.Call(ctx, uint64(len(in)))
	if err != nil {
		return w.afterTrap(ctx, export, err)
	}
	defer w.takeOutput(ctx)
	return w.outFrame(ctx, uint32(res[0]))
}

var _ = fmt.Sprint
