#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds from tests/wire/ and the conformance samples, plus the
# committed fuzz/seeds/<target>/ (regressions and hand-made inputs).
# Usage: fuzz/seed.sh [CORPUS_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
corpus="${1:-$here/corpus}"
python3 "$here/seed.py" "$corpus"
if [ -d "$here/seeds" ]; then
    for d in "$here"/seeds/*/; do
        t="$(basename "$d")"
        mkdir -p "$corpus/$t"
        cp -n "$d"* "$corpus/$t/" 2>/dev/null || true
    done
fi
