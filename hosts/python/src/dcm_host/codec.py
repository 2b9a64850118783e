"""The wire encoding of docs/abi.md: Python values → argument buffers, result
frames → Python values, and the plain numbers of the scalar ABI.

Python values: ``bool``; ``int`` for every integer size (range-checked);
``float`` (an ``int`` is accepted too); ``str``; ``bytes`` (also
``bytearray``/``memoryview``); ``list`` (or ``tuple``) for lists and arrays;
``dict`` for maps and for records (keyed by the fields' JSON names);
``None`` for an absent optional.
"""
from __future__ import annotations

import math
import struct
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .errors import FragmentError, bad_arguments
from .types import MAX_EMPTY_ELEMENTS, MAX_NESTING, Signature, TypeTable, VType, describe, min_size, record_fields

_U32 = struct.Struct("<I")
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")
_INT_FORMATS = {(8, True): "<b", (8, False): "<B", (16, True): "<h", (16, False): "<H",
                (32, True): "<i", (32, False): "<I", (64, True): "<q", (64, False): "<Q"}
_INTS = {k: struct.Struct(v) for k, v in _INT_FORMATS.items()}


#: Python frames one nesting level may take (record → field comprehension → optional → record).
_FRAMES_PER_LEVEL = 4


def ensure_recursion_limit() -> None:
    """Values may nest MAX_NESTING records deep (docs/abi.md); the recursive coder needs a
    few Python frames per level, more than CPython's default limit of 1000 allows."""
    need = MAX_NESTING * _FRAMES_PER_LEVEL + 1000
    if sys.getrecursionlimit() < need:
        sys.setrecursionlimit(need)


class ArgumentError(Exception):
    """A Python value that does not fit its type; ``path`` says where inside the argument."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _type_name(v: Any) -> str:
    return "None" if v is None else type(v).__name__


def int_range(t: VType) -> Tuple[int, int]:
    bits = int(t["bits"])
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if t["signed"] else (0, (1 << bits) - 1)


def check_int(v: Any, t: VType, path: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgumentError(path, f"expected {describe(t)}, got {_type_name(v)}")
    lo, hi = int_range(t)
    if not lo <= v <= hi:
        raise ArgumentError(path, f"{v} is out of range for {describe(t)} ({lo}..{hi})")
    return v


def to_f32(x: float) -> float:
    """``x`` rounded to the nearest float32 (overflow gives an infinity, like C's cast)."""
    try:
        return float(_F32.unpack(_F32.pack(x))[0])
    except OverflowError:
        return math.copysign(math.inf, x)


def check_float(v: Any, t: VType, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ArgumentError(path, f"expected {describe(t)}, got {_type_name(v)}")
    try:
        f = float(v)
    except OverflowError:
        raise ArgumentError(path, f"{v} is too large for {describe(t)}") from None
    return to_f32(f) if t["bits"] == 32 else f


def check_bool(v: Any, t: VType, path: str) -> bool:
    if not isinstance(v, bool):
        raise ArgumentError(path, f"expected bool, got {_type_name(v)}")
    return v


def _utf8(s: str) -> bytes:
    return s.encode("utf-8")


def _key_order(t: VType, k: Any) -> Any:
    """Sort key of a map key: strings by their UTF-8 bytes, numbers numerically, False before True."""
    if t["kind"] == "string":
        return _utf8(k)
    if t["kind"] == "float" and math.isnan(k):
        return math.inf  # NaN keys last; any order reads back
    return k


class Encoder:
    """Writes values of the value model into a growing buffer."""

    def __init__(self, types: TypeTable) -> None:
        ensure_recursion_limit()
        self.types = types
        self.out = bytearray()

    def write(self, v: Any, t: VType, path: str, depth: int = 0) -> None:
        k = t["kind"]
        out = self.out
        if k == "bool":
            out.append(1 if check_bool(v, t, path) else 0)
        elif k == "int":
            out += _INTS[(int(t["bits"]), bool(t["signed"]))].pack(check_int(v, t, path))
        elif k == "float":
            out += (_F32 if t["bits"] == 32 else _F64).pack(check_float(v, t, path))
        elif k == "string":
            if not isinstance(v, str):
                raise ArgumentError(path, f"expected string, got {_type_name(v)}")
            try:
                b = _utf8(v)
            except UnicodeEncodeError as e:
                raise ArgumentError(path, f"string is not encodable as UTF-8 ({e.reason} at index {e.start})") from None
            out += _U32.pack(len(b))
            out += b
        elif k == "bytes":
            if not isinstance(v, (bytes, bytearray, memoryview)):
                raise ArgumentError(path, f"expected bytes, got {_type_name(v)}")
            b = bytes(v)
            out += _U32.pack(len(b))
            out += b
        elif k in ("list", "array"):
            if not isinstance(v, (list, tuple)):
                raise ArgumentError(path, f"expected {describe(t)} (a list), got {_type_name(v)}")
            if k == "array":
                if len(v) != t["length"]:
                    raise ArgumentError(path, f"expected {t['length']} elements for {describe(t)}, got {len(v)}")
            else:
                out += _U32.pack(len(v))
            for i, elem in enumerate(v):
                self.write(elem, t["elem"], f"{path}[{i}]", depth)
        elif k == "map":
            if not isinstance(v, dict):
                raise ArgumentError(path, f"expected {describe(t)} (a dict), got {_type_name(v)}")
            kt, vt = t["key"], t["value"]
            entries = []
            for key, val in v.items():
                kp = f"{path}[{key!r}]"
                sub = Encoder(self.types)
                sub.write(key, kt, f"{kp} (key)", depth)
                entries.append((key, bytes(sub.out), val, kp))
            if kt["kind"] in ("string", "int", "float", "bool"):
                entries.sort(key=lambda e: _key_order(kt, e[0]))
            out += _U32.pack(len(entries))
            for _key, kb, val, kp in entries:
                out += kb
                self.write(val, vt, kp, depth)
        elif k == "record":
            if depth >= MAX_NESTING:
                raise ArgumentError(path, f"records nest more than {MAX_NESTING} deep")
            if not isinstance(v, dict):
                raise ArgumentError(path, f"expected record {t['name']} (a dict), got {_type_name(v)}")
            fields = record_fields(t, self.types)
            names = {f["jsonName"] for f in fields}
            extra = [key for key in v if key not in names]
            if extra:
                raise ArgumentError(path, f"record {t['name']} has no field {extra[0]!r} (fields: {', '.join(sorted(names))})")
            for f in fields:
                name = f["jsonName"]
                if name not in v and f["type"]["kind"] != "optional":
                    raise ArgumentError(f"{path}.{name}", f"missing field of record {t['name']}")
                self.write(v.get(name), f["type"], f"{path}.{name}", depth + 1)
        elif k == "optional":
            if v is None:
                out.append(0)
            else:
                out.append(1)
                self.write(v, t["inner"], path, depth)
        else:
            raise ArgumentError(path, f"unknown type kind {k!r}")


def split_args(sig: Signature, args: Sequence[Any], fragment: str) -> List[Tuple[str, VType, Any]]:
    """(parameter name, type, value) for each parameter; a variadic parameter takes the remaining arguments."""
    if not isinstance(args, (list, tuple)):
        raise bad_arguments(f"arguments must be a list or tuple, got {_type_name(args)}", fragment)
    params = sig["params"]
    variadic = params[-1] if params and params[-1].get("variadic") else None
    fixed = len(params) - (1 if variadic else 0)
    if (len(args) < fixed) if variadic else (len(args) != fixed):
        names = ", ".join(("..." if p.get("variadic") else "") + p["name"] for p in params)
        raise bad_arguments(f"{fragment}({names}) takes {'at least ' if variadic else ''}{fixed} argument(s), got {len(args)}", fragment)
    out = [(p["name"], p["type"], args[i]) for i, p in enumerate(params[:fixed])]
    if variadic:
        out.append((variadic["name"], variadic["type"], list(args[fixed:])))
    return out


def encode_args(sig: Signature, types: TypeTable, args: Sequence[Any], fragment: str) -> bytes:
    """The argument buffer of a buffer-ABI call."""
    enc = Encoder(types)
    for name, t, v in split_args(sig, args, fragment):
        try:
            enc.write(v, t, name)
        except ArgumentError as e:
            raise bad_arguments(str(e), fragment) from None
    return bytes(enc.out)


class _Malformed(Exception):
    pass


class Decoder:
    """Reads values from a result frame, refusing what is malformed (docs/abi.md limits)."""

    def __init__(self, buf: bytes, types: TypeTable, pos: int = 0) -> None:
        ensure_recursion_limit()
        self.buf = buf
        self.pos = pos
        self.types = types

    def take(self, n: int) -> bytes:
        if n > len(self.buf) - self.pos:
            raise _Malformed(f"needs {n} bytes at offset {self.pos}, {len(self.buf) - self.pos} left")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def count(self, elem_min: int) -> int:
        n: int = _U32.unpack(self.take(4))[0]
        left = len(self.buf) - self.pos
        if elem_min > 0 and n * elem_min > left:
            raise _Malformed(f"count {n} at offset {self.pos - 4} exceeds the {left} bytes left")
        if elem_min == 0 and n > MAX_EMPTY_ELEMENTS:
            raise _Malformed(f"count {n} of zero-size elements exceeds {MAX_EMPTY_ELEMENTS}")
        return n

    def string(self) -> str:
        n = self.count(1)
        return self.take(n).decode("utf-8", errors="replace")

    def read(self, t: VType, depth: int = 0) -> Any:
        k = t["kind"]
        if k == "bool":
            b = self.take(1)[0]
            if b > 1:
                raise _Malformed(f"bool byte {b} at offset {self.pos - 1}")
            return b == 1
        if k == "int":
            s = _INTS[(int(t["bits"]), bool(t["signed"]))]
            return s.unpack(self.take(s.size))[0]
        if k == "float":
            s = _F32 if t["bits"] == 32 else _F64
            return float(s.unpack(self.take(s.size))[0])
        if k == "string":
            return self.string()
        if k == "bytes":
            return bytes(self.take(self.count(1)))
        if k == "list":
            n = self.count(min_size(t["elem"], self.types))
            return [self.read(t["elem"], depth) for _ in range(n)]
        if k == "array":
            return [self.read(t["elem"], depth) for _ in range(int(t["length"]))]
        if k == "map":
            n = self.count(min_size(t["key"], self.types) + min_size(t["value"], self.types))
            m: Dict[Any, Any] = {}
            for _ in range(n):
                key = self.read(t["key"], depth)
                m[_hashable(key)] = self.read(t["value"], depth)
            return m
        if k == "record":
            if depth >= MAX_NESTING:
                raise _Malformed(f"records nest more than {MAX_NESTING} deep")
            return {f["jsonName"]: self.read(f["type"], depth + 1) for f in record_fields(t, self.types)}
        if k == "optional":
            tag = self.take(1)[0]
            if tag > 1:
                raise _Malformed(f"optional tag {tag} at offset {self.pos - 1}")
            return self.read(t["inner"], depth) if tag == 1 else None
        raise _Malformed(f"unknown type kind {k!r}")


def _hashable(v: Any) -> Any:
    """Map keys of compound types become tuples (lists) or frozensets of items (records, maps)."""
    if isinstance(v, list):
        return tuple(_hashable(e) for e in v)
    if isinstance(v, dict):
        return tuple((k, _hashable(e)) for k, e in v.items())
    return v


_STATUS_CODES = {1: "DCM_FRAGMENT_ERROR", 2: "DCM_FRAGMENT_PANIC", 3: "DCM_BAD_ARGUMENTS"}


def error_from_frame(frame: bytes, fragment: str) -> Optional[FragmentError]:
    """The error a result frame of status 1-3 carries (None for status 0)."""
    if not frame:
        return FragmentError("DCM_FRAGMENT_PANIC", "malformed result frame from the module: empty", fragment)
    status = frame[0]
    if status == 0:
        return None
    code = _STATUS_CODES.get(status)
    if code is None:
        return FragmentError("DCM_FRAGMENT_PANIC", f"malformed result frame from the module: status {status}", fragment)
    try:
        message = Decoder(frame, {}, 1).string()
    except _Malformed as e:
        return FragmentError("DCM_FRAGMENT_PANIC", f"malformed result frame from the module: {e}", fragment)
    return FragmentError(code, message, fragment)


def decode_result(frame: bytes, sig: Signature, types: TypeTable, fragment: str) -> Any:
    """The results of a result frame (None, one value, or a tuple of several) or its error, raised."""
    err = error_from_frame(frame, fragment)
    if err is not None:
        raise err
    d = Decoder(frame, types, 1)
    try:
        values = [d.read(t) for t in sig["results"]]
    except _Malformed as e:
        raise FragmentError("DCM_FRAGMENT_PANIC", f"malformed result frame from the module: {e}", fragment) from None
    if d.pos != len(frame):
        raise FragmentError("DCM_FRAGMENT_PANIC", f"malformed result frame from the module: {len(frame) - d.pos} bytes after the results", fragment)
    return pack_results(values)


def pack_results(values: List[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def scalar_arg(v: Any, t: VType, path: str) -> Any:
    """A scalar-ABI argument as the plain number the export takes (unsigned 64-bit ints reinterpreted as signed for WASM)."""
    k = t["kind"]
    if k == "bool":
        return 1 if check_bool(v, t, path) else 0
    if k == "int":
        return check_int(v, t, path)
    if k == "float":
        return check_float(v, t, path)
    raise ArgumentError(path, f"{describe(t)} is not a scalar type")


def scalar_result(raw: Any, t: VType) -> Any:
    """The Python value of a scalar export's result. Ints are masked to their width and
    re-signed, so it does not matter whether the module sign- or zero-extended 8- and
    16-bit results in the i32 (docs/abi.md leaves it open)."""
    k = t["kind"]
    if k == "bool":
        return (int(raw) & 0xFF) != 0
    if k == "int":
        bits = int(t["bits"])
        v = int(raw) & ((1 << bits) - 1)
        if t["signed"] and v >= 1 << (bits - 1):
            v -= 1 << bits
        return v
    if k == "float":
        return to_f32(float(raw)) if t["bits"] == 32 else float(raw)
    raise ValueError(f"{describe(t)} is not a scalar type")


def wasm_int(v: int, bits: int) -> int:
    """An integer as the signed i32/i64 WASM passes."""
    width = 64 if bits == 64 else 32
    v &= (1 << width) - 1
    return v - (1 << width) if v >= 1 << (width - 1) else v
