package dcmhost

import (
	"context"
	"sync"
)

// instance is one loaded copy of a module: a WASM instance or a native
// context. It runs one call at a time.
type instance interface {
	// scalar calls a scalar-ABI export with the raw bits of its arguments
	// (i32 in the low 32 bits, f32/f64 as their IEEE bits) and returns the
	// raw bits of the result, or the result frame when the status cell says
	// the call failed.
	scalar(ctx context.Context, f *Fragment, args []uint64) (uint64, []byte, error)
	// buffer writes in to dcm_in, calls the export and returns the result frame.
	buffer(ctx context.Context, export string, in []byte) ([]byte, error)
	// broken: the instance trapped and must not be used again (docs/abi.md).
	broken() bool
	close()
}

// pool hands out instances of one module, at most max at once; one that
// trapped is dropped and a fresh one made for a later call.
type pool struct {
	mu      sync.Mutex
	free    []instance
	factory func() (instance, error)
	slots   chan struct{}
}

func newPool(factory func() (instance, error), max int) *pool {
	return &pool{factory: factory, slots: make(chan struct{}, max)}
}

func (p *pool) run(ctx context.Context, fn func(instance) (any, error)) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.slots }()
	p.mu.Lock()
	var in instance
	if n := len(p.free); n > 0 {
		in, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if in == nil {
		var err error
		if in, err = p.factory(); err != nil {
			return nil, err
		}
	}
	out, err := fn(in)
	if in.broken() {
		in.close()
	} else {
		p.mu.Lock()
		p.free = append(p.free, in)
		p.mu.Unlock()
	}
	return out, err
}

func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, in := range p.free {
		in.close()
	}
	p.free = nil
}
