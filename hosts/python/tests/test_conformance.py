"""The conformance vectors: every parity call on both sides for each language, every
argument encoding, every malformed input."""
from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

import dcm_host
from dcm_host.codec import encode_args

from compare import same
from conftest import dist, vectors


def _ids(entries: List[Dict[str, Any]], *keys: str) -> List[str]:
    return ["-".join(str(e[k]) for k in keys) for e in entries]


CALLS = vectors()["calls"]
ENCODINGS = vectors()["encodings"]
MALFORMED = vectors()["malformed"]


def test_vectors_cover_the_three_languages() -> None:
    assert vectors()["abi"] == 1
    assert {c["lang"] for c in CALLS} == {"go", "rust", "assemblyscript"}
    assert len(CALLS) > 0 and len(ENCODINGS) > 0 and len(MALFORMED) > 0


@pytest.mark.parametrize("on", ["client", "server"])
@pytest.mark.parametrize("call", CALLS, ids=_ids(CALLS, "lang", "fragment", "case"))
def test_call(call: Dict[str, Any], on: str) -> None:
    d = dist(call["lang"])
    f = d.fragment(call["fragment"])
    args = dcm_host.parse_json_args(call["args"], f["signature"], d.types, f["id"])
    expect = json.loads(call["expect"])
    if isinstance(expect, dict) and set(expect) == {"error"}:
        with pytest.raises(dcm_host.FragmentError) as info:
            d.call(f["id"], args, on=on)
        assert info.value.code == expect["error"]["code"], info.value.message
        return
    got = d.call(f["id"], args, on=on)
    want = dcm_host.from_json(call["expect"], f["signature"]["results"], d.types)
    assert same(got, want, call["float32"]), f"got {got!r}, want {want!r} ({call['expect']})"
    # And back: canonical JSON of what came back reads as the same value.
    again = dcm_host.from_json(dcm_host.to_json(got, f["signature"]["results"], d.types), f["signature"]["results"], d.types)
    assert same(again, got, call["float32"])


@pytest.mark.parametrize("enc", ENCODINGS, ids=_ids(ENCODINGS, "lang", "fragment", "case"))
def test_encoding(enc: Dict[str, Any]) -> None:
    d = dist(enc["lang"])
    f = d.fragment(enc["fragment"])
    call = next(c for c in CALLS if c["lang"] == enc["lang"] and c["fragment"] == enc["fragment"] and c["case"] == enc["case"])
    args = dcm_host.parse_json_args(call["args"], f["signature"], d.types, f["id"])
    assert encode_args(f["signature"], d.types, args, f["id"]).hex() == enc["hex"]


@pytest.mark.parametrize("on", ["client", "server"])
@pytest.mark.parametrize("bad", MALFORMED, ids=_ids(MALFORMED, "lang", "fragment"))
def test_malformed(bad: Dict[str, Any], on: str) -> None:
    d = dist(bad["lang"])
    frame = d.call_raw(bad["fragment"], bytes.fromhex(bad["hex"]), on=on)
    assert frame[0] == 3, f"{bad['why']}: status {frame[0]}, frame {frame.hex()}"
    with pytest.raises(dcm_host.FragmentError) as info:
        dcm_host.codec.decode_result(frame, d.fragment(bad["fragment"])["signature"], d.types, bad["fragment"])
    assert info.value.code == bad["expect"]
