#!/usr/bin/env bash
# Campaigns and indicators beside classify alone over 1,000,000 messages
# (issue #25): wall time, CPU time and peak RSS, side by side in one run.
# Installs GNU time if missing, builds the release binary, then runs
# scripts/bench_campaigns.py with the given arguments; the table lands in
# target/bench/campaigns.md.
# Usage: bash scripts/bench_campaigns.sh [--messages 1000000] [--rounds 3] [--corpora ../shared/corpora] [--out target/bench]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/.."

if [ ! -x /usr/bin/time ]; then
    echo "bench_campaigns.sh: installing GNU time (Debian package)" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
    $SUDO apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q time >&2
fi

cargo build --release --quiet
# Benchmarks share the machine: be a good neighbour while measuring.
exec nice -n 10 "${PYTHON:-python3}" "$HERE/bench_campaigns.py" "$@"
