//! Simulating learning from your own traffic: hold a group (a source, a
//! language) out, train without it, learn K of its rows, and measure on the
//! rest of it; beside it, a retrain from scratch with the same K rows.

use super::{cross::HoldOut, key};
use crate::classifier::{Classifier, ClassifyOptions};
use crate::corpus::{Example, TEST_FOLDS, fold};
use crate::error::Result;
use crate::label::Label;
use crate::learn::LearnParams;
use crate::metrics::{self, Confusion};
use crate::model::Model;
use crate::train::{TrainParams, Trainer};
use serde::Serialize;
use std::collections::BTreeMap;

/// Options of [`simulate_learning`].
#[derive(Debug, Clone, PartialEq)]
pub struct LearnSimOptions {
    /// The numbers of rows learned (0 is the model without its group).
    pub ks: Vec<usize>,
    /// Also retrain from scratch with the same rows, for each K > 0.
    pub retrain: bool,
    /// The seed of the draw.
    pub seed: u64,
    /// Hold out only these groups (all when empty).
    pub only: Vec<String>,
    /// How the rows are learned.
    pub learn: LearnParams,
}

/// The order in which a group's rows are drawn for learning: stratified by
/// label and seeded, and nested (the first K rows of it are the K rows
/// learned, so K = 25 is part of K = 100).
///
/// Each row gets a key, FNV-1a-64 of `"{seed}:{id}"`; within its label
/// the rows are ranked by key, and a row of rank `r` among `n` of its label
/// takes position `(r + 0.5) / n`; the order is by position, then key, id
/// and text. So any prefix holds each label in about its share of the
/// group. `scripts/compare.py` draws the same rows with the same rule.
///
/// # Example
///
/// ```
/// use scamscan::{eval::draw_order, Example, Label};
/// let row = |id: &str, label| Example { id: id.into(), source: "s".into(), channel: String::new(),
///     lang: String::new(), label, category: None, text: id.into(), reviewed: false };
/// let rows: Vec<Example> = (0..8).map(|i| row(&format!("r{i}"), if i < 6 { Label::Ham } else { Label::Scam })).collect();
/// let refs: Vec<&Example> = rows.iter().collect();
/// let order = draw_order(&refs, 1);
/// assert_eq!(order.len(), 8);
/// let scams_in_first_4 = order[..4].iter().filter(|&&i| rows[i].label == Label::Scam).count();
/// assert_eq!(scams_in_first_4, 1); // a quarter of the group, a quarter of the draw
/// ```
pub fn draw_order(rows: &[&Example], seed: u64) -> Vec<usize> {
    let key = |e: &Example| fnv1a64(format!("{seed}:{}", e.id).as_bytes());
    let mut by_label: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, e) in rows.iter().enumerate() {
        by_label.entry(e.label.index()).or_default().push(i);
    }
    let tie = |a: usize, b: usize| {
        (key(rows[a]), &rows[a].id, &rows[a].text).cmp(&(key(rows[b]), &rows[b].id, &rows[b].text))
    };
    let mut placed: Vec<(f64, usize)> = Vec::with_capacity(rows.len());
    for idx in by_label.values_mut() {
        idx.sort_by(|&a, &b| tie(a, b));
        let n = idx.len() as f64;
        placed.extend(
            idx.iter()
                .enumerate()
                .map(|(r, &i)| ((r as f64 + 0.5) / n, i)),
        );
    }
    placed.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| tie(a.1, b.1)));
    placed.into_iter().map(|(_, i)| i).collect()
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether `k` rows may be learned from a group of `n`: at most half of
/// it, so that at least as many rows are left to measure on.
pub fn k_applies(k: usize, n: usize) -> bool {
    2 * k <= n
}

/// The measures of one model on one group's test rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CellMetrics {
    /// ROC-AUC of spam and scam against ham, on `1 − p(ham)`.
    pub roc_auc: Option<f64>,
    /// Recall of spam and scam at 1% of the test ham flagged.
    pub recall_at_1pct: Option<f64>,
    /// Share of the test ham flagged at the model's default decision.
    pub ham_flagged: Option<f64>,
    /// Recall of spam and scam at the default decision.
    pub recall: Option<f64>,
    /// Test rows called unsure.
    pub unsure: usize,
}

/// One scored row of a cell: truth, score, and two flags of the row.
type ScoredRow = (Label, f32, bool, bool);

/// A metric's title, how to read it from a cell, and whether higher is better.
type MetricDef = (&'static str, fn(&CellMetrics) -> Option<f64>, bool);

impl CellMetrics {
    fn of(rows: &[(Label, f32, bool, bool)]) -> Self {
        let scores: Vec<f32> = rows.iter().map(|r| r.1).collect();
        let truth: Vec<bool> = rows.iter().map(|r| r.0 != Label::Ham).collect();
        let conf = Confusion::from_pairs(rows.iter().map(|r| (r.2, r.0 != Label::Ham)));
        CellMetrics {
            roc_auc: metrics::roc_auc(&scores, &truth),
            recall_at_1pct: metrics::recall_at_fpr(&scores, &truth, 0.01),
            ham_flagged: conf.fpr(),
            recall: conf.recall(),
            unsure: rows.iter().filter(|r| r.3).count(),
        }
    }
}

/// One model's figures on one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// `learn` or `retrain`.
    pub system: &'static str,
    /// Rows learned (or added to the retrain).
    pub k: usize,
    /// The figures on the group's test rows.
    pub metrics: CellMetrics,
}

/// Whether learning made the model forget: the in-source test rows of the
/// training sources, scored before and after learning the most rows, and,
/// for comparison, by the retrain with those rows (which moves them too:
/// the rows are new evidence, not only new memory).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forgetting {
    /// Rows learned.
    pub k: usize,
    /// All those rows together.
    pub pooled: SourceChange,
    /// Per source.
    pub per_source: Vec<SourceChange>,
}

/// The ROC-AUC of one set of check rows before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceChange {
    /// The source (`all` for the pooled rows).
    pub source: String,
    /// Check rows.
    pub rows: usize,
    /// Of them, spam or scam.
    pub unwanted: usize,
    /// The base model's ROC-AUC.
    pub before: Option<f64>,
    /// After learning.
    pub after: Option<f64>,
    /// The retrain's, when the simulation retrained.
    pub retrain: Option<f64>,
}

impl SourceChange {
    /// After learning minus before.
    pub fn change(&self) -> Option<f64> {
        Some(self.after? - self.before?)
    }

    /// The retrain's minus before.
    pub fn retrain_change(&self) -> Option<f64> {
        Some(self.retrain? - self.before?)
    }
}

impl Forgetting {
    /// The source whose ROC-AUC learning changed most, by `change`
    /// ([`SourceChange::change`] or [`SourceChange::retrain_change`]).
    pub fn largest(&self, change: fn(&SourceChange) -> Option<f64>) -> Option<&SourceChange> {
        self.per_source
            .iter()
            .filter(|c| change(c).is_some())
            .max_by(|a, b| {
                let (a, b) = (
                    change(a).unwrap_or(0.0).abs(),
                    change(b).unwrap_or(0.0).abs(),
                );
                a.total_cmp(&b)
            })
    }
}

/// One held-out group's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupResult {
    /// The group (a source, a language).
    pub name: String,
    /// Its rows.
    pub n: usize,
    /// Its test rows (those not in the largest draw that applies).
    pub test: usize,
    /// Legitimate test rows.
    pub test_ham: usize,
    /// Spam and scam test rows.
    pub test_unwanted: usize,
    /// The Ks that apply to it ([`k_applies`]).
    pub ks: Vec<usize>,
    /// One per (system, K) run.
    pub cells: Vec<Cell>,
    /// The forgetting check, after learning the largest K.
    pub forgetting: Option<Forgetting>,
}

impl GroupResult {
    /// The cell of `system` at `k` (learn at K = 0 is the base model, and
    /// so is retrain at K = 0).
    pub fn cell(&self, system: &str, k: usize) -> Option<&CellMetrics> {
        let system = if k == 0 { "learn" } else { system };
        self.cells
            .iter()
            .find(|c| c.system == system && c.k == k)
            .map(|c| &c.metrics)
    }
}

/// One held-out row's scores under one model, for re-analysis and for
/// `scripts/compare.py`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnPrediction {
    /// The held-out group.
    pub group: String,
    /// `learn` or `retrain`.
    pub system: &'static str,
    /// Rows learned.
    pub k: usize,
    /// The row's id.
    pub id: String,
    /// Its true label.
    pub label: Label,
    /// Calibrated p(ham).
    pub p_ham: f32,
    /// Calibrated p(spam).
    pub p_spam: f32,
    /// Calibrated p(scam).
    pub p_scam: f32,
    /// The decision.
    pub predicted: Label,
}

/// What [`simulate_learning`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearningReport {
    /// The field held out.
    pub by: HoldOut,
    /// The Ks asked for.
    pub ks: Vec<usize>,
    /// Whether retrains ran.
    pub retrain: bool,
    /// The draw's seed.
    pub seed: u64,
    /// Every group evaluated, by name.
    pub groups: Vec<GroupResult>,
    /// Groups not evaluated, with the reason.
    pub skipped: Vec<String>,
    /// Every test row's scores under every model (not in the JSON report).
    #[serde(skip)]
    pub predictions: Vec<LearnPrediction>,
}

/// For every value of `by`: trains with `params` on folds 2–9 of the other
/// groups (their folds 0–1 are kept to check that learning does not
/// forget), then for each K in `opts.ks` that applies learns the first K
/// rows of the group's [`draw_order`] (and, with `opts.retrain`, retrains
/// on the training rows plus those K), and scores the group's rows not in
/// the largest draw with every model. Groups without both ham and
/// spam-or-scam rows, or whose complement cannot be trained on, are
/// skipped.
///
/// The groups run largest first, and `done` gets each one's result and
/// predictions as soon as it is measured, so that a run stopped early has
/// the largest groups; the report lists them by name.
pub fn simulate_learning(
    examples: &[Example],
    params: &TrainParams,
    by: HoldOut,
    opts: &LearnSimOptions,
    progress: &(dyn Fn(&str) + Sync),
    done: &mut dyn FnMut(&GroupResult, &[LearnPrediction]),
) -> Result<LearningReport> {
    let mut ks = opts.ks.clone();
    ks.push(0);
    ks.sort_unstable();
    ks.dedup();
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for e in examples {
        *sizes.entry(by.key(e)).or_default() += 1;
    }
    let mut names: Vec<String> = sizes
        .keys()
        .filter(|n| opts.only.is_empty() || opts.only.contains(n))
        .cloned()
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(sizes[n]));
    let mut report = LearningReport {
        by,
        ks: ks.clone(),
        retrain: opts.retrain,
        seed: opts.seed,
        groups: Vec::new(),
        skipped: Vec::new(),
        predictions: Vec::new(),
    };
    let score_opts = ClassifyOptions {
        reasons: 0,
        max_bytes: params.max_bytes,
        ..ClassifyOptions::default()
    };
    for (g, name) in names.iter().enumerate() {
        let group: Vec<&Example> = examples.iter().filter(|e| by.key(e) == *name).collect();
        let both = group.iter().any(|e| e.label == Label::Ham)
            && group.iter().any(|e| e.label != Label::Ham);
        if !both {
            report
                .skipped
                .push(format!("{name}: not both legitimate and unwanted rows"));
            continue;
        }
        let (pool, check): (Vec<&Example>, Vec<&Example>) = examples
            .iter()
            .filter(|e| by.key(e) != *name)
            .partition(|e| !TEST_FOLDS.contains(&fold(&e.text)));
        let order = draw_order(&group, opts.seed);
        let applies: Vec<usize> = ks
            .iter()
            .copied()
            .filter(|&k| k_applies(k, group.len()))
            .collect();
        let k_max = applies.last().copied().unwrap_or(0);
        let learned_rows =
            |k: usize| -> Vec<Example> { order[..k].iter().map(|&i| group[i].clone()).collect() };
        let test: Vec<&Example> = order[k_max..].iter().map(|&i| group[i]).collect();
        progress(&format!(
            "[{}/{}] holding out {name} ({} rows): training on {}, learning K = {applies:?}, testing on {}",
            g + 1,
            names.len(),
            group.len(),
            pool.len(),
            test.len()
        ));
        let pool_rows: Vec<Example> = pool.iter().map(|&e| e.clone()).collect();
        let base = match Trainer::new(params.clone())?.train(&pool_rows) {
            Ok(m) => m,
            Err(e) => {
                progress(&format!("skipping {name}: {e}"));
                report.skipped.push(format!("{name}: {e}"));
                continue;
            }
        };
        let texts: Vec<&str> = test.iter().map(|e| e.text.as_str()).collect();
        let first_prediction = report.predictions.len();
        let mut result = GroupResult {
            name: name.clone(),
            n: group.len(),
            test: test.len(),
            test_ham: test.iter().filter(|e| e.label == Label::Ham).count(),
            test_unwanted: test.iter().filter(|e| e.label != Label::Ham).count(),
            ks: applies.clone(),
            cells: Vec::new(),
            forgetting: None,
        };
        let mut score = |system: &'static str, k: usize, model: &Model| {
            let c = Classifier::new(model.clone()).with_options(score_opts.clone());
            let verdicts = c.classify_batch(&texts);
            let rows: Vec<(Label, f32, bool, bool)> = test
                .iter()
                .zip(&verdicts)
                .map(|(e, v)| {
                    (
                        e.label,
                        1.0 - v.probabilities.ham,
                        v.is_flagged(),
                        v.label == Label::Unsure,
                    )
                })
                .collect();
            for (e, v) in test.iter().zip(&verdicts) {
                report.predictions.push(LearnPrediction {
                    group: name.clone(),
                    system,
                    k,
                    id: e.id.clone(),
                    label: e.label,
                    p_ham: v.probabilities.ham,
                    p_spam: v.probabilities.spam,
                    p_scam: v.probabilities.scam,
                    predicted: v.label,
                });
            }
            result.cells.push(Cell {
                system,
                k,
                metrics: CellMetrics::of(&rows),
            });
        };
        score("learn", 0, &base);
        let mut last_learned = None;
        let mut last_retrained = None;
        for &k in applies.iter().filter(|&&k| k > 0) {
            let rows = learned_rows(k);
            let learned = base.learn(&rows, &opts.learn)?;
            progress(&format!("  learned {k} rows of {name}"));
            score("learn", k, &learned);
            if opts.retrain {
                let mut all = pool_rows.clone();
                all.extend(rows);
                match Trainer::new(params.clone())?.train(&all) {
                    Ok(m) => {
                        progress(&format!("  retrained with {k} rows of {name}"));
                        score("retrain", k, &m);
                        last_retrained = Some((k, m));
                    }
                    Err(e) => progress(&format!("  retrain with {k} rows of {name} failed: {e}")),
                }
            }
            last_learned = Some((k, learned));
        }
        if let Some((k, learned)) = last_learned {
            let retrained = last_retrained.filter(|r| r.0 == k).map(|r| r.1);
            result.forgetting = Some(forgetting(
                &check,
                &base,
                &learned,
                retrained.as_ref(),
                k,
                &score_opts,
            ));
        }
        done(&result, &report.predictions[first_prediction..]);
        report.groups.push(result);
    }
    report.groups.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(report)
}

/// The in-source check of one group: `check` scored by `base`, by
/// `learned` and by `retrained`.
fn forgetting(
    check: &[&Example],
    base: &Model,
    learned: &Model,
    retrained: Option<&Model>,
    k: usize,
    opts: &ClassifyOptions,
) -> Forgetting {
    let texts: Vec<&str> = check.iter().map(|e| e.text.as_str()).collect();
    let scores = |m: &Model| -> Vec<f32> {
        Classifier::new(m.clone())
            .with_options(opts.clone())
            .classify_batch(&texts)
            .iter()
            .map(|v| 1.0 - v.probabilities.ham)
            .collect()
    };
    let (before, after) = (scores(base), scores(learned));
    let again = retrained.map(scores);
    let truth: Vec<bool> = check.iter().map(|e| e.label != Label::Ham).collect();
    let mut by_source: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in check.iter().enumerate() {
        by_source.entry(key(&e.source)).or_default().push(i);
    }
    let change = |source: String, idx: &[usize]| {
        let auc = |s: &[f32]| {
            let s: Vec<f32> = idx.iter().map(|&i| s[i]).collect();
            let t: Vec<bool> = idx.iter().map(|&i| truth[i]).collect();
            metrics::roc_auc(&s, &t)
        };
        SourceChange {
            source,
            rows: idx.len(),
            unwanted: idx.iter().filter(|&&i| truth[i]).count(),
            before: auc(&before),
            after: auc(&after),
            retrain: again.as_deref().and_then(auc),
        }
    };
    let all: Vec<usize> = (0..check.len()).collect();
    Forgetting {
        k,
        pooled: change("all".into(), &all),
        per_source: by_source
            .into_iter()
            .map(|(s, idx)| change(s, &idx))
            .collect(),
    }
}

/// Means over groups of one column.
fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let v: Vec<f64> = values.flatten().collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

impl LearningReport {
    /// The groups where every K asked for applies: the means are over
    /// these, so that every column of a mean row measures the same rows.
    pub fn comparable(&self) -> Vec<&GroupResult> {
        self.groups.iter().filter(|g| g.ks == self.ks).collect()
    }

    /// The columns: (system, K), learn first.
    fn columns(&self) -> Vec<(&'static str, usize)> {
        let mut cols: Vec<(&'static str, usize)> = self.ks.iter().map(|&k| ("learn", k)).collect();
        if self.retrain {
            cols.extend(self.ks.iter().filter(|&&k| k > 0).map(|&k| ("retrain", k)));
        }
        cols
    }

    /// The share of the gap between K = 0 and the retrain at `k` that
    /// learning closes, on the macro mean of `metric` over the comparable
    /// groups.
    pub fn gap_closed(&self, k: usize, metric: fn(&CellMetrics) -> Option<f64>) -> Option<f64> {
        let groups = self.comparable();
        let m = |system: &str, k: usize| {
            mean(groups.iter().map(|g| g.cell(system, k).and_then(metric)))
        };
        let (base, learned, retrain) = (m("learn", 0)?, m("learn", k)?, m("retrain", k)?);
        ((retrain - base).abs() > 1e-12).then(|| (learned - base) / (retrain - base))
    }

    /// The report as Markdown: per metric a table of groups by (system, K),
    /// micro (pooled rows) and macro (mean of groups) rows, the gap closed,
    /// and the forgetting check.
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write;
        let what = match self.by {
            HoldOut::Source => "source",
            HoldOut::Channel => "channel",
            HoldOut::Lang => "language",
        };
        let cols = self.columns();
        let mut s = format!(
            "# Learning from a held-out {what}'s own rows\n\nEach {what} with both legitimate and unwanted rows was held out in turn; a model trained on folds 2–9 of every other {what} learned K of its rows (`scamscan learn`, drawn stratified by label with seed {}: `scamscan::eval::draw_order`), and was measured on the {what}'s rows outside the largest draw. A K applies when it is at most half the {what}'s rows. \"retrain\" trains from scratch on the same training rows plus the K rows. Micro pools the test rows of the groups where every K applies (scores from different models); macro is the mean over those groups.\n\n",
            self.seed
        );
        for sk in &self.skipped {
            let _ = writeln!(s, "Skipped: {sk}\n");
        }
        let comparable = self.comparable();
        let metric_defs: [MetricDef; 4] = [
            (
                "ROC-AUC (spam and scam vs ham, on 1 − p(ham))",
                |m| m.roc_auc,
                false,
            ),
            ("Recall at 1% FPR", |m| m.recall_at_1pct, false),
            (
                "Legitimate messages flagged at the default decision",
                |m| m.ham_flagged,
                true,
            ),
            ("Recall at the default decision", |m| m.recall, false),
        ];
        let micro = self.micro(&comparable);
        for (title, metric, percent) in metric_defs {
            let _ = writeln!(s, "## {title}\n");
            let header: Vec<String> = cols.iter().map(|(sy, k)| format!("{sy} {k}")).collect();
            let _ = writeln!(
                s,
                "| {what} | test | ham | unwanted | {} |",
                header.join(" | ")
            );
            let _ = writeln!(s, "|---|---:|---:|---:|{}", "---:|".repeat(cols.len()));
            let fmt = |v: Option<f64>| match v {
                Some(v) if percent => format!("{:.2}%", v * 100.0),
                Some(v) => format!("{v:.3}"),
                None => "—".to_string(),
            };
            for g in &self.groups {
                let cells: Vec<String> = cols
                    .iter()
                    .map(|&(sy, k)| fmt(g.cell(sy, k).and_then(metric)))
                    .collect();
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} |",
                    g.name,
                    g.test,
                    g.test_ham,
                    g.test_unwanted,
                    cells.join(" | ")
                );
            }
            let n: usize = comparable.iter().map(|g| g.test).sum();
            let ham: usize = comparable.iter().map(|g| g.test_ham).sum();
            let micro_cells: Vec<String> = cols
                .iter()
                .map(|c| fmt(micro.get(c).and_then(metric)))
                .collect();
            let _ = writeln!(
                s,
                "| **micro ({} groups)** | {n} | {ham} | {} | {} |",
                comparable.len(),
                n - ham,
                micro_cells.join(" | ")
            );
            let macro_cells: Vec<String> = cols
                .iter()
                .map(|&(sy, k)| {
                    fmt(mean(
                        comparable.iter().map(|g| g.cell(sy, k).and_then(metric)),
                    ))
                })
                .collect();
            let _ = writeln!(
                s,
                "| **macro ({} groups)** | | | | {} |\n",
                comparable.len(),
                macro_cells.join(" | ")
            );
        }
        if self.retrain {
            let _ = writeln!(
                s,
                "## Share of the gap to the retrain that learning closes (macro means)\n"
            );
            let _ = writeln!(
                s,
                "| K | ROC-AUC | legitimate flagged | recall at 1% FPR |\n|---:|---:|---:|---:|"
            );
            for &k in self.ks.iter().filter(|&&k| k > 0) {
                let f = |v: Option<f64>| v.map_or("—".into(), |v| format!("{:.0}%", v * 100.0));
                let _ = writeln!(
                    s,
                    "| {k} | {} | {} | {} |",
                    f(self.gap_closed(k, |m| m.roc_auc)),
                    f(self.gap_closed(k, |m| m.ham_flagged)),
                    f(self.gap_closed(k, |m| m.recall_at_1pct))
                );
            }
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "## Does learning forget?\n\nThe in-source test rows (folds 0–1) of the other {what}s, scored by the model before and after learning the largest K of the held-out {what}, and by the retrain with those K rows: ROC-AUC pooled, and the source that moved most (its check rows, of them unwanted).\n"
        );
        let _ = writeln!(
            s,
            "| held out | K | pooled before | after learn | after retrain | largest change, learn | largest change, retrain |\n|---|---:|---:|---:|---:|---|---|"
        );
        let o = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.4}"));
        let d = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:+.4}"));
        let named = |c: Option<&SourceChange>, change: fn(&SourceChange) -> Option<f64>| {
            c.map_or("—".into(), |c| {
                format!(
                    "{} {} ({} rows, {} unwanted)",
                    d(change(c)),
                    c.source,
                    c.rows,
                    c.unwanted
                )
            })
        };
        for g in &self.groups {
            if let Some(f) = &g.forgetting {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} ({}) | {} ({}) | {} | {} |",
                    g.name,
                    f.k,
                    o(f.pooled.before),
                    o(f.pooled.after),
                    d(f.pooled.change()),
                    o(f.pooled.retrain),
                    d(f.pooled.retrain_change()),
                    named(f.largest(SourceChange::change), SourceChange::change),
                    named(
                        f.largest(SourceChange::retrain_change),
                        SourceChange::retrain_change
                    ),
                );
            }
        }
        s
    }

    /// Micro-pooled metrics per column over `groups`' test rows.
    fn micro(&self, groups: &[&GroupResult]) -> BTreeMap<(&'static str, usize), CellMetrics> {
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        let mut rows: BTreeMap<(&'static str, usize), Vec<ScoredRow>> = BTreeMap::new();
        for p in &self.predictions {
            if names.contains(&p.group.as_str()) {
                rows.entry((p.system, p.k)).or_default().push((
                    p.label,
                    1.0 - p.p_ham,
                    p.predicted.is_flagged(),
                    p.predicted == Label::Unsure,
                ));
            }
        }
        let mut out: BTreeMap<(&'static str, usize), CellMetrics> =
            rows.iter().map(|(c, r)| (*c, CellMetrics::of(r))).collect();
        if let Some(base) = out.get(&("learn", 0)).copied() {
            out.insert(("retrain", 0), base);
        }
        out
    }
}
