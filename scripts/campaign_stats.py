#!/usr/bin/env python3
"""Campaigns on the shared corpora: how many, the largest, and the share of
flagged messages that fall into a campaign of at least --min-size.

Usage (from the repository root, with the release binary built):

    python3 scripts/campaign_stats.py [--corpora ../shared/corpora] [--out target/campaigns] [--templates]

Runs `scamscan classify` and `scamscan campaigns --assignments` on the
corpora (outputs under --out, never committed) and prints Markdown with
campaign ids, sizes, labels and indicator counts only. The templates are
made of the campaigns' shared words, and for a campaign of near-identical
messages that is close to a message's text: they are printed only with
--templates, for a reader, and are not to be committed. For each template
printed, the script says whether it equals the masked words of one of its
campaign's messages (a template that reproduces a message verbatim).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(cmd: list[str], stdout: Path) -> None:
    with open(stdout, "w", encoding="utf-8") as fh:
        res = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, text=True)
    if res.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr[-2000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    ap.add_argument("--scamscan", default=str(REPO / "target" / "release" / "scamscan"))
    ap.add_argument("--out", type=Path, default=REPO / "target" / "campaigns")
    ap.add_argument("--min-size", type=int, default=5)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--templates", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    verdicts, campaigns, assign = (args.out / n for n in ("verdicts.jsonl", "campaigns.jsonl", "assignments.jsonl"))
    # The files, not the directory: its README is no JSONL.
    files = [str(f) for f in sorted(args.corpora.glob("*.jsonl"))]
    run([args.scamscan, "classify", "--input", "jsonl", "--output", "jsonl", "--reasons", "0", *files], verdicts)
    run([args.scamscan, "campaigns", "--input", "jsonl", "--output", "jsonl", "--min-size", "1",
         "--assignments", str(assign), *files], campaigns)

    truth = {}
    for f in sorted(args.corpora.glob("*.jsonl")):
        for line in open(f, encoding="utf-8"):
            r = json.loads(line)
            truth[r["id"]] = (r["source"], r["label"])
    flagged = {}
    for line in open(verdicts, encoding="utf-8"):
        v = json.loads(line)
        if "label" in v:
            flagged[v["id"]] = v["label"] in ("scam", "spam")
    of = {}
    for line in open(assign, encoding="utf-8"):
        a = json.loads(line)
        of[a["id"]] = a["campaign"]
    camps = [json.loads(line) for line in open(campaigns, encoding="utf-8")]
    size = {c["id"]: c["size"] for c in camps}

    n_flagged = sum(flagged.values())
    in_big = sum(1 for i, f in flagged.items() if f and of.get(i) and size.get(of[i], 0) >= args.min_size)
    wordless = sum(1 for i, f in flagged.items() if f and of.get(i) is None)
    sizes = collections.Counter()
    for c in camps:
        for lo, hi, name in ((1, 1, "1"), (2, 4, "2-4"), (5, 19, "5-19"), (20, 99, "20-99"), (100, 10**12, "100+")):
            if lo <= c["size"] <= hi:
                sizes[name] += 1
    print(f"messages: {len(of)}; flagged by the built-in model: {n_flagged}; flagged with no words: {wordless}")
    print(f"campaigns: {len(camps)} (sizes: " + ", ".join(f"{k}: {sizes[k]}" for k in ("1", "2-4", "5-19", "20-99", "100+")) + ")")
    print(f"flagged messages in a campaign of >= {args.min_size}: {in_big} of {n_flagged} = {in_big / max(n_flagged, 1):.1%}")
    for lab in ("scam", "spam"):
        ids = [i for i, (_, l) in truth.items() if l == lab and flagged.get(i)]
        big = sum(1 for i in ids if of.get(i) and size.get(of[i], 0) >= args.min_size)
        print(f"  of them labelled {lab} in the corpora: {big} of {len(ids)} = {big / max(len(ids), 1):.1%}")
    print()
    print(f"| # | campaign (first message) | size | sources | corpus labels | model label, category | indicators (kind: distinct) |")
    print("|---:|---|---:|---|---|---|---|")
    members = collections.defaultdict(list)
    for i, c in of.items():
        if c is not None:
            members[c].append(i)
    top = sorted(camps, key=lambda c: (-c["size"], c["first_index"]))[: args.top]
    for n, c in enumerate(top, 1):
        ms = members[c["id"]]
        srcs = collections.Counter(truth[i][0] for i in ms if i in truth)
        labs = collections.Counter(truth[i][1] for i in ms if i in truth)
        kinds = collections.Counter(i["kind"] for i in c["indicators"])
        print(f"| {n} | `{c['id']}` | {c['size']} | " + ", ".join(f"{s} {k}" for s, k in srcs.most_common(3))
              + " | " + ", ".join(f"{l} {k}" for l, k in labs.most_common()) + f" | {c['label']}, {c['category']} | "
              + (", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) or "none") + " |")
    if args.templates:
        print("\nTemplates (not for committing):")
        for n, c in enumerate(top, 1):
            inds = "; ".join(f"{i['kind']} {i['value']} ({i['count']})" for i in c["indicators"][:5])
            print(f"{n}. {c['id']}: {c['template']}\n   indicators: {inds or 'none'}\n   has a slot: {'*' in c['template'].split()}")


if __name__ == "__main__":
    main()
