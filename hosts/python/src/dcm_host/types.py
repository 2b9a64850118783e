"""The value-model types of a manifest (docs/abi.md "Value model"), as the
JSON dicts the manifest holds them in, and helpers over them."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping

#: A value-model type: ``{"kind": "int", "bits": 64, "signed": True}`` and so on.
VType = Mapping[str, Any]
#: The manifest's ``types`` table: record name → ``{"name", "origin", "fields": [...]}``.
TypeTable = Mapping[str, Mapping[str, Any]]
#: A fragment's ``signature``: ``{"params": [...], "results": [...], "error": bool}``.
Signature = Mapping[str, Any]

#: Records nest at most this deep inside one value (docs/abi.md "Limits on untrusted input").
MAX_NESTING = 1000
#: A list of a zero-size type holds at most this many elements.
MAX_EMPTY_ELEMENTS = 65536


def describe(t: VType) -> str:
    """The type as dcm's messages write it: ``int<32,signed>``, ``list<string>``."""
    k = t["kind"]
    if k == "int":
        return f"int<{t['bits']},{'signed' if t['signed'] else 'unsigned'}>"
    if k == "float":
        return f"float<{t['bits']}>"
    if k in ("list", "optional"):
        return f"{k}<{describe(t['elem' if k == 'list' else 'inner'])}>"
    if k == "array":
        return f"array<{describe(t['elem'])},{t['length']}>"
    if k == "map":
        return f"map<{describe(t['key'])},{describe(t['value'])}>"
    if k == "record":
        return str(t["name"])
    return str(k)


def min_size(t: VType, types: TypeTable, depth: int = 0) -> int:
    """The fewest bytes a value of ``t`` takes on the wire (0 for empty records and arrays)."""
    k = t["kind"]
    if k == "bool":
        return 1
    if k in ("int", "float"):
        return int(t["bits"]) // 8
    if k in ("string", "bytes", "list", "map"):
        return 4
    if k == "optional":
        return 1
    if k == "array":
        return int(t["length"]) * min_size(t["elem"], types, depth + 1)
    if k == "record":
        if depth > MAX_NESTING:
            return 0
        return sum(min_size(f["type"], types, depth + 1) for f in record_fields(t, types))
    raise ValueError(f"unknown type kind {k!r}")


def record_fields(t: VType, types: TypeTable) -> List[Dict[str, Any]]:
    name = t["name"]
    if name not in types:
        raise ValueError(f"record type {name!r} is not in the manifest's types")
    return list(types[name]["fields"])
