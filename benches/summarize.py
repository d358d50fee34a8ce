#!/usr/bin/env python3
"""Summarizes criterion runs saved as baselines (`-- --save-baseline NAME`): for each
benchmark, the lowest median over the given baselines (interference from other processes on a
shared machine only ever adds time), and each peer's time as a ratio to docksock's in the
same group. Prints a Markdown table.

    benches/run.sh                 # runs the benches 3 times, then this
    python3 benches/summarize.py r1 r2 r3
"""
import json, os, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
baselines = sys.argv[1:] or ["r1", "r2", "r3"]


def fmt(ns):
    for unit, div in (("ms", 1e6), ("µs", 1e3)):
        if ns >= div:
            return f"{ns / div:.3g} {unit}"
    return f"{ns:.3g} ns"


groups = {}
for group in sorted(os.listdir(root)):
    gdir = os.path.join(root, group)
    if not os.path.isdir(gdir) or group == "report":
        continue
    for bench in sorted(os.listdir(gdir)):
        meds = []
        for b in baselines:
            p = os.path.join(gdir, bench, b, "estimates.json")
            if os.path.exists(p):
                meds.append(json.load(open(p))["median"]["point_estimate"])
        if meds:
            groups.setdefault(group, []).append((bench, min(meds), meds))

print(f"| group | benchmark | best median of {len(baselines)} runs | all medians | ratio to docksock |")
print("|---|---|---|---|---|")
for group, rows in groups.items():
    ref = dict((b, m) for b, m, _ in rows)
    base = ref.get("docksock") or ref.get("docksock_ping")
    for bench, m, meds in rows:
        ratio = f"{m / base:.2f}×" if base else ""
        allm = ", ".join(fmt(x) for x in meds)
        print(f"| {group} | {bench} | {fmt(m)} | {allm} | {ratio} |")
