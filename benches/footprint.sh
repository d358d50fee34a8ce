#!/usr/bin/env bash
# benches/footprint.sh — the footprint of small tools built on docksock, beside the same tools
# on bollard 0.21.1, as a markdown table (the one in README.md's "Footprint"). Each tool is a
# program of benches/bollard/ (its own workspace, cargo's default release profile):
#   - packages built (`cargo tree`, the tool included) and cold compile CPU time (user + sys, `/usr/bin/time`) of a clean
#     `cargo build --release -p TOOL` in a new target directory (crates.io sources fetched
#     first: downloads are not counted);
#   - the stripped binary's size;
#   - peak RSS (VmHWM) of one run against $DOCKER_HOST: the list tool; 1,000 `GET /_ping` in
#     flight (20,000 in all); the whole log of a container written by benches/bollard/logs.sh
#     (LOG, default bench-logs-long-256m; skipped when it does not exist).
# BUILDS=0 skips the clean builds (then no packages/compile columns). See BENCHMARKS.md
# "Against bollard" for the alternate runs behind these figures.
set -euo pipefail
cd "$(dirname "$0")/bollard"
: "${DOCKER_HOST:?set DOCKER_HOST (sock=\$(scripts/engine docker-28.5); export DOCKER_HOST=unix://\$sock)}"
builds=${BUILDS:-1}
log=${LOG:-bench-logs-long-256m}
cargo fetch --locked -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
calc() { awk "BEGIN {print $*}"; }
kib() { sed -n 's/.*peak_rss=\([0-9]*\) KiB.*/\1/p' | tail -n1; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
# Stripped size of a built program.
stripped() { cp "$1" "$work/s" && strip "$work/s" && stat -c %s "$work/s"; }
declare -A crates cpu
for tool in list-docksock list-bollard; do
    [ "$builds" = 0 ] && break
    rm -rf "$work/target"
    /usr/bin/time -f '%U %S' -o "$work/time" \
        cargo build --release --locked -p "$tool" --target-dir "$work/target" 2>"$work/log"
    crates[$tool]=$(cargo tree --locked -p "$tool" -e normal,build --prefix none | awk '{print $1, $2}' | sort -u | wc -l)
    read -r u s <"$work/time"
    cpu[$tool]=$(calc "$u + $s")
done
# One package a build: built together, bollard's tools would share each other's tokio features.
for tool in list-docksock list-bollard load-docksock load-bollard; do
    cargo build --release --locked -q -p "$tool"
done
bin=target/release
ulimit -n 2048
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) (2 vCPUs), dockerd $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')"
echo
echo "| tool | | docksock | bollard 0.21.1 |"
echo "|---|---|---|---|"
if [ "$builds" != 0 ]; then
    echo "| list containers (\`GET /containers/json\`, print the names) | packages built | ${crates[list-docksock]} | ${crates[list-bollard]} |"
    echo "| | cold compile, CPU s | ${cpu[list-docksock]} | ${cpu[list-bollard]} |"
fi
echo "| | stripped binary | $(stripped $bin/list-docksock) B | $(stripped $bin/list-bollard) B |"
d=$(/usr/bin/time -f '%M' "$bin/list-docksock" 2>&1 >/dev/null | tail -n1)
b=$(/usr/bin/time -f '%M' "$bin/list-bollard" 2>&1 >/dev/null | tail -n1)
echo "| | peak RSS | $(mib "$d") | $(mib "$b") |"
echo "| 1,000 \`GET /_ping\` in flight (docksock-mio, one thread; bollard, tokio multi-thread) | stripped binary | $(stripped $bin/fanout-docksock) B | $(stripped $bin/fanout-bollard) B |"
d=$("$bin/fanout-docksock" --endpoint "$DOCKER_HOST" --connections 1000 --requests 20000 | kib)
b=$("$bin/fanout-bollard" --connections 1000 --requests 20000 | kib)
echo "| | peak RSS | $(mib "$d") | $(mib "$b") |"
if docker inspect "$log" >/dev/null 2>&1; then
    echo "| a container's whole log to /dev/null (blocking \`Demux\`; bollard, current-thread) | stripped binary | $(stripped $bin/logs-docksock) B | $(stripped $bin/logs-bollard) B |"
    d=$("$bin/logs-docksock" "$log" 2>&1 >/dev/null | kib)
    b=$("$bin/logs-bollard" "$log" 2>&1 >/dev/null | kib)
    echo "| | peak RSS ($log) | $(mib "$d") | $(mib "$b") |"
fi
