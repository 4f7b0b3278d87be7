#!/usr/bin/env bash
# The Ballista cluster's tests alone (crates/scamscan-ballista/tests/loopback.rs):
# a scamscan-scheduler and two scamscan-executor processes on 127.0.0.1
# score a 20,000-row Parquet input, compared with `scamscan classify`.
# `cargo test --workspace` (.ci/run) runs them with everything else.
#
# Usage: bash scripts/test-cluster.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
# The reference the verdicts are compared with: the scamscan binary, built
# in the same (dev) profile as the executors' UDF.
cargo build -p scamscan-cli --bin scamscan
SCAMSCAN_BIN="$PWD/target/debug/scamscan" cargo test -p scamscan-ballista "$@" -- --nocapture
