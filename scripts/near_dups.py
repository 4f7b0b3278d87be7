#!/usr/bin/env python3
"""Near-duplicate pairs among our own messages (datasets/ by default).

Two rows are near-duplicates when the Jaccard similarity of their sets of
character 5-grams (lower-cased, whitespace collapsed) is at least the
threshold (0.8 by default), the rule the test suite enforces. Exact pairs are
found with prefix filtering (rare 5-grams first), not by comparing every pair.

Usage: python3 scripts/near_dups.py [PATH...] [--threshold 0.8]
Prints one line per pair (similarity, the two ids) and exits 1 if any.
"""
import argparse
import glob
import json
import math
import os
import re
import sys
from collections import Counter, defaultdict


def shingles(text, n=5):
    t = re.sub(r"\s+", " ", text.lower()).strip()
    if len(t) < n:
        return {t} if t else set()
    return {t[i : i + n] for i in range(len(t) - n + 1)}


def rows(paths):
    for p in paths:
        files = [p] if os.path.isfile(p) else sorted(glob.glob(os.path.join(p, "**", "*.jsonl"), recursive=True))
        for f in files:
            for i, line in enumerate(open(f, encoding="utf-8"), 1):
                if line.strip():
                    r = json.loads(line)
                    yield r.get("id") or f"{f}:{i}", r["text"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", default=["datasets"])
    ap.add_argument("--threshold", type=float, default=0.8)
    a = ap.parse_args()
    ids, sets = [], []
    for i, t in rows(a.paths):
        ids.append(i)
        sets.append(shingles(t))
    freq = Counter(s for st in sets for s in st)
    index = defaultdict(list)
    pairs = []
    for d, st in enumerate(sets):
        if not st:
            continue
        order = sorted(st, key=lambda s: (freq[s], s))
        prefix = len(order) - math.ceil(a.threshold * len(order)) + 1
        seen = set()
        for s in order[:prefix]:
            for o in index[s]:
                if o in seen:
                    continue
                seen.add(o)
                other = sets[o]
                j = len(st & other) / len(st | other)
                if j >= a.threshold:
                    pairs.append((j, ids[o], ids[d]))
            index[s].append(d)
    for j, x, y in sorted(pairs, reverse=True):
        print(f"{j:.3f}\t{x}\t{y}")
    print(f"{len(ids)} rows, {len(pairs)} near-duplicate pair(s) at Jaccard >= {a.threshold}", file=sys.stderr)
    sys.exit(1 if pairs else 0)


if __name__ == "__main__":
    main()
