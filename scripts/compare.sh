#!/usr/bin/env bash
# Side-by-side evaluation: scikit-learn TF-IDF+LR, fastText CLI and scamscan.
# Installs what it needs, then runs scripts/compare.py with the given arguments.
# Usage: bash scripts/compare.sh [--systems sklearn,fasttext,scamscan|none] [--splits loso,insource,obfuscation]
#        [--only-sources A,B] [--scamscan target/release/scamscan] [--out target/compare] [--reuse DIR] ...
# The obfuscation split needs the scamscan binary (its `perturb` command) even without scamscan in --systems.
# Re-derive every table from an earlier run without training: --systems none --reuse DIR.
# --splits learn runs scripts/compare_learn.py instead (the learning simulation's scikit-learn
# anchor, SGDClassifier.partial_fit); the other arguments go to it.
# Defaults resolve against the repo root; relative paths you pass resolve against your cwd.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"

PY=${PYTHON:-python3}
SKLEARN_VERSION=1.7.2
# One BLAS/OpenMP thread unless the caller says otherwise: the machine is shared.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

if ! "$PY" -c "import sklearn, numpy, scipy, sys; sys.exit(0 if sklearn.__version__ == '$SKLEARN_VERSION' else 1)" 2>/dev/null; then
    echo "compare.sh: installing scikit-learn==$SKLEARN_VERSION" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check "scikit-learn==$SKLEARN_VERSION" >&2
fi

if ! command -v fasttext >/dev/null 2>&1; then
    echo "compare.sh: installing fasttext (Debian package)" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
    $SUDO apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q fasttext >&2
fi

args=()
script=compare.py
while [ $# -gt 0 ]; do
    if [ "$1" = "--splits" ] && [ "${2:-}" = "learn" ]; then script=compare_learn.py; shift 2; continue; fi
    if [ "$1" = "--splits=learn" ]; then script=compare_learn.py; shift; continue; fi
    args+=("$1"); shift
done
exec "$PY" "$HERE/$script" "${args[@]}"
