#!/usr/bin/env bash
# benches/bollard/list.sh [RUNS] — the list tool (GET /containers/json, print the names) with
# docksock's blocking client against bollard 0.21.1 on a current-thread tokio runtime:
#   1. packages built (`cargo tree`, the tool included) and cold compile time: a clean `cargo build --release -p TOOL` of each
#      in its own new target directory (`/usr/bin/time`: wall, user + system CPU), alternately;
#      crates.io sources are fetched first, so downloads are not counted;
#   2. the stripped binary's size;
#   3. whole-process run against $DOCKER_HOST: RUNS (default 20) alternate runs, medians.
# Prints markdown tables with ratios (bollard / docksock). See BENCHMARKS.md "Against bollard".
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-20}
builds=${BUILDS:-1}
: "${DOCKER_HOST:?set DOCKER_HOST (sock=\$(scripts/engine docker-28.5); export DOCKER_HOST=unix://\$sock)}"
cargo fetch --locked -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "load average before the builds: $(cut -d' ' -f1-3 /proc/loadavg)"
calc() { awk "BEGIN {print $*}"; }
declare -A crates wall cpu size
for i in $(seq 1 "$builds"); do
    for tool in list-docksock list-bollard; do
        rm -rf "$work/target"
        /usr/bin/time -f '%e %U %S' -o "$work/time" \
            cargo build --release --locked -p "$tool" --target-dir "$work/target" 2>"$work/log"
        crates[$tool]=$(cargo tree --locked -p "$tool" -e normal,build --prefix none | awk '{print $1, $2}' | sort -u | wc -l)
        read -r w u s <"$work/time"
        wall[$tool]="${wall[$tool]:-} $w"
        cpu[$tool]="${cpu[$tool]:-} $(calc "$u + $s")"
        cp "$work/target/release/$tool" "$work/$tool"
        strip "$work/$tool"
        size[$tool]=$(stat -c %s "$work/$tool")
    done
done
echo "load average after the builds: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
d=list-docksock b=list-bollard
md=$(median <<<"${cpu[$d]}") mb=$(median <<<"${cpu[$b]}")
wd=$(median <<<"${wall[$d]}") wb=$(median <<<"${wall[$b]}")
echo
echo "| list tool, $builds clean build(s) each (median) | docksock | bollard 0.21.1 | bollard / docksock |"
echo "|---|---|---|---|"
printf '| packages built (the tool included) | %s | %s | %.1f× |\n' "${crates[$d]}" "${crates[$b]}" "$(calc "${crates[$b]} / ${crates[$d]}")"
printf '| cold compile, CPU s (user + sys) | %.1f | %.1f | %.1f× |\n' "$md" "$mb" "$(calc "$mb / $md")"
printf '| cold compile, wall s | %.1f | %.1f | %.1f× |\n' "$wd" "$wb" "$(calc "$wb / $wd")"
printf '| stripped binary, bytes | %s | %s | %.2f× |\n' "${size[$d]}" "${size[$b]}" "$(calc "${size[$b]} / ${size[$d]}")"
echo
echo "Running it against $DOCKER_HOST ($("$work/$d" | wc -l) containers):"
python3 abrun.py --runs "$runs" "docksock=$work/$d" "bollard=$work/$b"
