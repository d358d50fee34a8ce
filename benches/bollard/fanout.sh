#!/usr/bin/env bash
# benches/bollard/fanout.sh [RUNS] [CONNECTIONS] [REQUESTS] — REQUESTS (default 20,000)
# `GET /_ping` with CONNECTIONS (default 1,000) in flight against $DOCKER_HOST: docksock-mio in
# one thread (its `fanout` example) against bollard 0.21.1 on tokio's multi-thread runtime and on
# a current-thread one. RUNS (default 5) alternate runs; medians of the whole process's wall
# time, CPU time (and per request), peak RSS (VmHWM), and the rate each program reports for its
# request phase. See BENCHMARKS.md "Against bollard".
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-5} conns=${2:-1000} reqs=${3:-20000}
: "${DOCKER_HOST:?set DOCKER_HOST (sock=\$(scripts/engine docker-28.5); export DOCKER_HOST=unix://\$sock)}"
cargo build --release --locked -q -p load-docksock
cargo build --release --locked -q -p load-bollard
ulimit -n $((conns + 256))
bin=target/release
python3 abrun.py --runs "$runs" --requests "$reqs" \
    "docksock-mio=$bin/fanout-docksock --endpoint $DOCKER_HOST --connections $conns --requests $reqs 1>&2" \
    "bollard (multi-thread)=$bin/fanout-bollard --connections $conns --requests $reqs 1>&2" \
    "bollard (current-thread)=$bin/fanout-bollard --current-thread --connections $conns --requests $reqs 1>&2"
