#!/usr/bin/env python3
"""gbench_to_native.py: Google Benchmark JSON (stdin) to benchgate's native results (stdout).

A stand-in for benchgate's own gbench adapter where a build lacks it: every repetition
("run_type": "iteration") of a benchmark becomes one sample of wall_time (real_time) and
cpu_time (cpu_time), converted to nanoseconds; aggregates (mean, median, stddev) are skipped.
"""
import json
import sys

SCALE = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def main():
    data = json.load(sys.stdin)
    results = {}
    order = []
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"])
        scale = SCALE[b.get("time_unit", "ns")]
        for measure, key in (("wall_time", "real_time"), ("cpu_time", "cpu_time")):
            k = (name, measure)
            if k not in results:
                results[k] = []
                order.append(k)
            results[k].append(b[key] * scale)
    out = [{"benchmark": n, "measure": m, "unit": "ns", "direction": "lower",
            "samples": results[(n, m)]} for (n, m) in order]
    json.dump({"results": out}, sys.stdout)


if __name__ == "__main__":
    main()
