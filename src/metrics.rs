//! Evaluation metrics for imbalanced binary problems.
//!
//! ROC-AUC comes from linfa (`BinaryClassification::roc`); the rest is
//! computed here, each from first principles and tested on hand-checked cases
//! (linfa 0.8.1's confusion matrix swaps precision and recall, so we don't use it).

use linfa::dataset::Pr;
use linfa::prelude::BinaryClassification;
use serde::Serialize;

/// ROC-AUC of `scores` against `truth` (true = positive) via linfa.
/// `None` when either class is missing.
///
/// Scores are clamped to `[0, 1]`, the range linfa accepts: pass
/// probabilities, not logits.
///
/// # Example
///
/// ```
/// let auc = scamscan::metrics::roc_auc(&[0.9, 0.8, 0.3, 0.1], &[true, false, true, false]).unwrap();
/// assert!((auc - 0.75).abs() < 1e-6);
/// ```
pub fn roc_auc(scores: &[f32], truth: &[bool]) -> Option<f64> {
    let pos = truth.iter().filter(|&&t| t).count();
    if pos == 0 || pos == truth.len() {
        return None;
    }
    let pr: Vec<Pr> = scores.iter().map(|&s| Pr::new(s.clamp(0.0, 1.0))).collect();
    let roc = pr.as_slice().roc(truth).ok()?;
    Some(roc.area_under_curve() as f64)
}

/// Average precision (area under the precision-recall curve, step-wise, as
/// scikit-learn's `average_precision_score`). `None` without positives.
///
/// Step-wise rather than interpolated: interpolation overstates the area
/// when positives are rare, which they are here.
///
/// # Example
///
/// ```
/// let ap = scamscan::metrics::average_precision(&[0.9, 0.8, 0.3, 0.1], &[true, false, true, false]).unwrap();
/// assert!((ap - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-9);
/// ```
pub fn average_precision(scores: &[f32], truth: &[bool]) -> Option<f64> {
    let pos = truth.iter().filter(|&&t| t).count();
    if pos == 0 {
        return None;
    }
    let (mut ap, mut prev_recall) = (0.0, 0.0);
    for (_, tp, fp) in sweep(scores, truth) {
        let recall = tp as f64 / pos as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
    }
    Some(ap)
}

/// `(threshold, tp, fp)` after each distinct score, from the highest down:
/// the one pass behind PR-AUC and the ROC and PR curves.
pub(crate) fn sweep(scores: &[f32], truth: &[bool]) -> Vec<(f32, usize, usize)> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp, mut i) = (0, 0, 0);
    let mut out = Vec::new();
    while i < idx.len() {
        let s = scores[idx[i]];
        // total_cmp, not ==: a NaN score must still advance the sweep.
        while i < idx.len() && scores[idx[i]].total_cmp(&s).is_eq() {
            if truth[idx[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        out.push((s, tp, fp));
    }
    out
}

/// The threshold at a false-positive rate: the smallest `t` such that the
/// weighted share of `negatives` (`(score, weight)` pairs) scoring at or
/// above `t` is at most `target`.
///
/// The project's one rule for "the threshold at X% FPR". Calibration sets
/// the default decision with it (flagged when `1 − p(ham) ≥ t`, and `t` at
/// least 0.5), evaluation reports recall at it ([`recall_at_fpr`]), and
/// `scripts/compare.py` computes the same for the other systems. Tied
/// scores fall on the same side of `t`, so a tie is never split to reach
/// the target. `t` is the next float above the highest score that may not
/// be flagged: as many negatives are flagged as the target allows, and
/// every score above the excluded ones counts. `-inf` when every negative
/// may be flagged (and so when there are none).
///
/// The scores are sorted in place (highest first; a NaN sorts highest).
///
/// # Example
///
/// ```
/// use scamscan::metrics::threshold_at_fpr;
/// // Ten negatives; 20% may be flagged: the two highest, not the tie at 0.7.
/// let mut neg: Vec<(f32, f64)> = [0.9, 0.8, 0.7, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
///     .iter().map(|&s| (s, 1.0)).collect();
/// assert_eq!(threshold_at_fpr(&mut neg, 0.2), 0.7f32.next_up());
/// // 30% would flag a third but then also the fourth, tied with it: still two.
/// assert_eq!(threshold_at_fpr(&mut neg, 0.3), 0.7f32.next_up());
/// assert_eq!(threshold_at_fpr(&mut neg, 0.4), 0.6f32.next_up());
/// assert_eq!(threshold_at_fpr(&mut neg, 1.0), f32::NEG_INFINITY);
/// assert_eq!(threshold_at_fpr(&mut [], 0.01), f32::NEG_INFINITY);
/// ```
pub fn threshold_at_fpr(negatives: &mut [(f32, f64)], target: f64) -> f32 {
    let total: f64 = negatives.iter().map(|s| s.1).sum();
    if total <= 0.0 {
        return f32::NEG_INFINITY;
    }
    negatives.sort_by(|a, b| b.0.total_cmp(&a.0));
    // A relative slack, so that a share equal to the target (10 of 1,000
    // at 1%) is not lost to rounding in the sum.
    let allowed = target * total * (1.0 + 1e-9);
    let mut cum = 0.0;
    let mut i = 0;
    while i < negatives.len() {
        let s = negatives[i].0;
        // total_cmp, not ==: a NaN score must still advance the loop.
        while i < negatives.len() && negatives[i].0.total_cmp(&s).is_eq() {
            cum += negatives[i].1;
            i += 1;
        }
        if cum > allowed {
            return s.next_up();
        }
    }
    f32::NEG_INFINITY
}

/// Recall at [`threshold_at_fpr`]: the share of positives scoring at or
/// above the threshold that flags at most `fpr` of the negatives. `None`
/// when either class is missing.
///
/// This is the figure that matters to a user: how many scams are caught
/// when only one legitimate message in a hundred (or a thousand) may be
/// flagged. A positive tied with a negative that may not be flagged counts
/// as missed, so ties never overstate recall.
///
/// # Example
///
/// ```
/// let r = scamscan::metrics::recall_at_fpr(&[0.9, 0.8, 0.7, 0.6, 0.5], &[true, true, false, true, false], 0.0).unwrap();
/// assert!((r - 2.0 / 3.0).abs() < 1e-9);
/// ```
pub fn recall_at_fpr(scores: &[f32], truth: &[bool], fpr: f64) -> Option<f64> {
    let mut neg: Vec<(f32, f64)> = scores
        .iter()
        .zip(truth)
        .filter(|&(_, &t)| !t)
        .map(|(&s, _)| (s, 1.0))
        .collect();
    let pos = truth.iter().filter(|&&t| t).count();
    if neg.is_empty() || pos == 0 {
        return None;
    }
    let t = threshold_at_fpr(&mut neg, fpr);
    let hit = scores
        .iter()
        .zip(truth)
        .filter(|&(&s, &t2)| t2 && s >= t)
        .count();
    Some(hit as f64 / pos as f64)
}

/// Counts of a binary decision.
///
/// The rates are methods returning `None` when undefined, so that a group
/// without negatives reports "no FPR" rather than NaN.
///
/// # Example
///
/// ```
/// let c = scamscan::metrics::Confusion { tp: 8, fp: 1, tn: 90, fn_: 2 };
/// assert_eq!(c.recall(), Some(0.8));
/// assert_eq!(scamscan::metrics::Confusion::default().fpr(), None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Positives flagged.
    pub tp: u64,
    /// Negatives flagged.
    pub fp: u64,
    /// Negatives passed.
    pub tn: u64,
    /// Positives passed.
    pub fn_: u64,
}

impl Confusion {
    /// Tallies `(flagged, positive)` pairs.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::metrics::Confusion::from_pairs([(true, true), (true, false), (false, true), (false, false)]);
    /// assert_eq!((c.tp, c.fp, c.fn_, c.tn), (1, 1, 1, 1));
    /// assert_eq!(c.precision(), Some(0.5));
    /// ```
    pub fn from_pairs(pairs: impl IntoIterator<Item = (bool, bool)>) -> Self {
        let mut c = Confusion::default();
        for (flagged, positive) in pairs {
            match (flagged, positive) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, false) => c.tn += 1,
                (false, true) => c.fn_ += 1,
            }
        }
        c
    }

    /// tp / (tp + fp): how often a flag is right. `None` when nothing was flagged.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::metrics::Confusion { tp: 3, fp: 1, ..Default::default() };
    /// assert_eq!(c.precision(), Some(0.75));
    /// ```
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// tp / (tp + fn): the share of positives caught. `None` without positives.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::metrics::Confusion { tp: 1, fn_: 3, ..Default::default() };
    /// assert_eq!(c.recall(), Some(0.25));
    /// ```
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// fp / (fp + tn): the share of legitimate messages flagged. `None` without negatives.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::metrics::Confusion { fp: 1, tn: 99, ..Default::default() };
    /// assert_eq!(c.fpr(), Some(0.01));
    /// ```
    pub fn fpr(&self) -> Option<f64> {
        ratio(self.fp, self.fp + self.tn)
    }

    /// The 95% interval of [`Confusion::recall`] ([`wilson_interval`]).
    pub fn recall_interval(&self) -> Option<[f64; 2]> {
        wilson_interval(self.tp, self.tp + self.fn_)
    }

    /// The 95% interval of [`Confusion::fpr`] ([`wilson_interval`]).
    pub fn fpr_interval(&self) -> Option<[f64; 2]> {
        wilson_interval(self.fp, self.fp + self.tn)
    }

    /// Harmonic mean of precision and recall; 0 (not `None`) when both are 0.
    ///
    /// # Example
    ///
    /// ```
    /// let c = scamscan::metrics::Confusion { tp: 1, fp: 1, fn_: 1, tn: 0 };
    /// assert_eq!(c.f1(), Some(0.5));
    /// ```
    pub fn f1(&self) -> Option<f64> {
        let (p, r) = (self.precision()?, self.recall()?);
        if p + r == 0.0 {
            Some(0.0)
        } else {
            Some(2.0 * p * r / (p + r))
        }
    }
}

/// B-cubed precision, recall and F1 of a clustering against the truth
/// (Bagga and Baldwin; Amigó et al. 2009): for each item, the share of the
/// items in its predicted cluster that share its true class (precision) and
/// the share of the items of its true class that share its predicted cluster
/// (recall), averaged over items; F1 is their harmonic mean.
///
/// `items` are `(true class, predicted cluster)` pairs; an item whose
/// prediction is `None` is a cluster of its own. Returns `None` for no items.
///
/// ```
/// use scamscan::metrics::bcubed;
/// // Two scripts, one split in two: precision 1, recall below 1.
/// let items = [("a", Some(1)), ("a", Some(1)), ("a", Some(2)), ("b", Some(3))];
/// let (p, r, f) = bcubed(&items).unwrap();
/// assert_eq!(p, 1.0);
/// assert!((r - (5.0 / 3.0 + 1.0) / 4.0).abs() < 1e-12 && f < 1.0);
/// ```
pub fn bcubed<T: Eq + std::hash::Hash, C: Eq + std::hash::Hash>(
    items: &[(T, Option<C>)],
) -> Option<(f64, f64, f64)> {
    bcubed_scoring(items, |_| true)
}

/// B-cubed as [`bcubed`], averaged over the items `scored` selects (by
/// position) while clusters and classes count every item: for items whose
/// true class is known mixed with items whose class is not (messages of a
/// corpus), grouping a known item with unknown ones still costs it
/// precision. Returns `None` when no item is scored.
///
/// ```
/// use scamscan::metrics::bcubed_scoring;
/// // "a" shares its cluster with an unscored item: precision 2/3 each.
/// let items = [("a", Some(1)), ("a", Some(1)), ("?", Some(1))];
/// let (p, r, _) = bcubed_scoring(&items, |i| i < 2).unwrap();
/// assert!((p - 2.0 / 3.0).abs() < 1e-12 && r == 1.0);
/// ```
pub fn bcubed_scoring<T: Eq + std::hash::Hash, C: Eq + std::hash::Hash>(
    items: &[(T, Option<C>)],
    scored: impl Fn(usize) -> bool,
) -> Option<(f64, f64, f64)> {
    use std::collections::HashMap;
    // Items of each (class, cluster) cell, class and cluster; a `None`
    // prediction is its own cluster, keyed by its position.
    fn cluster<C>(i: usize, c: &Option<C>) -> Result<&C, usize> {
        c.as_ref().ok_or(i)
    }
    let mut cell: HashMap<(&T, Result<&C, usize>), u64> = HashMap::new();
    let mut class: HashMap<&T, u64> = HashMap::new();
    let mut clus: HashMap<Result<&C, usize>, u64> = HashMap::new();
    for (i, (t, c)) in items.iter().enumerate() {
        let k = cluster(i, c);
        *cell.entry((t, k)).or_default() += 1;
        *class.entry(t).or_default() += 1;
        *clus.entry(k).or_default() += 1;
    }
    let (mut p, mut r, mut n) = (0.0, 0.0, 0u64);
    for (i, (t, c)) in items.iter().enumerate().filter(|(i, _)| scored(*i)) {
        let k = cluster(i, c);
        let both = cell[&(t, k)] as f64;
        p += both / clus[&k] as f64;
        r += both / class[&t] as f64;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let (p, r) = (p / n, r / n);
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    Some((p, r, f))
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The 95% Wilson score interval of the share `successes / n`: where the
/// true share lies, given that count. `None` when `n` is 0; `successes`
/// above `n` count as `n`.
///
/// The shares the goals are set on are often of a few dozen rows (the
/// legitimate messages of one language, the scams of one category), where
/// one row moves the share by two points; the interval says whether a
/// share under or over a goal is a difference at all. Wilson's interval
/// rather than the normal approximation because it stays inside 0..1 and
/// is not empty at 0 or n successes. Hand-written: a closed formula, and
/// no statistics crate we depend on has it.
///
/// # Example
///
/// ```
/// // 4 of 76 legitimate messages flagged: 5.3%, but anything from about
/// // 2% to 13% would often give that count.
/// let [lo, hi] = scamscan::metrics::wilson_interval(4, 76).unwrap();
/// assert!((lo - 0.0207).abs() < 1e-4 && (hi - 0.1277).abs() < 1e-4);
/// assert_eq!(scamscan::metrics::wilson_interval(0, 10).unwrap()[0], 0.0);
/// assert_eq!(scamscan::metrics::wilson_interval(3, 0), None);
/// ```
pub fn wilson_interval(successes: u64, n: u64) -> Option<[f64; 2]> {
    if n == 0 {
        return None;
    }
    // The 97.5th percentile of the standard normal distribution.
    const Z: f64 = 1.959_963_984_540_054;
    let (k, n) = (successes.min(n) as f64, n as f64);
    let p = k / n;
    let z2 = Z * Z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some([(centre - half).max(0.0), (centre + half).min(1.0)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_intervals_match_published_values() {
        // Wilson (1927) intervals at 95%, as tabulated by Newcombe (1998).
        let close =
            |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).abs() < 1e-4 && (a[1] - b[1]).abs() < 1e-4;
        assert!(close(wilson_interval(0, 10).unwrap(), [0.0, 0.2775]));
        assert!(close(wilson_interval(10, 10).unwrap(), [0.7225, 1.0]));
        assert!(close(wilson_interval(5, 10).unwrap(), [0.2366, 0.7634]));
        assert!(close(wilson_interval(81, 263).unwrap(), [0.2553, 0.3662]));
        assert!(close(wilson_interval(15, 148).unwrap(), [0.0624, 0.1605]));
        // The interval holds the share and narrows with n.
        for (k, n) in [(1, 3), (33, 48), (162, 11_278), (7, 7)] {
            let [lo, hi] = wilson_interval(k, n).unwrap();
            let p = k as f64 / n as f64;
            assert!(
                lo <= p && p <= hi && 0.0 <= lo && hi <= 1.0,
                "{k}/{n}: {lo}..{hi}"
            );
            let [lo10, hi10] = wilson_interval(10 * k, 10 * n).unwrap();
            assert!(hi10 - lo10 < hi - lo);
        }
        let c = Confusion {
            tp: 5,
            fn_: 5,
            fp: 0,
            tn: 10,
        };
        assert_eq!(c.recall_interval(), wilson_interval(5, 10));
        assert_eq!(c.fpr_interval(), wilson_interval(0, 10));
        assert_eq!(Confusion::default().fpr_interval(), None);
    }

    #[test]
    fn auc_perfect_and_missing_class() {
        assert_eq!(roc_auc(&[0.9, 0.1], &[true, false]), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.1], &[true, true]), None);
    }

    #[test]
    fn recall_at_fpr_with_ties_is_conservative() {
        // Negatives tie with a positive at 0.5: that positive cannot be counted at 0% FPR.
        let r = recall_at_fpr(&[0.9, 0.5, 0.5], &[true, true, false], 0.0).unwrap();
        assert!((r - 0.5).abs() < 1e-9);
    }

    #[test]
    fn the_threshold_flags_at_most_the_target_share() {
        let mut s: Vec<(f32, f64)> = (0..1000).map(|i| (i as f32 / 1000.0, 1.0)).collect();
        let t = threshold_at_fpr(&mut s, 0.01);
        let flagged = s.iter().filter(|x| x.0 >= t).count();
        assert_eq!(flagged, 10, "at {t}");
        // Weights count, not rows: the top row alone is half the weight.
        let mut w = vec![(0.9, 10.0), (0.8, 1.0), (0.7, 1.0), (0.1, 8.0)];
        assert_eq!(threshold_at_fpr(&mut w, 0.49), 0.9f32.next_up());
        assert_eq!(threshold_at_fpr(&mut w, 0.55), 0.7f32.next_up());
        assert_eq!(threshold_at_fpr(&mut w, 0.6), 0.1f32.next_up());
        // Negative scores (logits) too.
        let mut neg = vec![(-1.0, 1.0), (-2.0, 1.0), (-3.0, 1.0)];
        assert_eq!(threshold_at_fpr(&mut neg, 0.34), (-2.0f32).next_up());
    }

    #[test]
    fn nan_scores_terminate() {
        let mut nan = vec![(f32::NAN, 1.0), (0.9, 1.0), (f32::NAN, 1.0)];
        assert!(threshold_at_fpr(&mut nan, 0.5).is_nan());
        assert_eq!(threshold_at_fpr(&mut nan, 0.7), 0.9f32.next_up());
        // Used to loop forever: NaN != NaN kept the tie loop from advancing.
        let ap = average_precision(&[f32::NAN, 0.5, f32::NAN], &[true, false, true]);
        assert!(ap.is_some());
    }

    #[test]
    fn f1_zero_when_nothing_right() {
        let c = Confusion::from_pairs([(true, false), (false, true)]);
        assert_eq!(c.f1(), Some(0.0));
    }
}
