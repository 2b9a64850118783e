"""Per-call cost of dcm_host: a scalar call (`add-i64`) and a 1 KiB string round trip
(`concat` of 1,024 ASCII bytes and ""), on the client (WASM) and the server (native),
for the dists of the conformance vectors. Prints one JSON line per measurement
(µs per call, best of 5 runs); bench/ of dcm puts them next to the Node host's.

    python hosts/python/bench/per_call.py <conformance dir> [calls per run]
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import dcm_host


def main() -> None:
    root = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    kib = "x" * 1024
    for lang in ("go", "rust", "assemblyscript"):
        dist = dcm_host.open_dist(root / "dists" / lang)
        for on in ("client", "server"):
            for what, frag, args in (("scalar", "add-i64", [2, 3]), ("string-1KiB", "concat", [kib, ""])):
                dist.call(frag, args, on=on)  # load and warm up
                best = float("inf")
                for _ in range(5):
                    t = time.perf_counter()
                    for _ in range(n):
                        dist.call(frag, args, on=on)
                    best = min(best, (time.perf_counter() - t) / n)
                print(json.dumps({"host": "python", "lang": lang, "on": on, "call": what, "us": round(best * 1e6, 2)}))
        dist.close()


if __name__ == "__main__":
    main()
