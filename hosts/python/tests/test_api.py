"""The API of dcm_host beyond the vectors: lookup, argument errors, module integrity,
threads, output."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any, List

import pytest

import dcm_host

from conftest import conformance_dir, dist


def test_unknown_fragment_suggests_the_nearest() -> None:
    with pytest.raises(dcm_host.FragmentError) as info:
        dist("go").call("add-i46", [1, 2])
    assert info.value.code == "DCM_UNKNOWN_FRAGMENT"
    assert "add-i64" in info.value.message


def test_fragment_by_symbol_name() -> None:
    d = dist("go")
    f = d.fragment("add-i64")
    assert d.call(f["symbol"], [2, 3]) == 5


def test_ambiguous_name_is_refused(tmp_path: Path) -> None:
    # A dist whose manifest has two fragments with one symbol (two languages may share one).
    src = conformance_dir() / "dists" / "go"
    dst = tmp_path / "go"
    shutil.copytree(src, dst)
    import json

    m = json.loads((dst / "manifest.json").read_text())
    twin = dict(next(f for f in m["fragments"] if f["id"] == "add-i64"), id="add-i64-twin")
    m["fragments"].append(twin)
    (dst / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(dcm_host.FragmentError) as info:
        dcm_host.open_dist(dst).call(twin["symbol"], [1, 2])
    assert info.value.code == "DCM_UNKNOWN_FRAGMENT"
    assert "add-i64-twin" in info.value.message and "by its id" in info.value.message


@pytest.mark.parametrize("on", ["client", "server"])
@pytest.mark.parametrize(
    "fragment, args, names",
    [
        ("add-i64", [1, "2"], ["b", "expected int<64,signed>, got str"]),
        ("add-i64", [1, 2.0], ["b", "got float"]),
        ("add-i64", [True, 2], ["a", "got bool"]),
        ("add-i64", [1 << 63, 0], ["a", "out of range"]),
        ("add-i64", [1], ["takes 2 argument(s), got 1"]),
        ("wrap-add-i8", [128, 0], ["a", "out of range for int<8,signed>"]),
        ("concat", ["a", b"b"], ["b", "expected string, got bytes"]),
        ("concat", ["a", "\ud800"], ["b", "UTF-8"]),
        ("sum-list", [[1, "x"]], ["xs[1]"]),
        ("record-move", [{"from": {"x": 0, "y": 0}, "to": {"x": 0}}, 1, 1], [".to.y", "missing field"]),
        ("record-move", [{"from": {"x": 0, "y": 0, "z": 1}, "to": {"x": 0, "y": 0}}, 1, 1], [".from", "no field 'z'"]),
        ("map-invert", [{"a": None}], ["['a']"]),
        ("bytes-xor", ["abc", 1], ["expected bytes, got str"]),
    ],
)
def test_wrong_python_values_name_the_parameter(fragment: str, args: List[Any], names: List[str], on: str) -> None:
    d = dist("go")
    with pytest.raises(dcm_host.FragmentError) as info:
        d.call(fragment, args, on=on)
    assert info.value.code == "DCM_BAD_ARGUMENTS"
    for n in names:
        assert n in info.value.message, info.value.message


def test_wrong_side_is_refused() -> None:
    with pytest.raises(dcm_host.FragmentError) as info:
        dist("go").call("add-i64", [1, 2], on="browser")  # type: ignore[arg-type]
    assert info.value.code == "DCM_INVALID_SIDE"


@pytest.mark.parametrize("on", ["client", "server"])
def test_tampered_module_is_refused_naming_the_file(tmp_path: Path, on: str) -> None:
    dst = tmp_path / "go"
    shutil.copytree(conformance_dir() / "dists" / "go", dst)
    module = dst / ("client/go.wasm" if on == "client" else "server/go.so")
    data = bytearray(module.read_bytes())
    data[len(data) // 2] ^= 0xFF
    module.write_bytes(bytes(data))
    d = dcm_host.open_dist(dst)
    with pytest.raises(dcm_host.FragmentError) as info:
        d.call("add-i64", [1, 2], on=on)
    assert info.value.code == "DCM_MODULE_CORRUPT"
    assert str(module) in info.value.message and "sha256" in info.value.message


def test_missing_module_and_unsafe_path(tmp_path: Path) -> None:
    import json

    dst = tmp_path / "rust"
    shutil.copytree(conformance_dir() / "dists" / "rust", dst)
    (dst / "client" / "rust.wasm").unlink()
    with pytest.raises(dcm_host.FragmentError) as info:
        dcm_host.open_dist(dst).call("add-i64", [1, 2], on="client")
    assert info.value.code == "DCM_MODULE_MISSING" and "rust.wasm" in info.value.message
    m = json.loads((dst / "manifest.json").read_text())
    m["modules"][0]["file"] = "../outside.wasm"
    (dst / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(dcm_host.FragmentError) as info:
        dcm_host.open_dist(dst)
    assert info.value.code == "DCM_MANIFEST_UNSAFE_PATH" and "../outside.wasm" in info.value.message


def test_not_a_dist(tmp_path: Path) -> None:
    with pytest.raises(dcm_host.FragmentError) as info:
        dcm_host.open_dist(tmp_path)
    assert info.value.code == "DCM_MANIFEST_INVALID"


def test_server_falls_back_to_the_portable_module() -> None:
    d = dist("assemblyscript")
    assert not any(m["target"] == "native" for m in d.manifest["modules"])
    assert d.call("add-i64", [2, 3], on="server") == 5


@pytest.mark.parametrize("lang", ["go", "rust", "assemblyscript"])
@pytest.mark.parametrize("on", ["client", "server"])
def test_several_threads(lang: str, on: str) -> None:
    d = dist(lang)
    errors: List[str] = []

    def work(k: int) -> None:
        for i in range(200):
            s = f"t{k}-{i}-é"
            got = d.call("concat", [s, "!"], on=on)
            if got != s + "!":
                errors.append(f"{s}: {got!r}")
            if d.call("add-i64", [k, i], on=on) != k + i:
                errors.append(f"add {k} {i}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("on", ["client", "server"])
def test_calls_after_a_panic_still_work(on: str) -> None:
    for lang in ("go", "rust", "assemblyscript"):
        d = dist(lang)
        with pytest.raises(dcm_host.FragmentError) as info:
            d.call("index-panic", [[1, 2], 5], on=on)
        assert info.value.code == "DCM_FRAGMENT_PANIC", lang
        assert d.call("index-panic", [[1, 2], 1], on=on) == 2, lang


def test_module_captured_output_reaches_the_handler() -> None:
    got: List[Any] = []
    d = dcm_host.open_dist(conformance_dir() / "dists" / "rust", on_output=lambda f, s, t: got.append((f, s, t)))
    for on in ("client", "server"):
        got.clear()
        d.call("print-lines", ["hi", 2], on=on)
        text = "".join(t for f, s, t in got if f == "print-lines")
        assert "hi" in text, (on, got)
    d.close()


def test_values_round_trip_through_canonical_json() -> None:
    d = dist("go")
    f = d.fragment("div-f64")
    assert dcm_host.to_json(float("nan"), f["signature"]["results"], d.types) == '"NaN"'
    assert dcm_host.to_json(-0.0, f["signature"]["results"], d.types) == "-0"
    assert dcm_host.to_json(1e21, f["signature"]["results"], d.types) == "1e+21"
    assert dcm_host.to_json(1e-7, f["signature"]["results"], d.types) == "1e-7"
    assert dcm_host.to_json(123.0, f["signature"]["results"], d.types) == "123"
    f32 = [{"kind": "float", "bits": 32}]
    assert dcm_host.to_json(dcm_host.from_json("0.1", f32, {}), f32, {}) == "0.1"


def test_not_callable_fragment_gives_the_manifest_reason(tmp_path: Path) -> None:
    import json

    dst = tmp_path / "go"
    shutil.copytree(conformance_dir() / "dists" / "go", dst)
    m = json.loads((dst / "manifest.json").read_text())
    f = next(f for f in m["fragments"] if f["id"] == "concat")
    for key in ("signature", "abi", "export"):
        del f[key]
    f["notCallable"] = "a dependency without runOn"
    (dst / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(dcm_host.FragmentError) as info:
        dcm_host.open_dist(dst).call("concat", ["a", "b"])
    assert info.value.code == "DCM_NOT_CALLABLE" and "a dependency without runOn" in info.value.message


def test_fragment_error_pickles_with_its_code() -> None:
    import pickle

    e = pickle.loads(pickle.dumps(dcm_host.FragmentError("DCM_FRAGMENT_ERROR", "boom", "f")))
    assert (e.code, e.message, e.fragment) == ("DCM_FRAGMENT_ERROR", "boom", "f")
