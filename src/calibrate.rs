//! Stage 5 of the pipeline: **calibrate**.
//!
//! A regularised, class-reweighted logistic regression does not give
//! probabilities that mean what they say. Calibration fits, on held-out rows
//! the model never trained on, a temperature and per-class offsets
//! (`p = softmax(z / T + b)`, "vector scaling" with a shared temperature) by
//! minimising the log-loss, then picks the decision thresholds there:
//! a message is *flagged* (spam or scam) when `1 − p(ham)` reaches the
//! threshold at which at most `target_fpr` of legitimate held-out messages
//! would be flagged, each source's legitimate messages weighing the same.

use crate::label::{Label, Target};
use crate::metrics;
use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// One bin of a reliability curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge of the predicted-probability bin.
    pub lo: f32,
    /// Upper edge.
    pub hi: f32,
    /// Mean predicted probability in the bin.
    pub predicted: f32,
    /// Observed frequency of the event in the bin.
    pub observed: f32,
    /// Number of messages in the bin.
    pub count: u32,
}

/// The calibration map and decision thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Temperature `T` dividing the logits.
    pub temperature: f32,
    /// Offsets added per class (ham, spam, scam) after dividing.
    pub bias: [f32; 3],
    /// A message is flagged when `1 − p(ham) >= flag_threshold`.
    pub flag_threshold: f32,
    /// The false-positive rate on legitimate messages the threshold was chosen for.
    pub target_fpr: f32,
    /// Reliability curve of `p(scam)` on the calibration rows (scam vs rest).
    pub reliability_scam: Vec<ReliabilityBin>,
    /// Reliability curve of `1 − p(ham)` on the calibration rows (spam or scam vs ham).
    pub reliability_flag: Vec<ReliabilityBin>,
    /// A message with at least [`Calibration::min_words`] counted words, of
    /// which a share below this is in the model's vocabulary, is
    /// [`Label::Unsure`] (see [`crate::vocabulary`]). 0 turns this off, and is
    /// what models from before the vocabulary existed load with.
    #[serde(default)]
    pub min_coverage: f32,
    /// Fewer counted words than this never make a message unsure: a short
    /// message says too little about its language.
    #[serde(default = "default_min_words")]
    pub min_words: u32,
    /// A language is known to the model when it has at least this many
    /// legitimate training messages in it; a message in another language
    /// (see [`crate::language`]) is judged on its language-free evidence
    /// alone. 0 turns this off, and is what models from before language
    /// identification load with.
    #[serde(default)]
    pub min_language_rows: u32,
    /// Added to the calibrated ham logit when a message is judged on its
    /// language-free evidence alone (its entities and cues, without its
    /// words): chosen on the calibration rows' legitimate messages so that
    /// that evidence flags at most [`Calibration::target_fpr`] of them.
    #[serde(default)]
    pub evidence_offset: f32,
}

fn default_min_words() -> u32 {
    4
}

/// The default [`Calibration::min_coverage`] of newly trained models.
///
/// Chosen on the shared corpora (issue #4's notes) with a vocabulary of the
/// legitimate training messages: below 30% known words are at most 1.1% of
/// the held-out legitimate messages of every source (0.2% of NUS SMS), while
/// legitimate bank and telecom SMS we wrote in eight languages absent from
/// training have 0–25% (`tests/fixtures/unfamiliar-languages.jsonl`).
/// SpamHunter's spam in languages no training source has a legitimate
/// message in falls below it too (13% of that source), and is then unsure:
/// the model cannot tell a legitimate message in those languages either.
pub const DEFAULT_MIN_COVERAGE: f32 = 0.3;

impl Default for Calibration {
    /// The identity map with a 0.5 threshold.
    fn default() -> Self {
        Calibration {
            temperature: 1.0,
            bias: [0.0; 3],
            flag_threshold: 0.5,
            target_fpr: 0.01,
            reliability_scam: Vec::new(),
            reliability_flag: Vec::new(),
            min_coverage: 0.0,
            min_words: default_min_words(),
            min_language_rows: 0,
            evidence_offset: 0.0,
        }
    }
}

impl Calibration {
    /// Turns raw logits into calibrated probabilities (ham, spam, scam).
    ///
    /// ```
    /// let c = scamscan::calibrate::Calibration::default();
    /// let p = c.probabilities([0.0, 0.0, 0.0]);
    /// assert!((p[0] - 1.0 / 3.0).abs() < 1e-6);
    /// ```
    pub fn probabilities(&self, logits: [f32; 3]) -> [f32; 3] {
        let mut z = self.calibrated_logits(logits);
        crate::math::softmax_in_place(&mut z);
        z
    }

    /// The logits divided by the temperature, plus the per-class offsets.
    fn calibrated_logits(&self, logits: [f32; 3]) -> [f32; 3] {
        [0, 1, 2].map(|c| logits[c] / self.temperature + self.bias[c])
    }

    /// Calibrated probabilities from the logits of a message's language-free
    /// evidence: [`Calibration::probabilities`] with
    /// [`Calibration::evidence_offset`] added to ham.
    ///
    /// ```
    /// use scamscan::calibrate::Calibration;
    /// let c = Calibration { evidence_offset: 1.0, ..Calibration::default() };
    /// let p = c.evidence_probabilities([0.0, 0.0, 0.0]);
    /// assert!(p[0] > c.probabilities([0.0, 0.0, 0.0])[0]);
    /// ```
    pub fn evidence_probabilities(&self, logits: [f32; 3]) -> [f32; 3] {
        let mut z = self.calibrated_logits(logits);
        z[0] += self.evidence_offset;
        crate::math::softmax_in_place(&mut z);
        z
    }

    /// The label of a message the model cannot read (too few known words,
    /// or a language it knows too few legitimate messages of), from the
    /// probabilities of its language-free evidence
    /// ([`Calibration::evidence_probabilities`]): flagged by the usual rule
    /// when that evidence alone is strong enough, [`Label::Unsure`]
    /// otherwise, never ham.
    ///
    /// ```
    /// use scamscan::{calibrate::Calibration, Label};
    /// let c = Calibration::default();
    /// assert_eq!(c.decide_unfamiliar([0.9, 0.05, 0.05], None), Label::Unsure);
    /// assert_eq!(c.decide_unfamiliar([0.1, 0.1, 0.8], None), Label::Scam);
    /// ```
    pub fn decide_unfamiliar(&self, p: [f32; 3], scam_threshold: Option<f32>) -> Label {
        match self.decide(p, scam_threshold) {
            Label::Ham => Label::Unsure,
            l => l,
        }
    }

    /// The label for calibrated probabilities. `scam_threshold`, when given,
    /// replaces the default rule for scam: scam when `p(scam) >= scam_threshold`.
    ///
    /// ```
    /// use scamscan::{calibrate::Calibration, Label};
    /// let c = Calibration::default();
    /// assert_eq!(c.decide([0.9, 0.05, 0.05], None), Label::Ham);
    /// assert_eq!(c.decide([0.2, 0.2, 0.6], None), Label::Scam);
    /// assert_eq!(c.decide([0.2, 0.5, 0.3], None), Label::Spam);
    /// assert_eq!(c.decide([0.2, 0.5, 0.3], Some(0.25)), Label::Scam);
    /// ```
    pub fn decide(&self, p: [f32; 3], scam_threshold: Option<f32>) -> Label {
        self.decide_with_coverage(p, scam_threshold, None)
    }

    /// [`Calibration::decide`], but [`Label::Unsure`] when the message has at
    /// least [`Calibration::min_words`] counted words and less than
    /// [`Calibration::min_coverage`] of them are known: the model then knows
    /// too little of the message for a verdict either way.
    ///
    /// ```
    /// use scamscan::{calibrate::Calibration, vocabulary::Coverage, Label};
    /// let c = Calibration { min_coverage: 0.4, ..Calibration::default() };
    /// let foreign = Coverage { known: 1, words: 12 };
    /// assert_eq!(c.decide_with_coverage([0.2, 0.2, 0.6], None, Some(foreign)), Label::Unsure);
    /// assert_eq!(c.decide_with_coverage([0.9, 0.05, 0.05], None, Some(foreign)), Label::Unsure);
    /// let short = Coverage { known: 0, words: 2 };
    /// assert_eq!(c.decide_with_coverage([0.2, 0.2, 0.6], None, Some(short)), Label::Scam);
    /// ```
    pub fn decide_with_coverage(
        &self,
        p: [f32; 3],
        scam_threshold: Option<f32>,
        coverage: Option<crate::vocabulary::Coverage>,
    ) -> Label {
        if let Some(c) = coverage
            && c.words >= self.min_words
            && c.ratio() < self.min_coverage
        {
            return Label::Unsure;
        }
        if let Some(t) = scam_threshold {
            if p[2] >= t {
                return Label::Scam;
            }
            return if 1.0 - p[0] >= self.flag_threshold && p[1] >= p[2] {
                Label::Spam
            } else {
                Label::Ham
            };
        }
        if 1.0 - p[0] < self.flag_threshold {
            Label::Ham
        } else if p[2] >= p[1] {
            Label::Scam
        } else {
            Label::Spam
        }
    }
}

/// Fits a [`Calibration`] on held-out logits.
///
/// `targets` are the rows' labels, or [`Target::Unwanted`] for a row known
/// only to be spam or scam (its log-loss is that of the pair, as in
/// training). `weights` weigh the log-loss (use the training weights, so
/// the calibrated probabilities refer to the same source-balanced mix the
/// model learned); `ham_weights` weigh the legitimate messages when
/// choosing the threshold.
pub fn fit(
    logits: &[[f32; 3]],
    labels: &[Target],
    weights: &[f64],
    ham_weights: &[f64],
    target_fpr: f32,
) -> Calibration {
    let mut cal = Calibration {
        target_fpr,
        ..Calibration::default()
    };
    if logits.is_empty() {
        return cal;
    }
    let problem = Nll {
        logits,
        labels,
        weights,
    };
    let init = Array1::from_vec(vec![0.0f64; 3]);
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 5);
    if let Ok(res) = Executor::new(problem, solver)
        .configure(|s| s.param(init.clone()).max_iters(100))
        .run()
        && let Some(p) = res.state().get_best_param()
        && p.iter().all(|v| v.is_finite())
    {
        cal.temperature = (-p[0].clamp(-LOG_T_MAX, LOG_T_MAX)).exp() as f32;
        cal.bias = [
            0.0,
            p[1].clamp(-BIAS_MAX, BIAS_MAX) as f32,
            p[2].clamp(-BIAS_MAX, BIAS_MAX) as f32,
        ];
    }
    let probs: Vec<[f32; 3]> = logits.iter().map(|&z| cal.probabilities(z)).collect();
    let mut ham: Vec<(f32, f64)> = probs
        .iter()
        .zip(labels)
        .zip(ham_weights)
        .filter(|((_, l), _)| **l == Target::Label(Label::Ham))
        .map(|((p, _), &w)| (1.0 - p[0], w))
        .collect();
    // Never below 0.5: a message the model thinks more likely legitimate
    // than not is never flagged.
    cal.flag_threshold = metrics::threshold_at_fpr(&mut ham, target_fpr as f64).clamp(0.5, 1.0);
    // Whether an unwanted row is a scam is unknown: it is left out of the
    // scam reliability, and counts as flagged in the other.
    let scam: Vec<(f32, bool)> = probs
        .iter()
        .zip(labels)
        .filter_map(|(p, l)| l.label().map(|l| (p[2], l == Label::Scam)))
        .collect();
    let flag: Vec<(f32, bool)> = probs
        .iter()
        .zip(labels)
        .map(|(p, l)| (1.0 - p[0], !l.allows(Label::Ham)))
        .collect();
    cal.reliability_scam = reliability(&scam, 10);
    cal.reliability_flag = reliability(&flag, 10);
    cal
}

/// The [`Calibration::evidence_offset`] for `cal`: the least ham offset
/// with which the language-free evidence of at most `target_fpr` of the
/// legitimate messages (their raw `logits`, weighted by `weights`) is
/// flagged. Never negative: the offset only ever makes that evidence weaker
/// than the whole message's.
///
/// ```
/// use scamscan::calibrate::{fit_evidence_offset, Calibration};
/// let c = Calibration::default();
/// // Two of ten legitimate messages have strong evidence.
/// let mut logits = vec![[2.0f32, 0.0, 0.0]; 8];
/// logits.extend([[0.0, 0.0, 3.0], [0.0, 0.0, 2.0]]);
/// let w = vec![1.0; 10];
/// let offset = fit_evidence_offset(&c, &logits, &w, 0.1);
/// let c = Calibration { evidence_offset: offset, ..c };
/// let flagged = logits.iter().filter(|&&z| c.evidence_probabilities(z)[0] <= 1.0 - c.flag_threshold).count();
/// assert_eq!(flagged, 1);
/// ```
pub fn fit_evidence_offset(
    cal: &Calibration,
    logits: &[[f32; 3]],
    weights: &[f64],
    target_fpr: f32,
) -> f32 {
    let t = cal.flag_threshold.clamp(1e-6, 1.0 - 1e-6) as f64;
    // The offset above which a message is no longer flagged:
    // 1 - p(ham) < T  <=>  d > ln((1-T)/T) + ln(e^s + e^c) - h.
    let mut needed: Vec<(f32, f64)> = logits
        .iter()
        .zip(weights)
        .map(|(z, &w)| {
            let [h, s, c] = cal.calibrated_logits(*z).map(f64::from);
            let m = s.max(c);
            let unwanted = m + ((s - m).exp() + (c - m).exp()).ln();
            ((((1.0 - t) / t).ln() + unwanted - h) as f32, w)
        })
        .collect();
    metrics::threshold_at_fpr(&mut needed, target_fpr as f64).max(0.0)
}

/// Equal-width reliability bins of `(predicted, happened)` pairs.
pub fn reliability(points: &[(f32, bool)], bins: usize) -> Vec<ReliabilityBin> {
    let mut acc = vec![(0.0f64, 0.0f64, 0u32); bins];
    for &(p, y) in points {
        let b = ((p * bins as f32) as usize).min(bins - 1);
        acc[b].0 += p as f64;
        acc[b].1 += y as u8 as f64;
        acc[b].2 += 1;
    }
    acc.iter()
        .enumerate()
        .map(|(i, &(sp, sy, n))| ReliabilityBin {
            lo: i as f32 / bins as f32,
            hi: (i + 1) as f32 / bins as f32,
            predicted: if n > 0 { (sp / n as f64) as f32 } else { 0.0 },
            observed: if n > 0 { (sy / n as f64) as f32 } else { 0.0 },
            count: n,
        })
        .collect()
}

/// |ln T| is kept below this (T between 0.05 and 20).
const LOG_T_MAX: f64 = 3.0;
/// Calibration offsets are kept within ±this.
const BIAS_MAX: f64 = 30.0;

/// Weighted NLL of `softmax(z·e^u + b)` in `(u, b_spam, b_scam)`.
struct Nll<'a> {
    logits: &'a [[f32; 3]],
    labels: &'a [Target],
    weights: &'a [f64],
}

impl Nll<'_> {
    fn eval(&self, p: &Array1<f64>) -> (f64, Array1<f64>) {
        // The line search may probe far-away points; clamping keeps the cost
        // finite there (a NaN cost sends argmin's More-Thuente search into an
        // endless loop). The clamp bounds match the ones applied to the result.
        // Where a parameter is clamped the cost does not depend on it, and
        // the gradient must say so: a gradient that still pulls in a flat
        // region sends the same search into an endless loop too (it did on
        // the leave-one-source-out fold without emscad_fake_jobs).
        let s = p[0].clamp(-LOG_T_MAX, LOG_T_MAX).exp();
        let b = [
            0.0,
            p[1].clamp(-BIAS_MAX, BIAS_MAX),
            p[2].clamp(-BIAS_MAX, BIAS_MAX),
        ];
        let free = [
            p[0].abs() <= LOG_T_MAX,
            p[1].abs() <= BIAS_MAX,
            p[2].abs() <= BIAS_MAX,
        ];
        let (mut loss, mut g) = (0.0, [0.0f64; 3]);
        for ((z, l), &w) in self.logits.iter().zip(self.labels).zip(self.weights) {
            let zz: Vec<f64> = (0..3).map(|c| z[c] as f64 * s + b[c]).collect();
            let m = zz.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + zz.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            // The log-sum-exp over the classes the row may belong to: the
            // loss is lse − lse_in, and class c's share of it p_c/P(in).
            let inside = |c: usize| l.allows(Label::ALL[c]);
            let mi = (0..3)
                .filter(|&c| inside(c))
                .map(|c| zz[c])
                .fold(f64::NEG_INFINITY, f64::max);
            let lse_in = mi
                + (0..3)
                    .filter(|&c| inside(c))
                    .map(|c| (zz[c] - mi).exp())
                    .sum::<f64>()
                    .ln();
            loss += w * (lse - lse_in);
            for c in 0..3 {
                let share = if inside(c) {
                    (zz[c] - lse_in).exp()
                } else {
                    0.0
                };
                let d = w * ((zz[c] - lse).exp() - share);
                g[0] += d * z[c] as f64 * s;
                if c > 0 {
                    g[c] += d;
                }
            }
        }
        for (gc, free) in g.iter_mut().zip(free) {
            if !free {
                *gc = 0.0;
            }
        }
        // A light pull of the temperature towards 1: where the offsets alone
        // explain the data (T is then unidentifiable), keep T = 1.
        let total: f64 = self.weights.iter().sum();
        loss += 1e-3 * total * p[0] * p[0];
        g[0] += 2e-3 * total * p[0];
        (loss, Array1::from_vec(g.to_vec()))
    }
}

/// Refuses a non-finite point. Once converged, argmin's L-BFGS can take a
/// zero step (yᵀs = 0) and divide by it; the NaN point that follows sent
/// the More-Thuente search into an endless loop (the leave-one-source-out
/// fold without crypto_arbitrage_bot_scam_youtube hung there). An error
/// instead ends the search, and L-BFGS keeps its best point.
fn finite_point(p: &Array1<f64>) -> Result<(), argmin::core::Error> {
    if p.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(argmin::core::Error::msg(
            "the line search left the finite numbers",
        ))
    }
}

impl CostFunction for Nll<'_> {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Array1<f64>) -> Result<f64, argmin::core::Error> {
        finite_point(p)?;
        Ok(self.eval(p).0)
    }
}

impl Gradient for Nll<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Array1<f64>) -> Result<Array1<f64>, argmin::core::Error> {
        finite_point(p)?;
        Ok(self.eval(p).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gradient_is_zero_where_the_cost_is_clamped_flat() {
        // A row of each label, and one known only to be unwanted (the
        // pair's loss, whose gradient this checks too).
        let logits = [
            [2.0f32, -1.0, 0.5],
            [-0.5, 1.5, 0.0],
            [0.1, 0.2, 3.0],
            [0.4, 0.9, 1.1],
        ];
        let labels = [
            Target::Label(Label::Ham),
            Target::Label(Label::Spam),
            Target::Label(Label::Scam),
            Target::Unwanted,
        ];
        let nll = Nll {
            logits: &logits,
            labels: &labels,
            weights: &[1.0, 2.0, 0.5, 1.5],
        };
        // Inside the bounds and beyond them (temperature and both offsets),
        // the gradient is the cost's slope, which is 0 where clamped.
        for p in [
            [0.3, -2.0, 1.0],
            [LOG_T_MAX + 2.0, BIAS_MAX + 5.0, -BIAS_MAX - 5.0],
        ] {
            let (_, g) = nll.eval(&Array1::from_vec(p.to_vec()));
            for c in 0..3 {
                let mut a = Array1::from_vec(p.to_vec());
                let mut b = a.clone();
                a[c] += 1e-6;
                b[c] -= 1e-6;
                let fd = (nll.eval(&a).0 - nll.eval(&b).0) / 2e-6;
                assert!(
                    (fd - g[c]).abs() < 1e-4,
                    "at {p:?}, param {c}: slope {fd}, gradient {}",
                    g[c]
                );
            }
        }
    }

    #[test]
    fn the_flag_threshold_is_never_below_half() {
        // Every legitimate message is unlikely to be spam or scam: the
        // threshold at 1% FPR would be tiny, the decision's floor is 0.5.
        let logits: Vec<[f32; 3]> = (0..200).map(|i| [4.0 + (i % 7) as f32, 0.0, 0.0]).collect();
        let labels = vec![Target::Label(Label::Ham); 200];
        let w = vec![1.0; 200];
        assert_eq!(fit(&logits, &labels, &w, &w, 0.01).flag_threshold, 0.5);
    }

    #[test]
    fn unwanted_rows_move_the_spam_and_scam_offsets_together() {
        // Scam rows and rows known only to be unwanted, at the same logits.
        // Counting the unwanted ones as spam (the old way) pulls p(spam) up;
        // as the pair, they leave the split between spam and scam to the
        // scam rows.
        let logits = vec![[0.0f32, 0.0, 0.0]; 400];
        let with = |unwanted: Target| -> Vec<Target> {
            (0..400)
                .map(|i| match i % 4 {
                    0 => Target::Label(Label::Ham),
                    1 => Target::Label(Label::Scam),
                    _ => unwanted,
                })
                .collect()
        };
        let w = vec![1.0; 400];
        let hard = fit(&logits, &with(Target::Label(Label::Spam)), &w, &w, 0.01);
        let partial = fit(&logits, &with(Target::Unwanted), &w, &w, 0.01);
        let (ph, pp) = (
            hard.probabilities([0.0; 3]),
            partial.probabilities([0.0; 3]),
        );
        assert!(ph[1] > ph[2], "as spam: {ph:?}");
        assert!(pp[2] > 0.7 && pp[1] < 0.01, "as unwanted: {pp:?}");
    }

    #[test]
    fn overconfident_logits_get_cooled() {
        // Logits say 99.99% but the classes are only 75% right: T must grow.
        let mut logits = Vec::new();
        let mut labels = Vec::new();
        for i in 0..400 {
            logits.push([0.0, 0.0, 10.0]);
            labels.push(Target::Label(if i % 4 == 0 {
                Label::Ham
            } else {
                Label::Scam
            }));
        }
        let w = vec![1.0; 400];
        let c = fit(&logits, &labels, &w, &w, 0.01);
        let p = c.probabilities([0.0, 0.0, 10.0]);
        assert!((p[2] - 0.75).abs() < 0.05, "{p:?} {c:?}");
    }

    #[test]
    fn extreme_logits_terminate() {
        // Used to hang: huge logits made the cost NaN during the line search.
        let logits: Vec<[f32; 3]> = (0..200)
            .map(|i| {
                if i % 2 == 0 {
                    [3e4, -3e4, 0.0]
                } else {
                    [-3e4, 0.0, 3e4]
                }
            })
            .collect();
        let labels: Vec<Target> = (0..200)
            .map(|i| Target::Label(if i % 3 == 0 { Label::Ham } else { Label::Scam }))
            .collect();
        let w = vec![1.0; 200];
        let c = fit(&logits, &labels, &w, &w, 0.01);
        assert!(
            c.temperature.is_finite() && c.bias.iter().all(|b| b.is_finite()),
            "{c:?}"
        );
        assert!((0.5..=1.0).contains(&c.flag_threshold), "{c:?}");
    }

    #[test]
    fn reliability_bins() {
        let r = reliability(&[(0.05, false), (0.95, true), (0.91, false)], 10);
        assert_eq!(r.len(), 10);
        assert_eq!(r[9].count, 2);
        assert!((r[9].observed - 0.5).abs() < 1e-6);
    }
}
