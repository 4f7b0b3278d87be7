#!/usr/bin/env python3
"""Campaigns and indicators beside classify alone, side by side (issue #25).

Run through scripts/bench_campaigns.sh, which installs GNU time and builds
the release binary first.

On INPUT = --messages lines drawn from the shared corpora (the stride of
scripts/bench.py; a corpus of ~100,000 messages read ten times over, as a
stream where scripts come back), each round runs, in this order:

  classify            `classify --lines --output jsonl --reasons 0`: the
                      classification that campaigns does (no reasons)
  classify, 3 reasons `classify --lines --output jsonl` (the default)
  campaigns           `campaigns --lines --output jsonl`: flagged messages
  campaigns --all     every message grouped
  campaigns --all, capped
                      `--max-campaigns 10000`, so that campaigns are closed
                      and forgotten: the bound on memory at work
  indicators          `indicators --lines --output csv`

Wall time, CPU time (user + sys) and peak RSS from GNU time; medians over
--rounds. The overhead is campaigns' wall time over classify's (no reasons).
Corpus text is only ever written under --out (default target/bench).

Writes --out/campaigns.md (also printed) and --out/campaigns.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import REPO, corpus_rows, cpu, gnu_time, log, med  # noqa: E402


def prepare(corpora: Path, out: Path, messages: int) -> Path:
    path = out / f"campaigns-input-{messages}.txt"
    if path.exists():
        return path
    rows = list(corpus_rows(corpora))
    if not rows:
        sys.exit(f"bench: no messages in {corpora}/*.jsonl")
    log(f"writing {messages} messages drawn from {len(rows)} corpus messages to {path}")
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(messages):
            fh.write(rows[(i * 7919) % len(rows)][0] + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    ap.add_argument("--scamscan", default=str(REPO / "target" / "release" / "scamscan"))
    ap.add_argument("--out", type=Path, default=REPO / "target" / "bench")
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="", metavar="NAME,...",
                    help="run only the commands whose names start with one of these (e.g. 'classify (no,campaigns --all')")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    inp = prepare(args.corpora, args.out, args.messages)
    b = args.scamscan
    commands = {
        "classify (no reasons)": [b, "classify", "--lines", "--output", "jsonl", "--reasons", "0", str(inp)],
        "classify (3 reasons)": [b, "classify", "--lines", "--output", "jsonl", str(inp)],
        "campaigns (flagged)": [b, "campaigns", "--lines", "--output", "jsonl", str(inp)],
        "campaigns --all": [b, "campaigns", "--lines", "--all", "--output", "jsonl", str(inp)],
        "campaigns --all --max-campaigns 10000": [
            b, "campaigns", "--lines", "--all", "--max-campaigns", "10000", "--output", "jsonl", str(inp)],
        "indicators (flagged)": [b, "indicators", "--lines", "--output", "csv", str(inp)],
    }
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        commands = {k: v for k, v in commands.items() if any(k.startswith(w) for w in wanted)}
    runs: dict[str, list[dict]] = {k: [] for k in commands}
    for r in range(args.rounds):
        for name, cmd in commands.items():
            res = gnu_time(cmd)
            runs[name].append(res)
            log(f"round {r + 1}/{args.rounds} {name}: {res['wall']:.1f} s, {res['rss_kib'] / 1024:.0f} MiB")
    base = med(runs["classify (no reasons)"], "wall") if "classify (no reasons)" in runs else float("nan")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    lines = [
        f"{time.strftime('%Y-%m-%d at %H:%M', time.gmtime())} UTC, commit `{commit}`, "
        f"{platform.processor() or platform.machine()}, {args.messages:,} messages, "
        f"median of {args.rounds} rounds",
        "",
        "| command | wall | messages per second | CPU (user + sys) | peak RSS | wall vs classify (no reasons) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, rs in runs.items():
        wall = med(rs, "wall")
        lines.append(
            f"| {name} | {wall:.1f} s | {args.messages / wall:,.0f} | {cpu(rs):.1f} s | "
            f"{med(rs, 'rss_kib') / 1024:.0f} MiB | {wall / base:.2f}x |")
    report = "\n".join(lines) + "\n"
    (args.out / "campaigns.md").write_text(report)
    (args.out / "campaigns.json").write_text(json.dumps({"messages": args.messages, "runs": runs}, indent=1))
    print(report)


if __name__ == "__main__":
    main()
