#!/usr/bin/env python3
"""Side-by-side evaluation of scamscan against two standard baselines.

Systems (all trained and tested on identical splits):

  sklearn   TfidfVectorizer word 1-2-grams + TfidfVectorizer char_wb 2-5-grams
            (sublinear_tf=True, min_df=2, hstacked), LogisticRegression
            (multinomial over ham/spam/scam, lbfgs, default C, max_iter=2000;
            --sklearn-max-iter lowers the cap for runs that must fit in a time
            budget: the report's timing table says when a fit stopped at it).
  fasttext  The fastText CLI (Debian package `fasttext`):
            `fasttext supervised -input train.txt -output model -wordNgrams 2
            -thread T` (T = --fasttext-threads, default 2; all other flags
            default), scored with
            `fasttext predict-prob model.bin test.txt 3`.
  scamscan  Black box through its CLI:
            `SCAMSCAN train --data TRAIN.jsonl --out MODELDIR`, then
            `SCAMSCAN classify --model MODELDIR --input jsonl --output jsonl TEST.jsonl`
            (JSONL on stdout, one object per input line, in input order).

Data: <corpora>/*.jsonl (default <repo>/../shared/corpora) plus
<datasets>/**/*.jsonl (default <repo>/datasets). Corpus text is only ever
written to a temporary work directory (deleted at the end unless --keep-work),
never into tracked files.

Split kinds (--splits, comma-separated; default loso,insource): insource,
loso and obfuscation, as below.

Split rule (mirrors the Rust side bit for bit):
  key  = UTF-8 bytes of `text`; ASCII A-Z lowercased, every other ASCII byte
         that is not a-z dropped, non-ASCII bytes (>= 0x80) kept as they are.
  fold = FNV-1a-64(key) % 10.
  in-source: test = folds {0,1}; training pool = folds 2..9 (all sources).
  LOSO:      for each source S, test = rows of S; pool = every other source.
  obfuscation: the in-source models (trained once: when insource and
             obfuscation are both requested the same model per system scores
             both) score the spam+scam rows of the in-source test folds clean
             ("obfuscation:clean") and rewritten by
             `SCAMSCAN perturb --kind KIND --seed 1` for each KIND of homoglyph,
             zero_width, leetspeak, spaced_letters, defanged_urls, random_case,
             emoji_padding ("obfuscation:KIND"; the perturb output is matched
             back to the rows by id). The perturbations always come from the
             --scamscan binary, also when scamscan itself is not a system.
  Within a pool: calibration = fold 2, fit = the rest. The baselines fit on
  the fit rows; scamscan gets the WHOLE pool (it splits off fold 2 itself).

Baseline decision: on the calibration ham, t is the smallest threshold on
f = 1 - p_ham such that at most 1% of calibration ham has f >= t (i.e. with
k = floor(n_ham / 100) and the ham scores sorted descending s[0..], t is the
next float above s[k]); predicted = ham if f < t, else argmax(p_spam, p_scam).
(No calibration ham at all -> t = 0.5.) scamscan's decision is its own label,
one of ham, spam, scam or unsure; "unsure" (it abstains on text unlike its
training data) counts as NOT flagged everywhere (flagged = spam or scam).

Text cap: for the two BASELINES only, texts are cut to the first 5,000
characters (a few long e-mails / job posts; keeps char 2-5-grams tractable).
scamscan always receives the full texts. In the obfuscation split the cap
applies to the perturbed text (a few long e-mails lose their tail sooner,
e.g. under spaced_letters or zero_width, which lengthen the text).

fastText notes: newlines (\\n, \\r) in the text are replaced by spaces; fastText
trains with several threads and is therefore not bit-reproducible run to run.

Metrics (one shared implementation, per test set and system):
  n, positives (label scam or spam = "unwanted"), flag score f = 1 - p_ham;
  ROC-AUC unwanted-vs-ham on f; scam-vs-ham ROC-AUC on p_scam (spam rows
  excluded); recall at 1% FPR = share of positives with f >= the threshold
  at 1% FPR of the test set's ham (threshold_at_fpr: the rule of
  scamscan::metrics::threshold_at_fpr, which scamscan's own figures use);
  at the default decision (predicted != ham): recall, FPR on ham, precision, F1.
  "—" where undefined (a class missing, or nothing flagged for precision).
  The per-source tables get a "scamscan unsure" count column when scamscan
  runs (on the unwanted rows for recall, on the ham for FPR, else all rows).

Extra tables (report.md sections and metrics.json keys):
  obfuscation   per perturbation and system: recall at the default decision
                on all the spam+scam rows and the drop vs clean (clean minus
                perturbed; positive = the disguise works), the same on only
                the rows the perturbation changed, scamscan's unsure count;
                metrics.json adds recall per label and per source.
  scam_vs_spam  ROC-AUC scam vs marketing spam on the rows labeled scam or
                spam of the sources labeled with both (mendeley_smishing,
                indonesian_sms_spam and the datasets' source "scamscan"),
                score p_scam / (p_scam + p_spam); per source and pooled, for
                insource (one model), LOSO (each source by the model trained
                without it; pooled = micro) and each obfuscation perturbation
                (pooled).
  per_language  rows joined with the data by id for `lang`: ham FPR (share of
                ham flagged at the default decision) per language pooled over
                sources, then per (source, language) for the sources that are
                not English-only; for scamscan also the unsure share of the ham
                and of all rows; insource and LOSO. In LOSO the row
                indonesian_sms_spam/id is the unfamiliar-language case (only
                the datasets' few Indonesian rows are in training).
  These are computed from the per-row predictions, so they also come out of
  --reuse on an older run's predictions.jsonl.

Outputs in --out (default <repo>/target/compare): predictions.jsonl (every
per-row prediction: system, split, id, source, label, p_ham, p_spam, p_scam,
predicted), metrics.json, report.md (the Markdown tables, also on stdout).
Progress goes to stderr.

--only-sources S1,S2 (quick runs): LOSO holds out only those sources (each
model still trains on all other sources); the in-source and obfuscation splits
train on the usual pool of all sources but test/report only rows of those
sources.

--reuse DIR with --systems none trains nothing: every table is re-derived from
DIR's predictions.jsonl (--reuse is repeatable: runs of separate folds combine) (probabilities as stored there: runs before the
obfuscation split wrote 6 decimals, which ties some of fastText's tiny
probabilities, so its AUCs can differ from the original report in the 3rd-4th
decimal; predictions are now written with 7 significant digits).

Exit status is non-zero if any system failed or scamscan returned error lines
(error lines are counted, scored as a confident ham and marked "error": true in
predictions.jsonl). Relative paths given on the command line resolve against
the current directory; the defaults against the repo root.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LABELS = ("ham", "spam", "scam")
LABEL_INDEX = {l: i for i, l in enumerate(LABELS)}
BASELINE_CAP = 5000
ALL_SYSTEMS = ("sklearn", "fasttext", "scamscan")
# scamscan may abstain: "unsure" counts as not flagged everywhere.
SCAMSCAN_LABELS = LABELS + ("unsure",)
FLAG_LABELS = ("spam", "scam")
PERTURBATIONS = ("homoglyph", "zero_width", "leetspeak", "spaced_letters", "defanged_urls",
                 "random_case", "emoji_padding")
PERTURB_SEED = 1
# The sources whose unwanted rows are labeled both scam and marketing spam
# (the others have only one of the two), for the scam-vs-spam ROC-AUC.
SCAM_VS_SPAM_SOURCES = ("mendeley_smishing", "indonesian_sms_spam", "scamscan")
SPLIT_KINDS = ("loso", "insource", "obfuscation", "lolo")
# leave one language out: languages (the rows' `lang`) with at least this many rows
LOLO_MIN_ROWS = 30
DASH = "—"
# The scam taxonomy (scamscan::Category::ALL), for reading annotation files.
CATEGORIES = ("job", "bank", "investment", "delivery", "prize", "government", "romance", "loan",
              "tech_support", "extortion", "advance_fee", "other")
# Label synonyms as scamscan's Label::from_str accepts them.
LABEL_SYNONYMS = {"ham": "ham", "legit": "ham", "legitimate": "ham", "0": "ham",
                  "spam": "spam", "promo": "spam",
                  "scam": "scam", "fraud": "scam", "smishing": "scam", "phishing": "scam", "1": "scam"}

T0 = time.time()
# Run-wide settings from the command line (the baselines' resource caps), and
# what the sklearn fits did (their iteration counts, in fit order).
RUN = {"sklearn_max_iter": 2000, "fasttext_threads": 2, "sklearn_iters": []}


def log(msg: str) -> None:
    print(f"[{time.time() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- split rule

_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_LOWER = bytes(range(ord("a"), ord("z") + 1))
_KEY_TABLE = bytes.maketrans(_UPPER, _LOWER)
_KEY_DELETE = bytes(b for b in range(128) if not (65 <= b <= 90 or 97 <= b <= 122))
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = 0xFFFFFFFFFFFFFFFF


def group_key(text: str) -> bytes:
    # translate() maps before deleting, but A-Z are not in the delete set, so
    # the result is: A-Z -> a-z, other ASCII (incl. non-letters) dropped,
    # bytes >= 0x80 untouched.
    return text.encode("utf-8").translate(_KEY_TABLE, _KEY_DELETE)


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK64
    return h


def fold_of(text: str) -> int:
    return fnv1a64(group_key(text)) % 10


# ---------------------------------------------------------------- data

def load_rows(corpora: Path, datasets: Path) -> list[dict]:
    files: list[Path] = []
    if corpora.is_dir():
        files += sorted(corpora.glob("*.jsonl"))
    else:
        log(f"warning: corpora dir {corpora} not found")
    if datasets.is_dir():
        files += sorted(p for p in datasets.rglob("*.jsonl") if p.is_file())
    else:
        log(f"warning: datasets dir {datasets} not found")
    rows: list[dict] = []
    skipped = 0
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for ln, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError as e:
                    log(f"warning: {f}:{ln}: bad JSON ({e}); skipped")
                    skipped += 1
                    continue
                if (not isinstance(r, dict) or r.get("label") not in LABEL_INDEX
                        or not isinstance(r.get("text"), str) or not r["text"].strip()
                        or not isinstance(r.get("source"), str)):
                    log(f"warning: {f}:{ln}: missing/invalid label, source or text; skipped")
                    skipped += 1
                    continue
                rows.append(r)
    log(f"loaded {len(rows)} rows from {len(files)} files ({skipped} skipped)")
    return rows


class DataError(Exception):
    """A bad annotation or sources file: the message names the file and line."""


# An annotation that leaves the category as the corpus has it (None means
# "no category", from `not_scam`).
KEEP = object()


def _tsv(path: Path) -> list[tuple[int, list[str]]]:
    """(1-based line number, trimmed cells) of every non-blank line of a TSV file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: {e}") from None
    return [(n, [c.strip() for c in line.split("\t")])
            for n, line in enumerate(text.splitlines(), 1) if line.strip() or n == 1]


def parse_annotations(path: Path) -> dict[str, tuple[str | None, object]]:
    """id -> (label or None, category or None or KEEP), read as scamscan's
    `corpus::Annotations::parse` reads it: a header with `id` and a `label`
    (or `class`) and/or a `category` column; label scam|spam|ham (and their
    synonyms), `marketing` = spam, `unclear`/`-`/empty = unchanged; category
    from the taxonomy, `not_scam` = no category, `-`/empty = unchanged."""
    lines = _tsv(path)
    if not lines:
        raise DataError(f"{path}: empty annotation file")
    header = lines[0][1]
    col = lambda *names: next((i for i, h in enumerate(header) if h in names), None)
    id_col, label_col, cat_col = col("id"), col("label", "class"), col("category")
    if id_col is None:
        raise DataError(f"{path}:1: no `id` column in the header")
    if label_col is None and cat_col is None:
        raise DataError(f"{path}:1: no `label`, `class` or `category` column in the header")
    out: dict[str, tuple[str | None, object]] = {}
    for n, cells in lines[1:]:
        cell = lambda c: cells[c] if c is not None and c < len(cells) else ""
        rid = cell(id_col)
        if not rid:
            raise DataError(f"{path}:{n}: a row without an id")
        lab = cell(label_col)
        if lab in ("", "-", "unclear"):
            label = None
        elif lab == "marketing":
            label = "spam"
        elif lab.lower() in LABEL_SYNONYMS:
            label = LABEL_SYNONYMS[lab.lower()]
        else:
            raise DataError(f"{path}:{n}: unknown label {lab!r} (expected scam, spam or ham)")
        c = cell(cat_col)
        if c in ("", "-"):
            cat = KEEP
        elif c == "not_scam":
            cat = None
        elif c.lower() in CATEGORIES:
            cat = c.lower()
        else:
            raise DataError(f"{path}:{n}: unknown category {c.lower()!r}")
        if rid in out:
            raise DataError(f"{path}:{n}: id {rid!r} annotated twice")
        out[rid] = (label, cat)
    return out


def merge_annotations(paths: list[Path]) -> dict[str, tuple[str | None, object]]:
    """The annotations of every file; an id annotated in several keeps the
    fields the later file sets (scamscan's `Annotations::merge`)."""
    notes: dict[str, tuple[str | None, object]] = {}
    for p in paths:
        for rid, (label, cat) in parse_annotations(p).items():
            old_label, old_cat = notes.get(rid, (None, KEEP))
            notes[rid] = (label if label is not None else old_label, cat if cat is not KEEP else old_cat)
    return notes


def apply_annotations(rows: list[dict], notes: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """(labels, categories, reviewed, rows annotated, rows changed) of `rows`
    under `notes`, as scamscan's `Annotations::apply`: a label given marks
    the row reviewed; a row that is not scam afterwards has no category.
    The row dicts themselves are left as read (scamscan gets them so, with
    the annotation files)."""
    labels = np.array([r["label"] for r in rows], dtype=object)
    cats = np.array([r.get("category") if isinstance(r.get("category"), str) else None for r in rows],
                    dtype=object)
    reviewed = np.zeros(len(rows), bool)
    matched = changed = 0
    for i, r in enumerate(rows):
        note = notes.get(r.get("id"))
        if note is None:
            continue
        matched += 1
        before = (labels[i], cats[i])
        label, cat = note
        if label is not None:
            labels[i] = label
            reviewed[i] = True
        if cat is not KEEP:
            cats[i] = cat
        if labels[i] != "scam":
            cats[i] = None
        changed += (labels[i], cats[i]) != before
    return labels.astype(str), cats, reviewed, matched, changed


def read_sources(path: Path) -> tuple[list[str], list[str]]:
    """(unwanted, marketing) sources of a sources file (datasets/sources.tsv),
    read as scamscan's `corpus::unwanted_sources`: a header with `source` and
    `spam`; `spam` is `unwanted` (spam = marketing and fraud mixed) or
    `marketing` (the source labels its scams apart)."""
    lines = _tsv(path)
    if not lines:
        raise DataError(f"{path}: empty sources file")
    header = lines[0][1]
    if "source" not in header or "spam" not in header:
        raise DataError(f"{path}:1: the header needs a `source` and a `spam` column")
    si, pi = header.index("source"), header.index("spam")
    unwanted, marketing = [], []
    for n, cells in lines[1:]:
        s = cells[si] if si < len(cells) else ""
        kind = cells[pi] if pi < len(cells) else ""
        if not s or kind not in ("unwanted", "marketing"):
            raise DataError(f"{path}:{n}: each row needs a source and, as `spam`, `unwanted` or `marketing`")
        (unwanted if kind == "unwanted" else marketing).append(s)
    return unwanted, marketing


def unwanted_mask(labels: np.ndarray, reviewed: np.ndarray, src: np.ndarray, unwanted_sources) -> np.ndarray:
    """The rows whose truth is only "spam or scam": labelled spam, not
    reviewed, of a source whose spam mixes marketing and fraud."""
    return (labels == "spam") & ~reviewed & np.isin(src, list(unwanted_sources))


def lolo_languages(langs: np.ndarray, min_rows: int = LOLO_MIN_ROWS) -> list[str]:
    """The languages held out in turn by the lolo split: every `lang` with at
    least `min_rows` rows ("?" = no lang field, never)."""
    values, counts = np.unique(langs, return_counts=True)
    return [str(L) for L, c in zip(values, counts) if c >= min_rows and L != "?"]


# ---------------------------------------------------------------- thresholds / decisions

def threshold_at_fpr(neg: np.ndarray, target: float) -> float:
    """The smallest t with at most `target` of `neg` scoring >= t; ties stay together.

    The same rule as scamscan::metrics::threshold_at_fpr (src/metrics.rs):
    t is the next float32 above the highest score that may not be flagged,
    -inf when every score may be. Used for the baselines' calibrated
    decision (at least 0.5, as scamscan's) and for recall at 1% FPR.
    """
    s = np.sort(np.asarray(neg, dtype=np.float32))[::-1]
    if s.size == 0:
        return float("-inf")
    allowed = target * s.size * (1.0 + 1e-9)
    # Scores in descending groups of ties; the first group whose cumulative
    # count passes the allowance is the highest that may not be flagged.
    values, starts = np.unique(-s, return_index=True)
    ends = np.append(starts[1:], s.size)
    over = np.nonzero(ends > allowed)[0]
    if over.size == 0:
        return float("-inf")
    return float(np.nextafter(np.float32(-values[over[0]]), np.float32(np.inf)))


def calibrate_threshold(f_ham_calib: np.ndarray) -> float:
    return max(0.5, min(1.0, threshold_at_fpr(f_ham_calib, 0.01)))


def decide(probs: np.ndarray, t: float) -> np.ndarray:
    f = 1.0 - probs[:, 0]
    unwanted = np.where(probs[:, 2] > probs[:, 1], "scam", "spam")
    return np.where(f < t, "ham", unwanted)


# ---------------------------------------------------------------- systems

class SystemFailed(Exception):
    pass


def train_sklearn(fit_texts, fit_labels, workdir: Path):
    """Fits the sklearn baseline; returns predict(texts) -> (n, 3) probabilities."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    cap = lambda ts: [t[:BASELINE_CAP] for t in ts]
    t0 = time.time()
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    ft = cap(fit_texts)
    Xw = word.fit_transform(ft)
    Xc = char.fit_transform(ft)
    X = hstack([Xw, Xc]).tocsr()
    log(f"  sklearn: {X.shape[0]} fit rows x {X.shape[1]} features "
        f"(word {Xw.shape[1]}, char {Xc.shape[1]}), vectorised in {time.time() - t0:.0f}s")
    del Xw, Xc
    y = np.array([LABEL_INDEX[l] for l in fit_labels])
    clf = LogisticRegression(max_iter=RUN["sklearn_max_iter"])
    t1 = time.time()
    clf.fit(X, y)
    n_iter = int(clf.n_iter_.max())
    log(f"  sklearn: LogisticRegression fit in {time.time() - t1:.0f}s, {n_iter} iterations"
        + (" (stopped at max_iter: not converged)" if n_iter >= clf.max_iter else ""))
    RUN["sklearn_iters"].append(n_iter)

    def predict(texts):
        tt = cap(texts)
        Z = hstack([word.transform(tt), char.transform(tt)]).tocsr()
        p = clf.predict_proba(Z)
        out = np.zeros((len(texts), 3))
        for j, c in enumerate(clf.classes_):
            out[:, c] = p[:, j]
        return out

    return predict


def _ft_line(text: str) -> str:
    return text[:BASELINE_CAP].replace("\r", " ").replace("\n", " ")


def _ft_predict(model: Path, texts, path: Path) -> np.ndarray:
    with open(path, "w", encoding="utf-8") as fh:
        for t in texts:
            fh.write(_ft_line(t) + "\n")
    res = subprocess.run(["fasttext", "predict-prob", str(model), str(path), "3"],
                         capture_output=True)
    if res.returncode != 0:
        raise SystemFailed(f"fasttext predict-prob failed: {res.stderr.decode(errors='replace')[-2000:]}")
    lines = res.stdout.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != len(texts):
        raise SystemFailed(f"fasttext predict-prob: {len(lines)} output lines for {len(texts)} inputs")
    out = np.zeros((len(texts), 3))
    for i, line in enumerate(lines):
        toks = line.split()
        if not toks:  # no prediction at all: uniform
            out[i] = 1.0 / 3
            continue
        for j in range(0, len(toks) - 1, 2):
            lab = toks[j].removeprefix("__label__")
            if lab in LABEL_INDEX:
                out[i, LABEL_INDEX[lab]] = min(1.0, float(toks[j + 1]))
    return out


def train_fasttext(fit_texts, fit_labels, workdir: Path):
    """Trains the fastText baseline; returns predict(texts) -> (n, 3) probabilities."""
    if shutil.which("fasttext") is None:
        raise SystemFailed("`fasttext` not on PATH (apt-get install fasttext)")
    train = workdir / "ft_train.txt"
    with open(train, "w", encoding="utf-8") as fh:
        for t, l in zip(fit_texts, fit_labels):
            fh.write(f"__label__{l} {_ft_line(t)}\n")
    prefix = workdir / "ft_model"
    res = subprocess.run(["fasttext", "supervised", "-input", str(train), "-output", str(prefix),
                          "-wordNgrams", "2", "-thread", str(RUN["fasttext_threads"])], capture_output=True)
    if res.returncode != 0:
        raise SystemFailed(f"fasttext supervised failed: {res.stderr.decode(errors='replace')[-2000:]}")
    model = prefix.with_suffix(".bin")
    return lambda texts: _ft_predict(model, texts, workdir / "ft_predict.txt")


class Trained:
    """One trained system, reusable on several test sets (in-source test folds,
    then the same model on the clean and perturbed obfuscation sets).

    score(rows) -> (probs, predicted labels, error mask, predict seconds);
    rows are data dicts whose "text" may have been replaced (perturbed)."""

    def __init__(self, score, train_s: float, threshold: float | None, iters: int | None = None):
        self.score, self.train_s, self.threshold, self.iters = score, train_s, threshold, iters


def train_baseline(system, fit_texts, fit_labels, calib_texts, calib_labels, workdir: Path) -> Trained:
    t0 = time.time()
    trainer = train_sklearn if system == "sklearn" else train_fasttext
    predict = trainer(fit_texts, fit_labels, workdir)
    calib = predict(calib_texts)
    threshold = calibrate_threshold(1.0 - calib[np.asarray(calib_labels) == "ham", 0])
    train_s = time.time() - t0

    def score(test_rows):
        t1 = time.time()
        probs = predict([r["text"] for r in test_rows])
        return probs, decide(probs, threshold), np.zeros(len(test_rows), bool), time.time() - t1

    iters = RUN["sklearn_iters"][-1] if system == "sklearn" else None
    return Trained(score, train_s, threshold, iters)


def _check_binary(binary: str) -> None:
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)) and shutil.which(binary) is None:
        raise SystemFailed(f"scamscan binary {binary!r} not found (build it or pass --scamscan)")


def train_scamscan(binary: str, pool_rows, workdir: Path, extra_args: list[str]) -> Trained:
    """`scamscan train` on the pool rows as read (labels unannotated: the
    annotation files go in `extra_args`, so that scamscan applies them and
    knows which rows were reviewed)."""
    _check_binary(binary)
    train_path = workdir / "TRAIN.jsonl"
    model_dir = workdir / "scamscan_model"
    with open(train_path, "w", encoding="utf-8") as fh:
        for r in pool_rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    t0 = time.time()
    with open(workdir / "scamscan_train.log", "wb") as lf:
        res = subprocess.run([binary, "train", "--data", str(train_path), "--out", str(model_dir)] + extra_args,
                             stdout=lf, stderr=subprocess.STDOUT)
    train_s = time.time() - t0
    if res.returncode != 0:
        tail = (workdir / "scamscan_train.log").read_text(errors="replace")[-2000:]
        raise SystemFailed(f"scamscan train exited {res.returncode}:\n{tail}")
    return Trained(lambda test_rows: classify_scamscan(binary, model_dir, test_rows, workdir), train_s, None)


def classify_scamscan(binary: str, model_dir: Path, test_rows, workdir: Path):
    """Returns (probs, predicted labels, error mask, predict_s)."""
    test_path = workdir / "TEST.jsonl"
    with open(test_path, "w", encoding="utf-8") as fh:
        for r in test_rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    t1 = time.time()
    out_path = workdir / "scamscan_out.jsonl"
    with open(out_path, "wb") as of, open(workdir / "scamscan_classify.log", "wb") as ef:
        res = subprocess.run([binary, "classify", "--model", str(model_dir), "--input", "jsonl",
                              "--output", "jsonl", str(test_path)], stdout=of, stderr=ef)
    predict_s = time.time() - t1
    # Exit status as grep's: 0 nothing flagged, 1 something flagged, 2 an error.
    if res.returncode not in (0, 1):
        tail = (workdir / "scamscan_classify.log").read_text(errors="replace")[-2000:]
        raise SystemFailed(f"scamscan classify exited {res.returncode}:\n{tail}")
    lines = [l for l in out_path.read_text(encoding="utf-8").split("\n") if l.strip()]
    if len(lines) != len(test_rows):
        raise SystemFailed(f"scamscan classify: {len(lines)} output lines for {len(test_rows)} inputs")
    probs = np.zeros((len(test_rows), 3))
    pred = []
    errors = np.zeros(len(test_rows), bool)
    for i, (line, r) in enumerate(zip(lines, test_rows)):
        o = json.loads(line)
        if o.get("id") != r.get("id"):
            raise SystemFailed(f"scamscan classify: line {i + 1} has id {o.get('id')!r}, expected {r.get('id')!r}")
        if "error" in o or o.get("label") not in SCAMSCAN_LABELS:
            errors[i] = True
            if errors.sum() <= 5:
                log(f"  scamscan error on {r.get('id')}: {o.get('error', o)}")
            # counted and reported; scored as a confident ham (worst case for recall)
            probs[i] = (1.0, 0.0, 0.0)
            pred.append("ham")
            continue
        p = o.get("probabilities") or {}
        probs[i] = [float(p.get(l, 0.0)) for l in LABELS]
        pred.append(o["label"])
    return probs, np.array(pred), errors, predict_s


def perturb_rows(binary: str, test_rows, kind: str, seed: int, workdir: Path) -> list[str]:
    """The texts of `test_rows` rewritten by `scamscan perturb --kind KIND`, in
    row order (its output is matched back by id; it may reorder keys)."""
    _check_binary(binary)
    path = workdir / "PERTURB_IN.jsonl"
    if not path.exists():
        with open(path, "w", encoding="utf-8") as fh:
            for r in test_rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    res = subprocess.run([binary, "perturb", "--kind", kind, "--seed", str(seed), str(path)],
                         capture_output=True)
    if res.returncode != 0:
        raise SystemFailed(f"scamscan perturb --kind {kind} exited {res.returncode}: "
                           f"{res.stderr.decode(errors='replace')[-2000:]}")
    by_id = {}
    for line in res.stdout.decode("utf-8").split("\n"):
        if line.strip():
            o = json.loads(line)
            by_id[o.get("id")] = o.get("text")
    out = []
    for r in test_rows:
        t = by_id.get(r.get("id"))
        if not isinstance(t, str):
            raise SystemFailed(f"scamscan perturb --kind {kind}: no text for id {r.get('id')!r}")
        out.append(t)
    return out


# ---------------------------------------------------------------- metrics

def _auc(y: np.ndarray, s: np.ndarray):
    from sklearn.metrics import roc_auc_score
    if y.size == 0 or y.all() or not y.any():
        return None
    return float(roc_auc_score(y, s))


def _prf(tp: int, fp: int, fn: int) -> tuple:
    """(precision, recall, F1); None where undefined (nothing predicted /
    no positives), F1 0 when both are 0."""
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    if p is None or r is None:
        return p, r, None
    return p, r, (2 * p * r / (p + r) if p + r > 0 else 0.0)


def compute_metrics(labels: np.ndarray, probs: np.ndarray, pred: np.ndarray,
                    unwanted: np.ndarray | None = None) -> dict:
    """Every metric of one group of rows.

    `unwanted` marks the rows whose truth is only "spam or scam" (spam rows,
    not reviewed, of a source whose spam mixes marketing and fraud): they are
    positives in every flagged-vs-ham measure and left out of every
    scam-against-spam one (as scamscan's eval::group_metrics)."""
    pos = labels != "ham"
    ham = ~pos
    scam = labels == "scam"
    unwanted = np.zeros(labels.size, bool) if unwanted is None else np.asarray(unwanted, bool)
    known = ~unwanted  # rows whose scam-or-not truth is known
    f = 1.0 - probs[:, 0]
    m: dict = {"n": int(labels.size), "pos": int(pos.sum()), "ham": int(ham.sum()),
               "scam": int(scam.sum()), "unwanted": int(unwanted.sum()),
               "hard_spam": int(((labels == "spam") & known).sum())}
    m["auc"] = _auc(pos, f)
    sure = pred != "unsure"
    m["auc_sure"] = _auc(pos[sure], f[sure])  # scamscan: on the rows it did not abstain on
    nospam = labels != "spam"
    m["scam_auc"] = _auc(labels[nospam] == "scam", probs[nospam, 2])
    if ham.any() and pos.any():
        thr = threshold_at_fpr(f[ham], 0.01)
        m["recall_at_1fpr"] = float((f[pos].astype(np.float32) >= np.float32(thr)).mean())
    else:
        m["recall_at_1fpr"] = None
    flagged = np.isin(pred, FLAG_LABELS)
    unsure = pred == "unsure"
    m["unsure"], m["unsure_ham"], m["unsure_pos"] = (int(unsure.sum()), int((unsure & ham).sum()),
                                                    int((unsure & pos).sum()))
    m["unsure_ham_share"] = m["unsure_ham"] / int(ham.sum()) if ham.any() else None
    tp = int((flagged & pos).sum())
    fp = int((flagged & ham).sum())
    fn = int((~flagged & pos).sum())
    m["tp"], m["fp"], m["fn"] = tp, fp, fn
    m["recall"] = tp / (tp + fn) if pos.any() else None
    m["fpr"] = fp / int(ham.sum()) if ham.any() else None
    m["precision"] = tp / (tp + fp) if (tp + fp) else None
    if m["precision"] is not None and m["recall"] is not None and (m["precision"] + m["recall"]) > 0:
        m["f1"] = 2 * m["precision"] * m["recall"] / (m["precision"] + m["recall"])
    elif m["precision"] is not None and m["recall"] is not None:
        m["f1"] = 0.0
    else:
        m["f1"] = None

    # Where the true scams go: labelled scam, spam, or missed (ham or unsure).
    n_scam = int(scam.sum())
    share = lambda k: (int(k) / n_scam) if n_scam else None
    m["scam_as_scam"] = share((scam & (pred == "scam")).sum())
    m["scam_as_spam"] = share((scam & (pred == "spam")).sum())
    m["scam_missed"] = share((scam & ~flagged).sum())
    m["scam_flagged"] = share((scam & flagged).sum())  # scam recall counting "spam" as caught
    m["scam_unsure"] = int((scam & unsure).sum())
    # p(scam) ranking scam against everything else whose truth is known.
    m["scam_rest_auc"] = _auc(scam[known], probs[known, 2])
    # Scam against marketing spam: rows truly scam or (hard) spam.
    m["svm_auc"] = scam_vs_spam(labels, probs, unwanted)["auc"]
    # The decision "scam": every row of known truth (ham and hard spam are
    # the negatives); scam_precision_vs_ham leaves hard spam out as well, as
    # scamscan's eval `scam_decision` does.
    said_scam = pred == "scam"
    stp = int((said_scam & scam).sum())
    sfp = int((said_scam & known & ~scam).sum())
    sfn = int((~said_scam & scam).sum())
    m["scam_tp"], m["scam_fp"], m["scam_fn"] = stp, sfp, sfn
    m["scam_precision"], m["scam_recall"], m["scam_f1"] = _prf(stp, sfp, sfn)
    m["scam_precision_vs_ham"] = _prf(stp, int((said_scam & ham).sum()), sfn)[0]
    return m


def scam_vs_spam(labels: np.ndarray, probs: np.ndarray, unwanted: np.ndarray | None = None) -> dict:
    """ROC-AUC scam vs marketing spam on the rows labeled either (and not
    only "unwanted"), ranked by p_scam / (p_scam + p_spam) (0.5 when both are 0)."""
    sel = np.isin(labels, FLAG_LABELS)
    if unwanted is not None:
        sel &= ~np.asarray(unwanted, bool)
    ps, pm = probs[sel, 2], probs[sel, 1]
    den = ps + pm
    score = np.divide(ps, den, out=np.full(ps.shape, 0.5), where=den > 0)
    y = labels[sel] == "scam"
    return {"scam": int(y.sum()), "spam": int((~y).sum()), "auc": _auc(y, score)}


METRIC_COLS = [
    ("auc", "ROC-AUC", "{:.4f}"),
    ("scam_auc", "scam-AUC", "{:.4f}"),
    ("recall_at_1fpr", "R@1%FPR", "{:.3f}"),
    ("recall", "recall", "{:.3f}"),
    ("fpr", "FPR", "{:.2%}"),
    ("precision", "precision", "{:.3f}"),
    ("f1", "F1", "{:.3f}"),
]
# The columns of the "scams labelled scam" tables: (key, format) and titles.
SAS_COLS = [("scam_as_scam", "labelled scam", "{:.3f}"), ("scam_as_spam", "labelled spam", "{:.3f}"),
            ("scam_missed", "missed", "{:.3f}"), ("scam_precision", "scam precision", "{:.3f}"),
            ("scam_f1", "scam F1", "{:.3f}"), ("scam_rest_auc", "p(scam) AUC", "{:.4f}"),
            ("svm_auc", "scam/mkt AUC", "{:.4f}"), ("fpr", "legit flagged", "{:.2%}")]
# Metrics averaged for the macro means of LOSO and LOLO.
MEAN_KEYS = [k for k, _, _ in METRIC_COLS] + [
    "auc_sure", "unsure_ham_share", "scam_as_scam", "scam_as_spam", "scam_missed", "scam_flagged",
    "scam_rest_auc", "svm_auc", "scam_precision", "scam_recall", "scam_f1", "scam_precision_vs_ham"]
METRIC_TITLES = {
    "auc": "ROC-AUC, unwanted (scam+spam) vs ham, score 1 - p_ham",
    "scam_auc": "ROC-AUC, scam vs ham (spam rows excluded), score p_scam",
    "recall_at_1fpr": "Recall on unwanted at 1% FPR (threshold = 99th pct of the test set's ham scores)",
    "recall": "Recall on unwanted at the default decision",
    "fpr": "Legitimate-message FPR (ham flagged) at the default decision",
    "precision": "Precision at the default decision",
    "f1": "F1 at the default decision",
}


def sig(x) -> float:
    # significant digits, not decimals: fastText's tiny probabilities (~1e-5)
    # would otherwise round into ties and shift AUCs recomputed with --reuse
    return float(f"{float(x):.7g}")


def fmt(v, spec="{:.4f}") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return DASH
    return spec.format(v)


def md_table(header: list[str], rows: list[list[str]], right_from: int = 1) -> str:
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i < right_from else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------- main

def reuse_predictions(prevs: list[Path], systems: list[str], split_defs, rows, results, out: Path) -> list[str]:
    """Adds the systems of previous runs that are not being run now.

    Splits are deterministic, so a previous run's per-row predictions on the
    same split are exactly what retraining that system would score (fastText
    aside, which is not bit-reproducible). Several runs can be combined (e.g.
    folds run one at a time with --only-sources / --only-langs): for each
    split and system the first of `prevs` whose predictions cover every test
    row is used. Appends them to this run's predictions.jsonl and returns the
    system list for the report."""
    # (split, system) -> [(dir, {id: record})] in the order of prevs
    recs: dict[tuple[str, str], list[tuple[Path, dict]]] = {}
    timing: dict[Path, dict] = {}
    for prev in prevs:
        timing_path = prev / "metrics.json"
        timing[prev] = (json.loads(timing_path.read_text(encoding="utf-8")).get("timing", {})
                        if timing_path.exists() else {})
        here: dict[tuple[str, str], dict] = {}
        with open(prev / "predictions.jsonl", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec["system"] not in systems:
                    here.setdefault((rec["split"], rec["system"]), {})[rec["id"]] = rec
        for key, got in here.items():
            recs.setdefault(key, []).append((prev, got))
    reused = [sy for sy in ALL_SYSTEMS if sy not in systems and any(k[1] == sy for k in recs)]
    with open(out / "predictions.jsonl", "a", encoding="utf-8") as pred_fh:
        for name, _kind, _held, _pool, test_mask in split_defs:
            test_idx = np.flatnonzero(test_mask)
            ids = [rows[i].get("id") for i in test_idx]
            for sy in reused:
                cands = recs.get((name, sy))
                if not cands:
                    log(f"  --reuse: no {sy} predictions for {name}; left out")
                    continue
                full = [(d, got) for d, got in cands if all(i in got for i in ids)]
                if not full:
                    d, got = cands[0]
                    missing = [i for i in ids if i not in got]
                    raise SystemExit(f"--reuse: {sy} on {name} lacks {len(missing)} test rows in {d} "
                                     f"(e.g. {missing[0]}): the data changed since that run")
                prev, got = full[0]
                ordered = [got[i] for i in ids]
                probs = np.array([[r["p_ham"], r["p_spam"], r["p_scam"]] for r in ordered])
                pred = np.array([r["predicted"] for r in ordered])
                t = timing[prev].get(name, {}).get(sy, {})
                results.setdefault(name, {})[sy] = dict(
                    probs=probs, pred=pred, train_s=t.get("train_s", float("nan")),
                    predict_s=t.get("predict_s", float("nan")), threshold=t.get("threshold"),
                    errors=0, test_idx=test_idx, iters=t.get("iters"))
                for r in ordered:
                    pred_fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    log(f"reused {', '.join(reused) or 'nothing'} from {', '.join(str(p) for p in prevs)}")
    return [sy for sy in ALL_SYSTEMS if sy in systems or sy in reused]


def selftest() -> int:
    """Hand-made cases for the metrics, the annotation and sources readers
    and the lolo languages; every expected figure worked out by hand."""
    failures = []

    def check(what, got, want):
        ok = (got is None and want is None) or (
            got is not None and want is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)) \
            if isinstance(want, (int, float)) or want is None else got == want
        if not ok:
            failures.append(f"{what}: got {got!r}, want {want!r}")

    # rows: truth, decision, (p_ham, p_spam, p_scam), unwanted
    case = [("ham", "ham", (0.9, 0.05, 0.05), False), ("ham", "scam", (0.3, 0.1, 0.6), False),
            ("spam", "scam", (0.2, 0.3, 0.5), False), ("spam", "spam", (0.2, 0.6, 0.2), False),
            ("scam", "scam", (0.1, 0.2, 0.7), False), ("scam", "spam", (0.2, 0.5, 0.3), False),
            ("scam", "unsure", (0.6, 0.2, 0.2), False), ("scam", "ham", (0.8, 0.1, 0.1), False),
            ("spam", "scam", (0.1, 0.1, 0.8), True), ("spam", "ham", (0.9, 0.05, 0.05), True)]
    labels = np.array([c[0] for c in case])
    pred = np.array([c[1] for c in case])
    probs = np.array([c[2] for c in case])
    unw = np.array([c[3] for c in case])
    m = compute_metrics(labels, probs, pred, unw)
    for key, want in [("scam", 4), ("hard_spam", 2), ("unwanted", 2), ("scam_unsure", 1),
                      ("scam_as_scam", 0.25), ("scam_as_spam", 0.25), ("scam_missed", 0.5), ("scam_flagged", 0.5),
                      # the decision "scam" on rows 0-7: said scam 1, 2, 4; true scam 4-7
                      ("scam_precision", 1 / 3), ("scam_recall", 0.25), ("scam_f1", 2 / 7),
                      ("scam_precision_vs_ham", 0.5),
                      # p_scam, scams 4-7 against rows 0-3: 8.5 of 16 pairs
                      ("scam_rest_auc", 8.5 / 16),
                      # p_scam/(p_scam+p_spam): scams .778 .375 .5 .5 against marketing .625 .25
                      ("svm_auc", 5 / 8),
                      # flagged vs ham: unwanted rows are positives; 12.5 of 16 pairs; 11.5 of 14 without row 6
                      ("pos", 8), ("recall", 5 / 8), ("fpr", 0.5), ("precision", 5 / 6),
                      ("auc", 12.5 / 16), ("auc_sure", 11.5 / 14), ("unsure_ham_share", 0.0)]:
        check(f"compute_metrics[{key}]", m[key], want)
    m0 = compute_metrics(labels, probs, pred)  # without partial labels rows 8-9 are marketing
    check("no unwanted: hard_spam", m0["hard_spam"], 4)
    check("no unwanted: scam_precision", m0["scam_precision"], 1 / 4)
    check("scam_vs_spam with unwanted", scam_vs_spam(labels, probs, unw)["spam"], 2)
    none = compute_metrics(np.array(["ham", "spam"]), np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]]),
                           np.array(["ham", "spam"]))
    check("no scams: scam_as_scam", none["scam_as_scam"], None)
    check("no scams: scam_precision", none["scam_precision"], None)
    check("no scams: scam_rest_auc", none["scam_rest_auc"], None)
    # threshold_at_fpr: 200 ham, at most 2 may score >= t; the third highest (0.7) is t's floor
    ham = np.array([0.9, 0.8, 0.7] + [0.1] * 197)
    check("threshold_at_fpr", threshold_at_fpr(ham, 0.01),
          float(np.nextafter(np.float32(0.7), np.float32(np.inf))))

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "a.tsv").write_text("id\tclass\tcategory\nx:1\tscam\tdelivery\nx:2\tmarketing\t-\n"
                                 "x:3\tunclear\t-\nx:4\tham\tnot_scam\n\n", encoding="utf-8")
        (d / "b.tsv").write_text("id\tcategory\nx:1\tbank\nx:5\tnot_scam\n", encoding="utf-8")
        notes = merge_annotations([d / "a.tsv", d / "b.tsv"])
        rows = [{"id": f"x:{i}", "label": lab, "category": cat} for i, (lab, cat) in
                enumerate([("spam", None), ("spam", None), ("spam", None), ("spam", None), ("scam", "prize"),
                           ("ham", None)], 1)]
        lab, cat, rev, matched, changed = apply_annotations(rows, notes)
        check("annotated labels", list(lab), ["scam", "spam", "spam", "ham", "scam", "ham"])
        check("annotated categories", list(cat), ["bank", None, None, None, None, None])
        check("reviewed", list(rev), [True, True, False, True, False, False])
        check("matched, changed", (matched, changed), (5, 3))
        check("rows untouched", rows[0]["label"], "spam")
        src = np.array(["u", "u", "u", "u", "u", "m"])
        check("unwanted rows", list(unwanted_mask(lab, rev, src, ["u"])), [False, False, True, False, False, False])
        for name, text, want in [("bad-label.tsv", "id\tclass\nx:1\tmaybe\n", "bad-label.tsv:2: unknown label"),
                                 ("twice.tsv", "id\tlabel\nx:1\tham\nx:1\tspam\n", "twice.tsv:3: id 'x:1'"),
                                 ("no-id.tsv", "row\tlabel\nx:1\tham\n", "no-id.tsv:1: no `id` column"),
                                 ("bad-cat.tsv", "id\tcategory\nx:1\tlottery\n", "bad-cat.tsv:2: unknown category"),
                                 ("empty.tsv", "", "empty.tsv: empty annotation file")]:
            (d / name).write_text(text, encoding="utf-8")
            try:
                parse_annotations(d / name)
                failures.append(f"{name}: no error")
            except DataError as e:
                if not str(e).startswith(str(d / want.split(":", 1)[0]) + ":" + want.split(":", 1)[1]):
                    failures.append(f"{name}: error {e}")
        (d / "s.tsv").write_text("source\tspam\tnote\nu\tunwanted\tmixed\nm\tmarketing\tapart\n", encoding="utf-8")
        check("sources", read_sources(d / "s.tsv"), (["u"], ["m"]))
        (d / "s2.tsv").write_text("source\tspam\nu\tmaybe\n", encoding="utf-8")
        try:
            read_sources(d / "s2.tsv")
            failures.append("s2.tsv: no error")
        except DataError as e:
            check("sources error", str(e).startswith(f"{d / 's2.tsv'}:2: "), True)
    check("lolo languages", lolo_languages(np.array(["vi"] * 30 + ["th"] * 29 + ["?"] * 40)), ["vi"])

    # --reuse over several runs: per split and system, the first dir covering every test row
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        rows = [{"id": f"r:{i}"} for i in range(3)]
        split_defs = [("loso:a", "loso", "a", None, np.array([True, True, False])),
                      ("loso:b", "loso", "b", None, np.array([False, False, True]))]

        def run_dir(name, recs):
            (d / name).mkdir()
            with open(d / name / "predictions.jsonl", "w", encoding="utf-8") as fh:
                for split, rid, p_scam in recs:
                    fh.write(json.dumps({"system": "fasttext", "split": split, "id": rid, "p_ham": 1 - p_scam,
                                         "p_spam": 0.0, "p_scam": p_scam, "predicted": "scam"}) + "\n")
            return d / name

        partial = run_dir("partial", [("loso:a", "r:0", 0.1)])
        full = run_dir("full", [("loso:a", "r:0", 0.2), ("loso:a", "r:1", 0.3), ("loso:b", "r:2", 0.4)])
        (d / "out").mkdir()
        results: dict = {}
        got = reuse_predictions([partial, full], [], split_defs, rows, results, d / "out")
        check("reuse systems", got, ["fasttext"])
        check("reuse picks the complete run", list(results["loso:a"]["fasttext"]["probs"][:, 2]), [0.2, 0.3])
        check("reuse second split", list(results["loso:b"]["fasttext"]["test_idx"]), [2])
        try:
            reuse_predictions([partial], [], split_defs[:1], rows, {}, d / "out")
            failures.append("reuse of a partial run: no error")
        except SystemExit as e:
            check("reuse partial error", "lacks 1 test rows" in str(e), True)

    for f in failures:
        print(f"selftest FAILED: {f}", file=sys.stderr)
    print(f"selftest: {'FAILED' if failures else 'ok'} ({len(failures)} failure(s))")
    return 1 if failures else 0


def main() -> int:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=repo.parent / "shared" / "corpora")
    ap.add_argument("--datasets", type=Path, default=repo / "datasets")
    ap.add_argument("--out", type=Path, default=repo / "target" / "compare")
    ap.add_argument("--systems", default=",".join(ALL_SYSTEMS),
                    help="comma-separated subset of sklearn,fasttext,scamscan, or none (with --reuse)")
    ap.add_argument("--splits", default="loso,insource", help="comma-separated subset of " + ",".join(SPLIT_KINDS))
    ap.add_argument("--only-sources", default="")
    ap.add_argument("--scamscan", default=str(repo / "target" / "release" / "scamscan"))
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where split files/models go (default: a fresh temp dir)")
    ap.add_argument("--keep-work", action="store_true", help="do not delete the work dir")
    ap.add_argument("--reuse", type=Path, action="append", default=[], metavar="DIR",
                    help="a previous --out dir: systems not in --systems are taken from its "
                         "predictions.jsonl (and timing from its metrics.json) instead of being retrained; "
                         "e.g. rerun only scamscan after a model change, on the identical splits. "
                         "Repeatable: per split and system the first DIR with every test row is used")
    ap.add_argument("--fold-of", action="append", default=[], metavar="TEXT",
                    help="print key bytes, FNV-1a-64 hash and fold of TEXT and exit (cross-check with Rust)")
    ap.add_argument("--annotations", type=Path, action="append", default=[], metavar="FILE",
                    help="labels read by people, by id (TSV: id and class/label and/or category), applied "
                         "to every row read, training and test, as scamscan's --annotations; repeatable")
    ap.add_argument("--sources", type=Path, default=None, metavar="FILE",
                    help="the sources file (datasets/sources.tsv): spam rows, not reviewed, of a source "
                         "whose spam is `unwanted` count as flagged-positives and are left out of every "
                         "scam-against-spam measure (the baselines still train on them as spam)")
    ap.add_argument("--scamscan-train-args", default="", metavar="ARGS",
                    help="extra flags for `scamscan train` (shell words), e.g. \"--no-partial-labels\"; "
                         "--annotations and --sources given to this script are passed on unless ARGS "
                         "has its own")
    ap.add_argument("--sklearn-max-iter", type=int, default=RUN["sklearn_max_iter"], metavar="N",
                    help="cap on LogisticRegression's lbfgs iterations (a time budget, not a tuning knob)")
    ap.add_argument("--fasttext-threads", type=int, default=RUN["fasttext_threads"], metavar="T",
                    help="fastText's -thread")
    ap.add_argument("--only-langs", default="",
                    help="comma-separated: the lolo split holds out only these languages, in this order")
    ap.add_argument("--selftest", action="store_true",
                    help="check the metrics, annotation and split code on hand-made cases and exit")
    args = ap.parse_args()

    if args.selftest:
        return selftest()
    if args.sklearn_max_iter < 1 or args.fasttext_threads < 1:
        ap.error("--sklearn-max-iter and --fasttext-threads must be at least 1")
    RUN["sklearn_max_iter"], RUN["fasttext_threads"] = args.sklearn_max_iter, args.fasttext_threads

    if args.fold_of:
        for t in args.fold_of:
            k = group_key(t)
            h = fnv1a64(k)
            print(json.dumps({"text": t, "key_hex": k.hex(), "fnv1a64": f"{h:#018x}", "fold": h % 10},
                             ensure_ascii=False))
        return 0

    # "none": train nothing, only re-derive the tables from --reuse predictions
    systems = [s.strip() for s in args.systems.split(",") if s.strip() and s.strip() != "none"]
    for s in systems:
        if s not in ALL_SYSTEMS:
            ap.error(f"unknown system {s!r} (choose from {', '.join(ALL_SYSTEMS)})")
    if any(p.resolve() == args.out.resolve() for p in args.reuse):
        ap.error("--reuse DIR must differ from --out (the run rewrites its predictions.jsonl)")
    splits = [s.strip() for s in args.splits.split(",") if s.strip()]
    for s in splits:
        if s not in SPLIT_KINDS:
            ap.error(f"unknown split kind {s!r} ({', '.join(SPLIT_KINDS)})")
    only = [s.strip() for s in args.only_sources.split(",") if s.strip()]
    scamscan_bin = args.scamscan
    if ("scamscan" in systems or "obfuscation" in splits) and not os.path.isabs(scamscan_bin) \
            and os.sep in scamscan_bin:
        scamscan_bin = str((Path.cwd() / scamscan_bin).resolve())

    try:
        train_extra = shlex.split(args.scamscan_train_args)
    except ValueError as e:
        ap.error(f"--scamscan-train-args: {e}")
    try:
        notes = merge_annotations(args.annotations)
        unwanted_sources, marketing_sources = read_sources(args.sources) if args.sources else ([], [])
    except DataError as e:
        log(f"error: {e}")
        return 2
    # scamscan gets the same annotations and sources file, unless its own train args name theirs
    if "--annotations" not in train_extra:
        for a in args.annotations:
            train_extra += ["--annotations", str(a.resolve())]
    if args.sources is not None and "--sources" not in train_extra:
        train_extra += ["--sources", str(args.sources.resolve())]

    rows = load_rows(args.corpora, args.datasets)
    if not rows:
        log("no data")
        return 2
    log("computing folds")
    folds = np.array([fold_of(r["text"]) for r in rows])
    src = np.array([r["source"] for r in rows])
    labels, cats, reviewed, matched, changed = apply_annotations(rows, notes)
    if args.annotations:
        log(f"annotations: {len(notes)} ids in {len(args.annotations)} file(s); {matched} rows matched, "
            f"{changed} changed, {int(reviewed.sum())} reviewed (label set)"
            + (f"; {len(notes) - matched} ids not in the data" if len(notes) > matched else ""))
    unwanted = unwanted_mask(labels, reviewed, src, unwanted_sources)
    if args.sources is not None:
        missing = [s for s in unwanted_sources + marketing_sources if s not in set(src)]
        log(f"sources: {int(unwanted.sum())} unwanted rows (spam, not reviewed) from "
            f"{', '.join(unwanted_sources) or 'no source'}"
            + (f"; not in the data: {', '.join(missing)}" if missing else ""))
    langs = np.array([r.get("lang") if isinstance(r.get("lang"), str) and r.get("lang") else "?" for r in rows])
    texts = [r["text"] for r in rows]
    sources = list(dict.fromkeys(r["source"] for r in rows))  # file order; datasets' "scamscan" last
    for s in only:
        if s not in sources:
            ap.error(f"--only-sources: unknown source {s!r} (have: {', '.join(sources)})")
    for s in sources:
        sel = src == s
        log(f"  {s:36s} n={sel.sum():6d} ham={(sel & (labels == 'ham')).sum():6d} "
            f"spam={(sel & (labels == 'spam')).sum():6d} scam={(sel & (labels == 'scam')).sum():6d} "
            f"unwanted={(sel & unwanted).sum():6d} test-folds={(sel & (folds <= 1)).sum():6d}")
    lang_counts = {L: int((langs == L).sum()) for L in sorted(set(langs))}
    lolo_langs = lolo_languages(langs)
    only_langs = [L.strip() for L in args.only_langs.split(",") if L.strip()]
    for L in only_langs:
        if L not in lolo_langs:
            ap.error(f"--only-langs: {L!r} is not a language with at least {LOLO_MIN_ROWS} rows "
                     f"(have: {', '.join(lolo_langs)})")
    if only_langs:
        # in the order given: a run cut short has done the languages named first
        lolo_langs = list(dict.fromkeys(only_langs))

    # Split definitions: (name, kind, held_out_source, pool_mask, test_mask).
    # Training groups: one model per system and group, scored on every test set
    # of the group: (group name, pool_mask, [(split name, perturbation or None)]).
    split_defs = []
    groups = []
    insource_test = folds <= 1
    if only:
        insource_test = insource_test & np.isin(src, only)
    obf_test = insource_test & np.isin(labels, FLAG_LABELS)
    if "insource" in splits or "obfuscation" in splits:
        evals = []
        if "insource" in splits:
            split_defs.append(("insource", "insource", None, folds >= 2, insource_test))
            evals.append(("insource", None))
        if "obfuscation" in splits:
            for kind in ("clean",) + PERTURBATIONS:
                split_defs.append((f"obfuscation:{kind}", "obfuscation", None, folds >= 2, obf_test))
                evals.append((f"obfuscation:{kind}", None if kind == "clean" else kind))
        groups.append(("insource", folds >= 2, evals))
    if "loso" in splits:
        for s in sources:
            if only and s not in only:
                continue
            split_defs.append((f"loso:{s}", "loso", s, src != s, src == s))
            groups.append((f"loso:{s}", src != s, [(f"loso:{s}", None)]))
    if "lolo" in splits:
        log(f"lolo: holding out {', '.join(f'{L} ({lang_counts[L]})' for L in lolo_langs)}"
            + (f"; under {LOLO_MIN_ROWS} rows, not held out: "
               + ", ".join(f"{L} ({c})" for L, c in lang_counts.items() if c < LOLO_MIN_ROWS or L == "?")
               if any(c < LOLO_MIN_ROWS or L == "?" for L, c in lang_counts.items()) else ""))
        for L in lolo_langs:
            split_defs.append((f"lolo:{L}", "lolo", L, langs != L, langs == L))
            groups.append((f"lolo:{L}", langs != L, [(f"lolo:{L}", None)]))
    test_masks = {d[0]: d[4] for d in split_defs}

    args.out.mkdir(parents=True, exist_ok=True)
    workroot = args.workdir or Path(tempfile.mkdtemp(prefix="scamscan-compare-"))
    workroot.mkdir(parents=True, exist_ok=True)
    log(f"work dir {workroot}; output dir {args.out}")
    pred_path = args.out / "predictions.jsonl"
    pred_fh = open(pred_path, "w", encoding="utf-8")

    # results[split_name][system] = dict(probs, pred, train_s, predict_s, threshold, errors, test_idx)
    results: dict[str, dict[str, dict]] = {}
    failures: list[str] = []
    total_errors = 0
    # perturbed[kind] = texts of the obfuscation test rows (np.flatnonzero(obf_test) order)
    perturbed: dict[str, list[str]] = {}
    try:
        if "obfuscation" in splits:
            obf_idx = np.flatnonzero(obf_test)
            pwd = workroot / "perturb"
            pwd.mkdir(parents=True, exist_ok=True)
            log(f"obfuscation: perturbing {len(obf_idx)} unwanted in-source test rows "
                f"({', '.join(PERTURBATIONS)}; seed {PERTURB_SEED})")
            try:
                for kind in PERTURBATIONS:
                    perturbed[kind] = perturb_rows(scamscan_bin, [rows[i] for i in obf_idx], kind,
                                                   PERTURB_SEED, pwd)
                    changed = sum(a != texts[i] for a, i in zip(perturbed[kind], obf_idx))
                    log(f"  {kind}: {changed} of {len(obf_idx)} texts changed")
            except SystemFailed as e:
                log(f"obfuscation split FAILED: {e}")
                failures.append(f"obfuscation perturbations: {str(e).splitlines()[0]}")
                perturbed.clear()
            finally:
                if not args.keep_work:
                    shutil.rmtree(pwd, ignore_errors=True)

        for gname, pool_mask, evals in groups:
            pool_idx = np.flatnonzero(pool_mask)
            fit_idx = pool_idx[folds[pool_idx] != 2]
            cal_idx = pool_idx[folds[pool_idx] == 2]
            evals = [(n, k) for n, k in evals if k is None or k in perturbed]
            for n, _ in evals:
                if not test_masks[n].any():
                    log(f"split {n}: empty test set; skipped")
            evals = [(n, k) for n, k in evals if test_masks[n].any()]
            if not evals or not systems:
                continue
            log(f"training group {gname}: pool {len(pool_idx)} (fit {len(fit_idx)}, calib {len(cal_idx)}); "
                f"test sets: {', '.join(f'{n} ({int(test_masks[n].sum())})' for n, _ in evals)}")
            for name, _ in evals:
                results.setdefault(name, {})
            for system in systems:
                wd = workroot / gname.replace(":", "_") / system
                wd.mkdir(parents=True, exist_ok=True)
                log(f"  {system}: training on {len(pool_idx) if system == 'scamscan' else len(fit_idx)} rows")
                try:
                    if system == "scamscan":
                        model = train_scamscan(scamscan_bin, [rows[i] for i in pool_idx], wd, train_extra)
                    else:
                        model = train_baseline(system, [texts[i] for i in fit_idx], [labels[i] for i in fit_idx],
                                               [texts[i] for i in cal_idx], labels[cal_idx], wd)
                    log(f"  {system}: trained in {model.train_s:.1f}s"
                        + (f", threshold f>={model.threshold:.4f}" if model.threshold is not None else ""))
                    for j, (name, kind) in enumerate(evals):
                        test_idx = np.flatnonzero(test_masks[name])
                        test_rows = [rows[i] for i in test_idx]
                        if kind is not None:
                            test_rows = [{**r, "text": t} for r, t in zip(test_rows, perturbed[kind])]
                        probs, pred, err_mask, pr_s = model.score(test_rows)
                        errors = int(err_mask.sum())
                        total_errors += errors
                        # the model is shared by the group's test sets: its training time is
                        # booked once, on the first
                        tr_s = model.train_s if j == 0 else None
                        results[name][system] = dict(probs=probs, pred=pred, train_s=tr_s, predict_s=pr_s,
                                                     threshold=model.threshold, errors=errors, test_idx=test_idx,
                                                     iters=model.iters)
                        m = compute_metrics(labels[test_idx], probs, pred, unwanted[test_idx])
                        log(f"  {system} on {name}: predict {pr_s:.1f}s"
                            + (f", ERRORS {errors}" if errors else "")
                            + f"; AUC {fmt(m['auc'])}, recall {fmt(m['recall'], '{:.3f}')}, "
                              f"FPR {fmt(m['fpr'], '{:.2%}')}, scams labelled scam "
                              f"{fmt(m['scam_as_scam'], '{:.3f}')}"
                            + (f", unsure {m['unsure']}" if m["unsure"] else ""))
                        for jj, i in enumerate(test_idx):
                            rec = {"system": system, "split": name, "id": rows[i].get("id"), "source": src[i],
                                   "lang": langs[i], "label": labels[i], "p_ham": sig(probs[jj, 0]),
                                   "p_spam": sig(probs[jj, 1]), "p_scam": sig(probs[jj, 2]),
                                   "predicted": str(pred[jj])}
                            if unwanted[i]:
                                rec["unwanted"] = True  # truth only "spam or scam"
                            if err_mask[jj]:
                                rec["error"] = True  # scored as a confident ham
                            pred_fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                        pred_fh.flush()
                except SystemFailed as e:
                    log(f"  {system} FAILED on {gname}: {e}")
                    failures.append(f"{system} on {gname}: {str(e).splitlines()[0]}")
                    continue
                finally:
                    if not args.keep_work:
                        shutil.rmtree(wd, ignore_errors=True)
    finally:
        pred_fh.close()
        if not args.keep_work and args.workdir is None:
            shutil.rmtree(workroot, ignore_errors=True)

    if args.reuse:
        systems = reuse_predictions(args.reuse, systems, split_defs, rows, results, args.out)

    # ------------------------------------------------------------ metrics & report
    def metrics_for(name: str, system: str, restrict_source: str | None = None):
        r = results.get(name, {}).get(system)
        if r is None:
            return None
        idx = r["test_idx"]
        sel = np.ones(len(idx), bool) if restrict_source is None else (src[idx] == restrict_source)
        if not sel.any():
            return None
        return compute_metrics(labels[idx][sel], r["probs"][sel], r["pred"][sel], unwanted[idx][sel])

    report: list[str] = []
    metrics_json: dict = {"systems": systems, "failures": failures, "scamscan_errors": total_errors,
                          "baseline_text_cap": BASELINE_CAP, "insource": {}, "loso": {}, "timing": {}}

    def per_source_tables(kind: str, table_rows: list[tuple[str, dict[str, dict | None], tuple[int, int, int, int]]]):
        for key, title, spec in METRIC_COLS:
            # count columns fit the metric: n/unwanted, scam/ham for scam-AUC, ham for FPR
            if key == "scam_auc":
                header, pick = ["source", "scam", "ham"], lambda c: (c[2], c[3])
            elif key == "fpr":
                header, pick = ["source", "n", "ham"], lambda c: (c[0], c[3])
            else:
                header, pick = ["source", "n", "unwanted"], lambda c: (c[0], c[1])
            header = header + systems
            # scamscan's abstentions on the rows the metric is about (not flagged)
            ukey = {"fpr": "unsure_ham", "recall": "unsure_pos", "recall_at_1fpr": "unsure_pos"}.get(key, "unsure")
            if "scamscan" in systems:
                header = header + ["scamscan unsure" + {"unsure_ham": " (ham)", "unsure_pos": " (unwanted)"}
                                   .get(ukey, "")]
            body = []
            for label, ms, cnt in table_rows:
                body.append([label] + [str(x) for x in pick(cnt)]
                            + [fmt(ms[s][key] if ms.get(s) else None, spec) for s in systems]
                            + ([str(ms["scamscan"].get(ukey, DASH)) if ms.get("scamscan") else DASH]
                               if "scamscan" in systems else []))
            report.append(f"#### {kind}: {METRIC_TITLES[key]}\n")
            report.append(md_table(header, body) + "\n")

    def counts(mask):
        return (int(mask.sum()), int((mask & (labels != "ham")).sum()),
                int((mask & (labels == "scam")).sum()), int((mask & (labels == "ham")).sum()))

    pooled_rows = []  # (section, system, metrics, train_s, predict_s)

    def pool_groups(names: list[str], title: str, what: str):
        """micro-pooled metrics over every held-out row of the test sets
        `names` (each scored by its own model), and the macro mean of the
        per-group values that are defined; per system. Adds both to
        pooled_rows."""
        micro, macro = {}, {}
        for sy in systems:
            parts = [results[n][sy] for n in names if sy in results[n]]
            if not parts or len(parts) < len(names):
                micro[sy] = macro[sy] = None
                continue
            idx = np.concatenate([p["test_idx"] for p in parts])
            micro[sy] = compute_metrics(labels[idx], np.vstack([p["probs"] for p in parts]),
                                        np.concatenate([p["pred"] for p in parts]), unwanted[idx])
            per = [metrics_for(n, sy) for n in names]
            macro[sy] = {k: (float(np.mean(v)) if (v := [m[k] for m in per if m and m[k] is not None]) else None)
                         for k in MEAN_KEYS}
            pooled_rows.append((f"{title} micro-pooled", sy, micro[sy],
                                sum(p["train_s"] for p in parts), sum(p["predict_s"] for p in parts)))
            pooled_rows.append((f"{title} macro mean over {what}", sy, macro[sy], None, None))
        return micro, macro

    if "insource" in results:
        report.append("## In-source split (test = folds 0-1 of every source; one model per system)\n")
        trs = []
        for s in sources:
            if only and s not in only:
                continue
            ms = {sy: metrics_for("insource", sy, s) for sy in systems}
            trs.append((s, ms, counts((src == s) & (folds <= 1))))
            metrics_json["insource"][s] = ms
        pooled = {sy: metrics_for("insource", sy) for sy in systems}
        insource_test = next(d[4] for d in split_defs if d[0] == "insource")
        trs.append(("**pooled**", pooled, counts(insource_test)))
        metrics_json["insource"]["pooled"] = pooled
        per_source_tables("In-source", trs)
        for sy in systems:
            r = results["insource"].get(sy)
            if r is not None:
                pooled_rows.append(("in-source pooled", sy, pooled[sy], r["train_s"], r["predict_s"]))

    loso_names = [n for n in results if n.startswith("loso:")]
    if loso_names:
        report.append("## Leave-one-source-out (test = all rows of the source; trained on all other sources)\n\n"
                      "micro-pooled = every held-out row scored by the model that did not see its source "
                      "(scores from different models, so its AUC mixes score scales); "
                      "macro mean = unweighted mean of the per-source values that are defined.\n")
        trs = []
        for name in loso_names:
            s = name.split(":", 1)[1]
            ms = {sy: metrics_for(name, sy) for sy in systems}
            trs.append((s, ms, counts(src == s)))
            metrics_json["loso"][s] = ms
        micro, macro = pool_groups(loso_names, "LOSO", "sources")
        all_loso = np.isin(src, [n.split(":", 1)[1] for n in loso_names])
        trs.append(("**micro-pooled**", micro, counts(all_loso)))
        trs.append(("**macro mean**", macro, counts(all_loso)))
        metrics_json["loso"]["micro_pooled"] = micro
        metrics_json["loso"]["macro_mean"] = macro
        per_source_tables("LOSO", trs)

    lolo_names = [n for n in results if n.startswith("lolo:")]
    if lolo_names:
        report.append(
            "## Leave-one-language-out (test = all rows whose `lang` is the language; trained on all "
            "other languages)\n\n"
            f"Every language with at least {LOLO_MIN_ROWS} rows. legit flagged = share of the ham flagged "
            "(spam or scam) at the default decision; unsure = share of the ham the system called unsure "
            "(scamscan only; not flagged); scam recall = share of the true scams flagged (spam or scam); "
            "unwanted recall = the same over all spam+scam rows; ROC-AUC = flagged vs ham on 1 - p_ham, "
            "on the rows not called unsure (all rows for the baselines); R@1%FPR at the language's own ham. "
            "micro-pooled mixes the models' score scales; macro = unweighted mean over the languages.\n")
        lolo_json = metrics_json.setdefault("lolo", {})
        for name in lolo_names:
            lolo_json[name.split(":", 1)[1]] = {sy: metrics_for(name, sy) for sy in systems}
        micro, macro = pool_groups(lolo_names, "LOLO", "languages")
        lolo_json["micro_pooled"], lolo_json["macro_mean"] = micro, macro
        all_lolo = np.isin(langs, [n.split(":", 1)[1] for n in lolo_names])
        body = []
        table = [(L, L, langs == L) for L in (n.split(":", 1)[1] for n in lolo_names)]
        table += [("**micro-pooled**", "micro_pooled", all_lolo), ("**macro mean**", "macro_mean", all_lolo)]
        for label, key, mask in table:
            ms = lolo_json[key]
            for sy in systems:
                m = ms.get(sy)
                # the baselines never abstain: no unsure figure for them
                cols = [("fpr", "{:.2%}")] + ([("unsure_ham_share", "{:.2%}")] if "scamscan" in systems else []) \
                    + [("scam_flagged", "{:.3f}"), ("recall", "{:.3f}"), ("auc_sure", "{:.4f}"),
                       ("recall_at_1fpr", "{:.3f}")]
                body.append([label, sy, str(int(mask.sum())), str(int((mask & (labels == "ham")).sum())),
                             str(int((mask & (labels == "scam")).sum())),
                             str(int((mask & (labels != "ham")).sum()))]
                            + [fmt(m.get(k) if m and (k != "unsure_ham_share" or sy == "scamscan") else None, spec)
                               for k, spec in cols])
        report.append(md_table(["lang", "system", "n", "ham", "scam", "spam+scam", "legit flagged"]
                               + (["unsure (legit)"] if "scamscan" in systems else [])
                               + ["scam recall", "unwanted recall", "ROC-AUC", "R@1%FPR"], body, right_from=2) + "\n")

    if pooled_rows:
        report.append("## Pooled summary\n")
        header = ["set", "system"] + [t for _, t, _ in METRIC_COLS] + ["train s", "predict s"]
        body = []
        for section, sy, m, tr, pr in pooled_rows:
            body.append([section, sy] + [fmt(m[k] if m else None, spec) for k, _, spec in METRIC_COLS]
                        + [fmt(tr, "{:.1f}"), fmt(pr, "{:.1f}")])
        report.append(md_table(header, body, right_from=2) + "\n")

    # ------------------------------------------------------------ new sections: obfuscation,
    # scam vs marketing spam, per-language ham FPR

    def gather(names: list[str], sy: str, restrict: np.ndarray | None = None):
        """(row indices, probs, predicted) of system `sy` over the test sets
        `names` (None if it lacks any), optionally only rows where `restrict`."""
        parts = [results[n][sy] for n in names if sy in results.get(n, {})]
        if not parts or len(parts) < len(names):
            return None
        idx = np.concatenate([p["test_idx"] for p in parts])
        probs = np.vstack([p["probs"] for p in parts])
        pred = np.concatenate([p["pred"] for p in parts])
        if restrict is not None:
            sel = restrict[idx]
            idx, probs, pred = idx[sel], probs[sel], pred[sel]
        return idx, probs, pred

    def flagged_of(pred):
        return np.isin(pred, FLAG_LABELS)

    if "obfuscation:clean" in results:
        report.append(
            "## Obfuscation (in-source model; test = the spam+scam rows of the in-source test folds, "
            f"rewritten by `scamscan perturb --kind KIND --seed {PERTURB_SEED}`)\n\n"
            "recall = share flagged (spam or scam) at the system's default decision; "
            "drop = clean recall minus perturbed recall (positive = the disguise works). "
            "\"changed\" = rows whose text the perturbation actually altered.\n")
        obf_idx = np.flatnonzero(obf_test)
        clean = {sy: gather(["obfuscation:clean"], sy) for sy in systems}
        obf_json: dict = {}
        body_all, body_changed = [], []
        for kind in ("clean",) + PERTURBATIONS:
            name = f"obfuscation:{kind}"
            if name not in results:
                continue
            if kind == "clean":
                changed = np.zeros(len(obf_idx), bool)
            elif kind in perturbed:
                changed = np.array([a != texts[i] for a, i in zip(perturbed[kind], obf_idx)])
            else:
                changed = None
            row_all = [kind, str(len(obf_idx)), str(int(changed.sum())) if changed is not None else DASH]
            row_ch = [kind, str(int(changed.sum())) if changed is not None else DASH]
            obf_json[kind] = {"n": int(len(obf_idx)), "changed": int(changed.sum()) if changed is not None else None}
            for sy in systems:
                g, c = gather([name], sy), clean.get(sy)
                if g is None or c is None:
                    row_all += [DASH, DASH] + ([DASH] if sy == "scamscan" else [])
                    row_ch += [DASH, DASH]
                    obf_json[kind][sy] = None
                    continue
                fl, cfl = flagged_of(g[2]), flagged_of(c[2])
                rec, crec = float(fl.mean()), float(cfl.mean())
                lab = labels[g[0]]
                by_label = {l: (float(fl[lab == l].mean()) if (lab == l).any() else None) for l in FLAG_LABELS}
                by_source = {s: float(fl[src[g[0]] == s].mean()) for s in dict.fromkeys(src[g[0]])}
                rec_ch = float(fl[changed].mean()) if changed is not None and changed.any() else None
                crec_ch = float(cfl[changed].mean()) if changed is not None and changed.any() else None
                obf_json[kind][sy] = {
                    "recall": rec, "drop": crec - rec, "recall_by_label": by_label, "recall_by_source": by_source,
                    "unsure": int((g[2] == "unsure").sum()),
                    "changed_recall_clean": crec_ch, "changed_recall": rec_ch,
                    "changed_drop": (crec_ch - rec_ch) if rec_ch is not None else None}
                row_all += [fmt(rec, "{:.3f}"), fmt(crec - rec, "{:+.3f}")]
                if sy == "scamscan":
                    row_all.append(str(int((g[2] == "unsure").sum())))
                row_ch += [fmt(rec_ch, "{:.3f}"),
                           fmt((crec_ch - rec_ch) if rec_ch is not None else None, "{:+.3f}")]
            body_all.append(row_all)
            if kind != "clean":  # nothing changed: the clean row is empty here
                body_changed.append(row_ch)
        header = ["perturbation", "rows", "changed"]
        for sy in systems:
            header += [f"{sy} recall", f"{sy} drop"] + (["scamscan unsure"] if sy == "scamscan" else [])
        report.append("#### Recall on all spam+scam test rows\n")
        report.append(md_table(header, body_all) + "\n")
        header = ["perturbation", "changed"]
        for sy in systems:
            header += [f"{sy} recall", f"{sy} drop"]
        report.append("#### Recall on the changed rows only (drop vs the same rows clean)\n")
        report.append(md_table(header, body_changed) + "\n")
        metrics_json["obfuscation"] = obf_json

    # Scam vs marketing spam: the sources that label the two apart, and the
    # reviewed (annotated) rows of the others.
    separating = [s for s in (marketing_sources if args.sources is not None else SCAM_VS_SPAM_SOURCES)
                  if s in sources and (not only or s in only)]
    sep_mask = np.isin(src, separating)
    hard = np.isin(labels, FLAG_LABELS) & ~unwanted
    annotated = [s for s in sources if s not in separating and (not only or s in only)
                 and (reviewed & hard & (src == s)).any()]
    ann_mask = np.isin(src, annotated) & reviewed
    svs_json: dict = {}
    svs_tables = []  # (title, first column, body)

    def svs_row(label: str, names: list[str], restrict: np.ndarray, count_mask: np.ndarray, store: dict):
        cm = count_mask & restrict & hard
        row = [label, str(int((cm & (labels == "scam")).sum())), str(int((cm & (labels == "spam")).sum()))]
        key = label.replace("*", "")
        store[key] = {}
        for sy in systems:
            g = gather(names, sy, restrict)
            v = scam_vs_spam(labels[g[0]], g[1], unwanted[g[0]]) if g is not None else None
            store[key][sy] = v
            row.append(fmt(v["auc"] if v else None))
        return row

    def svs_body(names_of, count_mask: np.ndarray, store: dict, pooled: str) -> list[list[str]]:
        """Rows per separating source, pooled, per annotated source, pooled;
        names_of(source) = the test sets that score its rows."""
        body = []
        for group, mask, srcs in (("separating", sep_mask, separating),
                                  ("annotated sample", ann_mask, annotated)):
            have = [s for s in srcs if names_of(s)]
            if not have:
                continue
            tag = "" if group == "separating" else " (annotated sample)"
            body += [svs_row(s + tag, names_of(s), mask & (src == s), count_mask, store) for s in have]
            names = list(dict.fromkeys(n for s in have for n in names_of(s)))
            body.append(svs_row(f"**{pooled}, {group}**", names, mask & np.isin(src, have), count_mask, store))
        return body

    everything = np.ones(len(rows), bool)
    if "insource" in results:
        body = svs_body(lambda s: ["insource"], insource_test, svs_json.setdefault("insource", {}), "pooled")
        if body:
            svs_tables.append(("In-source (one model; test folds 0-1)", "source", body))
    if any(n.startswith("loso:") for n in results):
        body = svs_body(lambda s: [f"loso:{s}"] if f"loso:{s}" in results else [], everything,
                        svs_json.setdefault("loso", {}), "micro-pooled")
        if body:
            svs_tables.append(("LOSO (each source scored by the model trained without it; "
                               "micro-pooled mixes models)", "source", body))
    if "obfuscation:clean" in results:
        store = svs_json.setdefault("obfuscation", {})
        body = []
        for kind in ("clean",) + PERTURBATIONS:
            if f"obfuscation:{kind}" not in results:
                continue
            for group, mask in (("separating", sep_mask), ("annotated sample", ann_mask)):
                if (mask & obf_test & hard).any():
                    body.append(svs_row(f"{kind}, {group}", [f"obfuscation:{kind}"], mask, obf_test,
                                        store))
        if body:
            svs_tables.append(("Obfuscation (in-source model; pooled)", "perturbation", body))
    if svs_tables:
        report.append(
            "## Scam vs marketing spam ROC-AUC\n\n"
            f"Score p_scam / (p_scam + p_spam); positive class scam; rows truly scam or marketing spam "
            f"(ham and unwanted rows excluded). \"separating\" = the sources that label scams apart from "
            f"marketing ({', '.join(separating) or 'none'}"
            + (", from --sources" if args.sources is not None else "") + "); "
            f"\"annotated sample\" = the rows of the other sources whose label a person set "
            f"(--annotations: {', '.join(a.name for a in args.annotations) or 'none'}) "
            "to scam or marketing.\n")
        for title, first, body in svs_tables:
            report.append(f"#### {title}\n")
            report.append(md_table([first, "scam", "marketing"] + systems, body) + "\n")
        metrics_json["scam_vs_spam"] = svs_json

    # Per-language ham FPR and unsure rate.
    multi_lang = [s for s in sources if len(set(langs[src == s])) > 1 or set(langs[src == s]) != {"en"}]
    lang_json: dict = {}

    def lang_section(kind: str, names: list[str], base: np.ndarray) -> list[list[str]]:
        out_rows = []
        store = lang_json.setdefault(kind, [])
        combos = [("all", L) for L in sorted(set(langs[base]))]
        combos += [(s, L) for s in multi_lang for L in sorted(set(langs[base & (src == s)]))]
        for s, L in combos:
            sel = base & (langs == L) & (True if s == "all" else (src == s))
            nham = int((sel & (labels == "ham")).sum())
            entry = {"source": s, "lang": L, "n": int(sel.sum()), "ham": nham}
            row = [s, L, str(int(sel.sum())), str(nham)]
            for sy in systems:
                g = gather(names, sy, sel)
                if g is None or len(g[0]) == 0:
                    entry[sy] = None
                    row.append(DASH)
                    continue
                ham = labels[g[0]] == "ham"
                e = {"fpr": float(flagged_of(g[2][ham]).mean()) if ham.any() else None,
                     "unsure_ham": float((g[2][ham] == "unsure").mean()) if ham.any() else None,
                     "unsure_all": float((g[2] == "unsure").mean())}
                entry[sy] = e
                row.append(fmt(e["fpr"], "{:.2%}"))
                if sy == "scamscan":
                    row += [fmt(e["unsure_ham"], "{:.2%}"), fmt(e["unsure_all"], "{:.2%}")]
            if "scamscan" in systems and entry.get("scamscan") is None:
                row += [DASH, DASH]
            store.append(entry)
            out_rows.append(row)
        return out_rows

    lang_header = ["source", "lang", "n", "ham"] + [f"{sy} FPR" for sy in systems] \
        + (["scamscan unsure (ham)", "scamscan unsure (all)"] if "scamscan" in systems else [])
    lang_parts = []
    if "insource" in results:
        lang_parts.append(("In-source (test folds 0-1)", lang_section("insource", ["insource"], insource_test)))
    if loso_names:
        lang_parts.append(("LOSO (each row scored by the model trained without its source; "
                           "indonesian_sms_spam/id = Indonesian ham unseen except the scamscan dataset's "
                           "few id rows)",
                           lang_section("loso", loso_names, np.isin(src, [n.split(":", 1)[1] for n in loso_names]))))
    if lang_parts:
        report.append("## Per-language ham FPR and unsure rate\n\n"
                      "FPR = share of ham flagged (spam or scam) at the default decision; "
                      "\"all\" pools every source; then the sources that are not English-only. "
                      "Unsure (scamscan only; counts as not flagged) as a share of the ham and of all rows.\n")
        for title, body in lang_parts:
            report.append(f"#### {title}\n")
            report.append(md_table(lang_header, body, right_from=2) + "\n")
        metrics_json["per_language"] = lang_json

    # Where the true scams go, and the decision "scam" (issue 21), per source
    # and per language, for every split.
    sas_json: dict = {}

    def sas_table(groups: list[tuple[str, list[str], np.ndarray]], store: dict) -> str | None:
        """One row per group and system: the test rows of the test sets
        `names` where `mask`, scored by the model of each set."""
        body = []
        for label, names, mask in groups:
            for sy in systems:
                g = gather(names, sy, mask)
                if g is None or len(g[0]) == 0:
                    continue
                m = compute_metrics(labels[g[0]], g[1], g[2], unwanted[g[0]])
                store.setdefault(label.replace("*", ""), {})[sy] = m
                body.append([label, sy, str(m["n"]), str(m["scam"]), str(m["hard_spam"]), str(m["unwanted"]),
                             str(m["ham"])]
                            + [fmt(m[k], spec) for k, _, spec in SAS_COLS]
                            + ([str(m["scam_unsure"])] if "scamscan" in systems else []))
        if not body:
            return None
        header = ["group", "system", "n", "scam", "marketing", "unwanted", "ham"] + [t for _, t, _ in SAS_COLS] \
            + (["scams unsure"] if "scamscan" in systems else [])
        return md_table(header, body, right_from=2)

    def by_source(names_of) -> list:
        return [(s, names_of(s), src == s) for s in sources if names_of(s) and (not only or s in only)]

    def by_lang(names: list[str], base: np.ndarray) -> list:
        return [(L, names, langs == L) for L in sorted(set(langs[base]))]

    sas_parts = []  # (title, table)
    if "insource" in results:
        store = sas_json.setdefault("insource", {})
        for what, groups in (("per source", by_source(lambda s: ["insource"])),
                             ("per language", by_lang(["insource"], insource_test))):
            groups.append(("**pooled**", ["insource"], everything))
            sas_parts.append((f"In-source (test folds 0-1), {what}",
                              sas_table(groups, store.setdefault(what.split()[1], {}))))
    if loso_names:
        store = sas_json.setdefault("loso", {})
        loso_rows = np.isin(src, [n.split(":", 1)[1] for n in loso_names])
        for what, groups in (("per source", by_source(lambda s: [f"loso:{s}"] if f"loso:{s}" in results else [])),
                             ("per language", by_lang(loso_names, loso_rows))):
            groups.append(("**micro-pooled**", loso_names, everything))
            sas_parts.append((f"LOSO (each row scored by the model trained without its source), {what}",
                              sas_table(groups, store.setdefault(what.split()[1], {}))))
    if lolo_names:
        groups = [(n.split(":", 1)[1], [n], everything) for n in lolo_names]
        groups.append(("**micro-pooled**", lolo_names, everything))
        sas_parts.append(("LOLO (each language scored by the model trained without it)",
                          sas_table(groups, sas_json.setdefault("lolo", {}))))
    sas_parts = [(t, tb) for t, tb in sas_parts if tb]
    if sas_parts:
        report.append(
            "## Scams labelled scam, and the decision \"scam\"\n\n"
            "Counts: scam = true scams; marketing = spam rows known not to be fraud (sources that label "
            "scams apart, rows annotated marketing); unwanted = spam rows of sources whose spam mixes "
            "marketing and fraud (--sources), not reviewed: positives for \"flagged\", left out of every "
            "scam measure here (the baselines still train on them as spam). "
            "labelled scam / spam / missed = shares of the true scams the default decision called scam, "
            "spam, or ham/unsure; scam precision / F1 = the decision \"scam\" against true scam over all "
            "rows of known truth (ham and marketing are the negatives; its recall is the \"labelled scam\" "
            "share); p(scam) AUC = ROC-AUC of p_scam, scam vs everything else (unwanted excluded); "
            "scam/mkt AUC = scam vs marketing on p_scam / (p_scam + p_spam); legit flagged = share of ham "
            "flagged (spam or scam).\n")
        for title, table in sas_parts:
            report.append(f"#### {title}\n")
            report.append(table + "\n")
        metrics_json["scam_as_scam"] = sas_json

    report.append("## Timing (wall seconds; baselines' train includes scoring the calibration rows)\n")
    body = []
    for name, per in results.items():
        for sy in systems:
            r = per.get(sy)
            if r is None:
                continue
            metrics_json["timing"].setdefault(name, {})[sy] = {"train_s": r["train_s"], "predict_s": r["predict_s"],
                                                                "threshold": r["threshold"], "errors": r["errors"],
                                                                "iters": r.get("iters")}
            body.append([name, sy, fmt(r["train_s"], "{:.1f}") if r["train_s"] is not None else "(shared)",
                         fmt(r["predict_s"], "{:.1f}"),
                         fmt(r["threshold"], "{:.4f}") if r["threshold"] is not None else "own label",
                         str(r["errors"]) if sy == "scamscan" else DASH,
                         (f"{r['iters']}" + (" (cap)" if r["iters"] >= RUN["sklearn_max_iter"] else ""))
                         if r.get("iters") is not None else DASH])
    for sy in systems:
        tot = [(r[sy]["train_s"], r[sy]["predict_s"]) for r in results.values() if sy in r]
        if tot:
            body.append(["**total**", sy, f"{sum(t for t, _ in tot if t is not None):.1f}",
                         f"{sum(p for _, p in tot if p is not None):.1f}", "", "", ""])
    report.append(md_table(["split", "system", "train s", "predict s", "threshold (f >= t)", "errors",
                            "sklearn lbfgs iterations"], body,
                           right_from=2) + "\n")
    report.append(f"Baselines see texts capped at {BASELINE_CAP} characters; scamscan sees full texts. "
                  f"sklearn's lbfgs was capped at {RUN['sklearn_max_iter']} iterations (\"(cap)\" = stopped "
                  f"there, not converged); fastText ran with -thread {RUN['fasttext_threads']}.\n")
    if total_errors:
        report.append(f"**scamscan returned {total_errors} error lines (must be 0).**\n")
    if failures:
        report.append("**Failures:**\n\n" + "\n".join(f"- {f}" for f in failures) + "\n")

    text = "\n".join(report)
    print(text)
    (args.out / "report.md").write_text(text, encoding="utf-8")
    (args.out / "metrics.json").write_text(json.dumps(metrics_json, indent=1), encoding="utf-8")
    log(f"wrote {pred_path}, {args.out / 'report.md'}, {args.out / 'metrics.json'}")
    return 1 if (failures or total_errors) else 0


if __name__ == "__main__":
    sys.exit(main())
