#!/usr/bin/env python3
"""Whole-process wall time of two commands, side by side.

    compare.py RUNS 'COMMAND A' 'COMMAND B'

Runs A and B alternately RUNS times each (stdout to /dev/null), after two warm-up runs of
each, and prints the median, minimum and maximum of each in milliseconds and the ratio of
the medians (A / B). Each command line is split as a shell would split it (`shlex`) and
executed directly, not through /bin/sh: a shell's own start-up would add the same ~1 ms to
both sides and pull a fast command's ratio towards 1.
"""
import shlex
import statistics
import subprocess
import sys
import time


def once(cmd):
    start = time.perf_counter()
    done = subprocess.run(shlex.split(cmd), stdout=subprocess.DEVNULL)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{cmd!r} exited {done.returncode}")
    return took


def main():
    runs, a, b = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    for _ in range(2):
        once(a)
        once(b)
    ta, tb = [], []
    for _ in range(runs):
        ta.append(once(a))
        tb.append(once(b))
    for name, t in (("A", ta), ("B", tb)):
        print(f"{name}: median {statistics.median(t)*1e3:9.2f} ms   min {min(t)*1e3:9.2f}   max {max(t)*1e3:9.2f}   ({len(t)} runs)")
    print(f"A/B (medians): {statistics.median(ta)/statistics.median(tb):.3f}")


if __name__ == "__main__":
    main()
