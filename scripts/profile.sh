#!/usr/bin/env bash
# Where the time of `scamscan classify` goes: a deterministic profile
# (valgrind's callgrind counts instructions, so the figures do not depend on
# machine load) of `classify --lines --output jsonl` on the first N lines of
# the bench input, as a table of inclusive instruction counts per stage.
# Run scripts/bench.sh first (it writes the input). 20,000 messages by
# default: the one-time costs (regex compilation, the lazy DFAs' first
# states, the score table built after 2,048 messages) then weigh little, as
# in a real run.
# Usage: bash scripts/profile.sh [N=20000] [INPUT=target/bench/input-200000.txt]
# SCAMSCAN=BINARY profiles another build (say, the main branch's) instead
# of this tree's; the table then names only the stages that build has.
# SCAMSCAN_ARGS adds arguments to classify (say, "--model DIR" for a model
# trained with another hashing scheme than the built-in one's).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
INPUT=${2:-target/bench/input-200000.txt}
OUT=target/bench
[ -f "$INPUT" ] || { echo "profile.sh: no $INPUT; run scripts/bench.sh first" >&2; exit 2; }
if ! command -v valgrind >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
    $SUDO apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q valgrind >&2
fi
# The release binary keeps its symbol table, which is all callgrind needs for names.
BINARY=${SCAMSCAN:-target/release/scamscan}
[ -n "${SCAMSCAN:-}" ] || cargo build --release --quiet -p scamscan-cli
mkdir -p "$OUT"
head -n "$N" "$INPUT" > "$OUT/profile-input.txt"
# One worker thread: each thread warms its own regex caches, so the split of
# messages between threads would otherwise move the counts from run to run.
RAYON_NUM_THREADS=1 nice -n 10 valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
    "$BINARY" classify --lines --output jsonl ${SCAMSCAN_ARGS:-} "$OUT/profile-input.txt" \
    > /dev/null 2> "$OUT/callgrind.log" || [ $? -eq 1 ]
callgrind_annotate --inclusive=yes --threshold=100 "$OUT/callgrind.out" > "$OUT/callgrind.txt" 2>/dev/null
python3 - "$OUT/callgrind.txt" "$N" <<'EOF' | tee "$OUT/profile.md"
import re, sys
text = open(sys.argv[1]).read()
n = int(sys.argv[2])
total = int(re.search(r"^([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text, re.M).group(1).replace(",", ""))
def cost(fn):
    best = 0
    for m in re.finditer(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+[^\s:]*:(.+?) \[", text, re.M):
        # `a|b`: whichever of the names the build kept (older builds'
        # entry points were inlined into others).
        if m.group(2).strip() in fn.split("|"):
            best = max(best, int(m.group(1).replace(",", "")))
    return best
rows = [
    ("whole run (load, read, classify, print)", None),
    ("load the built-in model (once per run)", "scamscan::classifier::Classifier::builtin"),
    ("classify (all stages below)", "scamscan::classifier::Classifier::classify|scamscan::classifier::Classifier::classify_with"),
    ("  normalize", "scamscan::normalize::Normalizer::normalize_into"),
    ("  tokenize: words and entities", "scamscan::tokenize::Tokenizer::tokenize_into"),
    ("    of which entities", "scamscan::tokenize::entities::EntityRecognizer::recognize_into"),
    ("  featurize: hash, count, TF-IDF and L2", "scamscan::featurize::Featurizer::vectorize_into_with"),
    ("    of which the radix sort", "scamscan::featurize::sort::sort_keys"),
    ("  vocabulary coverage", "scamscan::vocabulary::Vocabulary::coverage"),
    ("  language identification (coverage below 0.9)", "scamscan::language::outside|scamscan::language::identify"),
    ("  unfamiliar: evidence vector from the emissions", "scamscan::featurize::Featurizer::evidence_into"),
    ("  score: ham/spam/scam head", "scamscan::classifier::table::ScoreTable::logits"),
    ("  score: category head (scam only)", "scamscan::classifier::Classifier::top_category"),
    ("  explanation trace (flagged and unsure messages)", "scamscan::featurize::Featurizer::trace_into"),
    ("  explain (3 reasons; flagged and unsure messages)", "scamscan::explain::reasons_of_workspace"),
    ("print JSONL", "scamscan_cli::printer::Printer<W>::message"),
]
print(f"callgrind, `scamscan classify --lines --output jsonl` on {n} messages: "
      f"{total / n / 1000:.0f} k instructions per message.\n")
print("| stage | instructions per message | share of the run |")
print("|---|---:|---:|")
for label, fn in rows:
    c = total if fn is None else cost(fn)
    shown = f"{c / n / 1000:.1f} k" if c else "(inlined)"
    print(f"| {label} | {shown} | {100 * c / total:.1f}% |")
EOF
