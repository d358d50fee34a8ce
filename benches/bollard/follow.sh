#!/usr/bin/env bash
# benches/bollard/follow.sh [RUNS] [CONTAINERS] [LINES] — the logs of CONTAINERS (default 50)
# running containers followed (`follow=1`) until they stop: one docksock-mio thread against
# bollard 0.21.1 (one tokio task per stream, multi-thread runtime) and against one
# `docker logs -f` process per container ($DOCKER_CLI or /usr/bin/docker). Before each run the
# containers are made afresh; each waits for a file in a bind-mounted directory, then writes
# LINES (default 20,000) lines of 41 bytes and exits. The follower starts, the file appears two
# seconds later. RUNS (default 3) alternate runs, medians of the follower's CPU time (all 50
# processes together for docker) and peak RSS (the sum of the 50 for docker); the wall time
# includes the two seconds. See BENCHMARKS.md "Against bollard".
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-3} n=${2:-50} lines=${3:-20000}
docker=${DOCKER_CLI:-/usr/bin/docker}
image=${IMAGE:-docksock-test/busybox:latest}
: "${DOCKER_HOST:?set DOCKER_HOST (sock=\$(scripts/engine docker-28.5); export DOCKER_HOST=unix://\$sock)}"

if [ "${1:-}" = --once ]; then
    # follow.sh --once GATE SIDE NAME...: one run of one follower (called by abrun.py).
    gate=$2 side=$3
    shift 3
    work=$(mktemp -d)
    case $side in
    docksock) target/release/follow-docksock "$@" & ;;
    bollard) target/release/follow-bollard "$@" & ;;
    docker)
        for name in "$@"; do
            /usr/bin/time -f %M -o "$work/rss.$name" "$docker" logs -f "$name" >/dev/null &
        done
        ;;
    esac
    sleep 2
    touch "$gate/go"
    wait
    if [ "$side" = docker ]; then
        echo "rss_total=$(cat "$work"/rss.* | awk '{s += $1} END {print s}') KiB" >&2
    fi
    rm -rf "$work"
    exit 0
fi

cargo build --release --locked -q -p load-docksock
cargo build --release --locked -q -p load-bollard
gate=$(mktemp -d)
trap 'rm -rf "$gate"' EXIT
names=()
for i in $(seq 1 "$n"); do names+=("bench-follow-$i"); done
# Made four at a time (xargs -P 4): the daemon's create and start are the slow part.
prepare="rm -f $gate/go; $docker rm -f ${names[*]} >/dev/null 2>&1 || true; printf '%s\\n' ${names[*]} |
    xargs -P 4 -I NAME $docker run -d --name NAME -v $gate:/gate $image sh -c 'while [ ! -e /gate/go ];
    do sleep 0.1; done; yes 0123456789012345678901234567890123456789 | head -n $lines' >/dev/null"
echo "$n containers, $lines lines of 41 bytes each ($((n * lines * 41)) bytes in all)"
python3 abrun.py --runs "$runs" --prepare "$prepare" \
    "docksock-mio=./follow.sh --once $gate docksock ${names[*]}" \
    "bollard=./follow.sh --once $gate bollard ${names[*]}" \
    "docker logs -f=./follow.sh --once $gate docker ${names[*]}"
"$docker" rm -f "${names[@]}" >/dev/null
