"""Reading a dist's manifest.json and checking its files (docs/abi.md "The dist
folder and what hosts check")."""
from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any, Dict, List, Mapping

from .errors import FragmentError

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def load_manifest(dist: str) -> Dict[str, Any]:
    path = os.path.join(dist, "manifest.json")
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except FileNotFoundError:
        raise FragmentError("DCM_MANIFEST_INVALID", f"{path}: no manifest.json; is {dist} a dist written by `dcm build --out`?") from None
    except (OSError, ValueError) as e:
        raise FragmentError("DCM_MANIFEST_INVALID", f"{path}: cannot read it as JSON ({e})") from None
    if not isinstance(m, dict) or not isinstance(m.get("modules"), list) or not isinstance(m.get("fragments"), list):
        raise FragmentError("DCM_MANIFEST_INVALID", f"{path}: expected an object with `modules` and `fragments` lists")
    if m.get("manifestVersion") != 1:
        raise FragmentError("DCM_MANIFEST_INVALID", f"{path}: manifestVersion {m.get('manifestVersion')!r}; this host reads version 1")
    m.setdefault("types", {})
    for mod in m["modules"]:
        check_path(dist, mod.get("file"))
        glue = mod.get("glue")
        if isinstance(glue, dict):
            check_path(dist, glue.get("file"))
    return m


def check_path(dist: str, p: Any) -> str:
    """The absolute path of a manifest file path, refused unless it is a plain relative path inside the dist."""
    if not isinstance(p, str) or not p:
        raise FragmentError("DCM_MANIFEST_UNSAFE_PATH", f"manifest.json: a module's file is {p!r}, not a path")
    segs = p.split("/")
    if p.startswith("/") or "\\" in p or _SCHEME.match(p) or any(s in ("", ".", "..") for s in segs):
        raise FragmentError("DCM_MANIFEST_UNSAFE_PATH", f"manifest.json: unsafe file path {p!r} (must be a plain relative path inside the dist)")
    full = os.path.join(dist, *segs)
    real_dist = os.path.realpath(dist)
    real = os.path.realpath(full)
    if os.path.lexists(full) and os.path.commonpath([real_dist, real]) != real_dist:
        raise FragmentError("DCM_MANIFEST_UNSAFE_PATH", f"manifest.json: {p} leads out of the dist through a symbolic link")
    return full


def read_module(dist: str, module: Mapping[str, Any]) -> bytes:
    """The module's bytes, after checking them against the manifest's sha256."""
    rel = module["file"]
    full = check_path(dist, rel)
    try:
        with open(full, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise FragmentError("DCM_MODULE_MISSING", f"{full}: listed in manifest.json but not in the dist; rebuild it with `dcm build`") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != module.get("sha256"):
        raise FragmentError(
            "DCM_MODULE_CORRUPT",
            f"{full}: sha256 {digest} is not the manifest's {module.get('sha256')}; the file was changed after the build (rebuild the dist)",
        )
    return data


def fragment_modules(manifest: Mapping[str, Any]) -> Dict[str, List[Mapping[str, Any]]]:
    """Fragment id → the modules that hold it."""
    out: Dict[str, List[Mapping[str, Any]]] = {}
    for mod in manifest["modules"]:
        for fid in mod.get("fragments", []):
            out.setdefault(fid, []).append(mod)
    return out
