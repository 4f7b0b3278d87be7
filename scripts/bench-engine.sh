#!/usr/bin/env bash
# Engine throughput (issue #23), in one run on the same messages: the
# command line, DataFusion in one process on 1 and 2 partitions, and a
# Ballista cluster on loopback (127.0.0.1) with 1 and 2 executors. Every
# engine writes every row's verdict: the command line as JSON Lines, the
# others `SELECT id, scamscan(text) AS v FROM messages` as Parquet.
#
# The input (built once, under target/, never committed): the messages of
# datasets/ (or --data) repeated to --rows rows with ids made unique, as 8
# Parquet files and as one JSONL file with the same ids and texts.
#
# Every program is built in the release-engine profile (opt-level 3, no LTO),
# the command line too, so that the figures differ by the engine only.
#
# Usage: bash scripts/bench-engine.sh [--rows 1000000] [--rounds 1]
#            [--data datasets] [--out target/bench-engine]
# The table lands in OUT/results.md (medians over the rounds).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/.."

ROWS=1000000
ROUNDS=1
DATA=datasets
OUT=target/bench-engine
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) ROWS="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --data) DATA="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        *) echo "bench-engine.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

nice -n 10 cargo build --profile release-engine --quiet -p scamscan-cli -p scamscan-ballista --bins --examples
ENGINE=target/release-engine
CLI="$ENGINE/scamscan"
CLIENT="$ENGINE/examples/client"

mkdir -p "$OUT"
INPUT="$OUT/input-$ROWS"
if [ ! -f "$INPUT/done" ]; then
    rm -rf "$INPUT"
    "$ENGINE/examples/bench_input" --data "$DATA" --rows "$ROWS" --files 8 --out "$INPUT"
    touch "$INPUT/done"
fi

SQL="SELECT id, scamscan(text) AS v FROM messages"
PIDS=()
stop_cluster() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PIDS=()
}
trap stop_cluster EXIT

# Starts a scheduler and $1 executors on loopback; returns when all have
# registered (or fails after 60 s).
start_cluster() {
    local n="$1" logs="$OUT/logs-$1"
    rm -rf "$logs"; mkdir -p "$logs"
    "$ENGINE/scamscan-scheduler" --bind-port 50150 --external-host 127.0.0.1 2>"$logs/scheduler.log" &
    PIDS+=($!)
    for i in $(seq 1 "$n"); do
        mkdir -p "$logs/work-$i"
        "$ENGINE/scamscan-executor" --scheduler-host 127.0.0.1 --scheduler-port 50150 \
            --bind-port $((50150 + 10 * i)) --bind-grpc-port $((50151 + 10 * i)) \
            --work-dir "$logs/work-$i" 2>"$logs/executor-$i.log" &
        PIDS+=($!)
    done
    for _ in $(seq 600); do
        if [ "$(grep -c 'register executor' "$logs/scheduler.log" || true)" -ge "$n" ]; then return 0; fi
        sleep 0.1
    done
    echo "bench-engine.sh: $n executors did not register; see $logs" >&2
    exit 1
}

# Runs "$@" and prints its wall time in seconds; its stdout goes to $OUT/$1.out.
timed() {
    local name="$1"; shift
    local start end
    start=$(date +%s.%N)
    "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || {
        local code=$?
        # scamscan classify exits 1 when something is flagged.
        if [ "$name" != cli ] || [ $code -ne 1 ]; then
            echo "bench-engine.sh: $name failed ($code); see $OUT/$name.err" >&2
            exit 1
        fi
    }
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

declare -A TIMES
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round of $ROUNDS" >&2
    TIMES[cli]+=" $(timed cli "$CLI" classify --input jsonl --output jsonl --reasons 0 "$INPUT/messages.jsonl")"
    for p in 1 2; do
        rm -rf "$OUT/result-df$p"
        TIMES[df$p]+=" $(timed "df$p" "$CLIENT" --local --partitions "$p" --parquet "$INPUT/messages" --sql "$SQL" --out "$OUT/result-df$p")"
    done
    for n in 1 2; do
        start_cluster "$n"
        rm -rf "$OUT/result-ballista$n"
        TIMES[ballista$n]+=" $(timed "ballista$n" "$CLIENT" --scheduler df://127.0.0.1:50150 --parquet "$INPUT/messages" --sql "$SQL" --out "$OUT/result-ballista$n")"
        sleep 1.5 # the executors log their counts once a second
        for i in $(seq 1 "$n"); do
            grep -o 'scamscan scored [0-9]* texts' "$OUT/logs-$n/executor-$i.log" | tail -1 |
                sed "s/^/ballista, $n executors: executor $i: /" >&2
        done
        stop_cluster
    done
done

# Every engine must have written one verdict per row.
test "$(wc -l <"$OUT/cli.out")" -eq "$ROWS"
for e in df1 df2 ballista1 ballista2; do
    grep -q "| $ROWS " "$OUT/$e.out" || { echo "bench-engine.sh: $e did not write $ROWS rows: $(cat "$OUT/$e.out")" >&2; exit 1; }
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
CLI_S=$(echo "${TIMES[cli]}" | median)
{
    echo "$ROWS messages ($(ls "$INPUT/messages" | wc -l) Parquet files), $(nproc) cores, $ROUNDS round(s), medians; $(date -u +%Y-%m-%d)"
    echo
    echo "| engine | seconds | messages/s | time over the command line |"
    echo "|---|---:|---:|---:|"
    row() {
        local s; s=$(echo "${TIMES[$2]}" | median)
        printf '| %s | %.1f | %s | %+.0f%% |\n' "$1" "$s" "$(printf '%.0f' "$(echo "$ROWS / $s" | bc -l)" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')" "$(echo "($s / $CLI_S - 1) * 100" | bc -l)"
    }
    row "scamscan classify --input jsonl --output jsonl --reasons 0" cli
    row "DataFusion, 1 partition" df1
    row "DataFusion, 2 partitions" df2
    row "Ballista, 1 executor (loopback)" ballista1
    row "Ballista, 2 executors (loopback)" ballista2
} | tee "$OUT/results.md"
