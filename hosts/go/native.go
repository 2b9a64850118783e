package dcmhost

// Native plugins (docs/abi.md, "Exports of a native plugin") through purego:
// dlopen and C calls without cgo. Limitations: the plugin runs in this
// process (a plugin that exits or crashes ends it: there is no process
// isolation as in dcm's Node host), and a loaded plugin is never unloaded.

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

type nativeModule struct {
	path                           string
	handle                         uintptr
	ctxNew, ctxFree, statusPtr     uintptr
	in, out, outputPtr, takeOutput uintptr
	mu                             sync.Mutex
	syms                           map[string]uintptr
	scalars                        map[string]reflect.Value // export → a typed Go func calling it
}

var nativeModules sync.Map // path → *nativeModule: dlopen gives one copy per path anyway

func loadNative(path string, out output) (func() (instance, error), error) {
	var m *nativeModule
	if v, ok := nativeModules.Load(path); ok {
		m = v.(*nativeModule)
	} else {
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err != nil {
			return nil, errorf(codeCorrupt, "%s cannot be loaded: %v", path, err)
		}
		m = &nativeModule{path: path, handle: h, syms: map[string]uintptr{}, scalars: map[string]reflect.Value{}}
		for name, dst := range map[string]*uintptr{
			"dcm_ctx_new": &m.ctxNew, "dcm_ctx_free": &m.ctxFree, "dcm_status_ptr": &m.statusPtr,
			"dcm_in": &m.in, "dcm_out": &m.out,
		} {
			if *dst, err = purego.Dlsym(h, name); err != nil {
				return nil, errorf(codeCorrupt, "%s does not follow the dcm ABI: no export %s", path, name)
			}
		}
		version, err := purego.Dlsym(h, "dcm_abi_version")
		if err != nil {
			return nil, errorf(codeCorrupt, "%s does not follow the dcm ABI: no export dcm_abi_version", path)
		}
		if v, _, _ := purego.SyscallN(version); int32(v) != 1 {
			return nil, errorf(codeCorrupt, "%s: dcm_abi_version is %d, this host speaks 1", path, int32(v))
		}
		op, err1 := purego.Dlsym(h, "dcm_output_ptr")
		take, err2 := purego.Dlsym(h, "dcm_take_output")
		if err1 == nil && err2 == nil {
			m.outputPtr, m.takeOutput = op, take
		}
		if v, loaded := nativeModules.LoadOrStore(path, m); loaded {
			m = v.(*nativeModule)
		}
	}
	return func() (instance, error) {
		c, _, _ := purego.SyscallN(m.ctxNew)
		if c == 0 {
			return nil, errorf(codePanic, "%s: dcm_ctx_new returned NULL", path)
		}
		in := &nativeInstance{m: m, ctx: c, out: out}
		sp, _, _ := purego.SyscallN(m.statusPtr, c)
		in.status = (*int32)(cptr(sp))
		return in, nil
	}, nil
}

func (m *nativeModule) sym(name string) (uintptr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.syms[name]; ok {
		return s, nil
	}
	s, err := purego.Dlsym(m.handle, name)
	if err != nil {
		return 0, errorf(codeCorrupt, "%s has no export %s", m.path, name)
	}
	m.syms[name] = s
	return s, nil
}

// cType is the C type of a scalar-ABI value (docs/abi.md's scalar table).
func cType(t *Type) reflect.Type {
	switch {
	case t.Kind == "bool":
		return reflect.TypeFor[int32]()
	case t.Kind == "float" && t.Bits == 32:
		return reflect.TypeFor[float32]()
	case t.Kind == "float":
		return reflect.TypeFor[float64]()
	case t.Bits == 64 && t.Signed:
		return reflect.TypeFor[int64]()
	case t.Bits == 64:
		return reflect.TypeFor[uint64]()
	case t.Signed:
		return reflect.TypeFor[int32]()
	}
	return reflect.TypeFor[uint32]()
}

// scalarFunc makes (once per export) a Go func of the export's C signature
// with purego.RegisterFunc, which passes floats in float registers.
func (m *nativeModule) scalarFunc(f *Fragment) (reflect.Value, error) {
	sym, err := m.sym(f.Export)
	if err != nil {
		return reflect.Value{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if fn, ok := m.scalars[f.Export]; ok {
		return fn, nil
	}
	in := []reflect.Type{reflect.TypeFor[uintptr]()}
	for i := range f.Signature.Params {
		in = append(in, cType(&f.Signature.Params[i].Type))
	}
	var out []reflect.Type
	if len(f.Signature.Results) == 1 {
		out = append(out, cType(&f.Signature.Results[0]))
	}
	ptr := reflect.New(reflect.FuncOf(in, out, false))
	purego.RegisterFunc(ptr.Interface(), sym)
	m.scalars[f.Export] = ptr.Elem()
	return ptr.Elem(), nil
}

type nativeInstance struct {
	m      *nativeModule
	ctx    uintptr
	status *int32
	out    output
}

func (n *nativeInstance) broken() bool { return false }
func (n *nativeInstance) close()       { purego.SyscallN(n.m.ctxFree, n.ctx) }

func (n *nativeInstance) outFrame(len int32) []byte {
	p, _, _ := purego.SyscallN(n.m.out, n.ctx)
	return append([]byte{}, unsafe.Slice((*byte)(cptr(p)), len)...)
}

// takeOutput runs on the thread of the call: the output cell may be per
// thread (Rust), so its address is asked on that thread every time.
func (n *nativeInstance) takeOutput() {
	if n.m.outputPtr == 0 {
		return
	}
	if cell, _, _ := purego.SyscallN(n.m.outputPtr, n.ctx); cell == 0 || *(*int32)(cptr(cell)) == 0 {
		return
	}
	if l, _, _ := purego.SyscallN(n.m.takeOutput, n.ctx); int32(l) > 0 {
		n.out.write(n.outFrame(int32(l)))
	}
}

func (n *nativeInstance) scalar(_ context.Context, f *Fragment, args []uint64) (uint64, []byte, error) {
	fn, err := n.m.scalarFunc(f)
	if err != nil {
		return 0, nil, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ft := fn.Type()
	in := []reflect.Value{reflect.ValueOf(n.ctx)}
	for i, raw := range args {
		v := reflect.New(ft.In(i + 1)).Elem()
		switch v.Kind() {
		case reflect.Float32:
			v.SetFloat(float64(float32frombits(uint32(raw))))
		case reflect.Float64:
			v.SetFloat(float64frombits(raw))
		case reflect.Int32:
			v.SetInt(int64(int32(uint32(raw))))
		case reflect.Uint32:
			v.SetUint(uint64(uint32(raw)))
		case reflect.Int64:
			v.SetInt(int64(raw))
		default:
			v.SetUint(raw)
		}
		in = append(in, v)
	}
	outs := fn.Call(in)
	defer n.takeOutput()
	if s := *n.status; s > 0 {
		return 0, n.outFrame(s), nil
	}
	if len(outs) == 0 {
		return 0, nil, nil
	}
	r := outs[0]
	switch r.Kind() {
	case reflect.Float32:
		return uint64(float32bits(float32(r.Float()))), nil, nil
	case reflect.Float64:
		return float64bits(r.Float()), nil, nil
	case reflect.Int32, reflect.Int64:
		return uint64(r.Int()), nil, nil
	}
	return r.Uint(), nil, nil
}

func (n *nativeInstance) buffer(_ context.Context, export string, in []byte) ([]byte, error) {
	sym, err := n.m.sym(export)
	if err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, _, _ := purego.SyscallN(n.m.in, n.ctx, uintptr(len(in)))
	if p == 0 && len(in) > 0 {
		return nil, errorf(codePanic, "%s: dcm_in(%d) returned NULL", n.m.path, len(in))
	}
	if len(in) > 0 {
		copy(unsafe.Slice((*byte)(cptr(p)), len(in)), in)
	}
	l, _, _ := purego.SyscallN(sym, n.ctx, uintptr(len(in)))
	defer n.takeOutput()
	if int32(l) <= 0 {
		return nil, errorf(codePanic, "%s: %s returned a result frame of %d bytes", n.m.path, export, int32(l))
	}
	return n.outFrame(int32(l)), nil
}

// cptr turns an address a C function returned into a pointer. It points to
// C memory (the plugin's buffers and cells), which Go's GC neither moves nor
// frees, so holding it as a uintptr in between is safe.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }
