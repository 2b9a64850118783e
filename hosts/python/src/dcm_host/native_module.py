"""Native plugins (`server/<lang>.so`, the C ABI of docs/abi.md) through ctypes.

Calls run on the calling thread, each with a context of its own: contexts
(`dcm_ctx_new`) are kept in a pool, one taken per call and put back after, so
threads never share one and no lock is held around native code. The plugin
runs inside this process: a crash, `os.Exit` or `abort` in it ends the Python
process (dcm's Node server isolates plugins in a child process; this host
does not).
"""
from __future__ import annotations

import ctypes
import os
import threading
from typing import Any, Callable, Dict, List, Mapping, Sequence

from .codec import ArgumentError, decode_result, encode_args, error_from_frame, scalar_arg, scalar_result, split_args
from .errors import FragmentError, bad_arguments
from .output import OutputHandler, deliver
from .types import Signature, TypeTable, VType

ABI_VERSION = 1


def _ctype(t: VType) -> Any:
    k = t["kind"]
    if k == "bool":
        return ctypes.c_int32
    if k == "int":
        if t["bits"] == 64:
            return ctypes.c_int64 if t["signed"] else ctypes.c_uint64
        return ctypes.c_int32 if t["signed"] else ctypes.c_uint32
    if k == "float":
        return ctypes.c_float if t["bits"] == 32 else ctypes.c_double
    raise ValueError(f"{k} is not a scalar type")


class NativeModule:
    def __init__(self, path: str, name: str, types: TypeTable, fragments: Sequence[Mapping[str, Any]], on_output: OutputHandler) -> None:
        self.name = name
        self.types = types
        self.on_output = on_output
        try:
            self.lib = ctypes.CDLL(os.path.abspath(path))
        except OSError as e:
            raise FragmentError("DCM_MODULE_CORRUPT", f"{name}: cannot load the native plugin: {e}") from None
        lib = self.lib
        try:
            for fn, res, args in (
                ("dcm_abi_version", ctypes.c_int32, []),
                ("dcm_ctx_new", ctypes.c_void_p, []),
                ("dcm_ctx_free", None, [ctypes.c_void_p]),
                ("dcm_status_ptr", ctypes.c_void_p, [ctypes.c_void_p]),
                ("dcm_in", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int32]),
                ("dcm_out", ctypes.c_void_p, [ctypes.c_void_p]),
            ):
                f = getattr(lib, fn)
                f.restype = res
                f.argtypes = args
        except AttributeError as e:
            raise FragmentError("DCM_MODULE_CORRUPT", f"{name}: {e} (docs/abi.md lists the exports of a native plugin)") from None
        self.has_output = hasattr(lib, "dcm_output_ptr") and hasattr(lib, "dcm_take_output")
        if self.has_output:
            lib.dcm_output_ptr.restype = ctypes.c_void_p
            lib.dcm_output_ptr.argtypes = [ctypes.c_void_p]
            lib.dcm_take_output.restype = ctypes.c_int32
            lib.dcm_take_output.argtypes = [ctypes.c_void_p]
        version = lib.dcm_abi_version()
        if version != ABI_VERSION:
            raise FragmentError("DCM_MODULE_CORRUPT", f"{name}: speaks dcm ABI version {version}; this host speaks {ABI_VERSION}")
        self.fns: Dict[str, Callable[..., Any]] = {}
        for f in fragments:
            if not f.get("signature") or "export" not in f:
                continue
            try:
                fn = getattr(lib, f["export"])
            except AttributeError:
                raise FragmentError("DCM_MODULE_CORRUPT", f"{name}: does not export {f['export']} (fragment {f['id']})") from None
            sig = f["signature"]
            if f["abi"] == "scalar":
                fn.argtypes = [ctypes.c_void_p] + [_ctype(p["type"]) for p in sig["params"]]
                fn.restype = _ctype(sig["results"][0]) if sig["results"] else None
            else:
                fn.argtypes = [ctypes.c_void_p, ctypes.c_int32]
                fn.restype = ctypes.c_int32
            self.fns[f["id"]] = fn
        self.pool: List[int] = []
        self.all: List[int] = []
        self.pool_lock = threading.Lock()
        self.closed = False

    def _ctx(self) -> int:
        with self.pool_lock:
            if self.closed:
                raise FragmentError("DCM_FRAGMENT_PANIC", f"{self.name}: the dist was closed")
            if self.pool:
                return self.pool.pop()
        ctx = self.lib.dcm_ctx_new()
        if not ctx:
            raise FragmentError("DCM_FRAGMENT_PANIC", f"{self.name}: dcm_ctx_new returned NULL")
        with self.pool_lock:
            self.all.append(ctx)
        return int(ctx)

    def _release(self, ctx: int) -> None:
        with self.pool_lock:
            self.pool.append(ctx)

    def _frame(self, ctx: int, n: int) -> bytes:
        return ctypes.string_at(self.lib.dcm_out(ctx), n)

    def _take_output(self, ctx: int, fid: str) -> None:
        if not self.has_output:
            return
        cell = self.lib.dcm_output_ptr(ctx)  # per thread (Rust) or per process (Go): read it on this thread
        if not cell or ctypes.c_int32.from_address(cell).value == 0:
            return
        n = self.lib.dcm_take_output(ctx)
        if n > 0:
            deliver(self._frame(ctx, n), fid, self.on_output)

    def call(self, fragment: Mapping[str, Any], args: Any) -> Any:
        fid = fragment["id"]
        sig: Signature = fragment["signature"]
        fn = self.fns[fid]
        if fragment["abi"] == "scalar":
            values = []
            for pname, t, v in split_args(sig, args, fid):
                try:
                    values.append(scalar_arg(v, t, pname))
                except ArgumentError as e:
                    raise bad_arguments(str(e), fid) from None
            ctx = self._ctx()
            try:
                raw = fn(ctx, *values)
                n = ctypes.c_int32.from_address(self.lib.dcm_status_ptr(ctx)).value
                err = None
                if n != 0:
                    err = (error_from_frame(self._frame(ctx, n), fid) if n > 0 else None) or FragmentError(
                        "DCM_FRAGMENT_PANIC", f"status cell {n} after the call", fid)
                self._take_output(ctx, fid)
            finally:
                self._release(ctx)
            if err is not None:
                raise err
            return scalar_result(raw, sig["results"][0]) if sig["results"] else None
        frame = self.raw_call(fragment, encode_args(sig, self.types, args, fid))
        return decode_result(frame, sig, self.types, fid)

    def raw_call(self, fragment: Mapping[str, Any], buf: bytes) -> bytes:
        fid = fragment["id"]
        ctx = self._ctx()
        try:
            ptr = self.lib.dcm_in(ctx, len(buf))
            if buf:
                ctypes.memmove(ptr, buf, len(buf))
            n = self.fns[fid](ctx, len(buf))
            frame = self._frame(ctx, n) if n > 0 else b""
            self._take_output(ctx, fid)
        finally:
            self._release(ctx)
        if n < 1:
            raise FragmentError("DCM_FRAGMENT_PANIC", f"malformed result frame from the plugin: {n} bytes", fid)
        return frame

    def close(self) -> None:
        """Frees the contexts (the library stays loaded: a shared library cannot be safely unloaded)."""
        with self.pool_lock:
            self.closed = True
            ctxs, self.all, self.pool = self.all, [], []
        for c in ctxs:
            self.lib.dcm_ctx_free(c)
