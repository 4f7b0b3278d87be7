#!/usr/bin/env python3
"""Speed benchmark of scamscan against fastText, side by side (issue #5).

Run through scripts/bench.sh, which installs fastText and GNU time from
Debian and builds the release binary first.

What it measures, all in one run so that both systems see the same machine
load (runs alternate: fastText, scamscan, fastText, scamscan, ...):

  throughput  `scamscan classify --lines --output jsonl INPUT` (the default
              3 reasons per message included) against
              `fasttext predict-prob MODEL INPUT 3`, on INPUT = --messages
              lines drawn from the shared corpora (newlines inside a message
              become spaces); both write to /dev/null. Wall time, CPU time
              and peak RSS from GNU time; medians over --rounds.
  cold start  one message on stdin, from process start to the verdict
              (`scamscan classify --output jsonl`, built-in model) against
              fastText on a one-line file; medians over --cold-rounds.
  training    `scamscan train --data CORPORA --data datasets --out DIR`,
              wall time, median over --train-rounds runs (skipped with
              --no-train); the table also gives the range and how many runs
              took 30 s or less, as one run says little on a shared machine.
  --baseline  another scamscan binary (an older build) in the same
              throughput alternation and cold-start loop, and in the
              training rounds, alternating with scamscan.
  --variant   LABEL=ARGS (repeatable): scamscan's throughput run once more
              per round with ARGS added (`--reasons 0`, `--model DIR`), in
              the same alternation, reported beside the default; for
              measuring what a model or an option would change.
  --fasttext-variant
              LABEL=ARGS (repeatable): another fastText model, trained on
              the same corpora with ARGS added to `-wordNgrams 2` (say
              `-minn 2 -maxn 5`, the character n-grams scamscan uses), in
              the same throughput alternation; reported as a reference
              beside the goal's fastText, which stays the default one.

fastText is trained on the same corpora (every message, `-wordNgrams 2`,
as scripts/compare.sh does); the bench input and the fastText model are
kept in --out and rebuilt only when the corpora change. Corpus text is only
ever written under --out (default target/bench), never into tracked files.

Writes --out/results.md (also printed) and --out/results.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def corpus_rows(corpora: Path):
    for f in sorted(corpora.glob("*.jsonl")):
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                text = " ".join(r["text"].split())
                if text:
                    yield text, r["label"]


def prepare(corpora: Path, out: Path, messages: int) -> tuple[Path, Path, dict]:
    """The bench input and the fastText model, rebuilt when the corpora change."""
    digest = hashlib.sha256()
    for f in sorted(corpora.glob("*.jsonl")):
        digest.update(f.name.encode())
        digest.update(str(f.stat().st_size).encode())
        digest.update(str(int(f.stat().st_mtime)).encode())
    digest.update(str(messages).encode())
    key = digest.hexdigest()[:16]
    stamp = out / "prepared.json"
    input_path = out / f"input-{messages}.txt"
    model_prefix = out / "fasttext-model"
    model = model_prefix.with_suffix(".bin")
    if stamp.exists() and input_path.exists() and model.exists():
        meta = json.loads(stamp.read_text())
        if meta.get("key") == key:
            return input_path, model, meta
    rows = list(corpus_rows(corpora))
    if not rows:
        sys.exit(f"bench: no messages in {corpora}/*.jsonl")
    log(f"writing {messages} messages drawn from {len(rows)} corpus messages to {input_path}")
    # A fixed stride through the corpus (coprime with its size in practice)
    # mixes sources and lengths the same way on every run.
    total = 0
    with open(input_path, "w", encoding="utf-8") as fh:
        for i in range(messages):
            text = rows[(i * 7919) % len(rows)][0]
            total += len(text)
            fh.write(text + "\n")
    train = out / "fasttext-train.txt"
    with open(train, "w", encoding="utf-8") as fh:
        for text, label in rows:
            fh.write(f"__label__{label} {text}\n")
    train_fasttext(train, model_prefix, [])
    meta = {
        "key": key,
        "messages": messages,
        "bytes": input_path.stat().st_size,
        "mean_chars": total / messages,
        "corpus_messages": len(rows),
    }
    stamp.write_text(json.dumps(meta))
    return input_path, model, meta


def train_fasttext(train: Path, prefix: Path, extra: list[str]) -> None:
    """A fastText model of the corpus file `train` at `prefix`.bin: `-wordNgrams 2` plus `extra`."""
    log(f"training fastText on the same corpora (-wordNgrams 2 {' '.join(extra)})")
    subprocess.run(["fasttext", "supervised", "-input", str(train), "-output", str(prefix),
                    "-wordNgrams", "2", *extra], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def fasttext_variant(out: Path, meta: dict, extra: list[str]) -> Path:
    """The fastText model trained with `extra`, rebuilt when the corpora or `extra` change."""
    slug = hashlib.sha256(" ".join(extra).encode()).hexdigest()[:12]
    prefix = out / f"fasttext-variant-{slug}"
    model, stamp = prefix.with_suffix(".bin"), prefix.with_suffix(".json")
    want = {"key": meta["key"], "args": extra}
    if not (model.exists() and stamp.exists() and json.loads(stamp.read_text()) == want):
        train_fasttext(out / "fasttext-train.txt", prefix, extra)
        stamp.write_text(json.dumps(want))
    return model


def gnu_time(cmd: list[str], stdin_path: Path | None = None) -> dict:
    """Runs cmd under GNU time -v; returns wall, user, sys seconds and peak RSS in KiB."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            res = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name, *cmd], stdin=stdin,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        finally:
            if stdin_path:
                stdin.close()
        report = tf.read()
    # scamscan exits 1 when something is flagged, as grep does.
    if res.returncode not in (0, 1):
        sys.exit(f"bench: {cmd[0]} failed ({res.returncode}): {res.stderr.decode(errors='replace')[-2000:]}")
    fields = {}
    for line in report.splitlines():
        if ":" in line:
            k, _, v = line.strip().rpartition(": ")
            fields[k.strip()] = v.strip()
    wall = fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"]
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return {
        "wall": seconds,
        "user": float(fields["User time (seconds)"]),
        "sys": float(fields["System time (seconds)"]),
        "rss_kib": int(fields["Maximum resident set size (kbytes)"]),
    }


def wall_clock(cmd: list[str], stdin_bytes: bytes | None) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, input=stdin_bytes, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    t = time.perf_counter() - t0
    if res.returncode not in (0, 1):
        sys.exit(f"bench: {cmd} failed ({res.returncode})")
    return t


def med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def cpu(runs: list[dict]) -> float:
    """Median CPU time (user + sys) of GNU time runs."""
    return statistics.median(r["user"] + r["sys"] for r in runs)


def classify(binary: str, input_path: Path, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The timed command: `classify --lines --output jsonl` (3 reasons unless `extra` says otherwise)."""
    return [binary, "classify", "--lines", "--output", "jsonl", *extra, str(input_path)]


def classify_one(binary: str) -> list[str]:
    """The cold-start command: one message on stdin, `classify --output jsonl`, built-in model."""
    return [binary, "classify", "--output", "jsonl"]


def predict(model: Path | str, input_path: Path) -> list[str]:
    """fastText's timed command: `predict-prob MODEL INPUT 3`."""
    return ["fasttext", "predict-prob", str(model), str(input_path), "3"]


def cpu_model() -> str:
    """The processor's name after a space, from /proc/cpuinfo ("" where it
    is not there): the ratios move with the processor (memory latency
    weighs more on some), so a run says which it was."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return " " + line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    ap.add_argument("--datasets", type=Path, default=REPO / "datasets")
    ap.add_argument("--scamscan", default=str(REPO / "target" / "release" / "scamscan"))
    ap.add_argument("--out", type=Path, default=REPO / "target" / "bench")
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cold-rounds", type=int, default=30)
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--train-rounds", type=int, default=3)
    ap.add_argument("--baseline", metavar="BINARY",
                    help="another scamscan binary (say, an older build) to run in the same alternation")
    ap.add_argument("--variant", action="append", default=[], metavar="LABEL=ARGS",
                    help="also time `scamscan classify` with ARGS added (say 'no reasons=--reasons 0'), "
                         "in the same alternation; repeatable")
    ap.add_argument("--fasttext-variant", action="append", default=[], metavar="LABEL=ARGS",
                    help="also time a fastText model trained with ARGS added to -wordNgrams 2 "
                         "(say 'subwords=-minn 2 -maxn 5'), in the same alternation; repeatable")
    args = ap.parse_args()

    def labelled(values: list[str], flag: str) -> list[dict]:
        out = []
        for v in values:
            label, sep, extra = v.partition("=")
            if not sep or not label.strip():
                sys.exit(f"bench: {flag} wants LABEL=ARGS, got {v!r}")
            out.append({"label": label.strip(), "args": extra.split(), "runs": []})
        return out

    variants = labelled(args.variant, "--variant")
    ft_variants = labelled(args.fasttext_variant, "--fasttext-variant")
    if not (100_000 <= args.messages <= 500_000):
        log("note: issue #5 asks for 100k-500k messages")
    args.out.mkdir(parents=True, exist_ok=True)
    input_path, ft_model, meta = prepare(args.corpora, args.out, args.messages)
    for v in ft_variants:
        v["model"] = str(fasttext_variant(args.out, meta, v["args"]))
    ss = args.scamscan

    log(f"throughput: {args.rounds} alternating rounds on {meta['messages']} messages "
        f"({meta['bytes'] / 1e6:.1f} MB)")
    ft_runs, ss_runs, base_runs = [], [], []
    for r in range(args.rounds):
        ft_runs.append(gnu_time(predict(ft_model, input_path)))
        ss_runs.append(gnu_time(classify(ss, input_path)))
        if args.baseline:
            base_runs.append(gnu_time(classify(args.baseline, input_path)))
        for v in variants:
            v["runs"].append(gnu_time(classify(ss, input_path, v["args"])))
        for v in ft_variants:
            v["runs"].append(gnu_time(predict(v["model"], input_path)))
        log(f"  round {r + 1}: fastText {ft_runs[-1]['wall']:.2f} s, scamscan {ss_runs[-1]['wall']:.2f} s"
            + (f", baseline {base_runs[-1]['wall']:.2f} s" if base_runs else "")
            + "".join(f", {v['label']} {v['runs'][-1]['wall']:.2f} s" for v in variants + ft_variants))

    log(f"cold start: {args.cold_rounds} alternating rounds")
    one = "Your parcel is held at customs. Pay the 2.99 fee at parcel-fee.top today"
    one_path = args.out / "one-message.txt"
    one_path.write_text(one + "\n", encoding="utf-8")
    ft_cold, ss_cold, base_cold = [], [], []
    for _ in range(args.cold_rounds):
        ft_cold.append(wall_clock(predict(ft_model, one_path), None))
        ss_cold.append(wall_clock(classify_one(ss), one.encode()))
        if args.baseline:
            base_cold.append(wall_clock(classify_one(args.baseline), one.encode()))

    def train(binary: str, model_dir: Path) -> float:
        t0 = time.perf_counter()
        subprocess.run([binary, "train", "--data", str(args.corpora), "--data", str(args.datasets),
                        "--out", str(model_dir)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0

    train_s = base_train_s = None
    train_runs, base_train_runs = [], []
    if not args.no_train:
        rounds = max(args.train_rounds, 1)
        log(f"training the default model on all corpora and datasets/ ({rounds} rounds"
            + (", alternating with the baseline)" if args.baseline else ")"))
        for r in range(rounds):
            train_runs.append(train(ss, args.out / "trained-model"))
            if args.baseline:
                base_train_runs.append(train(args.baseline, args.out / "trained-model-baseline"))
            log(f"  round {r + 1}: scamscan {train_runs[-1]:.1f} s"
                + (f", baseline {base_train_runs[-1]:.1f} s" if base_train_runs else ""))
        train_s = statistics.median(train_runs)
        if base_train_runs:
            base_train_s = statistics.median(base_train_runs)

    def spread(runs: list[float]) -> str:
        within = sum(t <= 30 for t in runs)
        return f"{min(runs):.1f}–{max(runs):.1f} s over {len(runs)} runs, {within} of them <= 30 s"

    n = meta["messages"]
    ft_w, ss_w = med(ft_runs, "wall"), med(ss_runs, "wall")
    ft_rate, ss_rate = n / ft_w, n / ss_w
    ft_rss, ss_rss = med(ft_runs, "rss_kib"), med(ss_runs, "rss_kib")
    ft_cpu, ss_cpu = cpu(ft_runs), cpu(ss_runs)
    ft_c, ss_c = statistics.median(ft_cold), statistics.median(ss_cold)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()

    def summary(runs: list[dict]) -> str:
        """Messages per second; CPU time; peak RSS: an extra row's figures."""
        return (f"{n / med(runs, 'wall'):,.0f}; {cpu(runs):.2f} s; "
                f"{med(runs, 'rss_kib') / 1024:.0f} MiB")

    def ok(flag: bool) -> str:
        return "met" if flag else "**not met**"

    lines = [
        f"Benchmark of scamscan {rev} against fastText 0.9 on {platform.machine()}{cpu_model()} "
        f"({os.cpu_count()} cores, load average {load:.1f} at the end), "
        f"{n} messages ({meta['bytes'] / 1e6:.1f} MB, mean {meta['mean_chars']:.0f} characters) "
        f"drawn from the shared corpora; medians of {args.rounds} alternating rounds "
        f"(cold start: {args.cold_rounds}).",
        "",
        "| measure | fastText | scamscan | ratio | goal |",
        "|---|---:|---:|---:|---|",
        f"| wall time, {n} messages | {ft_w:.2f} s | {ss_w:.2f} s | | |",
        f"| messages per second | {ft_rate:,.0f} | {ss_rate:,.0f} | {ss_rate / ft_rate:.2f}x | "
        f">= 3x: {ok(ss_rate >= 3 * ft_rate)} |",
        f"| CPU time (user + sys) | {ft_cpu:.2f} s | {ss_cpu:.2f} s | {ss_cpu / ft_cpu:.2f}x | |",
        f"| peak RSS | {ft_rss / 1024:.0f} MiB | {ss_rss / 1024:.0f} MiB | {ss_rss / ft_rss:.3f} | "
        f"<= 0.1: {ok(ss_rss <= 0.1 * ft_rss)} |",
        f"| cold start, one message | {ft_c * 1000:.1f} ms | {ss_c * 1000:.1f} ms | "
        f"{ss_c / ft_c:.2f}x | <= 50 ms: {ok(ss_c <= 0.05)} |",
    ]
    if base_runs:
        b_w = med(base_runs, "wall")
        lines.append(f"| baseline `{Path(args.baseline).name}`: messages per second; CPU time; peak RSS | "
                     f"| {summary(base_runs)} | "
                     f"scamscan {b_w / ss_w:.2f}x faster, {cpu(base_runs) / ss_cpu:.2f}x less CPU | |")
        b_c = statistics.median(base_cold)
        lines.append(f"| baseline: cold start | | {b_c * 1000:.1f} ms | scamscan takes {ss_c / b_c:.2f}x its time | |")
    for v in variants:
        v_w = med(v["runs"], "wall")
        lines.append(f"| variant {v['label']} (`{' '.join(v['args'])}`): messages per second; CPU time; peak RSS | "
                     f"| {summary(v['runs'])} | "
                     f"{(n / v_w) / ft_rate:.2f}x fastText, {ss_w / v_w:.2f}x scamscan | |")
    for v in ft_variants:
        v_w = med(v["runs"], "wall")
        lines.append(f"| reference: fastText {v['label']} (`-wordNgrams 2 {' '.join(v['args'])}`): "
                     f"messages per second; CPU time; peak RSS | {summary(v['runs'])} | | "
                     f"scamscan {v_w / ss_w:.2f}x its messages per second | |")
    if train_s is not None:
        lines.append(f"| training the default model (median; {spread(train_runs)}) | | {train_s:.1f} s | | "
                     f"<= 30 s: {ok(train_s <= 30)} |")
    if base_train_s is not None:
        lines.append(f"| baseline: training the default model (median; {spread(base_train_runs)}) | | "
                     f"{base_train_s:.1f} s | scamscan {base_train_s / train_s:.2f}x faster | |")
    lines += [
        "",
        "scamscan: `scamscan classify --lines --output jsonl INPUT` (3 reasons per message); "
        "fastText: `fasttext predict-prob MODEL INPUT 3`. Reproduce with `bash scripts/bench.sh`.",
    ]
    md = "\n".join(lines) + "\n"
    (args.out / "results.md").write_text(md)
    (args.out / "results.json").write_text(json.dumps({
        "meta": meta, "rev": rev, "load": load,
        "fasttext": {"runs": ft_runs, "cold": ft_cold},
        "scamscan": {"runs": ss_runs, "cold": ss_cold, "train_s": train_s, "train_runs": train_runs},
        "variants": variants,
        "fasttext_variants": ft_variants,
        "baseline": {"binary": args.baseline, "runs": base_runs, "cold": base_cold,
                     "train_s": base_train_s, "train_runs": base_train_runs},
    }, indent=1))
    print(md)


if __name__ == "__main__":
    main()
