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

mod categories;
mod cross;
mod curves;
mod groups;
mod learning;
mod report;
mod robustness;

pub use categories::{
    CategoryConfusion, CategoryMetrics, CategoryScored, category_confusion, category_metrics,
};
pub use cross::{CrossReport, HeldOutPrediction, HoldOut, cross_validate};
pub use curves::{CurvePoint, Curves, MAX_CURVE_POINTS, pr_curve, roc_curve};
pub use groups::{
    BinaryMetrics, ConfusionMatrix, DecisionMetrics, GroupMetrics, LabelCounts, RecallAtFpr,
    Scored, group_metrics,
};
pub use learning::{
    Cell, CellMetrics, Forgetting, GroupResult, LearnPrediction, LearnSimOptions, LearningReport,
    SourceChange, draw_order, k_applies, simulate_learning,
};
pub use robustness::{RobustnessRow, robustness, robustness_markdown};

use crate::calibrate::{ReliabilityBin, reliability};
use crate::classifier::{Classifier, ClassifyOptions, Verdict};
use crate::corpus::Example;
use crate::label::{Category, Label};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Messages classified per batch: bounds the memory held in verdicts.
const CHUNK: usize = 2048;

/// Bins of the reliability diagram.
pub const RELIABILITY_BINS: usize = 10;

/// Options of [`evaluate`].
///
/// # Example
///
/// ```
/// use scamscan::{eval::{evaluate, EvalOptions}, Classifier};
/// let opts = EvalOptions { fprs: vec![0.001], ..EvalOptions::default() };
/// let report = evaluate(&Classifier::default(), &[], &opts);
/// assert_eq!(report.overall.flagged.recall_at_fpr[0].fpr, 0.001);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// False-positive rates (shares of ham flagged) at which recall is reported.
    pub fprs: Vec<f64>,
    /// Sources whose `spam` label means only "unwanted" (see
    /// [`TrainParams::partial_sources`](crate::train::TrainParams::partial_sources)):
    /// their spam rows are flagged-positives and stay out of every
    /// scam-against-spam measure.
    pub unwanted_sources: Vec<String>,
    /// With [`cross_validate`]: hold out only these groups (each still
    /// trained without), all of them when empty.
    pub hold_out_only: Vec<String>,
}

impl Default for EvalOptions {
    /// Recall at 0.1%, 1% and 5% FPR.
    fn default() -> Self {
        EvalOptions {
            fprs: vec![0.001, 0.01, 0.05],
            unwanted_sources: Vec::new(),
            hold_out_only: Vec::new(),
        }
    }
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
    /// The category head's top choice per true scam category.
    pub category_confusion: CategoryConfusion,
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
///     lang: "en".into(), label, category: None, text: text.into(), reviewed: false };
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
                unwanted: e.label == Label::Spam
                    && !e.reviewed
                    && opts.unwanted_sources.contains(&e.source),
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
    // A row known only as "unwanted" may be a scam or not: counted as not
    // one, every scam among a partial source's spam made p(scam) look
    // overconfident (the calibration is fitted without them too).
    let pairs: Vec<(f32, bool)> = rows
        .iter()
        .filter(|r| !r.unwanted)
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
        category_confusion: category_confusion(&cat_rows),
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
                .filter(|&(_, &id)| id as usize == g)
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

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
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
            reviewed: false,
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

    pub(super) fn run(chunk: usize) -> EvalReport {
        run_with(chunk, &EvalOptions::default())
    }

    fn run_with(chunk: usize, opts: &EvalOptions) -> EvalReport {
        let ex = examples();
        evaluate_with(
            &ex,
            opts,
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
        // The head's choices: both job rows job, the bank row job.
        let c = &r.category_confusion;
        assert_eq!(c.truth, ["job", "bank"]);
        assert_eq!(c.count("job", "job"), 2);
        assert_eq!(c.count("bank", "job"), 1);
        assert_eq!(c.count("bank", "bank"), 0);
        // The intervals are Wilson's of the counts: 1 of 4 ham flagged,
        // 3 of 4 positives caught, 2 of 3 heads right.
        assert_eq!(
            o.decision.ham_fpr_interval,
            crate::metrics::wilson_interval(1, 4)
        );
        assert_eq!(
            o.decision.recall_interval,
            crate::metrics::wilson_interval(3, 4)
        );
        assert_eq!(
            all.head_accuracy_interval,
            crate::metrics::wilson_interval(2, 3)
        );
        let md = r.to_markdown();
        // The bank row: one row the head called job, none anything else.
        assert!(md.contains("| bank | 1 |  |  |"), "{md}");
        // 1 of 4 ham: 25% flagged, 4.56–69.94% by Wilson's interval; the
        // head right for 2 of 3: 66.67% (20.77–93.85%).
        assert!(
            md.contains("| 95% interval of recall / of ham flagged | 0.301–0.954 / 4.56–69.94% |"),
            "{md}"
        );
        assert!(md.contains("| 25.00% (4.56–69.94%) |"), "{md}");
        assert!(md.contains("| 66.67% (20.77–93.85%) |"), "{md}");

        let bins: u32 = r.reliability.iter().map(|b| b.count).sum();
        assert_eq!(bins, 8);
        assert!(r.ece.unwrap() > 0.0);
        assert_eq!(r.curves.roc.first().map(|p| (p.x, p.y)), Some((0.0, 0.0)));
        assert_eq!(r.curves.roc.last().map(|p| (p.x, p.y)), Some((1.0, 1.0)));
    }

    /// The spam of a source that does not tell scams from marketing is
    /// neither a scam nor not one: it stays out of the p(scam) reliability.
    #[test]
    fn unwanted_rows_stay_out_of_the_scam_reliability() {
        let opts = |unwanted: &[&str]| EvalOptions {
            unwanted_sources: unwanted.iter().map(|s| s.to_string()).collect(),
            ..EvalOptions::default()
        };
        let report = |o: &EvalOptions| run_with(3, o);
        let count = |r: &EvalReport| r.reliability.iter().map(|b| b.count).sum::<u32>();
        let (all, partial) = (report(&opts(&[])), report(&opts(&["a"])));
        assert_eq!(count(&all), 8);
        // Source a's one spam row (p(scam) 0.1) is left out.
        assert_eq!(count(&partial), 7);
        assert_eq!(all.reliability[1].count, 2);
        assert_eq!(partial.reliability[1].count, 1);
    }

    #[test]
    fn chunking_does_not_change_the_report() {
        let a = run(1);
        assert_eq!(a, run(3));
        assert_eq!(a, run(1000));
    }
}
