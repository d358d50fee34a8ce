#!/usr/bin/env bash
# benches/bollard/logs.sh [RUNS] — the whole log of a stopped container (json-file) read to
# /dev/null: docksock's blocking `Demux` against bollard 0.21.1 (current-thread tokio) and the
# docker CLI (`docker logs`, $DOCKER_CLI or /usr/bin/docker), RUNS (default 3) alternate runs,
# medians of wall time, CPU time, peak RSS and context switches. Two containers, made once and
# kept (named by their size):
#   long lines:  LONG_MIB (default 256) MiB in lines of 8 KiB;
#   short lines: SHORT_MIB (default 100) MiB in lines of 41 bytes (40 characters and a newline).
# See BENCHMARKS.md "Against bollard".
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-3}
long=${LONG_MIB:-256} short=${SHORT_MIB:-100}
docker=${DOCKER_CLI:-/usr/bin/docker}
image=${IMAGE:-docksock-test/busybox:latest}
: "${DOCKER_HOST:?set DOCKER_HOST (sock=\$(scripts/engine docker-28.5); export DOCKER_HOST=unix://\$sock)}"
cargo build --release --locked -q -p load-docksock
cargo build --release --locked -q -p load-bollard
bin=target/release

# make NAME LINES SCRIPT: a stopped container whose log is LINES lines written by SCRIPT.
make() {
    if [ "$("$docker" inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" != exited ]; then
        "$docker" rm -f "$1" >/dev/null 2>&1 || true
        "$docker" run --name "$1" "$image" sh -c "$3 | head -n $2" >/dev/null
    fi
}
make "bench-logs-long-${long}m" $((long * 128)) \
    'line=$(head -c 8191 /dev/zero | tr "\0" x); yes "$line"'
make "bench-logs-short-${short}m" $((short * 1048576 / 41)) \
    'yes 0123456789012345678901234567890123456789'

for name in "bench-logs-long-${long}m" "bench-logs-short-${short}m"; do
    echo
    echo "== $name: $("$bin/logs-docksock" "$name" 2>&1 >/dev/null)"
    python3 abrun.py --runs "$runs" \
        "docksock=$bin/logs-docksock $name" \
        "bollard=$bin/logs-bollard $name" \
        "docker logs=$docker logs $name"
done
