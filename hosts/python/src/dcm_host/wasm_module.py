"""Portable modules (`client/<lang>.wasm`, docs/abi.md) run in-process with wasmtime.

Imports are bound from the module's own import list: `wasi_snapshot_preview1`
by wasmtime's WASI (stdout and stderr inherited from this process; no files,
arguments or environment), any other function import by a no-op returning
zeros (the Rust module built through wasm-bindgen imports
`./<name>_bg.js::__wbindgen_init_externref_table`, which only sets up a table
of JS references that dcm's numeric ABI never uses). After instantiation the
host calls `_initialize` and `__wbindgen_start` when the module exports them.

One instance per module, calls serialized by a lock (a wasmtime Store is not
thread-safe, and an instance handles one call at a time). After a trap or
a WASI exit the instance is dropped; the next call instantiates afresh.
"""
from __future__ import annotations

import struct
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional

import wasmtime

from .codec import ArgumentError, decode_result, encode_args, error_from_frame, scalar_arg, scalar_result, split_args, wasm_int
from .errors import FragmentError, bad_arguments
from .output import OutputHandler, deliver
from .types import Signature, TypeTable

ABI_VERSION = 1
_WASI = "wasi_snapshot_preview1"


def _zero(t: wasmtime.ValType) -> Any:
    return 0.0 if str(t) in ("f32", "f64") else 0


def _noop(ty: wasmtime.FuncType) -> Callable[..., Any]:
    zeros = [_zero(r) for r in ty.results]

    def f(*_args: Any) -> Any:
        if not zeros:
            return None
        return zeros[0] if len(zeros) == 1 else zeros

    return f


class _Instance:
    def __init__(self, engine: wasmtime.Engine, linker: wasmtime.Linker, module: wasmtime.Module, name: str) -> None:
        self.store = wasmtime.Store(engine)
        wasi = wasmtime.WasiConfig()
        wasi.inherit_stdout()
        wasi.inherit_stderr()
        self.store.set_wasi(wasi)
        self.name = name
        try:
            inst = linker.instantiate(self.store, module)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
            raise FragmentError("DCM_MODULE_CORRUPT", f"{name}: cannot instantiate the module: {e}") from None
        ex: Any = inst.exports(self.store)
        self.ex: Any = ex
        missing = [f for f in ("memory", "dcm_abi_version", "dcm_status_ptr", "dcm_in", "dcm_out") if f not in ex]
        if missing:
            raise FragmentError("DCM_MODULE_CORRUPT", f"{name}: does not export {', '.join(missing)} (docs/abi.md)")
        self.memory: wasmtime.Memory = ex["memory"]
        for start in ("_initialize", "__wbindgen_start"):
            if start in ex:
                ex[start](self.store)
        version = ex["dcm_abi_version"](self.store)
        if version != ABI_VERSION:
            raise FragmentError("DCM_MODULE_CORRUPT", f"{name}: speaks dcm ABI version {version}; this host speaks {ABI_VERSION}")
        self.status_ptr: int = ex["dcm_status_ptr"](self.store)
        self.output_ptr: Optional[int] = None
        if "dcm_output_ptr" in ex and "dcm_take_output" in ex:
            self.output_ptr = ex["dcm_output_ptr"](self.store)
        self.dead: Optional[str] = None

    def i32_at(self, addr: int) -> int:
        return int(struct.unpack("<i", bytes(self.memory.read(self.store, addr, addr + 4)))[0])

    def frame(self, n: int) -> bytes:
        out = self.ex["dcm_out"](self.store)
        return bytes(self.memory.read(self.store, out, out + n))

    def take_output(self, fragment: str, handler: OutputHandler) -> None:
        if self.output_ptr is None:
            return
        try:
            if self.i32_at(self.output_ptr) == 0:
                return
            n = self.ex["dcm_take_output"](self.store)
            if n > 0:
                deliver(self.frame(n), fragment, handler)
        except (wasmtime.WasmtimeError, wasmtime.Trap):
            pass  # a module that trapped may not hand its output over; its error still reaches the caller

    def trapped(self, e: Exception, fragment: str) -> FragmentError:
        """The error of a call that trapped: the result frame the module left (status cell n > 0), else a panic."""
        if isinstance(e, wasmtime.ExitTrap):
            self.dead = f"the module exited with code {e.code}"
            return FragmentError("DCM_FRAGMENT_PANIC", self.dead, fragment)
        try:
            n = self.i32_at(self.status_ptr)
            framed = error_from_frame(self.frame(n), fragment) if n > 0 else None
        except (wasmtime.WasmtimeError, wasmtime.Trap, ValueError):
            framed = None
        if framed is not None:
            self.dead = f"the module trapped after: {framed.message}"
            return framed
        # A trap with the status cell at 0 (AssemblyScript `unreachable()`, i32 MIN / -1): a panic.
        self.dead = f"the module trapped: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"
        return FragmentError("DCM_FRAGMENT_PANIC", self.dead, fragment)


class WasmModule:
    """One portable module of a dist: compiled once, instantiated lazily (and again after a trap)."""

    def __init__(self, data: bytes, name: str, types: TypeTable, on_output: OutputHandler) -> None:
        self.name = name
        self.types = types
        self.on_output = on_output
        self.engine = wasmtime.Engine()
        try:
            self.module = wasmtime.Module(self.engine, data)
        except wasmtime.WasmtimeError as e:
            raise FragmentError("DCM_MODULE_CORRUPT", f"{name}: not a valid WebAssembly module: {e}") from None
        self.linker = wasmtime.Linker(self.engine)
        imports = list(self.module.imports)
        if any(i.module == _WASI for i in imports):
            self.linker.define_wasi()
        for imp in imports:
            if imp.module == _WASI:
                continue
            ty = imp.type
            if not isinstance(ty, wasmtime.FuncType):
                raise FragmentError("DCM_MODULE_CORRUPT", f"{name}: imports {imp.module}::{imp.name}, which is not a function; a dcm module imports only functions")
            self.linker.define_func(imp.module, imp.name or "", ty, _noop(ty))
        self.lock = threading.Lock()
        self.instance: Optional[_Instance] = None

    def _live(self) -> _Instance:
        if self.instance is None or self.instance.dead is not None:
            self.instance = _Instance(self.engine, self.linker, self.module, self.name)
        return self.instance

    def call(self, fragment: Mapping[str, Any], args: Any) -> Any:
        fid = fragment["id"]
        sig: Signature = fragment["signature"]
        if fragment["abi"] == "scalar":
            values = _scalar_args(sig, args, fid)
            with self.lock:
                inst = self._live()
                fn = _export(inst, fragment)
                try:
                    raw = fn(inst.store, *values)
                except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
                    raise inst.trapped(e, fid) from None
                finally:
                    inst.take_output(fid, self.on_output)
                n = inst.i32_at(inst.status_ptr)
                if n != 0:
                    err = error_from_frame(inst.frame(n), fid) if n > 0 else None
                    raise err or FragmentError("DCM_FRAGMENT_PANIC", f"status cell {n} after the call", fid)
            return scalar_result(raw, sig["results"][0]) if sig["results"] else None
        buf = encode_args(sig, self.types, args, fid)
        with self.lock:
            inst = self._live()
            frame = self.raw_call_locked(inst, fragment, buf)
        return decode_result(frame, sig, self.types, fid)

    def raw_call(self, fragment: Mapping[str, Any], buf: bytes) -> bytes:
        """The result frame of a buffer-ABI export for raw argument bytes (for conformance tests)."""
        with self.lock:
            return self.raw_call_locked(self._live(), fragment, buf)

    def raw_call_locked(self, inst: _Instance, fragment: Mapping[str, Any], buf: bytes) -> bytes:
        fid = fragment["id"]
        fn = _export(inst, fragment)
        try:
            ptr = inst.ex["dcm_in"](inst.store, len(buf))
            inst.memory.write(inst.store, buf, ptr)
            n = fn(inst.store, len(buf))
            frame = inst.frame(n) if n > 0 else b""
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            raise inst.trapped(e, fid) from None
        finally:
            inst.take_output(fid, self.on_output)
        if len(frame) != n or n < 1:
            raise FragmentError("DCM_FRAGMENT_PANIC", f"malformed result frame from the module: {n} bytes", fid)
        return frame

    def close(self) -> None:
        with self.lock:
            self.instance = None


def _export(inst: _Instance, fragment: Mapping[str, Any]) -> Any:
    name = fragment["export"]
    if name not in inst.ex:
        raise FragmentError("DCM_MODULE_CORRUPT", f"{inst.name}: does not export {name} (fragment {fragment['id']})", fragment["id"])
    return inst.ex[name]


def _scalar_args(sig: Signature, args: Any, fid: str) -> List[Any]:
    out: List[Any] = []
    for name, t, v in split_args(sig, args, fid):
        try:
            x = scalar_arg(v, t, name)
        except ArgumentError as e:
            raise bad_arguments(str(e), fid) from None
        out.append(wasm_int(x, int(t["bits"])) if t["kind"] == "int" else x)
    return out


__all__ = ["WasmModule"]
