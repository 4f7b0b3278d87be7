#!/usr/bin/env python3
"""The scikit-learn anchor of the learning simulation (issue 20), and the
combined table.

`scamscan eval --leave-one-out source --learn 0,25,100,400 --retrain
--predictions P.jsonl` holds each source out in turn, trains without it,
learns K of its rows and measures on the rest. This script runs the anchor
on the same splits and the same drawn rows:

  sklearn   HashingVectorizer word 1-2-grams and char_wb 2-5-grams (2^20
            buckets each, alternate_sign=False), sublinear TF (1 + log tf),
            L2 per block, hstacked; SGDClassifier(loss="log_loss",
            alpha=1e-5, max_iter=30, tol=1e-4, random_state=SEED) fitted on
            the other groups' folds 2-9 minus fold 2 (calibration), then
            continued with `partial_fit` on the K drawn rows (--epochs
            passes, 5 by default: one pass over 25 rows barely moves it).
            Hashing, not a fitted TF-IDF vocabulary, so that n-grams first
            seen in the K rows get weights too, as they do in scamscan.
            Decision: flagged when 1 - p_ham reaches the threshold that
            flags at most 1% of the calibration fold's ham (at least 0.5),
            compare.py's rule, kept after partial_fit (scikit-learn has no
            re-check); then scam if p_scam > p_spam.

Splits (as src/eval/learning.rs): a group (a source, a language) with both
ham and unwanted rows is held out; the pool is the other groups' rows in
folds 2-9 (compare.py's fold rule); the group's rows are put in
scamscan::eval::draw_order (stratified by label, FNV-1a-64 of
"SEED:ID", nested); K applies when 2K <= the group's rows; the test rows are
those after the largest K that applies.

With --scamscan-predictions FILE (the --predictions file of the scamscan
run above) the report puts scamscan's learn and retrain columns beside the
anchor's, every figure computed here by the same code: per metric, a table
of groups by (system, K), then micro (pooled test rows) and macro (mean of
groups) over the groups where every K applies, and the share of the gap
between K = 0 and the retrain that each system closes on the macro means.

Outputs in --out (default <repo>/target/compare-learn): predictions.jsonl
(the anchor's per-row scores, in the scamscan file's format), report.md
(also on stdout), metrics.json. Corpus text is never written anywhere.

Usage: python3 scripts/compare_learn.py [--by source|lang] [--ks 0,25,100,400]
       [--seed 1] [--epochs 5] [--only A,B] [--scamscan-predictions FILE]
       [--reuse DIR] [--corpora DIR] [--datasets DIR] [--out DIR]
(or bash scripts/compare.sh --splits learn ..., which installs scikit-learn).
--reuse DIR takes the anchor's predictions from an earlier run instead of
fitting again.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import (  # noqa: E402  (the shared split rule, data and metric code)
    BASELINE_CAP,
    FLAG_LABELS,
    LABEL_INDEX,
    _auc,
    calibrate_threshold,
    decide,
    fnv1a64,
    fold_of,
    load_rows,
    log,
    threshold_at_fpr,
)

TEST_FOLDS = (0, 1)
CALIBRATION_FOLD = 2
METRICS = [
    ("auc", "ROC-AUC (spam and scam vs ham, on 1 − p(ham))", "{:.3f}"),
    ("recall_at_1fpr", "Recall at 1% FPR", "{:.3f}"),
    ("ham_flagged", "Legitimate messages flagged at the default decision", "{:.2%}"),
    ("recall", "Recall at the default decision", "{:.3f}"),
]


def group_of(row: dict, by: str) -> str:
    v = row.get(by)
    v = v.strip() if isinstance(v, str) else ""
    return v or "(none)"


def draw_order(group: list[dict], seed: int) -> list[int]:
    """scamscan::eval::draw_order, bit for bit."""
    keys = [fnv1a64(f"{seed}:{r.get('id') or ''}".encode("utf-8")) for r in group]

    def tie(i: int):
        return (keys[i], r_id(group[i]), group[i]["text"])

    by_label: dict[int, list[int]] = {}
    for i, r in enumerate(group):
        by_label.setdefault(LABEL_INDEX[r["label"]], []).append(i)
    placed = []
    for idx in by_label.values():
        idx.sort(key=tie)
        n = len(idx)
        placed += [((r + 0.5) / n, tie(i), i) for r, i in enumerate(idx)]
    placed.sort(key=lambda p: (p[0], p[1]))
    return [p[2] for p in placed]


def r_id(row: dict) -> str:
    return row.get("id") or ""


def k_applies(k: int, n: int) -> bool:
    return 2 * k <= n


# ---------------------------------------------------------------- the anchor

class Features:
    """Hashed word and character n-grams of every row, computed once."""

    def __init__(self, texts: list[str]):
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.preprocessing import normalize

        t0 = time.time()
        capped = [t[:BASELINE_CAP] for t in texts]
        blocks = []
        for analyzer, ngrams in (("word", (1, 2)), ("char_wb", (2, 5))):
            v = HashingVectorizer(analyzer=analyzer, ngram_range=ngrams, n_features=2**20,
                                  alternate_sign=False, norm=None)
            X = v.transform(capped).astype(np.float64)
            X.data = 1.0 + np.log(X.data)
            blocks.append(normalize(X))
        self.X = hstack(blocks).tocsr()
        log(f"hashed {len(texts)} rows into {self.X.shape[1]} features in {time.time() - t0:.0f}s")


def fit_anchor(X, y, seed: int):
    from sklearn.linear_model import SGDClassifier

    clf = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=30, tol=1e-4, random_state=seed)
    clf.fit(X, y)
    return clf


def probs_of(clf, X) -> np.ndarray:
    p = clf.predict_proba(X)
    out = np.zeros((X.shape[0], 3))
    for j, c in enumerate(clf.classes_):
        out[:, c] = p[:, j]
    return out


def run_anchor(rows, feats: Features, by: str, ks: list[int], seed: int, epochs: int,
               only: list[str]) -> list[dict]:
    """The anchor's per-row predictions on every group's test rows."""
    folds = np.array([fold_of(r["text"]) for r in rows])
    groups = np.array([group_of(r, by) for r in rows])
    y_all = np.array([LABEL_INDEX[r["label"]] for r in rows])
    preds: list[dict] = []
    names = sorted(set(groups.tolist()))
    for g, name in enumerate(names):
        if only and name not in only:
            continue
        member = np.flatnonzero(groups == name)
        labels = y_all[member]
        if not ((labels == 0).any() and (labels != 0).any()):
            log(f"[{g + 1}/{len(names)}] {name}: not both legitimate and unwanted rows: skipped")
            continue
        other = groups != name
        fit_mask = other & ~np.isin(folds, TEST_FOLDS) & (folds != CALIBRATION_FOLD)
        calib_mask = other & (folds == CALIBRATION_FOLD)
        group = [rows[i] for i in member]
        order = draw_order(group, seed)
        applies = [k for k in ks if k_applies(k, len(group))]
        k_max = max(applies)
        test = member[[order[j] for j in range(k_max, len(order))]]
        t0 = time.time()
        base = fit_anchor(feats.X[fit_mask], y_all[fit_mask], seed)
        threshold = calibrate_threshold(1.0 - probs_of(base, feats.X[calib_mask & (y_all == 0)])[:, 0])
        log(f"[{g + 1}/{len(names)}] {name}: {len(group)} rows, fitted on {fit_mask.sum()} in "
            f"{time.time() - t0:.0f}s (threshold {threshold:.4f}), K = {applies}, testing on {len(test)}")
        for k in applies:
            clf = copy.deepcopy(base)
            if k > 0:
                learn = member[order[:k]]
                for _ in range(epochs):
                    clf.partial_fit(feats.X[learn], y_all[learn])
            p = probs_of(clf, feats.X[test])
            pred = decide(p, threshold)
            for i, pi, d in zip(test, p, pred):
                preds.append({"group": name, "system": "sklearn", "k": k, "id": r_id(rows[i]),
                              "label": rows[i]["label"], "p_ham": float(pi[0]), "p_spam": float(pi[1]),
                              "p_scam": float(pi[2]), "predicted": str(d)})
    return preds


# ---------------------------------------------------------------- the table

def cell_metrics(labels: np.ndarray, f: np.ndarray, flagged: np.ndarray) -> dict:
    pos = labels != "ham"
    ham = ~pos
    m = {"auc": _auc(pos, f), "recall_at_1fpr": None, "ham_flagged": None, "recall": None}
    if ham.any() and pos.any():
        t = threshold_at_fpr(f[ham], 0.01)
        m["recall_at_1fpr"] = float((f[pos].astype(np.float32) >= np.float32(t)).mean())
    if ham.any():
        m["ham_flagged"] = float(flagged[ham].mean())
    if pos.any():
        m["recall"] = float(flagged[pos].mean())
    return m


def report(preds: list[dict], ks: list[int], by: str, seed: int, epochs: int) -> tuple[str, dict]:
    cells: dict[tuple[str, str, int], list[dict]] = {}
    for p in preds:
        cells.setdefault((p["group"], p["system"], p["k"]), []).append(p)
    systems = [s for s in ("learn", "retrain", "sklearn") if any(c[1] == s for c in cells)]
    cols = [(s, k) for s in systems for k in ks if not (s == "retrain" and k == 0)]
    groups = sorted({c[0] for c in cells})

    def arrays(ps):
        labels = np.array([p["label"] for p in ps])
        f = np.array([1.0 - p["p_ham"] for p in ps], dtype=np.float32)
        flagged = np.isin(np.array([p["predicted"] for p in ps]), FLAG_LABELS)
        return labels, f, flagged

    def of(group, system, k):
        # K = 0 of the retrain is the model without the group: learn's K = 0.
        key = (group, "learn" if system == "retrain" and k == 0 else system, k)
        return cells.get(key)

    per: dict[tuple[str, str, int], dict] = {}
    tests: dict[str, tuple[int, int]] = {}
    for g in groups:
        for s, k in cols + [("retrain", 0)]:
            ps = of(g, s, k)
            if ps:
                per[(g, s, k)] = cell_metrics(*arrays(ps))
                labels = arrays(ps)[0]
                tests[g] = (labels.size, int((labels == "ham").sum()))
    comparable = [g for g in groups if all(of(g, s, k) for s, k in cols)]
    micro = {}
    macro = {}
    for s, k in cols + [("retrain", 0)]:
        pooled = [p for g in comparable for p in (of(g, s, k) or [])]
        if pooled:
            micro[(s, k)] = cell_metrics(*arrays(pooled))
        macro[(s, k)] = {m: _mean([per.get((g, s, k), {}).get(m) for g in comparable]) for m, _, _ in METRICS}

    what = {"source": "source", "lang": "language", "channel": "channel"}.get(by, by)
    out = [f"Each {what} with both legitimate and unwanted rows held out in turn; a model trained on "
           f"folds 2–9 of every other {what} learns K of its rows (drawn stratified by label, seed {seed}, "
           f"`scamscan::eval::draw_order`) and is measured on the {what}'s rows outside the largest draw "
           f"(K applies when it is at most half the {what}'s rows). learn: `scamscan learn` "
           f"(MAP adaptation); retrain: scamscan trained from scratch on the same rows plus the K; "
           f"sklearn: SGDClassifier fitted on the other {what}s, continued with `partial_fit` on the K rows "
           f"({epochs} passes). Micro pools the test rows of the {len(comparable)} {what}s where every K "
           f"applies; macro is their mean.\n"]
    header = [what, "test", "ham"] + [f"{s} {k}" for s, k in cols]
    for m, title, spec in METRICS:
        out.append(f"### {title}\n")
        out.append("| " + " | ".join(header) + " |")
        out.append("|---|" + "---:|" * (len(header) - 1))
        fmt = lambda v: "—" if v is None else spec.format(v)
        for g in groups:
            n, h = tests.get(g, (0, 0))
            out.append("| " + " | ".join([g, str(n), str(h)] + [fmt(per.get((g, s, k), {}).get(m)) for s, k in cols]) + " |")
        n = sum(tests[g][0] for g in comparable)
        h = sum(tests[g][1] for g in comparable)
        out.append("| " + " | ".join([f"**micro ({len(comparable)})**", str(n), str(h)]
                                     + [fmt(micro.get(c, {}).get(m)) for c in cols]) + " |")
        out.append("| " + " | ".join([f"**macro ({len(comparable)})**", "", ""]
                                     + [fmt(macro[c][m]) for c in cols]) + " |")
        out.append("")
    gaps = {}
    if "retrain" in systems:
        out.append("### Share of the gap between K = 0 and the retrain closed (macro means)\n")
        # The gap is scamscan's (its K = 0 to its retrain): the anchor's
        # columns are there to read beside it, not a share of it.
        learners = [s for s in systems if s == "learn"]
        hdr = ["K"] + [f"{s}: {t}" for s in learners for t in ("ROC-AUC", "legitimate flagged", "recall at 1% FPR")]
        out.append("| " + " | ".join(hdr) + " |")
        out.append("|---:|" + "---:|" * (len(hdr) - 1))
        for k in [k for k in ks if k > 0]:
            row = [str(k)]
            for s in learners:
                for m in ("auc", "ham_flagged", "recall_at_1fpr"):
                    v = _gap(macro, s, k, m)
                    gaps[f"{s}:{k}:{m}"] = v
                    row.append("—" if v is None else f"{v:.0%}")
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    js = {"by": by, "ks": ks, "seed": seed, "epochs": epochs, "comparable": comparable,
          "per_group": {f"{g}|{s}|{k}": v for (g, s, k), v in per.items()},
          "micro": {f"{s}|{k}": v for (s, k), v in micro.items()},
          "macro": {f"{s}|{k}": v for (s, k), v in macro.items()}, "gap_closed": gaps}
    return "\n".join(out) + "\n", js


def _mean(vs):
    vs = [v for v in vs if v is not None]
    return sum(vs) / len(vs) if vs else None


def _gap(macro, system, k, m):
    base = macro.get(("learn", 0), {}).get(m)
    got = macro.get((system, k), {}).get(m)
    top = macro.get(("retrain", k), {}).get(m)
    if None in (base, got, top) or abs(top - base) < 1e-12:
        return None
    return (got - base) / (top - base)


def main() -> int:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=repo.parent / "shared" / "corpora")
    ap.add_argument("--datasets", type=Path, default=repo / "datasets")
    ap.add_argument("--out", type=Path, default=repo / "target" / "compare-learn")
    ap.add_argument("--by", choices=("source", "lang", "channel"), default="source")
    ap.add_argument("--ks", default="0,25,100,400")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated groups to hold out (default: all)")
    ap.add_argument("--scamscan-predictions", type=Path, default=None, metavar="FILE")
    ap.add_argument("--reuse", type=Path, default=None, metavar="DIR",
                    help="an earlier --out: take the anchor's predictions from it")
    args = ap.parse_args()
    ks = sorted({0} | {int(k) for k in args.ks.split(",") if k.strip()})
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    args.out.mkdir(parents=True, exist_ok=True)

    if args.reuse:
        with open(args.reuse / "predictions.jsonl", encoding="utf-8") as fh:
            preds = [json.loads(line) for line in fh if line.strip()]
        preds = [p for p in preds if not only or p["group"] in only]
    else:
        rows = load_rows(args.corpora, args.datasets)
        if not rows:
            log("no data")
            return 2
        feats = Features([r["text"] for r in rows])
        preds = run_anchor(rows, feats, args.by, ks, args.seed, args.epochs, only)
    with open(args.out / "predictions.jsonl", "w", encoding="utf-8") as fh:
        for p in preds:
            fh.write(json.dumps(p) + "\n")
    every = list(preds)
    if args.scamscan_predictions:
        with open(args.scamscan_predictions, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    p = json.loads(line)
                    if not only or p["group"] in only:
                        every.append(p)
    md, js = report(every, ks, args.by, args.seed, args.epochs)
    (args.out / "report.md").write_text(md, encoding="utf-8")
    (args.out / "metrics.json").write_text(json.dumps(js, indent=1), encoding="utf-8")
    sys.stdout.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
