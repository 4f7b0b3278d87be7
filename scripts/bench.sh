#!/usr/bin/env bash
# Speed benchmark against fastText (issue #5): throughput, peak memory, cold
# start and training time, side by side in one run. Installs what it needs
# (Debian's fasttext and GNU time), builds the release binary, then runs
# scripts/bench.py with the given arguments; the table lands in
# target/bench/results.md.
# Usage: bash scripts/bench.sh [--messages 200000] [--rounds 5] [--cold-rounds 30] [--train-rounds 3] [--no-train] [--baseline OLD_BINARY] [--variant LABEL=ARGS]... [--fasttext-variant LABEL=ARGS]...
#        [--corpora ../shared/corpora] [--out target/bench]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/.."

missing=()
command -v fasttext >/dev/null 2>&1 || missing+=(fasttext)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench.sh: installing ${missing[*]} (Debian packages)" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
    $SUDO apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >&2
fi

cargo build --release --quiet
# Benchmarks share the machine: be a good neighbour while measuring.
exec nice -n 10 "${PYTHON:-python3}" "$HERE/bench.py" "$@"
