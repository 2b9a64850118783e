"""Per-call cost of the Python host (hosts/python, dcm_host) for bench/host-calls.ts.

Usage: python python-driver.py <dist> <client|server> <calls>
Prints one JSON line: {"scalar_ns": ..., "string_ns": ...}, the median over
5 repetitions of the time per call of add(2, 3) (fragment "6") and of a
1 KiB string round trip through `echo`, after a warm-up.
"""
import json
import statistics
import sys
import time

import dcm_host

REPS = 5
S1K = "dcm-" * 256


def per_call_ns(f, n):
    for _ in range(max(1, n // 10)):
        f()
    samples = []
    for _ in range(REPS):
        t = time.perf_counter_ns()
        for _ in range(n):
            f()
        samples.append((time.perf_counter_ns() - t) / n)
    return statistics.median(samples)


def main():
    dist_dir, on, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    dist = dcm_host.open_dist(dist_dir)
    try:
        if dist.call("6", [2, 3], on=on) != 5 or dist.call("echo", [S1K], on=on) != S1K:
            raise SystemExit("the Python host returned a wrong value")
        scalar = per_call_ns(lambda: dist.call("6", [2, 3], on=on), n)
        string = per_call_ns(lambda: dist.call("echo", [S1K], on=on), n)
    finally:
        dist.close()
    print(json.dumps({"scalar_ns": scalar, "string_ns": string}))


main()
