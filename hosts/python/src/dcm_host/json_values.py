"""Canonical JSON of values (docs/values-json.md) ⇄ Python values, by type.

Numbers are read from their source text, never through a double first, so
64-bit integers and float32 values are exact. Limitation: map keys of
compound types are read and written only as their canonical JSON text and
become tuples in Python (see codec._hashable).
"""
from __future__ import annotations

import base64
import binascii
import json
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any, List, Sequence

from .codec import int_range, to_f32
from .errors import FragmentError
from .types import Signature, TypeTable, VType, describe, record_fields


class _Num:
    """A JSON number kept as its source text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _int_or_num(text: str) -> Any:
    return _Num(text) if text == "-0" else int(text)


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=_Num, parse_int=_int_or_num)


class _Bad(Exception):
    pass


#: What Decimal/Fraction raise for a number text they cannot read.
ArgumentError_ = (ValueError, ArithmeticError)


def _kind(v: Any) -> str:
    if isinstance(v, _Num) or (isinstance(v, int) and not isinstance(v, bool)):
        return "number"
    return {bool: "boolean", str: "string", list: "array", dict: "object", type(None): "null"}.get(type(v), type(v).__name__)


_F32_MAX_EXP = 128


def fraction_to_f32(q: Fraction) -> float:
    """The float32 nearest to q (ties to even), rounded once."""
    if q == 0:
        return 0.0
    sign = -1.0 if q < 0 else 1.0
    q = abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    quantum = max(e - 23, -149)
    n = round(q / Fraction(2) ** quantum)
    if n * Fraction(2) ** quantum >= Fraction(2) ** _F32_MAX_EXP:
        return sign * math.inf
    return sign * math.ldexp(n, quantum)


def _float(v: Any, t: VType, path: str) -> float:
    bits = t["bits"]
    if isinstance(v, str):
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}
        if v in special:
            return special[v]
        raise _Bad(f"{path}: expected {describe(t)}, got string")
    if isinstance(v, bool) or not isinstance(v, (int, _Num)):
        raise _Bad(f"{path}: expected {describe(t)}, got {_kind(v)}")
    text = v.text if isinstance(v, _Num) else str(v)
    q = Fraction(Decimal(text))
    if q == 0:
        return -0.0 if text.lstrip().startswith("-") else 0.0
    if bits == 32:
        return fraction_to_f32(q)
    try:
        return float(Decimal(text))
    except OverflowError:
        return math.copysign(math.inf, q)


def _int(v: Any, t: VType, path: str) -> int:
    if isinstance(v, bool):
        raise _Bad(f"{path}: expected {describe(t)}, got boolean")
    if isinstance(v, int):
        n = v
    elif isinstance(v, _Num) or (isinstance(v, str) and v.strip().lstrip("-").isdigit()):
        text = v.text if isinstance(v, _Num) else v.strip()
        q = Fraction(Decimal(text))
        if q.denominator != 1:
            raise _Bad(f"{path}: {text} is not an integer ({describe(t)})")
        n = int(q)
    else:
        raise _Bad(f"{path}: expected {describe(t)}, got {_kind(v)}")
    lo, hi = int_range(t)
    if not lo <= n <= hi:
        raise _Bad(f"{path}: {n} is out of range for {describe(t)}")
    return n


def _key(text: str, t: VType, types: TypeTable, path: str) -> Any:
    k = t["kind"]
    if k == "string":
        return text
    if k == "bool":
        if text not in ("true", "false"):
            raise _Bad(f"{path}: map key {text!r} is not true or false")
        return text == "true"
    if k == "int":
        return _int(text, t, path)
    if k == "float":
        try:
            return _float(text if text in ("NaN", "Infinity", "-Infinity", "-0") else _Num(text), t, path)
        except ArgumentError_:
            raise _Bad(f"{path}: map key {text!r} is not a number") from None
    return _hashable(_value(_loads(text), t, types, path, 0))



def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(e) for e in v)
    if isinstance(v, dict):
        return tuple((k, _hashable(e)) for k, e in v.items())
    return v


def _value(v: Any, t: VType, types: TypeTable, path: str, depth: int) -> Any:
    k = t["kind"]
    try:
        if k == "bool":
            if not isinstance(v, bool):
                raise _Bad(f"{path}: expected bool, got {_kind(v)}")
            return v
        if k == "int":
            return _int(v, t, path)
        if k == "float":
            return _float(v, t, path)
    except ArgumentError_ as e:
        raise _Bad(f"{path}: {e}") from None
    if k in ("string", "bytes"):
        if not isinstance(v, str):
            raise _Bad(f"{path}: expected {k}, got {_kind(v)}")
        if k == "string":
            return v
        try:
            return base64.b64decode(v + "=" * (-len(v) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise _Bad(f"{path}: not base64") from None
    if k in ("list", "array"):
        if not isinstance(v, list):
            raise _Bad(f"{path}: expected {describe(t)}, got {_kind(v)}")
        if k == "array" and len(v) != t["length"]:
            raise _Bad(f"{path}: expected {t['length']} elements, got {len(v)}")
        return [_value(e, t["elem"], types, f"{path}[{i}]", depth) for i, e in enumerate(v)]
    if k == "map":
        if not isinstance(v, dict):
            raise _Bad(f"{path}: expected {describe(t)}, got {_kind(v)}")
        return {_key(key, t["key"], types, f"{path}[{key!r}]"): _value(e, t["value"], types, f"{path}[{key!r}]", depth) for key, e in v.items()}
    if k == "record":
        if depth >= 512:
            raise _Bad(f"{path}: nests too deep")
        if not isinstance(v, dict):
            raise _Bad(f"{path}: expected record {t['name']}, got {_kind(v)}")
        fields = record_fields(t, types)
        names = [f["jsonName"] for f in fields]
        for key in v:
            if key not in names:
                raise _Bad(f"{path}: record {t['name']} has no field {key!r}")
        out = {}
        for f in fields:
            n = f["jsonName"]
            if n not in v and f["type"]["kind"] != "optional":
                raise _Bad(f"{path}.{n}: missing field of record {t['name']}")
            out[n] = _value(v.get(n), f["type"], types, f"{path}.{n}", depth + 1)
        return out
    if k == "optional":
        return None if v is None else _value(v, t["inner"], types, path, depth)
    raise _Bad(f"{path}: unknown type kind {k!r}")


def parse_json_args(text: str, sig: Signature, types: TypeTable, fragment: str = "") -> List[Any]:
    """The arguments of ``dcm invoke --args`` (a JSON array, a variadic parameter taking the
    remaining elements) as the Python values ``Dist.call`` takes."""
    try:
        items = _loads(text)
    except ValueError as e:
        raise FragmentError("DCM_BAD_ARGUMENTS", f"arguments are not JSON: {e}", fragment) from None
    if not isinstance(items, list):
        raise FragmentError("DCM_BAD_ARGUMENTS", "arguments must be a JSON array", fragment)
    params = sig["params"]
    out: List[Any] = []
    try:
        for i, item in enumerate(items):
            if i < len(params) and not params[i].get("variadic"):
                out.append(_value(item, params[i]["type"], types, params[i]["name"], 0))
            elif params and params[-1].get("variadic") and i >= len(params) - 1:
                p = params[-1]
                out.append(_value(item, p["type"]["elem"], types, f"{p['name']}[{i - len(params) + 1}]", 0))
            else:
                out.append(item)  # arity is checked by the call, with the signature in the message
    except _Bad as e:
        raise FragmentError("DCM_BAD_ARGUMENTS", str(e), fragment) from None
    return out


def from_json(text: str, results: Sequence[VType], types: TypeTable) -> Any:
    """A canonical JSON result (``null``, one value, or an array for several) as the Python value
    ``Dist.call`` returns (None, the value, or a tuple)."""
    v = _loads(text)
    try:
        if not results:
            return None
        if len(results) == 1:
            return _value(v, results[0], types, "result", 0)
        if not isinstance(v, list) or len(v) != len(results):
            raise _Bad(f"expected an array of {len(results)} results")
        return tuple(_value(e, t, types, f"result[{i}]", 0) for i, (e, t) in enumerate(zip(v, results)))
    except _Bad as e:
        raise ValueError(str(e)) from None


def _digits(s: str) -> "tuple[str, int]":
    """(significant digits, n) with the value 0.digits × 10^n."""
    sign, digits, exp = Decimal(s).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    n = len(digits) + int(exp)
    return ds, n


def js_number(x: float, bits: int = 64) -> str:
    """A float as JavaScript's Number#toString writes it: the shortest decimal that reads back
    as the same double (or, for float32, the same float32)."""
    if math.isnan(x):
        return '"NaN"'
    if math.isinf(x):
        return '"Infinity"' if x > 0 else '"-Infinity"'
    if x == 0:
        return "-0" if math.copysign(1, x) < 0 else "0"
    if bits == 32:
        s = next(t for t in (f"{x:.{p}e}" for p in range(0, 9)) if to_f32(float(t)) == x)
    else:
        s = repr(x)
    sign = "-" if x < 0 else ""
    ds, n = _digits(s.lstrip("-"))
    k = len(ds)
    if k <= n <= 21:
        body = ds + "0" * (n - k)
    elif 0 < n <= 21:
        body = ds[:n] + "." + ds[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + ds
    else:
        e = n - 1
        body = (ds[0] + ("." + ds[1:] if k > 1 else "")) + ("e+" if e >= 0 else "e-") + str(abs(e))
    return sign + body


def _write(v: Any, t: VType, types: TypeTable) -> str:
    k = t["kind"]
    if k == "bool":
        return "true" if v else "false"
    if k == "int":
        return str(int(v))
    if k == "float":
        return js_number(float(v), int(t["bits"]))
    if k == "string":
        return json.dumps(v, ensure_ascii=False)
    if k == "bytes":
        return json.dumps(base64.b64encode(bytes(v)).decode("ascii"))
    if k in ("list", "array"):
        return "[" + ",".join(_write(e, t["elem"], types) for e in v) + "]"
    if k == "map":
        return "{" + ",".join(json.dumps(_key_text(key, t["key"], types), ensure_ascii=False) + ":" + _write(e, t["value"], types) for key, e in v.items()) + "}"
    if k == "record":
        return "{" + ",".join(json.dumps(f["jsonName"]) + ":" + _write(v[f["jsonName"]], f["type"], types) for f in record_fields(t, types)) + "}"
    if k == "optional":
        return "null" if v is None else _write(v, t["inner"], types)
    raise ValueError(f"unknown type kind {k!r}")


def _key_text(key: Any, t: VType, types: TypeTable) -> str:
    k = t["kind"]
    if k == "string":
        return str(key)
    if k == "float":
        return js_number(float(key), int(t["bits"])).strip('"')
    if k in ("bool", "int"):
        return _write(key, t, types)
    return _write(key, t, types)


def to_json(value: Any, results: Sequence[VType], types: TypeTable) -> str:
    """Canonical JSON of a result (docs/values-json.md "Results"): null, the value, or an array."""
    if not results:
        return "null"
    if len(results) == 1:
        return _write(value, results[0], types)
    return "[" + ",".join(_write(v, t, types) for v, t in zip(value, results)) + "]"
