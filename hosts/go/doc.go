// Package dcmhost calls the fragments of a dcm dist folder from Go: the
// client WebAssembly modules through wazero (pure Go) and the native server
// plugins through purego (no cgo), following docs/abi.md. See README.md for
// the value mapping, the errors and the limitations.
//
//	d, err := dcmhost.Open("dist")
//	sum, err := d.Call(ctx, "add-i64", []any{2, 3}, dcmhost.OnServer) // int64(5)
package dcmhost
