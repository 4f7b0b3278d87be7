//! Evaluation of a classifier on labeled examples: ranking quality, the
//! default decision, recall at fixed false-positive rates, per source, per
//! channel and per scam category, calibration, and curves for plotting.
//!
//! The corpora are imbalanced, so accuracy is never reported alone: every
//! figure comes with the counts it was computed on, and a metric whose
//! classes are missing is `None` (rendered "—"), never NaN.
//!
//! ```no_run
//! use scamscan::eval::{evaluate, EvalOptions};
//! let examples = scamscan::corpus::read_dir_or_file("datasets".as_ref())?;
//! let report = evaluate(&scamscan::Classifier::default(), &examples, &EvalOptions::default());
//! println!("{}", report.to_markdown());
//! # Ok::<(), scamscan::Error>(())
//! ```
//!
//! The building blocks ([`group_metrics`], [`BinaryMetrics::compute`],
//! [`category_metrics`], [`roc_curve`], [`pr_curve`]) work on plain
//! `(score, truth)` data and can be used without a classifier.

use crate::calibrate::{reliability, ReliabilityBin};
use crate::classifier::{Classifier, ClassifyOptions, Verdict};
use crate::corpus::Example;
use crate::label::{Category, Label};
use crate::metrics::{self, Confusion};
use crate::obfuscate::Perturbation;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Messages classified per batch: bounds the memory held in verdicts.
const CHUNK: usize = 2048;

/// Most points kept per curve.
pub const MAX_CURVE_POINTS: usize = 500;

/// Bins of the reliability diagram.
pub const RELIABILITY_BINS: usize = 10;

/// Options of [`evaluate`].
///
/// # Example
///
/// ```
/// use scamscan::{eval::{evaluate, EvalOptions}, Classifier};
/// let opts = EvalOptions { fprs: vec![0.001] };
/// let report = evaluate(&Classifier::default(), &[], &opts);
/// assert_eq!(report.overall.flagged.recall_at_fpr[0].fpr, 0.001);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// False-positive rates (shares of ham flagged) at which recall is reported.
    pub fprs: Vec<f64>,
}

impl Default for EvalOptions {
    /// Recall at 0.1%, 1% and 5% FPR.
    fn default() -> Self {
        EvalOptions {
            fprs: vec![0.001, 0.01, 0.05],
        }
    }
}

/// How many rows of each true label.
///
/// Reported beside every metric: an AUC over twelve scams means little, and
/// the reader should see that it is twelve.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{group_metrics, Scored}, Label};
/// let row = |truth| Scored { truth, predicted: Label::Ham, p_ham: 0.9, p_scam: 0.05 };
/// let g = group_metrics("demo", &[row(Label::Ham), row(Label::Ham), row(Label::Scam)], &[]);
/// assert_eq!((g.counts.ham, g.counts.spam, g.counts.scam), (2, 0, 1));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LabelCounts {
    /// Legitimate messages.
    pub ham: usize,
    /// Spam.
    pub spam: usize,
    /// Scams.
    pub scam: usize,
}

impl LabelCounts {
    fn add(&mut self, l: Label) {
        match l {
            Label::Ham => self.ham += 1,
            Label::Spam => self.spam += 1,
            Label::Scam => self.scam += 1,
            // Never a true label (the readers refuse it).
            Label::Unsure => {}
        }
    }
}

/// Recall at one fixed false-positive rate.
///
/// # Example
///
/// ```
/// use scamscan::eval::BinaryMetrics;
/// let m = BinaryMetrics::compute(&[0.9, 0.6, 0.4, 0.1], &[true, false, true, false], &[0.0]);
/// let r = m.recall_at_fpr[0];
/// assert_eq!((r.fpr, r.recall), (0.0, Some(0.5))); // only 0.9 ranks above every negative
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RecallAtFpr {
    /// The largest share of negatives allowed at or above the threshold.
    pub fpr: f64,
    /// Recall of the positives at that threshold; `None` when a class is missing.
    pub recall: Option<f64>,
}

/// Ranking quality of one score for one binary question.
///
/// Ranking metrics judge the score, not a threshold: they tell whether
/// *some* threshold would serve a use, before one is chosen.
///
/// # Example
///
/// ```
/// use scamscan::eval::BinaryMetrics;
/// let m = BinaryMetrics::compute(&[0.9, 0.2], &[true, true], &[0.01]);
/// assert_eq!(m.roc_auc, None); // no negatives: undefined, not NaN
/// assert_eq!(m.pr_auc, Some(1.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinaryMetrics {
    /// Positive rows.
    pub positives: usize,
    /// Negative rows.
    pub negatives: usize,
    /// Area under the ROC curve; `None` when a class is missing.
    pub roc_auc: Option<f64>,
    /// Average precision (area under the precision-recall curve); `None` without positives.
    pub pr_auc: Option<f64>,
    /// Recall at each requested false-positive rate.
    pub recall_at_fpr: Vec<RecallAtFpr>,
}

impl BinaryMetrics {
    /// Computes the metrics of `scores` (higher = more positive) against `truth`.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::eval::BinaryMetrics;
    /// let m = BinaryMetrics::compute(&[0.9, 0.8, 0.3, 0.1], &[true, false, true, false], &[0.0, 0.5]);
    /// assert_eq!((m.positives, m.negatives), (2, 2));
    /// assert!((m.roc_auc.unwrap() - 0.75).abs() < 1e-6);
    /// assert_eq!(m.recall_at_fpr[0].recall, Some(0.5));
    /// assert_eq!(m.recall_at_fpr[1].recall, Some(1.0));
    /// ```
    pub fn compute(scores: &[f32], truth: &[bool], fprs: &[f64]) -> Self {
        let positives = truth.iter().filter(|&&t| t).count();
        BinaryMetrics {
            positives,
            negatives: truth.len() - positives,
            roc_auc: metrics::roc_auc(scores, truth),
            pr_auc: metrics::average_precision(scores, truth),
            recall_at_fpr: fprs
                .iter()
                .map(|&fpr| RecallAtFpr {
                    fpr,
                    recall: metrics::recall_at_fpr(scores, truth, fpr),
                })
                .collect(),
        }
    }

    /// The share of positives: the PR-AUC of a random ranking.
    ///
    /// The baseline a PR-AUC should be read against: 0.5 is good when 1% of
    /// the rows are positive, and worthless when half of them are.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::eval::BinaryMetrics;
    /// let m = BinaryMetrics::compute(&[0.9, 0.8, 0.3, 0.1], &[true, false, false, false], &[]);
    /// assert_eq!(m.prevalence(), Some(0.25));
    /// ```
    pub fn prevalence(&self) -> Option<f64> {
        let n = self.positives + self.negatives;
        (n > 0).then(|| self.positives as f64 / n as f64)
    }
}

/// Quality of a yes/no decision.
///
/// The rates are stored beside the counts so that the JSON report can be
/// read without recomputing them.
///
/// # Example
///
/// ```
/// use scamscan::{eval::DecisionMetrics, metrics::Confusion};
/// let d = DecisionMetrics::from_confusion(Confusion { tp: 9, fp: 1, tn: 99, fn_: 1 });
/// assert_eq!((d.precision, d.recall, d.ham_fpr), (Some(0.9), Some(0.9), Some(0.01)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DecisionMetrics {
    /// The counts.
    pub confusion: Confusion,
    /// tp / (tp + fp).
    pub precision: Option<f64>,
    /// tp / (tp + fn).
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall.
    pub f1: Option<f64>,
    /// fp / (fp + tn): the share of legitimate messages wrongly flagged.
    pub ham_fpr: Option<f64>,
}

impl DecisionMetrics {
    /// Derives the rates from the counts.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{eval::DecisionMetrics, metrics::Confusion};
    /// let d = DecisionMetrics::from_confusion(Confusion::default());
    /// assert_eq!((d.precision, d.f1, d.ham_fpr), (None, None, None));
    /// ```
    pub fn from_confusion(confusion: Confusion) -> Self {
        DecisionMetrics {
            confusion,
            precision: confusion.precision(),
            recall: confusion.recall(),
            f1: confusion.f1(),
            ham_fpr: confusion.fpr(),
        }
    }
}

/// The confusion matrix: `counts[true][predicted]`, indexed by
/// [`Label::index`]: three true labels by four decisions (ham, spam, scam,
/// unsure).
///
/// Three classes rather than flagged/not flagged, because scam taken for
/// spam and scam taken for ham are very different mistakes.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{group_metrics, Scored}, Label};
/// let rows = [Scored { truth: Label::Scam, predicted: Label::Spam, p_ham: 0.2, p_scam: 0.3 }];
/// let m = group_metrics("demo", &rows, &[]).confusion;
/// assert_eq!(m.counts[Label::Scam.index()][Label::Spam.index()], 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConfusionMatrix {
    /// Row order: ham, spam, scam; columns add unsure.
    pub labels: [Label; 4],
    /// `counts[true label][predicted label]`.
    pub counts: [[u64; 4]; 3],
}

impl ConfusionMatrix {
    fn new() -> Self {
        ConfusionMatrix {
            labels: [Label::Ham, Label::Spam, Label::Scam, Label::Unsure],
            counts: [[0; 4]; 3],
        }
    }

    /// Rows with true label `truth` predicted as `predicted`.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{eval::{group_metrics, Scored}, Label};
    /// let rows = [Scored { truth: Label::Ham, predicted: Label::Scam, p_ham: 0.3, p_scam: 0.6 }];
    /// let m = group_metrics("demo", &rows, &[]).confusion;
    /// assert_eq!((m.get(Label::Ham, Label::Scam), m.get(Label::Scam, Label::Ham)), (1, 0));
    /// ```
    pub fn get(&self, truth: Label, predicted: Label) -> u64 {
        self.counts
            .get(truth.index())
            .and_then(|row| row.get(predicted.index()))
            .copied()
            .unwrap_or(0)
    }
}

/// One scored row, free of any classifier: what the table computations need.
///
/// So that scores from another system (a baseline, a vendor's API) can be
/// measured with exactly the same code.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{group_metrics, Scored}, Label};
/// let rows = [
///     Scored { truth: Label::Ham, predicted: Label::Ham, p_ham: 0.95, p_scam: 0.01 },
///     Scored { truth: Label::Scam, predicted: Label::Scam, p_ham: 0.05, p_scam: 0.9 },
/// ];
/// assert_eq!(group_metrics("baseline", &rows, &[]).flagged.roc_auc, Some(1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The true label.
    pub truth: Label,
    /// The label of the default decision.
    pub predicted: Label,
    /// Calibrated p(ham).
    pub p_ham: f32,
    /// Calibrated p(scam).
    pub p_scam: f32,
}

/// All metrics of one group of rows (everything, one source, one channel).
///
/// Per group, because a model can look good overall while failing one
/// channel or one corpus entirely.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{group_metrics, Scored}, Label};
/// let row = |truth, predicted, p_ham, p_scam| Scored { truth, predicted, p_ham, p_scam };
/// let g = group_metrics("sms", &[
///     row(Label::Ham, Label::Ham, 0.9, 0.05),
///     row(Label::Spam, Label::Spam, 0.2, 0.1),
///     row(Label::Scam, Label::Scam, 0.1, 0.8),
/// ], &[]);
/// assert_eq!((g.name.as_str(), g.n), ("sms", 3));
/// assert_eq!(g.scam.positives + g.scam.negatives, 2); // spam is left out of scam vs ham
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupMetrics {
    /// The group: `(all)`, a source or a channel name (`(none)` when empty).
    pub name: String,
    /// Rows.
    pub n: usize,
    /// Rows per true label.
    pub counts: LabelCounts,
    /// Flagged (spam or scam) vs ham, ranked by `1 − p(ham)`.
    pub flagged: BinaryMetrics,
    /// Scam vs ham, ranked by `p(scam)`; spam rows excluded.
    pub scam: BinaryMetrics,
    /// Scam vs marketing spam, ranked by `p(scam) / (p(scam) + p(spam))`;
    /// ham rows excluded. Only meaningful for sources that separate the two.
    pub scam_vs_spam: BinaryMetrics,
    /// Rows the decision called unsure (too unfamiliar to judge).
    pub unsure: usize,
    /// The default decision: flagged (predicted spam or scam) vs truth spam or scam.
    pub decision: DecisionMetrics,
    /// The default decision for scam: predicted scam vs truth scam; spam rows excluded.
    pub scam_decision: DecisionMetrics,
    /// True label × predicted label.
    pub confusion: ConfusionMatrix,
}

/// Computes every metric of a group of rows.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{group_metrics, Scored}, Label};
/// let row = |truth, predicted, p_ham, p_scam| Scored { truth, predicted, p_ham, p_scam };
/// let g = group_metrics("demo", &[
///     row(Label::Ham, Label::Ham, 0.9, 0.05),
///     row(Label::Ham, Label::Scam, 0.3, 0.6),
///     row(Label::Scam, Label::Scam, 0.1, 0.8),
///     row(Label::Spam, Label::Ham, 0.6, 0.1),
/// ], &[0.01]);
/// assert_eq!(g.decision.precision, Some(0.5));
/// assert_eq!(g.decision.recall, Some(0.5));
/// assert_eq!(g.decision.ham_fpr, Some(0.5));
/// assert_eq!(g.confusion.get(Label::Spam, Label::Ham), 1);
/// ```
pub fn group_metrics(name: &str, rows: &[Scored], fprs: &[f64]) -> GroupMetrics {
    let mut counts = LabelCounts::default();
    let mut confusion = ConfusionMatrix::new();
    let mut flag_scores = Vec::with_capacity(rows.len());
    let mut flag_truth = Vec::with_capacity(rows.len());
    let mut scam_scores = Vec::new();
    let mut scam_truth = Vec::new();
    let mut decision = Confusion::default();
    let mut scam_decision = Confusion::default();
    let mut svs_scores = Vec::new();
    let mut svs_truth = Vec::new();
    let mut unsure = 0;
    for r in rows {
        unsure += (r.predicted == Label::Unsure) as usize;
        if r.truth != Label::Ham {
            let p_spam = (1.0 - r.p_ham - r.p_scam).max(0.0);
            let total = r.p_scam + p_spam;
            svs_scores.push(if total > 0.0 { r.p_scam / total } else { 0.5 });
            svs_truth.push(r.truth == Label::Scam);
        }
        counts.add(r.truth);
        confusion.counts[r.truth.index()][r.predicted.index()] += 1;
        let positive = r.truth != Label::Ham;
        flag_scores.push(1.0 - r.p_ham);
        flag_truth.push(positive);
        decision = add_pair(decision, r.predicted.is_flagged(), positive);
        if r.truth != Label::Spam {
            let positive = r.truth == Label::Scam;
            scam_scores.push(r.p_scam);
            scam_truth.push(positive);
            scam_decision = add_pair(scam_decision, r.predicted == Label::Scam, positive);
        }
    }
    GroupMetrics {
        name: name.to_string(),
        n: rows.len(),
        counts,
        flagged: BinaryMetrics::compute(&flag_scores, &flag_truth, fprs),
        scam: BinaryMetrics::compute(&scam_scores, &scam_truth, fprs),
        scam_vs_spam: BinaryMetrics::compute(&svs_scores, &svs_truth, &[]),
        unsure,
        decision: DecisionMetrics::from_confusion(decision),
        scam_decision: DecisionMetrics::from_confusion(scam_decision),
        confusion,
    }
}

fn add_pair(c: Confusion, flagged: bool, positive: bool) -> Confusion {
    let d = Confusion::from_pairs([(flagged, positive)]);
    Confusion {
        tp: c.tp + d.tp,
        fp: c.fp + d.fp,
        tn: c.tn + d.tn,
        fn_: c.fn_ + d.fn_,
    }
}

/// One row with a true scam category, free of any classifier.
///
/// `named` and `head` are both kept because they answer different
/// questions: what the user is told, and what the category head knows.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{category_metrics, CategoryScored}, Category, Label};
/// // A missed job scam whose category the head would still have named right.
/// let row = CategoryScored { truth: Category::Job, predicted: Label::Ham, named: None, head: Some(Category::Job) };
/// let m = &category_metrics(&[row])[0];
/// assert_eq!((m.scam_recall, m.head_accuracy), (Some(0.0), Some(1.0)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CategoryScored {
    /// The true category.
    pub truth: Category,
    /// The label of the default decision.
    pub predicted: Label,
    /// The category the verdict names (present when the predicted label is scam).
    pub named: Option<Category>,
    /// The category head's top choice whatever the predicted label.
    pub head: Option<Category>,
}

/// How well one scam category is caught and named.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{category_metrics, CategoryScored}, Category, Label};
/// let row = |truth, named| CategoryScored { truth, predicted: Label::Scam, named: Some(named), head: Some(named) };
/// let m = category_metrics(&[row(Category::Bank, Category::Bank), row(Category::Job, Category::Bank)]);
/// let bank = m.iter().find(|m| m.category == "bank").unwrap();
/// assert_eq!(bank.named_precision, Some(0.5)); // named "bank" twice, right once
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryMetrics {
    /// The category (`(all)` for every row with a category).
    pub category: String,
    /// Rows whose true category is this one.
    pub n: usize,
    /// Share of those rows flagged (predicted spam or scam).
    pub flagged_recall: Option<f64>,
    /// Share of those rows predicted scam.
    pub scam_recall: Option<f64>,
    /// Rows predicted scam (the denominator of `named_accuracy`).
    pub predicted_scam: usize,
    /// Among rows predicted scam, the share whose named category is right.
    pub named_accuracy: Option<f64>,
    /// Share of all rows predicted scam *and* named right (end to end).
    pub caught_and_named: Option<f64>,
    /// The category head's top-1 accuracy over all rows, whatever the predicted label.
    pub head_accuracy: Option<f64>,
    /// Among categorized rows named this category, the share truly of it.
    pub named_precision: Option<f64>,
}

/// Per-category metrics (categories with rows, in taxonomy order), then `(all)`.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{category_metrics, CategoryScored}, Category, Label};
/// let rows = [
///     CategoryScored { truth: Category::Job, predicted: Label::Scam, named: Some(Category::Job), head: Some(Category::Job) },
///     CategoryScored { truth: Category::Job, predicted: Label::Ham, named: None, head: Some(Category::Bank) },
/// ];
/// let m = category_metrics(&rows);
/// assert_eq!(m[0].category, "job");
/// assert_eq!(m[0].scam_recall, Some(0.5));
/// assert_eq!(m[0].named_accuracy, Some(1.0));
/// assert_eq!(m[0].head_accuracy, Some(0.5));
/// assert_eq!(m.last().unwrap().category, "(all)");
/// ```
pub fn category_metrics(rows: &[CategoryScored]) -> Vec<CategoryMetrics> {
    let mut out = Vec::new();
    for c in Category::ALL {
        let mine: Vec<CategoryScored> = rows.iter().copied().filter(|r| r.truth == c).collect();
        if mine.is_empty() {
            continue;
        }
        let named_as = rows.iter().filter(|r| r.named == Some(c)).count();
        let named_right = mine.iter().filter(|r| r.named == Some(c)).count();
        let mut m = category_row(c.as_str(), &mine);
        m.named_precision = ratio(named_right, named_as);
        out.push(m);
    }
    if !rows.is_empty() {
        let mut all = category_row("(all)", rows);
        let named = rows.iter().filter(|r| r.named.is_some()).count();
        let right = rows.iter().filter(|r| r.named == Some(r.truth)).count();
        all.named_precision = ratio(right, named);
        out.push(all);
    }
    out
}

fn category_row(name: &str, rows: &[CategoryScored]) -> CategoryMetrics {
    let n = rows.len();
    let flagged = rows.iter().filter(|r| r.predicted.is_flagged()).count();
    let scam: Vec<&CategoryScored> = rows.iter().filter(|r| r.predicted == Label::Scam).collect();
    let named_right = scam.iter().filter(|r| r.named == Some(r.truth)).count();
    let head_right = rows.iter().filter(|r| r.head == Some(r.truth)).count();
    CategoryMetrics {
        category: name.to_string(),
        n,
        flagged_recall: ratio(flagged, n),
        scam_recall: ratio(scam.len(), n),
        predicted_scam: scam.len(),
        named_accuracy: ratio(named_right, scam.len()),
        caught_and_named: ratio(named_right, n),
        head_accuracy: ratio(head_right, n),
        named_precision: None,
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// One point of a curve.
///
/// The threshold is kept with each point so that a point read off a plot
/// can be turned into a `--threshold`.
///
/// # Example
///
/// ```
/// let roc = scamscan::eval::roc_curve(&[0.9, 0.1], &[true, false], 500);
/// assert_eq!(roc[0].threshold, None);
/// assert_eq!((roc[1].x, roc[1].y, roc[1].threshold), (0.0, 1.0, Some(0.9)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// False-positive rate (ROC) or recall (PR).
    pub x: f64,
    /// True-positive rate (ROC) or precision (PR).
    pub y: f64,
    /// The score threshold (`score >= threshold` is positive); `None` for the
    /// ROC curve's starting point, where nothing is flagged.
    pub threshold: Option<f32>,
}

/// Curves of flagged (spam or scam) vs ham over all rows, ranked by `1 − p(ham)`.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{evaluate, EvalOptions}, Classifier};
/// let report = evaluate(&Classifier::default(), &[], &EvalOptions::default());
/// assert!(report.curves.roc.is_empty() && report.curves.pr.is_empty()); // no rows, no curve
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Curves {
    /// ROC: x = false-positive rate, y = recall. Empty when a class is missing.
    pub roc: Vec<CurvePoint>,
    /// Precision-recall: x = recall, y = precision. Empty without positives.
    pub pr: Vec<CurvePoint>,
}

/// The ROC curve, from `(0, 0)` to `(1, 1)`, one point per distinct score,
/// downsampled to at most `max_points` (endpoints kept). Empty when a class is missing.
///
/// Downsampled so that a report over a million rows stays small enough to
/// read and plot.
///
/// # Example
///
/// ```
/// let roc = scamscan::eval::roc_curve(&[0.9, 0.8, 0.3, 0.1], &[true, false, true, false], 500);
/// let xy: Vec<(f64, f64)> = roc.iter().map(|p| (p.x, p.y)).collect();
/// assert_eq!(xy, [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]);
/// ```
pub fn roc_curve(scores: &[f32], truth: &[bool], max_points: usize) -> Vec<CurvePoint> {
    let pos = truth.iter().filter(|&&t| t).count();
    let neg = truth.len() - pos;
    if pos == 0 || neg == 0 {
        return Vec::new();
    }
    let mut pts = vec![CurvePoint {
        x: 0.0,
        y: 0.0,
        threshold: None,
    }];
    pts.extend(
        metrics::sweep(scores, truth)
            .into_iter()
            .map(|(s, tp, fp)| CurvePoint {
                x: fp as f64 / neg as f64,
                y: tp as f64 / pos as f64,
                threshold: Some(s),
            }),
    );
    downsample(pts, max_points)
}

/// The precision-recall curve, one point per distinct score from the highest
/// down, downsampled to at most `max_points` (endpoints kept). Empty without positives.
///
/// # Example
///
/// ```
/// let pr = scamscan::eval::pr_curve(&[0.9, 0.8, 0.3, 0.1], &[true, false, true, false], 500);
/// let xy: Vec<(f64, f64)> = pr.iter().map(|p| (p.x, p.y)).collect();
/// assert_eq!(xy, [(0.5, 1.0), (0.5, 0.5), (1.0, 2.0 / 3.0), (1.0, 0.5)]);
/// ```
pub fn pr_curve(scores: &[f32], truth: &[bool], max_points: usize) -> Vec<CurvePoint> {
    let pos = truth.iter().filter(|&&t| t).count();
    if pos == 0 {
        return Vec::new();
    }
    let pts = metrics::sweep(scores, truth)
        .into_iter()
        .map(|(s, tp, fp)| CurvePoint {
            x: tp as f64 / pos as f64,
            y: tp as f64 / (tp + fp) as f64,
            threshold: Some(s),
        })
        .collect();
    downsample(pts, max_points)
}

/// Keeps at most `max` evenly spaced points, always the first and the last.
fn downsample<T: Copy>(pts: Vec<T>, max: usize) -> Vec<T> {
    let max = max.max(2);
    if pts.len() <= max {
        return pts;
    }
    let last = pts.len() - 1;
    (0..max)
        .map(|i| pts[(i * last + (max - 1) / 2) / (max - 1)])
        .collect()
}

/// Everything [`evaluate`] measured. Serializes to JSON; `to_markdown` renders it.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{evaluate, EvalOptions}, Classifier};
/// let report = evaluate(&Classifier::default(), &[], &EvalOptions::default());
/// let json = serde_json::to_value(&report).unwrap();
/// assert_eq!(json["n"], 0);
/// assert!(json["overall"]["flagged"]["roc_auc"].is_null()); // undefined, never NaN
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Rows evaluated.
    pub n: usize,
    /// The false-positive rates of the `recall_at_fpr` entries.
    pub fprs: Vec<f64>,
    /// Rows longer than the classifier's `max_bytes`, scored on their start.
    pub truncated: usize,
    /// Every row.
    pub overall: GroupMetrics,
    /// Per source, sorted by name.
    pub by_source: Vec<GroupMetrics>,
    /// Per channel, sorted by name.
    pub by_channel: Vec<GroupMetrics>,
    /// Per language (the `lang` field), sorted by name.
    pub by_lang: Vec<GroupMetrics>,
    /// Per true scam category (rows that have one), then `(all)`.
    pub by_category: Vec<CategoryMetrics>,
    /// ROC and precision-recall curves of flagged vs ham over every row.
    pub curves: Curves,
    /// Reliability diagram of `p(scam)` (scam vs not scam), equal-width bins.
    pub reliability: Vec<ReliabilityBin>,
    /// Expected calibration error of `p(scam)`: the count-weighted mean of
    /// |mean predicted − observed| over the bins.
    pub ece: Option<f64>,
}

/// Classifies `examples` in bounded batches and measures everything in [`EvalReport`].
///
/// The classifier's `max_bytes` and `scam_threshold` are kept; explanations are
/// turned off (they do not change scores). For rows with a true category that
/// are not predicted scam (whose verdict names no category), the category head's
/// choice comes from [`Classifier::categorize`].
///
/// # Example
///
/// ```
/// use scamscan::{eval::{evaluate, EvalOptions}, Classifier, Example, Label};
/// let ex = |label, text: &str| Example { id: String::new(), source: "demo".into(), channel: "sms".into(),
///     lang: "en".into(), label, category: None, text: text.into() };
/// let examples = [ex(Label::Ham, "see you at the station at 6"), ex(Label::Scam, "URGENT: your account is suspended, verify at secure-bank-login.xyz")];
/// let report = evaluate(&Classifier::default(), &examples, &EvalOptions::default());
/// assert_eq!((report.n, report.overall.counts.ham, report.overall.counts.scam), (2, 1, 1));
/// assert_eq!(report.by_source[0].name, "demo");
/// ```
pub fn evaluate(classifier: &Classifier, examples: &[Example], opts: &EvalOptions) -> EvalReport {
    let base = ClassifyOptions {
        reasons: 0,
        ..classifier.options().clone()
    };
    let fast = classifier.clone().with_options(base);
    let texts =
        |idx: &[usize]| -> Vec<&str> { idx.iter().map(|&i| examples[i].text.as_str()).collect() };
    evaluate_with(
        examples,
        opts,
        CHUNK,
        |idx| fast.classify_batch(&texts(idx)),
        |idx| {
            texts(idx)
                .par_iter()
                .map(|t| fast.categorize(t).0)
                .collect()
        },
    )
}

/// How [`cross_validate`] splits the data: each value of this field is held
/// out in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldOut {
    /// Leave one source out: how the model does on a corpus it never saw.
    Source,
    /// Leave one channel out: SMS, e-mail, social, video, job posts.
    Channel,
    /// Leave one language out.
    Lang,
}

impl HoldOut {
    fn key(self, e: &Example) -> String {
        key(match self {
            HoldOut::Source => &e.source,
            HoldOut::Channel => &e.channel,
            HoldOut::Lang => &e.lang,
        })
    }
}

/// Leave-one-group-out evaluation: for every value of `by` (every source,
/// say), trains a model with `params` on all other rows and scores the held-out
/// rows with it; the report pools those held-out predictions, so its
/// `by_source` (or `by_channel`, `by_lang`) table is the per-group
/// generalisation table and `overall` the micro-pooled one.
///
/// This is the measure that matters for a scam filter: new scripts, channels
/// and languages appear all the time, and in-domain figures hide how much a
/// model learned its training sources rather than scams.
///
/// `progress` hears about each group as it starts. A group whose complement
/// cannot be trained on (no scam rows left, say) is skipped and named in
/// `skipped`.
pub fn cross_validate(
    examples: &[Example],
    params: &crate::train::TrainParams,
    by: HoldOut,
    opts: &EvalOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> crate::Result<CrossReport> {
    let mut names: Vec<String> = examples.iter().map(|e| by.key(e)).collect();
    names.sort();
    names.dedup();
    let mut verdicts: Vec<Option<Verdict>> = vec![None; examples.len()];
    let mut heads: Vec<Option<Category>> = vec![None; examples.len()];
    let mut thresholds: Vec<f32> = vec![f32::NAN; examples.len()];
    let mut skipped = Vec::new();
    for (g, name) in names.iter().enumerate() {
        let (test, train): (Vec<usize>, Vec<usize>) =
            (0..examples.len()).partition(|&i| by.key(&examples[i]) == *name);
        progress(&format!(
            "[{}/{}] holding out {name}: training on {} messages, testing on {}",
            g + 1,
            names.len(),
            train.len(),
            test.len()
        ));
        let train_rows: Vec<Example> = train.iter().map(|&i| examples[i].clone()).collect();
        let model = match crate::train::Trainer::new(params.clone())?.train(&train_rows) {
            Ok(m) => m,
            Err(e) => {
                progress(&format!("skipping {name}: {e}"));
                skipped.push(format!("{name}: {e}"));
                continue;
            }
        };
        drop(train_rows);
        for &i in &test {
            thresholds[i] = model.calibration.flag_threshold;
        }
        let c = Classifier::new(model).with_options(ClassifyOptions {
            reasons: 0,
            max_bytes: params.max_bytes,
            ..ClassifyOptions::default()
        });
        let texts: Vec<&str> = test.iter().map(|&i| examples[i].text.as_str()).collect();
        let vs = c.classify_batch(&texts);
        let cats: Vec<Category> = texts.par_iter().map(|t| c.categorize(t).0).collect();
        for ((&i, v), cat) in test.iter().zip(vs).zip(cats) {
            verdicts[i] = Some(v);
            heads[i] = Some(cat);
        }
    }
    let kept: Vec<usize> = (0..examples.len())
        .filter(|&i| verdicts[i].is_some())
        .collect();
    let rows: Vec<Example> = kept.iter().map(|&i| examples[i].clone()).collect();
    let predictions = kept
        .iter()
        .map(|&i| {
            let e = &examples[i];
            let v = verdicts[i].as_ref().expect("scored");
            HeldOutPrediction {
                id: e.id.clone(),
                source: e.source.clone(),
                channel: e.channel.clone(),
                lang: e.lang.clone(),
                truth: e.label,
                category: e.category,
                predicted: v.label,
                p_ham: v.probabilities.ham,
                p_spam: v.probabilities.spam,
                p_scam: v.probabilities.scam,
                coverage: v.coverage,
                head_category: heads[i].expect("categorized"),
                flag_threshold: thresholds[i],
            }
        })
        .collect();
    let report = evaluate_with(
        &rows,
        opts,
        CHUNK,
        |idx| {
            idx.iter()
                .map(|&j| verdicts[kept[j]].clone().expect("scored"))
                .collect()
        },
        |idx| {
            idx.iter()
                .map(|&j| heads[kept[j]].expect("categorized"))
                .collect()
        },
    );
    Ok(CrossReport {
        by,
        groups: names.len() - skipped.len(),
        skipped,
        report,
        predictions,
    })
}

/// One held-out row of [`cross_validate`]: for re-analysis (other
/// thresholds, other groupings) without retraining.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOutPrediction {
    /// The row's id.
    pub id: String,
    /// Its source.
    pub source: String,
    /// Its channel.
    pub channel: String,
    /// Its language.
    pub lang: String,
    /// Its true label.
    pub truth: Label,
    /// Its true category, if any.
    pub category: Option<Category>,
    /// The decision of the model that did not see its group.
    pub predicted: Label,
    /// Calibrated p(ham).
    pub p_ham: f32,
    /// Calibrated p(spam).
    pub p_spam: f32,
    /// Calibrated p(scam).
    pub p_scam: f32,
    /// Share of its words in that model's vocabulary.
    pub coverage: f32,
    /// The category head's choice.
    pub head_category: Category,
    /// That model's flag threshold on `1 − p(ham)`.
    pub flag_threshold: f32,
}

/// What [`cross_validate`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossReport {
    /// The field held out.
    pub by: HoldOut,
    /// Groups evaluated.
    pub groups: usize,
    /// Groups that could not be trained without, with the reason.
    pub skipped: Vec<String>,
    /// The pooled held-out predictions, measured.
    pub report: EvalReport,
    /// Every held-out row's prediction (not part of the JSON report; the
    /// CLI writes them with `--predictions`).
    #[serde(skip)]
    pub predictions: Vec<HeldOutPrediction>,
}

impl CrossReport {
    /// The report as Markdown, titled by what was held out.
    pub fn to_markdown(&self) -> String {
        let what = match self.by {
            HoldOut::Source => "source",
            HoldOut::Channel => "channel",
            HoldOut::Lang => "language",
        };
        let mut s = format!(
            "# Leave-one-{what}-out evaluation\n\nEach {what} was held out in turn ({} in all); a model trained on everything else scored it. The tables pool those held-out predictions: the per-{what} table is the generalisation table, the overall figures are micro-pooled.\n\n",
            self.groups
        );
        for sk in &self.skipped {
            s.push_str(&format!("Skipped: {sk}\n\n"));
        }
        let inner = self.report.to_markdown();
        s.push_str(inner.trim_start_matches("# Evaluation\n\n"));
        s
    }
}

/// Recall at the default decision on clean and perturbed positives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RobustnessRow {
    /// The perturbation, or `None` for the clean text.
    pub perturbation: Option<Perturbation>,
    /// Spam and scam rows perturbed and scored.
    pub positives: usize,
    /// Share of them flagged (spam or scam).
    pub recall: Option<f64>,
    /// Scam rows among them.
    pub scams: usize,
    /// Share of scam rows labeled scam.
    pub scam_recall: Option<f64>,
    /// Clean recall minus this recall (positive: recall lost).
    pub recall_drop: Option<f64>,
}

/// Scores every spam and scam row clean and under each perturbation, and
/// reports recall at the classifier's default decision: how much a sender
/// gains by disguising the text.
///
/// # Example
///
/// ```
/// use scamscan::{eval::robustness, obfuscate::Perturbation, Classifier, Example, Label};
/// let ex = Example { id: String::new(), source: "demo".into(), channel: "sms".into(), lang: "en".into(),
///     label: Label::Scam, category: None,
///     text: "URGENT: your bank account is suspended. Verify now at secure-bank-login.xyz/verify".into() };
/// let rows = robustness(&Classifier::default(), &[ex], &[Perturbation::ZeroWidth], 1);
/// assert_eq!(rows.len(), 2); // clean, then zero-width
/// assert_eq!(rows[1].recall, rows[0].recall);
/// ```
pub fn robustness(
    classifier: &Classifier,
    examples: &[Example],
    perturbations: &[Perturbation],
    seed: u64,
) -> Vec<RobustnessRow> {
    let positives: Vec<&Example> = examples.iter().filter(|e| e.label != Label::Ham).collect();
    let fast = classifier.clone().with_options(ClassifyOptions {
        reasons: 0,
        ..classifier.options().clone()
    });
    let scams = positives.iter().filter(|e| e.label == Label::Scam).count();
    let run = |p: Option<Perturbation>| -> (usize, usize) {
        let mut flagged = 0;
        let mut scam_hit = 0;
        for chunk in positives.chunks(CHUNK) {
            let texts: Vec<String> = chunk
                .par_iter()
                .map(|e| p.map_or_else(|| e.text.clone(), |p| p.apply(&e.text, seed)))
                .collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            for (e, v) in chunk.iter().zip(fast.classify_batch(&refs)) {
                flagged += v.is_flagged() as usize;
                scam_hit += (e.label == Label::Scam && v.label == Label::Scam) as usize;
            }
        }
        (flagged, scam_hit)
    };
    let (clean_f, clean_s) = run(None);
    let clean = ratio(clean_f, positives.len());
    let mut out = vec![RobustnessRow {
        perturbation: None,
        positives: positives.len(),
        recall: clean,
        scams,
        scam_recall: ratio(clean_s, scams),
        recall_drop: clean.map(|_| 0.0),
    }];
    for &p in perturbations {
        let (f, s) = run(Some(p));
        let recall = ratio(f, positives.len());
        out.push(RobustnessRow {
            perturbation: Some(p),
            positives: positives.len(),
            recall,
            scams,
            scam_recall: ratio(s, scams),
            recall_drop: clean.zip(recall).map(|(c, r)| c - r),
        });
    }
    out
}

/// The robustness table as Markdown.
pub fn robustness_markdown(rows: &[RobustnessRow]) -> String {
    let mut s = String::from("## Recall under obfuscation (default decision)\n\n| text | spam+scam rows | recall | recall lost | scam rows | scam recall |\n|---|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            r.perturbation.map_or("clean", |p| p.as_str()),
            r.positives,
            f3(r.recall),
            r.recall_drop.map_or("—".into(), |d| format!("{d:+.3}")),
            r.scams,
            f3(r.scam_recall)
        );
    }
    s.push('\n');
    s
}

/// Maps names to small ids.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), i);
        i
    }
}

/// [`evaluate`] with the classification injected: `score` classifies with the
/// default decision, `force` must name a category for every text.
fn evaluate_with(
    examples: &[Example],
    opts: &EvalOptions,
    chunk: usize,
    score: impl Fn(&[usize]) -> Vec<Verdict>,
    categorize: impl Fn(&[usize]) -> Vec<Category>,
) -> EvalReport {
    let n = examples.len();
    let mut rows = Vec::with_capacity(n);
    let mut source_of = Vec::with_capacity(n);
    let mut channel_of = Vec::with_capacity(n);
    let mut sources = Interner::default();
    let mut channels = Interner::default();
    let mut lang_of = Vec::with_capacity(n);
    let mut langs = Interner::default();
    let mut cat_rows: Vec<CategoryScored> = Vec::new();
    // (index in cat_rows, index in examples) of categorized rows not predicted scam.
    let mut need_head: Vec<(usize, usize)> = Vec::new();
    let mut truncated = 0;
    for (c, batch) in examples.chunks(chunk.max(1)).enumerate() {
        let first = c * chunk.max(1);
        let idx: Vec<usize> = (first..first + batch.len()).collect();
        let verdicts = score(&idx);
        assert_eq!(verdicts.len(), idx.len(), "one verdict per message");
        for (j, (e, v)) in batch.iter().zip(verdicts).enumerate() {
            rows.push(Scored {
                truth: e.label,
                predicted: v.label,
                p_ham: v.probabilities.ham,
                p_scam: v.probabilities.scam,
            });
            source_of.push(sources.id(&key(&e.source)));
            channel_of.push(channels.id(&key(&e.channel)));
            lang_of.push(langs.id(&key(&e.lang)));
            truncated += v.truncated as usize;
            if let Some(truth) = e.category {
                if v.category.is_none() {
                    need_head.push((cat_rows.len(), c * chunk.max(1) + j));
                }
                cat_rows.push(CategoryScored {
                    truth,
                    predicted: v.label,
                    named: v.category,
                    head: v.category,
                });
            }
        }
    }
    for batch in need_head.chunks(chunk.max(1)) {
        let idx: Vec<usize> = batch.iter().map(|&(_, i)| i).collect();
        let heads = categorize(&idx);
        assert_eq!(heads.len(), idx.len(), "one category per message");
        for (&(ci, _), head) in batch.iter().zip(heads) {
            cat_rows[ci].head = Some(head);
        }
    }

    let fprs = &opts.fprs;
    let overall = group_metrics("(all)", &rows, fprs);
    let by_source = groups(&rows, &source_of, &sources.names, fprs);
    let by_channel = groups(&rows, &channel_of, &channels.names, fprs);
    let by_lang = groups(&rows, &lang_of, &langs.names, fprs);
    let flag_scores: Vec<f32> = rows.iter().map(|r| 1.0 - r.p_ham).collect();
    let flag_truth: Vec<bool> = rows.iter().map(|r| r.truth != Label::Ham).collect();
    let curves = Curves {
        roc: roc_curve(&flag_scores, &flag_truth, MAX_CURVE_POINTS),
        pr: pr_curve(&flag_scores, &flag_truth, MAX_CURVE_POINTS),
    };
    drop((flag_scores, flag_truth));
    let pairs: Vec<(f32, bool)> = rows
        .iter()
        .map(|r| (r.p_scam, r.truth == Label::Scam))
        .collect();
    let reliability = reliability(&pairs, RELIABILITY_BINS);
    EvalReport {
        n,
        fprs: fprs.clone(),
        truncated,
        ece: ece(&reliability),
        overall,
        by_source,
        by_channel,
        by_lang,
        by_category: category_metrics(&cat_rows),
        curves,
        reliability,
    }
}

fn key(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        "(none)".to_string()
    } else {
        s.to_string()
    }
}

/// Group metrics per id, sorted by name.
fn groups(rows: &[Scored], ids: &[u32], names: &[String], fprs: &[f64]) -> Vec<GroupMetrics> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| names[a].cmp(&names[b]));
    order
        .into_iter()
        .map(|g| {
            let mine: Vec<Scored> = rows
                .iter()
                .zip(ids)
                .filter(|(_, &id)| id as usize == g)
                .map(|(r, _)| *r)
                .collect();
            group_metrics(&names[g], &mine, fprs)
        })
        .collect()
}

/// Count-weighted mean |predicted − observed|; `None` without rows.
fn ece(bins: &[ReliabilityBin]) -> Option<f64> {
    let n: u64 = bins.iter().map(|b| b.count as u64).sum();
    (n > 0).then(|| {
        bins.iter()
            .map(|b| b.count as f64 * (b.predicted as f64 - b.observed as f64).abs())
            .sum::<f64>()
            / n as f64
    })
}

// ---------------------------------------------------------------------------
// Markdown

/// A rate with three decimals, or "—".
fn f3(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.3}"))
}

/// A share as a percentage, or "—".
fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.2}%", v * 100.0))
}

/// `0.001` → `0.1%`, `0.05` → `5%`.
pub(crate) fn fpr_level(fpr: f64) -> String {
    let s = format!("{:.4}", fpr * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn recall_list(m: &BinaryMetrics) -> String {
    m.recall_at_fpr
        .iter()
        .map(|r| format!("{} at {} FPR", f3(r.recall), fpr_level(r.fpr)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl EvalReport {
    /// A summary paragraph, then tables: overall, per source, per channel,
    /// per category, the confusion matrix and the reliability of `p(scam)`.
    ///
    /// Undefined metrics are shown as "—", so a table never shows NaN.
    ///
    /// # Example
    ///
    /// ```
    /// use scamscan::{eval::{evaluate, EvalOptions}, Classifier, Example, Label};
    /// let ham = Example { id: String::new(), source: "demo".into(), channel: "sms".into(),
    ///     lang: "en".into(), label: Label::Ham, category: None, text: "lunch at 1?".into() };
    /// let md = evaluate(&Classifier::default(), &[ham], &EvalOptions::default()).to_markdown();
    /// assert!(md.starts_with("# Evaluation") && md.contains("## Per source"));
    /// assert!(md.contains('—') && !md.contains("NaN")); // no scam: AUC undefined
    /// ```
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let o = &self.overall;
        let _ = writeln!(s, "# Evaluation\n");
        s.push_str(&self.summary());
        s.push_str("\n\n");

        let _ = writeln!(s, "## Overall\n");
        let _ = writeln!(
            s,
            "| metric | flagged (spam or scam) vs ham | scam vs ham |"
        );
        let _ = writeln!(s, "|---|---:|---:|");
        let (f, c) = (&o.flagged, &o.scam);
        let (fd, cd) = (&o.decision, &o.scam_decision);
        let _ = writeln!(
            s,
            "| positives / negatives | {} / {} | {} / {} |",
            f.positives, f.negatives, c.positives, c.negatives
        );
        let _ = writeln!(s, "| ROC-AUC | {} | {} |", f3(f.roc_auc), f3(c.roc_auc));
        let _ = writeln!(
            s,
            "| PR-AUC (average precision) | {} | {} |",
            f3(f.pr_auc),
            f3(c.pr_auc)
        );
        let _ = writeln!(
            s,
            "| PR-AUC of a random ranking (prevalence) | {} | {} |",
            f3(f.prevalence()),
            f3(c.prevalence())
        );
        for (rf, rc) in f.recall_at_fpr.iter().zip(&c.recall_at_fpr) {
            let _ = writeln!(
                s,
                "| recall at {} FPR | {} | {} |",
                fpr_level(rf.fpr),
                f3(rf.recall),
                f3(rc.recall)
            );
        }
        let _ = writeln!(
            s,
            "| precision (default decision) | {} | {} |",
            f3(fd.precision),
            f3(cd.precision)
        );
        let _ = writeln!(
            s,
            "| recall (default decision) | {} | {} |",
            f3(fd.recall),
            f3(cd.recall)
        );
        let _ = writeln!(
            s,
            "| F1 (default decision) | {} | {} |",
            f3(fd.f1),
            f3(cd.f1)
        );
        let _ = writeln!(
            s,
            "| ham flagged (default decision) | {} ({} of {}) | {} ({} of {}) |",
            pct(fd.ham_fpr),
            fd.confusion.fp,
            fd.confusion.fp + fd.confusion.tn,
            pct(cd.ham_fpr),
            cd.confusion.fp,
            cd.confusion.fp + cd.confusion.tn
        );
        let _ = writeln!(
            s,
            "| TP / FP / FN / TN | {} / {} / {} / {} | {} / {} / {} / {} |",
            fd.confusion.tp,
            fd.confusion.fp,
            fd.confusion.fn_,
            fd.confusion.tn,
            cd.confusion.tp,
            cd.confusion.fp,
            cd.confusion.fn_,
            cd.confusion.tn
        );
        s.push('\n');
        if let Some(note) = self.low_fpr_note() {
            let _ = writeln!(s, "{note}\n");
        }

        self.group_table(&mut s, "Per source", "source", &self.by_source);
        self.group_table(&mut s, "Per channel", "channel", &self.by_channel);
        self.group_table(&mut s, "Per language", "lang", &self.by_lang);
        self.category_table(&mut s);
        self.confusion_table(&mut s);
        self.reliability_table(&mut s);
        s
    }

    fn summary(&self) -> String {
        let o = &self.overall;
        let c = &o.counts;
        if self.n == 0 {
            return "No messages were evaluated; every metric is undefined (—).".into();
        }
        let mut s = format!(
            "Evaluated {} messages ({} ham, {} spam, {} scam) from {} source{} over {} channel{}.",
            self.n,
            c.ham,
            c.spam,
            c.scam,
            self.by_source.len(),
            if self.by_source.len() == 1 { "" } else { "s" },
            self.by_channel.len(),
            if self.by_channel.len() == 1 { "" } else { "s" },
        );
        if self.truncated > 0 {
            let _ = write!(
                s,
                " {} message{} longer than the size limit {} scored on {} first bytes.",
                self.truncated,
                if self.truncated == 1 { "" } else { "s" },
                if self.truncated == 1 { "was" } else { "were" },
                if self.truncated == 1 { "its" } else { "their" },
            );
        }
        let f = &o.flagged;
        let d = &o.decision;
        let _ = write!(
            s,
            " Flagged (spam or scam) vs ham: ROC-AUC {}, PR-AUC {} (a random ranking scores {}).",
            f3(f.roc_auc),
            f3(f.pr_auc),
            f3(f.prevalence())
        );
        let _ = write!(
            s,
            " At the default decision, precision {}, recall {}, F1 {}, and {} of legitimate messages flagged ({} of {}).",
            f3(d.precision),
            f3(d.recall),
            f3(d.f1),
            pct(d.ham_fpr),
            d.confusion.fp,
            d.confusion.fp + d.confusion.tn
        );
        if !f.recall_at_fpr.is_empty() {
            let _ = write!(s, " Recall at fixed FPR: {}.", recall_list(f));
        }
        let sc = &o.scam;
        let _ = write!(
            s,
            " Scam vs ham (spam excluded): ROC-AUC {}, PR-AUC {}.",
            f3(sc.roc_auc),
            f3(sc.pr_auc)
        );
        if let Some(all) = self.by_category.iter().find(|m| m.category == "(all)") {
            let _ = write!(
                s,
                " Of the {} messages with a known scam category, {} were predicted scam and {} of those were given the right category; the category head's top choice is right for {} of all {}.",
                all.n,
                all.predicted_scam,
                pct(all.named_accuracy),
                pct(all.head_accuracy),
                all.n
            );
        }
        let _ = write!(
            s,
            " Calibration of p(scam): expected calibration error {}.",
            f3(self.ece)
        );
        s
    }

    /// A note when a fixed FPR is below one ham message.
    fn low_fpr_note(&self) -> Option<String> {
        let neg = self.overall.flagged.negatives;
        let low: Vec<String> = self
            .fprs
            .iter()
            .filter(|&&f| neg > 0 && f * (neg as f64) < 1.0)
            .map(|&f| fpr_level(f))
            .collect();
        (!low.is_empty()).then(|| {
            format!(
                "With {neg} ham messages, recall at {} FPR allows no false positive at all: it is recall above the highest-scoring ham message.",
                low.join(" and ")
            )
        })
    }

    fn group_table(&self, s: &mut String, title: &str, kind: &str, groups: &[GroupMetrics]) {
        let _ = writeln!(s, "## {title}\n");
        if groups.is_empty() {
            let _ = writeln!(s, "No rows.\n");
            return;
        }
        let levels: String = self
            .fprs
            .iter()
            .map(|&f| format!(" R@{} |", fpr_level(f)))
            .collect();
        let _ = writeln!(
            s,
            "| {kind} | n | ham | spam | scam | ROC-AUC | PR-AUC | precision | recall | F1 | ham flagged | unsure |{levels} scam ROC-AUC | scam PR-AUC | scam vs spam ROC-AUC |"
        );
        let _ = writeln!(
            s,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|{}---:|---:|---:|",
            "---:|".repeat(self.fprs.len())
        );
        for g in groups {
            let recalls: String = g
                .flagged
                .recall_at_fpr
                .iter()
                .map(|r| format!(" {} |", f3(r.recall)))
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |{recalls} {} | {} | {} |",
                cell(&g.name),
                g.n,
                g.counts.ham,
                g.counts.spam,
                g.counts.scam,
                f3(g.flagged.roc_auc),
                f3(g.flagged.pr_auc),
                f3(g.decision.precision),
                f3(g.decision.recall),
                f3(g.decision.f1),
                pct(g.decision.ham_fpr),
                g.unsure,
                f3(g.scam.roc_auc),
                f3(g.scam.pr_auc),
                f3(g.scam_vs_spam.roc_auc),
            );
        }
        s.push('\n');
    }

    fn category_table(&self, s: &mut String) {
        let _ = writeln!(s, "## Per scam category\n");
        if self.by_category.is_empty() {
            let _ = writeln!(s, "No rows with a scam category.\n");
            return;
        }
        let _ = writeln!(
            s,
            "| category | n | flagged | predicted scam | right category (of predicted scam) | caught and named right | category head right (all rows) | precision of the name |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for m in &self.by_category {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} ({}) | {} | {} | {} | {} |",
                cell(&m.category),
                m.n,
                pct(m.flagged_recall),
                pct(m.scam_recall),
                m.predicted_scam,
                pct(m.named_accuracy),
                pct(m.caught_and_named),
                pct(m.head_accuracy),
                pct(m.named_precision),
            );
        }
        s.push('\n');
    }

    fn confusion_table(&self, s: &mut String) {
        let m = &self.overall.confusion;
        let _ = writeln!(s, "## Confusion matrix\n");
        let _ = writeln!(
            s,
            "| true \\ predicted | ham | spam | scam | unsure | total | right |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        for t in Label::ALL {
            let row = m.counts[t.index()];
            let total: u64 = row.iter().sum();
            let right = (total > 0).then(|| row[t.index()] as f64 / total as f64);
            let _ = writeln!(
                s,
                "| {t} | {} | {} | {} | {} | {total} | {} |",
                row[0],
                row[1],
                row[2],
                row[3],
                pct(right)
            );
        }
        s.push('\n');
    }

    fn reliability_table(&self, s: &mut String) {
        let _ = writeln!(s, "## Reliability of p(scam)\n");
        let _ = writeln!(
            s,
            "Scam vs not scam (spam and ham), {} equal-width bins; a calibrated model has observed ≈ predicted. Expected calibration error: {}.\n",
            self.reliability.len(),
            f3(self.ece)
        );
        let _ = writeln!(s, "| p(scam) | n | mean predicted | observed | gap |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        for b in &self.reliability {
            let (p, o, g) = if b.count > 0 {
                let (p, o) = (b.predicted as f64, b.observed as f64);
                (Some(p), Some(o), Some(o - p))
            } else {
                (None, None, None)
            };
            let gap = g.map_or("—".into(), |g| format!("{g:+.3}"));
            let _ = writeln!(
                s,
                "| {:.1}–{:.1} | {} | {} | {} | {gap} |",
                b.lo,
                b.hi,
                b.count,
                f3(p),
                f3(o)
            );
        }
        s.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::Probabilities;

    /// A verdict from "p_ham p_spam p_scam [category]" text, decided by the
    /// default rule of an uncalibrated 0.5 threshold.
    fn fake(text: &str, force: bool) -> Verdict {
        let mut it = text.split_whitespace();
        let mut p = [0f32; 3];
        for v in &mut p {
            *v = it.next().unwrap().parse().unwrap();
        }
        let cat: Option<Category> = it.next().and_then(|c| c.parse().ok());
        let cal = crate::calibrate::Calibration::default();
        let label = cal.decide(p, force.then_some(0.0));
        Verdict {
            label,
            score: p[2],
            probabilities: Probabilities {
                ham: p[0],
                spam: p[1],
                scam: p[2],
            },
            category: (label == Label::Scam).then(|| cat.unwrap_or(Category::Other)),
            category_probability: None,
            reasons: Vec::new(),
            truncated: text.len() > 40,
            coverage: 1.0,
        }
    }

    fn ex(source: &str, channel: &str, label: Label, cat: Option<Category>, text: &str) -> Example {
        Example {
            id: String::new(),
            source: source.into(),
            channel: channel.into(),
            lang: "en".into(),
            label,
            category: cat,
            text: text.into(),
        }
    }

    fn examples() -> Vec<Example> {
        use Category::*;
        use Label::*;
        vec![
            ex("a", "sms", Ham, None, "0.9 0.05 0.05"),
            ex("a", "sms", Ham, None, "0.8 0.1 0.1"),
            ex("a", "sms", Ham, None, "0.3 0.1 0.6 bank"),
            ex("a", "email", Spam, None, "0.2 0.7 0.1"),
            ex("a", "email", Scam, Some(Job), "0.1 0.1 0.8 job"),
            ex("b", "sms", Scam, Some(Job), "0.6 0.1 0.3 job"),
            ex("b", "sms", Scam, Some(Bank), "0.05 0.05 0.9 job"),
            ex(
                "b",
                "",
                Ham,
                None,
                "0.95 0.03 0.02 padding padding padding padding",
            ),
        ]
    }

    fn run(chunk: usize) -> EvalReport {
        let ex = examples();
        evaluate_with(
            &ex,
            &EvalOptions::default(),
            chunk,
            |idx| idx.iter().map(|&i| fake(&ex[i].text, false)).collect(),
            |idx| {
                idx.iter()
                    .map(|&i| fake(&ex[i].text, true).category.unwrap())
                    .collect()
            },
        )
    }

    #[test]
    fn hand_checked_report() {
        let r = run(3);
        assert_eq!(r.n, 8);
        assert_eq!(r.truncated, 1);
        let o = &r.overall;
        assert_eq!(
            o.counts,
            LabelCounts {
                ham: 4,
                spam: 1,
                scam: 3
            }
        );
        // Flagged: rows 3,4,5,7 (1-p_ham >= 0.5): tp = spam + 2 scams = 3, fp = 1.
        let c = o.decision.confusion;
        assert_eq!((c.tp, c.fp, c.fn_, c.tn), (3, 1, 1, 3));
        assert_eq!(o.decision.precision, Some(0.75));
        assert_eq!(o.decision.recall, Some(0.75));
        assert_eq!(o.decision.ham_fpr, Some(0.25));
        // Flag scores: ham .1 .2 .7 .05; positives .8 .9 .4 .95.
        // Pairs (pos > neg) of 4x4: .8, .9 and .95 beat all 4, .4 beats 3 (.1, .2, .05) → 15/16.
        assert!((o.flagged.roc_auc.unwrap() - 15.0 / 16.0).abs() < 1e-6);
        // At 0% FPR the threshold is above .7: .8, .9 and .95 caught, .4 missed.
        assert_eq!(o.flagged.recall_at_fpr[0].recall, Some(0.75));
        // Scam vs ham excludes the spam row: 7 rows.
        assert_eq!((o.scam.positives, o.scam.negatives), (3, 4));
        assert_eq!(o.confusion.get(Label::Ham, Label::Scam), 1);
        assert_eq!(o.confusion.get(Label::Scam, Label::Ham), 1);
        assert_eq!(o.confusion.get(Label::Spam, Label::Spam), 1);
        let total: u64 = o.confusion.counts.iter().flatten().sum();
        assert_eq!(total, 8);

        let names: Vec<&str> = r.by_source.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let channels: Vec<&str> = r.by_channel.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(channels, ["(none)", "email", "sms"]);
        // Source b has no spam and one ham: flagged-vs-ham AUC defined, ham FPR 0.
        assert_eq!(r.by_source[1].decision.ham_fpr, Some(0.0));
        // Channel email has no ham: AUC undefined, not NaN.
        assert_eq!(r.by_channel[1].flagged.roc_auc, None);
        assert_eq!(r.by_channel[1].decision.ham_fpr, None);

        // Categories: job rows 4 (caught, named job) and 5 (missed; head says job);
        // bank row 6 caught but named job.
        let job = &r.by_category[0];
        assert_eq!((job.category.as_str(), job.n), ("job", 2));
        assert_eq!(job.predicted_scam, 1);
        assert_eq!(job.named_accuracy, Some(1.0));
        assert_eq!(job.head_accuracy, Some(1.0));
        assert_eq!(job.caught_and_named, Some(0.5));
        // Named job twice among categorized rows, right once.
        assert_eq!(job.named_precision, Some(0.5));
        let bank = &r.by_category[1];
        assert_eq!(bank.named_accuracy, Some(0.0));
        assert_eq!(bank.named_precision, None);
        let all = r.by_category.last().unwrap();
        assert_eq!((all.category.as_str(), all.n), ("(all)", 3));
        assert_eq!(all.head_accuracy, Some(2.0 / 3.0));

        let bins: u32 = r.reliability.iter().map(|b| b.count).sum();
        assert_eq!(bins, 8);
        assert!(r.ece.unwrap() > 0.0);
        assert_eq!(r.curves.roc.first().map(|p| (p.x, p.y)), Some((0.0, 0.0)));
        assert_eq!(r.curves.roc.last().map(|p| (p.x, p.y)), Some((1.0, 1.0)));
    }

    #[test]
    fn chunking_does_not_change_the_report() {
        let a = run(1);
        assert_eq!(a, run(3));
        assert_eq!(a, run(1000));
    }

    #[test]
    fn markdown_renders_missing_as_dash_never_nan() {
        let md = run(4).to_markdown();
        for t in [
            "## Overall",
            "## Per source",
            "## Per channel",
            "## Per scam category",
            "## Confusion matrix",
            "## Reliability of p(scam)",
        ] {
            assert!(md.contains(t), "{t} missing:\n{md}");
        }
        assert!(!md.contains("NaN"), "{md}");
        assert!(md.contains('—'), "{md}");
        assert!(md.contains("| job | 2 |"), "{md}");
        assert!(md.contains("| scam | 1 | 0 | 2 | 0 | 3 | 66.67% |"), "{md}");
        assert!(md.contains("## Per language"), "{md}");
        let empty = evaluate_with(
            &[],
            &EvalOptions::default(),
            8,
            |_| unreachable!(),
            |_| unreachable!(),
        );
        let md = empty.to_markdown();
        assert!(md.contains("No messages were evaluated"), "{md}");
        assert!(!md.contains("NaN"));
    }

    #[test]
    fn downsample_keeps_endpoints_and_bound() {
        let v: Vec<usize> = (0..10_000).collect();
        let d = downsample(v, 500);
        assert_eq!(d.len(), 500);
        assert_eq!((d[0], d[499]), (0, 9999));
        assert!(d.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(downsample(vec![1, 2, 3], 500), [1, 2, 3]);
    }

    #[test]
    fn fpr_levels_read_well() {
        assert_eq!(fpr_level(0.001), "0.1%");
        assert_eq!(fpr_level(0.01), "1%");
        assert_eq!(fpr_level(0.05), "5%");
        assert_eq!(fpr_level(0.0025), "0.25%");
    }
}
