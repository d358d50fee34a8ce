#!/usr/bin/env bash
# benches/cli/run.sh [RUNS] — the CLI's footprint and speed beside the docker CLI, against the
# daemon of $DOCKER_HOST (start one with `scripts/engine docker-28.5`):
#   1. the stripped release binary's size;
#   2. `docksock ps` vs `docker ps`, whole-process wall time, RUNS alternate runs (default 30);
#   3. `docksock logs` vs `docker logs` of a container with 1 GiB of output, to /dev/null.
# The docker CLI is $DOCKER_CLI, else /usr/bin/docker (Debian's docker.io).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-30}
docker=${DOCKER_CLI:-/usr/bin/docker}
: "${DOCKER_HOST:?set DOCKER_HOST (sock=\$(scripts/engine docker-28.5); export DOCKER_HOST=unix://\$sock)}"

cargo build --release -q -p docksock-cli
bin=target/release/docksock
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
cp "$bin" "$stripped" && strip "$stripped"
echo "== size: $(stat -c %s "$stripped") bytes stripped ($(stat -c %s "$bin") unstripped)"

echo "== ps: docksock (A) vs $docker (B)"
python3 benches/cli/compare.py "$runs" "$bin ps" "$docker ps"

echo "== logs of 1 GiB: docksock (A) vs $docker (B)"
image=${IMAGE:-docksock-test/busybox:latest}
name=docksock-bench-logs
if [ "$("$bin" inspect -f '{{.State.Status}}' "$name" 2>/dev/null)" != exited ]; then
    "$bin" rm -f "$name" >/dev/null 2>&1 || true
    # 131,072 lines of 8 KiB: 1 GiB.
    "$bin" run --name "$name" "$image" sh -c \
        'line=$(head -c 8191 /dev/zero | tr "\0" x); yes "$line" | head -n 131072' >/dev/null
fi
bytes=$("$bin" logs "$name" | wc -c)
echo "logs of $name: $bytes bytes"
python3 benches/cli/compare.py 3 "$bin logs $name" "$docker logs $name"
echo "== the clients' own CPU time on the same 1 GiB"
python3 benches/cli/cpu.py "$bin logs $name"
python3 benches/cli/cpu.py "$docker logs $name"
