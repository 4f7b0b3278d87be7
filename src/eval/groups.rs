//! Metrics of a group of scored rows (everything, one source, one channel):
//! label counts, ranking quality, the default decision and the confusion
//! matrix, computed from plain `(score, truth)` data.

use crate::label::Label;
use crate::metrics::{self, Confusion};
use serde::Serialize;

/// How many rows of each true label.
///
/// Reported beside every metric: an AUC over twelve scams means little, and
/// the reader should see that it is twelve.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{group_metrics, Scored}, Label};
/// let row = |truth| Scored { truth, predicted: Label::Ham, p_ham: 0.9, p_scam: 0.05, unwanted: false };
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
    /// The 95% interval of `recall` ([`metrics::wilson_interval`]).
    pub recall_interval: Option<[f64; 2]>,
    /// The 95% interval of `ham_fpr` ([`metrics::wilson_interval`]).
    pub ham_fpr_interval: Option<[f64; 2]>,
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
            recall_interval: confusion.recall_interval(),
            ham_fpr_interval: confusion.fpr_interval(),
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
/// let rows = [Scored { truth: Label::Scam, predicted: Label::Spam, p_ham: 0.2, p_scam: 0.3, unwanted: false }];
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
    /// let rows = [Scored { truth: Label::Ham, predicted: Label::Scam, p_ham: 0.3, p_scam: 0.6, unwanted: false }];
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
///     Scored { truth: Label::Ham, predicted: Label::Ham, p_ham: 0.95, p_scam: 0.01, unwanted: false },
///     Scored { truth: Label::Scam, predicted: Label::Scam, p_ham: 0.05, p_scam: 0.9, unwanted: false },
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
    /// The truth is only "unwanted": a `spam` row of a source that does not
    /// tell scams from marketing. It counts as flagged-positive, and is left
    /// out of every scam-against-spam measure.
    pub unwanted: bool,
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
/// let row = |truth, predicted, p_ham, p_scam| Scored { truth, predicted, p_ham, p_scam, unwanted: false };
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
    /// ham rows and "unwanted" rows excluded: only sources (or annotated
    /// rows) that separate the two count.
    pub scam_vs_spam: BinaryMetrics,
    /// Scam vs everything else (ham and marketing spam), ranked by
    /// `p(scam)`: what a fraud team routing on p(scam) gets. Unwanted rows
    /// excluded.
    pub scam_vs_rest: BinaryMetrics,
    /// Rows the decision called unsure (too unfamiliar to judge).
    pub unsure: usize,
    /// Legitimate rows the decision called unsure.
    pub ham_unsure: usize,
    /// Flagged vs ham on the rows the decision did not call unsure: how
    /// well the model ranks what it claims to read.
    pub flagged_sure: BinaryMetrics,
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
/// let row = |truth, predicted, p_ham, p_scam| Scored { truth, predicted, p_ham, p_scam, unwanted: false };
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
    let mut rest_scores = Vec::new();
    let mut rest_truth = Vec::new();
    let mut unsure = 0;
    let mut ham_unsure = 0;
    let (mut sure_scores, mut sure_truth) = (Vec::new(), Vec::new());
    for r in rows {
        unsure += (r.predicted == Label::Unsure) as usize;
        ham_unsure += (r.predicted == Label::Unsure && r.truth == Label::Ham) as usize;
        if r.predicted != Label::Unsure {
            sure_scores.push(1.0 - r.p_ham);
            sure_truth.push(r.truth != Label::Ham);
        }
        if !r.unwanted {
            rest_scores.push(r.p_scam);
            rest_truth.push(r.truth == Label::Scam);
        }
        if r.truth != Label::Ham && !r.unwanted {
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
        scam_vs_rest: BinaryMetrics::compute(&rest_scores, &rest_truth, fprs),
        unsure,
        ham_unsure,
        flagged_sure: BinaryMetrics::compute(&sure_scores, &sure_truth, &[]),
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
