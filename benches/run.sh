#!/usr/bin/env bash
# Runs the parse and end-to-end benches RUNS times (default 3), pinned to CPU 0, each run saved
# as a criterion baseline (r1, r2, …), then prints the summary table (best median per
# benchmark, ratios to docksock). See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
cargo bench -p docksock-benches --no-run
names=()
for i in $(seq 1 "$runs"); do
    taskset -c 0 cargo bench -p docksock-benches --bench parse -- \
        --warm-up-time 1 --measurement-time 3 --save-baseline "r$i" >/dev/null
    taskset -c 0 cargo bench -p docksock-benches --bench e2e -- \
        --warm-up-time 1 --measurement-time 5 --save-baseline "r$i" >/dev/null
    names+=("r$i")
done
python3 benches/summarize.py "${names[@]}"
