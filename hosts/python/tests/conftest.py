"""Shared fixtures: the conformance vectors of $DCM_CONFORMANCE (test/conformance/README.md
of the dcm repository) and the dists they were built with."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

import pytest

import dcm_host


def conformance_dir() -> Path:
    d = os.environ.get("DCM_CONFORMANCE")
    if not d:
        raise pytest.UsageError(
            "DCM_CONFORMANCE is not set: generate the vectors with `node build/test/conformance/write-vectors.js <dir>` "
            "and run DCM_CONFORMANCE=<dir> python -m pytest hosts/python/tests"
        )
    return Path(d)


_vectors: Dict[str, Any] = {}


def vectors() -> Dict[str, Any]:
    if not _vectors:
        _vectors.update(json.loads((conformance_dir() / "vectors.json").read_text(encoding="utf-8")))
    return _vectors


_dists: Dict[str, dcm_host.Dist] = {}


def dist(lang: str) -> dcm_host.Dist:
    if lang not in _dists:
        _dists[lang] = dcm_host.open_dist(conformance_dir() / "dists" / lang)
    return _dists[lang]


@pytest.fixture
def go_dist() -> dcm_host.Dist:
    return dist("go")
