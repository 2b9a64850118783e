"""The encoder and decoders against docs/abi.md's test vectors, and the decoders'
limits on malformed result frames (no module needed)."""
from __future__ import annotations

import math
from typing import Any, Dict, List

import pytest

import dcm_host
from dcm_host.codec import Encoder, decode_result
from dcm_host.output import read_output_frame

from compare import same

I = lambda bits, signed: {"kind": "int", "bits": bits, "signed": signed}  # noqa: E731
STRING = {"kind": "string"}
TYPES: Dict[str, Any] = {
    "P": {"name": "P", "origin": "p.P", "fields": [
        {"name": "X", "jsonName": "X", "type": I(32, True)},
        {"name": "Name", "jsonName": "name", "type": STRING},
    ]},
    "Deep": {"name": "Deep", "origin": "p.Deep", "fields": [
        {"name": "Next", "jsonName": "next", "type": {"kind": "optional", "inner": {"kind": "record", "name": "Deep"}}},
    ]},
    "Empty": {"name": "Empty", "origin": "p.Empty", "fields": []},
}

# docs/abi.md "Test vectors": type, Python value, bytes.
DOC_VECTORS: List[Any] = [
    ({"kind": "bool"}, True, "01"),
    (I(8, True), -1, "ff"),
    (I(16, False), 513, "0102"),
    (I(32, True), -2, "feffffff"),
    (I(64, True), -9223372036854775808, "0000000000000080"),
    (I(64, False), 18446744073709551615, "ffffffffffffffff"),
    ({"kind": "float", "bits": 32}, 1.5, "0000c03f"),
    ({"kind": "float", "bits": 64}, -0.0, "0000000000000080"),
    ({"kind": "float", "bits": 64}, math.nan, "000000000000f87f"),
    (STRING, "", "00000000"),
    (STRING, "h€", "0400000068e282ac"),
    ({"kind": "bytes"}, b"\x01\x02", "020000000102"),
    ({"kind": "list", "elem": I(16, True)}, [1, -1], "020000000100ffff"),
    ({"kind": "array", "elem": {"kind": "bool"}, "length": 2}, [True, False], "0100"),
    ({"kind": "map", "key": STRING, "value": I(8, False)}, {"b": 2, "a": 1}, "020000000100000061010100000062 02".replace(" ", "")),
    ({"kind": "optional", "inner": STRING}, None, "00"),
    ({"kind": "optional", "inner": STRING}, "x", "010100000078"),
    ({"kind": "record", "name": "P"}, {"X": 7, "name": "a"}, "070000000100000061"),
]


@pytest.mark.parametrize("t, value, hexed", DOC_VECTORS, ids=[f"{i}-{v[0]['kind']}" for i, v in enumerate(DOC_VECTORS)])
def test_doc_vectors_encode_and_decode(t: Any, value: Any, hexed: str) -> None:
    enc = Encoder(TYPES)
    enc.write(value, t, "v")
    assert enc.out.hex() == hexed
    got = decode_result(b"\x00" + bytes.fromhex(hexed), {"params": [], "results": [t], "error": False}, TYPES, "f")
    assert same(got, value)


def test_doc_result_frames() -> None:
    sig = {"params": [], "results": [I(32, True), STRING], "error": False}
    assert decode_result(bytes.fromhex("00050000000100000061"), sig, TYPES, "f") == (5, "a")
    for hexed, code, message in (("0104000000626f6f6d", "DCM_FRAGMENT_ERROR", "boom"), ("020100000078", "DCM_FRAGMENT_PANIC", "x")):
        with pytest.raises(dcm_host.FragmentError) as info:
            decode_result(bytes.fromhex(hexed), sig, TYPES, "f")
        assert (info.value.code, info.value.message) == (code, message)


def test_doc_output_frames() -> None:
    assert read_output_frame(bytes.fromhex("010300000068690a")) == ([("stdout", "hi\n")], 0)
    assert read_output_frame(bytes.fromhex("01010000006102020000 00c3a90101000000 62".replace(" ", ""))) == (
        [("stdout", "a"), ("stderr", "é"), ("stdout", "b")], 0)
    assert read_output_frame(bytes.fromhex("0101000000780370110100")) == ([("stdout", "x")], 70000)


@pytest.mark.parametrize(
    "t, frame, why",
    [
        ({"kind": "list", "elem": I(32, True)}, "00ffffff7f", "a count larger than the bytes left"),
        ({"kind": "list", "elem": {"kind": "record", "name": "Empty"}}, "0001000100", "too many zero-size elements"),
        (STRING, "0005000000616263", "a string cut short"),
        ({"kind": "bool"}, "0002", "a bool byte of 2"),
        ({"kind": "optional", "inner": STRING}, "0007", "an optional tag of 7"),
        (I(32, True), "000100000000", "bytes after the results"),
        (I(32, True), "09", "an unknown status"),
        ({"kind": "record", "name": "Deep"}, "00" + "01" * 1200 + "00", "records nested 1,200 deep"),
    ],
)
def test_malformed_result_frames_are_panics(t: Any, frame: str, why: str) -> None:
    with pytest.raises(dcm_host.FragmentError) as info:
        decode_result(bytes.fromhex(frame), {"params": [], "results": [t], "error": False}, TYPES, "f")
    assert info.value.code == "DCM_FRAGMENT_PANIC", why
    assert "malformed result frame" in info.value.message


def test_map_keys_are_written_sorted() -> None:
    enc = Encoder(TYPES)
    enc.write({"é": 1, "z": 2, "a": 3}, {"kind": "map", "key": STRING, "value": I(8, False)}, "m")
    assert enc.out.hex() == "03000000" + "0100000061" + "03" + "010000007a" + "02" + "02000000c3a9" + "01"
    enc = Encoder(TYPES)
    enc.write({5: True, -1: False}, {"kind": "map", "key": I(8, True), "value": {"kind": "bool"}}, "m")
    assert enc.out.hex() == "02000000" + "ff00" + "0501"


def test_json_float32_arguments_are_rounded_once() -> None:
    sig = {"params": [{"name": "x", "type": {"kind": "float", "bits": 32}}], "results": [], "error": False}
    # 1 + 2^-24 + 2^-60: through a double first it would round to 1 + 2^-24, then (a tie) to 1.0.
    text = "1.00000005960464477541" + "0" * 10
    [x] = dcm_host.parse_json_args(f"[{text}]", sig, {})
    assert x == 1.0000001192092896  # the float32 above 1: the value is above the midpoint
    [big] = dcm_host.parse_json_args("[1e300]", sig, {})
    assert big == math.inf


def test_records_nested_1000_deep_cross_both_ways() -> None:
    deep = {"kind": "record", "name": "Deep"}
    value: Any = {"next": None}
    for _ in range(999):
        value = {"next": value}
    enc = Encoder(TYPES)
    enc.write(value, deep, "v")
    assert enc.out.hex() == "01" * 999 + "00"
    got = decode_result(b"\x00" + bytes(enc.out), {"params": [], "results": [deep], "error": False}, TYPES, "f")
    depth = 0
    while got["next"] is not None:
        got, depth = got["next"], depth + 1
    assert depth == 999
