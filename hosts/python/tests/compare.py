"""Structural comparison of values (test/conformance/README.md): dicts by key (records also
in field order), ints exactly, floats by value with NaN equal to NaN and -0 distinct from 0."""
from __future__ import annotations

import math
from typing import Any

from dcm_host.codec import to_f32


def same(a: Any, b: Any, float32: bool = False) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return False
        x, y = float(a), float(b)
        if float32:
            x, y = to_f32(x), to_f32(y)
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        return x == y and math.copysign(1, x) == math.copysign(1, y)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y, float32) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        # Records are built in field order on both sides (decoder and from_json), so key sets suffice.
        return set(a) == set(b) and all(same(a[k], b[k], float32) for k in a)
    return type(a) is type(b) and a == b
